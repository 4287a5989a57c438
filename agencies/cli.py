"""``hamkke agencies …``: commands for the district network (first setup, staff)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from agencies.signin.services import create_break_glass_account
from hamkke.db import db
from hamkke.errors import ValidationFailed


@click.group("agencies")
def agencies_cli() -> None:
    """Agencies, staff and sign-in (기관·직원·로그인)."""


@agencies_cli.command("create-break-glass")
@click.option("--email", required=True, help="E-mail the administrator signs in with at /auth/local.")
@click.option("--name", required=True, help="Name shown in the header and the audit log.")
@click.password_option(
    "--password",
    prompt="비밀번호 / password (12자 이상 / at least 12 characters)",
    confirmation_prompt="비밀번호 확인 / repeat the password",
    help="Asked twice when not given; never pass it on a shared command line.",
)
@with_appcontext
def create_break_glass_command(email: str, name: str, password: str) -> None:
    """Create the one break-glass administrator for first setup; refuse if one already exists."""
    try:
        person = create_break_glass_account(email=email, name=name, password=password)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} / {exc.english}") from exc
    click.echo(f"긴급 관리자 계정을 만들었습니다 / break-glass account created (id {person.id})")
    click.echo("로그인 / sign in: /auth/local")
