"""``hamkke consents …``: verify the access-log chain, purge past retention, announce expiries."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from consents.access_log import (
    publish_anchor,
    purge_expired,
    retention_days,
    verify_anchors,
    verify_chain,
    write_anchor,
)
from consents.services import announce_expired_consents
from hamkke.db import after_commit


@click.group("consents")
def consents_cli() -> None:
    """Consents and the access log (동의·접속기록)."""


@consents_cli.command("verify-log")
@with_appcontext
def verify_log_command() -> None:
    """Verify the hash chain and the chain-head anchors; exit 1 on an altered, removed or cut-off row."""
    report = verify_chain()
    if not report.ok:
        click.echo(
            f"접속기록 변조 감지 / access log tampered: row {report.broken_at} ({report.problem}); "
            f"{report.checked} rows verified before it",
            err=True,
        )
        raise SystemExit(1)
    anchors = verify_anchors()
    if not anchors.ok:
        source = "파일" if anchors.anchor is not None and anchors.anchor.source == "file" else "DB"
        click.echo(
            f"접속기록 끝부분 삭제 또는 변조 감지 / access log truncated or altered: {anchors.problem} "
            f"(기준점 출처 {source}; {anchors.checked} anchors matched before it)",
            err=True,
        )
        raise SystemExit(1)
    click.echo(
        f"접속기록 무결성 확인 / access log intact: {report.checked} rows, {anchors.checked} anchors matched"
    )


@consents_cli.command("anchor-log")
@with_appcontext
def anchor_log_command() -> None:
    """Record the access log's current head as an anchor (table, application log, anchor file)."""
    anchor = write_anchor()
    if anchor is None:
        click.echo("새 기준점 없음 / head unchanged, no new anchor")
        return
    # Only a committed anchor is copied out of the database: after the command's unit of work commits.
    after_commit(lambda: publish_anchor(anchor))
    click.echo(f"기준점 기록 / anchor written: head row {anchor.head_id}, {anchor.chain_length} rows")


@consents_cli.command("purge-log")
@click.option("--dry-run", is_flag=True, help="Only count the rows past retention.")
@with_appcontext
def purge_log_command(dry_run: bool) -> None:
    """Delete access-log rows older than the retention (never younger than two years)."""
    count = purge_expired(dry_run=dry_run)
    if dry_run:
        click.echo(f"보존기간({retention_days()}일) 경과 {count}건 / {count} rows past retention")
        return
    click.echo(f"접속기록 {count}건 파기 / {count} rows purged")


@consents_cli.command("announce-expired")
@with_appcontext
def announce_expired_command() -> None:
    """Announce the clients whose consents ended yesterday, so live views redact them."""
    client_ids = announce_expired_consents()
    click.echo(f"만료 알림 {len(client_ids)}건 / {len(client_ids)} clients announced")
