"""``hamkke setup``: the first district of an empty install, interactively or from options."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from agencies.services import IdentityProviderData
from agencies.setup import SetupError, SetupRequest, decode_csv, parse_dong_csv, set_up_district
from hamkke.db import db


def _ask(value: str | None, option: str, label: str, *, no_input: bool, hide: bool = False) -> str:
    """Return the option's value, or ask for it; with --no-input a missing value is an error."""
    if value:
        return value
    if no_input:
        raise click.UsageError(f"{option}: 값이 필요합니다 / {option} is required with --no-input")
    return str(click.prompt(label, hide_input=hide))


def _read_csv(path: Path) -> str:
    try:
        return decode_csv(path.read_bytes())
    except OSError as exc:
        raise SetupError(
            f"--dongs-csv: 파일을 읽을 수 없습니다({exc.strerror}).", f"--dongs-csv: {exc}"
        ) from exc


@click.command("setup")
@click.option("--district-code", help="District code, e.g. gangnam (lower-case letters, digits, hyphens).")
@click.option("--district-name", help="District name, e.g. 강남구.")
@click.option(
    "--dongs-csv",
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV of the 행정동 list: header 권역,행정동코드,행정동명 (권역코드 optional); UTF-8 or CP949.",
)
@click.option("--provider-name", help="Name of the identity provider shown on the sign-in page.")
@click.option("--issuer", help="OpenID Connect issuer URL (https; its discovery document must answer).")
@click.option("--client-id", help="Client ID registered at the provider.")
@click.option(
    "--client-secret-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="File holding the client secret (keeps it off the command line); asked when missing.",
)
@click.option(
    "--allowed-domain", "allowed_domains", multiple=True, help="E-mail domain staff sign in with (repeat)."
)
@click.option("--claim", help="Optional claim that must carry the agency code, e.g. hamkke_agency.")
@click.option("--coordinator-email", help="E-mail of the first 통합사례관리 coordinator.")
@click.option(
    "--team-name", default="", help="Name of the district team (default: <district> 희망복지지원단)."
)
@click.option("--team-code", default="", help="Code of the district team (default: <district-code>-team).")
@click.option("--no-input", is_flag=True, help="Never ask; a missing option is an error (automation).")
@with_appcontext
def setup_command(
    district_code: str | None,
    district_name: str | None,
    dongs_csv: Path | None,
    provider_name: str | None,
    issuer: str | None,
    client_id: str | None,
    client_secret_file: Path | None,
    allowed_domains: tuple[str, ...],
    claim: str | None,
    coordinator_email: str | None,
    team_name: str,
    team_code: str,
    no_input: bool,
) -> None:
    """Create the first district: 권역 and dongs, identity provider, the first coordinator's invitation."""
    ask = {"no_input": no_input}
    try:
        code = _ask(district_code, "--district-code", "지역 코드 / district code (e.g. gangnam)", **ask)
        name = _ask(district_name, "--district-name", "지역 이름 / district name (e.g. 강남구)", **ask)
        csv_path = Path(_ask(str(dongs_csv or ""), "--dongs-csv", "행정동 CSV 파일 / dong list CSV", **ask))
        dongs = parse_dong_csv(_read_csv(csv_path))
        issuer_url = _ask(issuer, "--issuer", "인증 서버 issuer / OIDC issuer URL", **ask)
        if client_secret_file is not None:
            secret = client_secret_file.read_text(encoding="utf-8").strip()
        else:
            secret = _ask(None, "--client-secret-file", "클라이언트 secret / client secret", hide=True, **ask)
        domains = allowed_domains or tuple(
            _ask(
                None, "--allowed-domain", "허용 도메인 / allowed e-mail domains (comma-separated)", **ask
            ).split(",")
        )
        provider = IdentityProviderData(
            name=_ask(provider_name, "--provider-name", "인증 서버 이름 / provider name", **ask),
            issuer=issuer_url,
            client_id=_ask(client_id, "--client-id", "클라이언트 ID / client ID", **ask),
            client_secret=secret,
            allowed_email_domains=tuple(domain.strip() for domain in domains),
            claim_name=claim or None,
        )
        request = SetupRequest(
            district_code=code,
            district_name=name,
            dongs=dongs,
            provider=provider,
            coordinator_email=_ask(
                coordinator_email,
                "--coordinator-email",
                "첫 조정자 전자우편 / first coordinator's e-mail",
                **ask,
            ),
            team_name=team_name,
            team_code=team_code,
        )
        result = set_up_district(request)
        db.session.commit()
    except SetupError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    regions = len(result.district.regions)
    click.echo(
        f"지역을 만들었습니다: '{result.district.name}' / district created: "
        f"권역 {regions}, 행정동 {len(dongs)}, 기관 '{result.team.name}', 인증 서버 '{result.provider.name}'"
    )
    click.echo(
        "첫 조정자 초대 링크 (한 번만 표시, 7일간 유효) / the first coordinator's one-time link "
        f"(shown once, valid 7 days), for {result.invitation.email}:"
    )
    click.echo(result.link)
