"""hamkke.wsgi: gunicorn's entry; a configuration error is one line and exit code 2, never a traceback."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import simple_websocket
import yaml

from hamkke.config import REPO_ROOT
from tests.fixtures.processes import clean_environment, running, wait_until
from tests.fixtures.services import free_port


def run_python(code: str, environ: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code`` from the repository with only ``environ``'s HAMKKE_* variables."""
    env = clean_environment({"HAMKKE_INSTANCE_PATH": str(tmp_path / "instance"), **environ})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_exit_two_in_one_line(result: subprocess.CompletedProcess[str], variable: str) -> None:
    """Exit code 2, a single stderr line naming the variable, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0], lines[0]


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"HAMKKE_ENV": "production"}, "HAMKKE_DATABASE_URL"),
        (
            {
                "HAMKKE_ENV": "production",
                "HAMKKE_DATABASE_URL": "postgresql+psycopg://u:p@db/hamkke",
                "HAMKKE_REDIS_URL": "redis://redis:6379/0",
                "HAMKKE_BASE_URL": "https://hamkke.example.go.kr",
            },
            "HAMKKE_SECRET_KEY",
        ),
        ({"HAMKKE_FOO": "1"}, "HAMKKE_FOO"),
        ({"HAMKKE_MAIL_PORT": "abc"}, "HAMKKE_MAIL_PORT"),
    ],
    ids=["production without database", "production without secret", "unknown variable", "invalid value"],
)
def test_import_exits_with_two_and_one_line(environ: dict[str, str], variable: str, tmp_path: Path) -> None:
    assert_exit_two_in_one_line(run_python("import hamkke.wsgi", environ, tmp_path), variable)


def test_import_builds_the_app(tmp_path: Path) -> None:
    result = run_python(
        "import hamkke.wsgi as w; print(type(w.app).__name__, w.app.config['ENV'])", {}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "Flask development"


def compose_web_command() -> list[str]:
    """The command web1 runs in docker-compose.yml."""
    compose: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    command = compose["services"]["web1"]["command"]
    assert isinstance(command, list)
    return [str(part) for part in command]


def gunicorn_command(port: int) -> list[str]:
    """The compose web command, run from this venv and bound to a loopback port."""
    command = compose_web_command()
    assert command[0] == "gunicorn"
    return [sys.executable, "-m", "gunicorn", *command[1:], "--bind", f"127.0.0.1:{port}"]


def _healthz(url: str) -> int | None:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return None


def _next_message(ws: simple_websocket.Client, seconds: float) -> str:
    """Return the next Socket.IO frame, answering Engine.IO pings meanwhile as a real client does."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        frame = ws.receive(timeout=left)
        if frame == "2":  # Engine.IO ping: a loaded machine may take longer than the ping interval
            ws.send("3")
            continue
        assert isinstance(frame, str), frame
        return frame
    raise AssertionError(f"no Socket.IO answer within {seconds} s")


@pytest.mark.slow
def test_compose_web_command_serves_health_and_websockets(tmp_path: Path) -> None:
    port = free_port()
    env = clean_environment(
        {"HAMKKE_INSTANCE_PATH": str(tmp_path / "instance"), "HAMKKE_BASE_URL": f"http://127.0.0.1:{port}"}
    )
    with running(gunicorn_command(port), env, tmp_path / "gunicorn.log") as server:
        wait_until(
            lambda: _healthz(f"http://127.0.0.1:{port}/healthz") == 200 or server.poll() is not None,
            timeout=60,
            message="gunicorn serving /healthz",
        )
        assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
        # Socket.IO over a real WebSocket through gunicorn's gthread worker (simple-websocket).
        ws = simple_websocket.Client.connect(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket")
        try:
            # A loaded machine can take a while to answer the first WebSocket frame; None means no frame came.
            opening = ws.receive(timeout=30)
            assert isinstance(opening, str)
            assert opening.startswith("0{"), opening  # Engine.IO "open"
            assert '"sid"' in opening
            ws.send("40")  # Socket.IO "connect" to the default namespace
            answer = _next_message(ws, seconds=60)
            assert answer[:2] in {"40", "44"}, answer  # accepted, or refused by the connect handler
        finally:
            ws.close()
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Using worker: gthread" in log


@pytest.mark.slow
def test_gunicorn_stops_once_with_exit_two_on_a_configuration_error(tmp_path: Path) -> None:
    env = clean_environment({"HAMKKE_INSTANCE_PATH": str(tmp_path / "instance"), "HAMKKE_ENV": "production"})
    env["HAMKKE_SECRET_KEY"] = secrets.token_urlsafe(48)
    started = time.monotonic()
    result = subprocess.run(
        gunicorn_command(free_port()),
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    # --preload: the master builds the app, so it stops instead of respawning a worker that cannot boot.
    assert time.monotonic() - started < 60
    assert_exit_two_in_one_line(result, "HAMKKE_DATABASE_URL")
