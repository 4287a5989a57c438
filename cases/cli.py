"""``hamkke cases …``: maintenance of the case records."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from cases.models import Client
from cases.models.fingerprints import refresh_fingerprints
from hamkke.db import db

#: clients loaded per round, so a large district does not load every record at once
BATCH = 500


@click.group("cases")
def cases_cli() -> None:
    """Case records (사례 기록)."""


@cases_cli.command("fingerprints")
@with_appcontext
def fingerprints_command() -> None:
    """Compute the 중복 서비스 확인 fingerprints of every client (after an upgrade or a key change)."""
    last_id = 0
    changed = 0
    while True:
        clients = db.session.scalars(
            sa.select(Client).where(Client.id > last_id).order_by(Client.id).limit(BATCH)
        ).all()
        if not clients:
            break
        for client in clients:
            before = (client.rrn_match_key, client.identity_match_key)
            refresh_fingerprints(client)
            changed += before != (client.rrn_match_key, client.identity_match_key)
        last_id = clients[-1].id
        db.session.flush()
    click.echo(f"지문을 새로 계산한 대상자 / clients re-fingerprinted: {changed}")
