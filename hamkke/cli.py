"""The ``hamkke`` command: start everything, serve, migrations and worker checks.

The domains add their own commands to the app (``hamkke demo`` comes from ``demo/cli.py``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from hamkke.app import create_app
from hamkke.config import DEV_CLIENT_ID, DEV_CLIENT_SECRET, REPO_ROOT, ConfigError, is_production
from hamkke.db import db
from hamkke.devmail import mail_folder
from hamkke.extensions import socketio
from hamkke.heartbeat import WorkerHeartbeat
from hamkke.tasks import record_heartbeat


def _create_app() -> Any:
    return create_app()


# load_dotenv=False: the .env beside docker-compose.yml holds production settings and must not leak into
# `make run`; configuration comes only from instance/config.py and the environment (hamkke/config.py).
@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_version_option=False,
    add_default_commands=False,
    load_dotenv=False,
)
def cli() -> None:
    """Hamkke (함께): 통합사례관리 플랫폼 관리 명령."""


cli.add_command(shell_command)
cli.add_command(routes_command)


@cli.command("serve")
@click.option("--host", default=lambda: os.environ.get("HAMKKE_HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option(
    "--port", default=lambda: int(os.environ.get("HAMKKE_PORT", "5000")), type=int, show_default="5000"
)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web app with Socket.IO (development server; production uses gunicorn)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # The click group marks the process as "run from the flask CLI", and Flask then ignores
    # app.run(); this command is exactly the place that must run the server.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    socketio.run(
        app,
        host=host,
        port=port,
        debug=False,
        use_reloader=False,
        log_output=True,
        allow_unsafe_werkzeug=True,
    )


@cli.command("ping-worker")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for the worker.")
@with_appcontext
def ping_worker_command(timeout: float) -> None:
    """Send a heartbeat task through the broker and wait until a worker has handled it."""
    import sqlalchemy as sa

    token = f"cli-{uuid.uuid4().hex}"
    record_heartbeat.delay(token=token, source="cli")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = db.session.scalar(sa.select(WorkerHeartbeat.worker).where(WorkerHeartbeat.token == token))
        # End the transaction before waiting: on SQLite it holds the write lock the worker needs, and
        # the next look must see rows the worker committed meanwhile.
        db.session.rollback()
        if found is not None:
            click.echo(f"작업자 응답 / worker answered: {found}")
            return
        time.sleep(0.2)
    raise click.ClickException(f"작업자가 {timeout:.0f}초 안에 응답하지 않았습니다 / no worker answered")


@cli.command("up")
@with_appcontext
def up_command() -> None:
    """Upgrade the database, load demo data if empty, and run web, worker, beat and the dev provider."""
    from flask_migrate import upgrade

    if is_production(current_app.config):
        raise click.ClickException(
            "hamkke up은 개발용입니다 / 'hamkke up' is for development; use docker-compose"
        )
    upgrade(directory=str(REPO_ROOT / "migrations"))
    # The demo package registers `hamkke demo` on the app's commands (demo/cli.py); the shell knows it
    # only by that name, so it sits below the demo data it loads.
    demo = current_app.cli.get_command(click.get_current_context(), "demo")
    if demo is not None:
        click.get_current_context().invoke(demo, force=False)
    db.session.remove()
    db.engine.dispose()  # the children open their own connections
    base_url = current_app.config["BASE_URL"].rstrip("/")
    table = _process_table(base_url, current_app.config["DEVIDP_URL"])
    env: dict[str, str] = {}
    if (current_app.config["MAIL_SERVER"], current_app.config["MAIL_PORT"]) == ("localhost", 25):
        # No SMTP server configured: e-mail goes to the development mail catcher (/dev/mail), not to
        # a closed port the outbox would retry against forever.
        table, env = _with_mail_catcher(table)
    _run_processes(table, base_url, env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _with_mail_catcher(
    table: list[tuple[str, list[str]]],
) -> tuple[list[tuple[str, list[str]]], dict[str, str]]:
    """Add the development mail catcher to the processes; return them and the mail settings for all."""
    port = _free_port()
    folder = mail_folder(current_app.instance_path)
    catcher = [sys.executable, "-m", "hamkke.devmail", "--host", "127.0.0.1", "--port", str(port)]
    click.echo(f"개발용 메일함 / caught e-mail: {current_app.config['BASE_URL'].rstrip('/')}/dev/mail")
    env = {"HAMKKE_MAIL_SERVER": "127.0.0.1", "HAMKKE_MAIL_PORT": str(port), "HAMKKE_MAIL_USE_TLS": "false"}
    return [("mail", [*catcher, "--folder", str(folder)]), *table], env


def _process_table(base_url: str, idp_url: str) -> list[tuple[str, list[str]]]:
    """List the processes of the embedded default; web and provider ports come from their URLs."""
    python = sys.executable
    instance = Path(current_app.instance_path)
    web = urlsplit(base_url)
    idp = urlsplit(idp_url)
    table: list[tuple[str, list[str]]] = [
        (
            "idp",
            [
                python,
                "-m",
                "devidp",
                "--host",
                idp.hostname or "127.0.0.1",
                "--port",
                str(idp.port or 80),
                "--client-id",
                DEV_CLIENT_ID,
                "--client-secret",
                DEV_CLIENT_SECRET,
                "--redirect-uri",
                f"{base_url}/auth/callback",
                "--post-logout-redirect-uri",
                f"{base_url}/",
            ],
        ),
    ]
    table += [
        (
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "worker.main",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
            ],
        ),
        (
            "beat",
            [
                python,
                "-m",
                "celery",
                "-A",
                "worker.main",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(instance / "celerybeat-schedule"),
            ],
        ),
        (
            "web",
            [
                python,
                "-m",
                "hamkke.cli",
                "serve",
                "--host",
                web.hostname or "127.0.0.1",
                "--port",
                str(web.port or 80),
            ],
        ),
    ]
    return table


#: seconds to wait for the web server's first answer before starting the other processes anyway
WEB_READY_TIMEOUT = 60.0


def _answers(base_url: str) -> bool:
    """Tell whether the web server answers ``/`` (any HTTP status: it is up)."""
    try:
        with urllib.request.urlopen(f"{base_url}/", timeout=2):  # noqa: S310 (our own local URL)
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _run_processes(
    table: list[tuple[str, list[str]]], base_url: str, extra_env: dict[str, str] | None = None
) -> None:
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    env = {**os.environ, **(extra_env or {}), "PYTHONUNBUFFERED": "1"}

    def start(entries: list[tuple[str, list[str]]]) -> None:
        for name, command in entries:
            # Each child gets its own process group so that Ctrl-C reaches it only through us, in order.
            children[name] = subprocess.Popen(command, cwd=REPO_ROOT, env=env, start_new_session=True)  # noqa: S603

    # The web server first, alone: four processes importing the app at once on a small machine make the
    # first page wait for all of them. The provider, the worker and beat follow once "/" answers.
    # The mail catcher starts with it (it is small) so that no e-mail ever meets a closed port.
    start([entry for entry in table if entry[0] in {"web", "mail"}])
    deadline = time.monotonic() + WEB_READY_TIMEOUT
    while not stopping and time.monotonic() < deadline and not _answers(base_url):
        web = children.get("web")
        if web is not None and web.poll() is not None:
            break
        time.sleep(0.2)
    if not stopping:
        start([entry for entry in table if entry[0] not in {"web", "mail"}])
    click.echo(
        f"\n  함께(Hamkke)가 시작되었습니다 / Hamkke is running: {base_url}/\n"
        "  로그인: 첫 화면의 '로그인'에서 데모 계정을 눌러 개발용 인증 서버로 들어갑니다.\n"
        "  Sign in: press '로그인' and pick a demo account on the development provider.\n"
        "  끝내려면 Ctrl-C / press Ctrl-C to stop every process.\n"
    )
    exit_code = 0
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    click.echo(
                        f"{name} 프로세스가 끝났습니다 (code {child.returncode}); 모두 멈춥니다 / stopping"
                    )
                    exit_code = child.returncode or 1
                    stopping = True
                    break
            time.sleep(0.5)
    finally:
        for child in children.values():
            if child.poll() is None:
                # Only the leader: Celery then stops its pool itself (a warm shutdown); the whole
                # group is killed below only if it does not stop in time.
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
    if exit_code:
        raise SystemExit(exit_code)


def main() -> None:
    """Entry point of the ``hamkke`` script; configuration errors print one line, not a traceback."""
    try:
        cli.main(standalone_mode=True)
    except ConfigError as error:
        click.echo(f"설정 오류 / configuration error: {error}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
