"""First setup of a district from an empty install (``hamkke setup``).

One unit of work creates the district (시군구), its 권역 and 행정동 (from a CSV of the real 행정동
list), the first identity provider, the district's 통합사례관리 team as an invited agency, and a
one-time invitation for the first coordinator. Accepting that invitation makes the invitee the
team's admin and coordinator; they then accept the 업무협약 and invite the other agencies.

Every refusal is a `SetupError`: one line in Korean and English naming the CSV row or the setting,
raised before anything is flushed or with the transaction rolled back by the caller, so nothing
is half-created.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa

from agencies.models import (
    Agency,
    AgencySector,
    AgencyStatus,
    AgencyType,
    District,
    Dong,
    IdentityProvider,
    Invitation,
    Region,
)
from agencies.onboarding import AGENCY_CODE_PATTERN, INVITATION_LIFETIME, hash_token, invitation_link
from agencies.services import IdentityProviderData, _validate_provider, email_allowed_by, normalise_email
from hamkke import audit
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import now_utc

#: district and 권역 codes appear in URLs and exports: lower-case letters, digits and hyphens
CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
#: 행정동 codes: the 10-digit 행정기관코드 of the official list, or a short code of letters and digits
DONG_CODE_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,40}$")
#: CSV header names (Korean as in the 행정안전부 list, or English) → field
HEADER_ALIASES: dict[str, str] = {
    "권역": "region",
    "권역명": "region",
    "region": "region",
    "region_name": "region",
    "권역코드": "region_code",
    "region_code": "region_code",
    "행정동코드": "dong_code",
    "행정기관코드": "dong_code",
    "dong_code": "dong_code",
    "행정동": "dong",
    "행정동명": "dong",
    "읍면동명": "dong",
    "dong": "dong",
    "dong_name": "dong",
}
REQUIRED_COLUMNS = (("region", "권역"), ("dong_code", "행정동코드"), ("dong", "행정동명"))
#: the provider's settings as the command's options name them, for one-line errors
PROVIDER_OPTIONS = {
    "provider_name": "--provider-name",
    "issuer": "--issuer",
    "client_id": "--client-id",
    "client_secret": "--client-secret",
    "allowed_email_domains": "--allowed-domain",
    "claim_name": "--claim",
}
DISCOVERY_TIMEOUT_SECONDS = 10


class SetupError(Exception):
    """A refused setup: ``message`` is one line in Korean and English naming the row or setting."""

    def __init__(self, korean: str, english: str) -> None:
        self.message = f"{korean} / {english}"
        super().__init__(self.message)


@dataclass(frozen=True)
class DongRow:
    """One 행정동 of the CSV and the 권역 it belongs to."""

    line: int
    region: str
    region_code: str | None
    code: str
    name: str


@dataclass(frozen=True)
class SetupRequest:
    """Everything ``hamkke setup`` asks for."""

    district_code: str
    district_name: str
    dongs: tuple[DongRow, ...]
    provider: IdentityProviderData
    coordinator_email: str
    team_name: str = ""
    team_code: str = ""
    #: skip the provider's discovery check (tests of the other refusals only)
    check_provider: bool = field(default=True, compare=False)


@dataclass(frozen=True)
class SetupResult:
    """What setup created, and the invitation link to hand to the coordinator (shown once)."""

    district: District
    team: Agency
    provider: IdentityProvider
    invitation: Invitation
    link: str


def decode_csv(data: bytes) -> str:
    """Return the CSV's text: UTF-8 (with or without BOM) or CP949, as the government lists come."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SetupError(
        "CSV 파일을 읽을 수 없습니다(UTF-8 또는 CP949가 아닙니다).",
        "the CSV file is neither UTF-8 nor CP949",
    )


def _columns(header: list[str] | None) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(header or []):
        key = HEADER_ALIASES.get(name.strip().lower()) or HEADER_ALIASES.get(name.strip())
        if key and key not in positions:
            positions[key] = index
    for key, korean in REQUIRED_COLUMNS:
        if key not in positions:
            raise SetupError(
                f"CSV 1행(머리글)에 '{korean}' 열이 없습니다.",
                f"CSV row 1 (header) has no column '{key}'",
            )
    return positions


def _cell(row: list[str], positions: dict[str, int], key: str) -> str:
    index = positions.get(key)
    return row[index].strip() if index is not None and index < len(row) else ""


def parse_dong_csv(text: str) -> tuple[DongRow, ...]:
    """Read the 행정동 list: a header row, then one 행정동 per row with its 권역 (refuses malformed rows)."""
    reader = csv.reader(io.StringIO(text))
    try:
        positions = _columns(next(reader, None))
        rows: list[DongRow] = []
        seen: dict[str, int] = {}
        region_codes: dict[str, str | None] = {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            rows.append(_parse_row(row, positions, line, seen, region_codes))
    except csv.Error as exc:
        raise SetupError(
            f"CSV {reader.line_num}행을 읽을 수 없습니다: {exc}", f"CSV row {reader.line_num}: {exc}"
        ) from exc
    if not rows:
        raise SetupError("CSV에 행정동이 한 줄도 없습니다.", "the CSV lists no dong")
    return tuple(rows)


def _parse_row(
    row: list[str],
    positions: dict[str, int],
    line: int,
    seen: dict[str, int],
    region_codes: dict[str, str | None],
) -> DongRow:
    region, code, name = (_cell(row, positions, key) for key in ("region", "dong_code", "dong"))
    region_code = _cell(row, positions, "region_code") or None
    for value, korean, english in (
        (region, "권역", "region"),
        (code, "행정동코드", "dong_code"),
        (name, "행정동명", "dong"),
    ):
        if not value:
            raise SetupError(
                f"CSV {line}행: {with_particle(korean, '이')} 비어 있습니다.",
                f"CSV row {line}: {english} is empty",
            )
    if not DONG_CODE_PATTERN.match(code):
        raise SetupError(
            f"CSV {line}행: 행정동코드는 숫자·영문·하이픈 40자 이내여야 합니다 (받은 값: '{code[:40]}').",
            f"CSV row {line}: dong_code must be up to 40 letters, digits or hyphens",
        )
    if len(name) > 100 or len(region) > 100:
        raise SetupError(
            f"CSV {line}행: 이름이 100자를 넘습니다.", f"CSV row {line}: a name exceeds 100 characters"
        )
    if region_code is not None and not CODE_PATTERN.match(region_code):
        raise SetupError(
            f"CSV {line}행: 권역코드는 영문 소문자·숫자·하이픈이어야 합니다 (받은 값: '{region_code[:40]}').",
            f"CSV row {line}: region_code must be lower-case letters, digits and hyphens",
        )
    if code in seen:
        raise SetupError(
            f"CSV {line}행: 행정동코드 {code}가 {seen[code]}행과 겹칩니다.",
            f"CSV row {line}: dong_code {code} repeats row {seen[code]}",
        )
    if region in region_codes and region_codes[region] != region_code:
        raise SetupError(
            f"CSV {line}행: 권역 '{region}'의 권역코드가 앞의 행과 다릅니다.",
            f"CSV row {line}: region '{region}' has another region_code than before",
        )
    seen[code] = line
    region_codes[region] = region_code
    return DongRow(line=line, region=region, region_code=region_code, code=code, name=name)


def check_provider_reachable(issuer: str) -> None:
    """Fetch the provider's OpenID discovery document; refuse unless it answers for this issuer."""
    url = issuer.strip().rstrip("/") + "/.well-known/openid-configuration"
    try:
        answer = requests.get(url, timeout=DISCOVERY_TIMEOUT_SECONDS)
        answer.raise_for_status()
        document = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise SetupError(
            f"--issuer: 인증 서버에 연결할 수 없습니다({url}: {type(exc).__name__}).",
            f"--issuer: the identity provider is unreachable ({url}: {type(exc).__name__})",
        ) from exc
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer.strip().rstrip(
        "/"
    ):
        raise SetupError(
            f"--issuer: {url} 문서의 issuer가 입력한 주소와 다릅니다.",
            f"--issuer: the discovery document at {url} names another issuer",
        )


def _check_district(request: SetupRequest) -> tuple[str, str]:
    code, name = request.district_code.strip(), request.district_name.strip()
    if not CODE_PATTERN.match(code):
        raise SetupError(
            "--district-code: 영문 소문자·숫자·하이픈 2~40자로 적어 주세요. 예: gangnam",
            "--district-code: use 2-40 lower-case letters, digits and hyphens",
        )
    if not name or len(name) > 100:
        raise SetupError("--district-name: 100자 이내로 적어 주세요.", "--district-name: 1-100 characters")
    existing = db.session.scalar(
        sa.select(District.code).where(sa.or_(District.code == code, District.name == name))
    )
    if existing is not None:
        raise SetupError(
            f"--district-code: 이미 있는 지역입니다({existing}). 기존 지역은 다시 만들지 않습니다.",
            f"--district-code: the district already exists ({existing}); nothing was created",
        )
    return code, name


def _region_codes(district_code: str, dongs: Iterable[DongRow]) -> dict[str, tuple[str, int]]:
    # 권역 without a code get <district>-r1, -r2, … in the order they first appear.
    regions: dict[str, tuple[str, int]] = {}
    for row in dongs:
        if row.region not in regions:
            code = row.region_code or f"{district_code}-r{len(regions) + 1}"
            regions[row.region] = (code, row.line)
    taken = set(
        db.session.scalars(sa.select(Region.code).where(Region.code.in_([c for c, _ in regions.values()])))
    )
    for code, line in regions.values():
        if code in taken:
            raise SetupError(
                f"CSV {line}행: 권역코드 {code}는 다른 지역에서 이미 쓰고 있습니다.",
                f"CSV row {line}: region_code {code} is used by another district",
            )
    return regions


def _check_dong_codes(dongs: Iterable[DongRow]) -> None:
    rows = {row.code: row.line for row in dongs}
    taken = sorted(db.session.scalars(sa.select(Dong.code).where(Dong.code.in_(list(rows)))))
    if taken:
        line = rows[taken[0]]
        raise SetupError(
            f"CSV {line}행: 행정동코드 {taken[0]}는 이미 등록되어 있습니다.",
            f"CSV row {line}: dong_code {taken[0]} is already registered",
        )


def _provider(request: SetupRequest, email: str) -> IdentityProvider:
    """Validate the provider's settings and build it (not yet added: the district comes first)."""
    try:
        values = _validate_provider(request.provider, existing=None)
    except ValidationFailed as exc:
        option = PROVIDER_OPTIONS.get(exc.field or "", "--issuer")
        raise SetupError(f"{option}: {exc.message}", f"{option}: {exc.english or exc.message}") from exc
    provider = IdentityProvider(**values)
    if not email_allowed_by(provider, email):
        raise SetupError(
            "--coordinator-email: 주소의 도메인이 --allowed-domain에 없습니다.",
            "--coordinator-email: its domain is not among --allowed-domain",
        )
    if request.check_provider:
        check_provider_reachable(provider.issuer)
    return provider


def _team_identity(request: SetupRequest, district_code: str, district_name: str) -> tuple[str, str]:
    """Return the district team's code and name, refused when malformed or taken."""
    code = request.team_code.strip() or f"{district_code}-team"
    if not AGENCY_CODE_PATTERN.match(code):
        raise SetupError(
            "--team-code: 영문 소문자·숫자·하이픈 2~60자로 적어 주세요.",
            "--team-code: use 2-60 lower-case letters, digits and hyphens",
        )
    if db.session.scalar(sa.select(Agency.id).where(Agency.code == code)) is not None:
        raise SetupError(
            f"--team-code: 기관 코드 {code}는 이미 쓰이고 있습니다.", f"--team-code: {code} is taken"
        )
    name = request.team_name.strip() or f"{district_name} 희망복지지원단"
    if len(name) > 200:
        raise SetupError("--team-name: 200자 이내로 적어 주세요.", "--team-name: at most 200 characters")
    return code, name


def set_up_district(request: SetupRequest) -> SetupResult:
    """Create district, 권역, 행정동, provider, district team and the coordinator's invitation (flushes).

    The caller commits on success and rolls back on `SetupError`; nothing is committed here.
    """
    code, name = _check_district(request)
    try:
        email = normalise_email(request.coordinator_email)
    except ValidationFailed as exc:
        raise SetupError(
            f"--coordinator-email: {exc.message}", f"--coordinator-email: {exc.english}"
        ) from exc
    region_codes = _region_codes(code, request.dongs)
    _check_dong_codes(request.dongs)
    # Everything that can be refused is checked before the first row is added.
    team_code, team_name = _team_identity(request, code, name)
    provider = _provider(request, email)
    district = District(code=code, name=name, settings={})
    db.session.add(district)
    regions: dict[str, Region] = {}
    for position, (region_name, (region_code, _line)) in enumerate(region_codes.items()):
        regions[region_name] = Region(
            district=district, code=region_code, name=region_name, position=position
        )
    counters: dict[str, int] = {}
    for row in request.dongs:
        position = counters.get(row.region, 0)
        counters[row.region] = position + 1
        db.session.add(
            Dong(
                district=district, region=regions[row.region], code=row.code, name=row.name, position=position
            )
        )
    db.session.flush()
    provider.district_id = district.id
    db.session.add(provider)
    team = Agency(
        district=district,
        code=team_code,
        name=team_name,
        type=AgencyType.district_team,
        sector=AgencySector.public,
        status=AgencyStatus.invited,
        identity_provider=provider,
        regions=list(regions.values()),
    )
    db.session.add(team)
    db.session.flush()
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        district_id=district.id,
        agency_id=team.id,
        email=email,
        token_hash=hash_token(token),
        expires_at=now_utc() + INVITATION_LIFETIME,
        grants_coordinator=True,
    )
    db.session.add(invitation)
    db.session.flush()
    _audit(district, provider, team, invitation)
    return SetupResult(
        district=district, team=team, provider=provider, invitation=invitation, link=invitation_link(token)
    )


def _audit(district: District, provider: IdentityProvider, team: Agency, invitation: Invitation) -> None:
    # No actor: the operator's command on the server is the authority (recorded as such).
    audit.record(
        "district.set_up",
        obj=district,
        data={
            "code": district.code,
            "regions": len(district.regions),
            "dongs": len(district.dongs),
            "via": "cli",
        },
    )
    audit.record(
        "agency.identity_provider_created",
        obj=provider,
        data={"district_id": district.id, "issuer": provider.issuer, "via": "setup"},
    )
    audit.record(
        "agency.invited",
        agency_id=team.id,
        obj=invitation,
        data={
            "agency_code": team.code,
            "identity_provider_id": provider.id,
            "expires_at": invitation.expires_at.isoformat(),
            "grants_coordinator": True,
        },
    )
    db.session.flush()
