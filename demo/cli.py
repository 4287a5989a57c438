"""``hamkke demo``: load the demo district 한빛구 into an empty database (development only)."""

from __future__ import annotations

import click
from flask import current_app

from demo.district import database_is_empty, load_demo
from hamkke.config import is_production


@click.command("demo")
@click.option(
    "--force", is_flag=True, help="Load even if the database already has data (adds nothing twice)."
)
def demo_command(force: bool) -> None:
    """Load the demo district 한빛구 when the database is empty."""
    if is_production(current_app.config):
        # The demo registers a development-only provider and prints an invitation link and an API
        # secret: never in a real district. `hamkke setup` creates a real one.
        raise click.ClickException(
            "운영 환경(HAMKKE_ENV=production)에서는 데모 데이터를 불러올 수 없습니다. "
            "`hamkke setup`을 쓰세요 / the demo refuses to run in production; use `hamkke setup`"
        )
    if not force and not database_is_empty():
        click.echo("데모 데이터: 이미 데이터가 있어 건너뜁니다 / database not empty, skipped")
        return
    summary = load_demo()
    # A command on app.cli is one unit of work (hamkke.unit_of_work.wrap_cli_commands): it commits
    # when this returns, and saves nothing if the load fails halfway.
    click.echo(
        "데모 데이터를 불러왔습니다 / demo loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items())
    )
