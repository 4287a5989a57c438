"""Real HTTP servers for the benchmarks: the app under gunicorn, signed-in sessions, timed requests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.harness import BenchEnv, app_environment
from tests.fixtures.services import free_port

#: gunicorn as the web containers run it (deploy/gunicorn.conf.py, docker-compose.yml), fewer threads:
#: the benchmark sends one request at a time, so threads only matter for Socket.IO.
GUNICORN_ARGS = ("-w", "1", "-k", "gthread", "--threads", "4", "--timeout", "120")


@dataclass
class Server:
    """A running server process and its base URL."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path


def wait_until_serving(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 90.0
) -> float:
    """Poll ``url`` until it answers; return the seconds it took. Fails if the process dies first."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:] if log_path.exists() else ""
            raise RuntimeError(f"server exited with {process.returncode} before serving {url}:\n{tail}")
        with contextlib.suppress(requests.RequestException):
            response = requests.get(url, timeout=2, allow_redirects=False)
            if response.status_code < 500:
                return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"nothing served {url} within {timeout:.0f}s")


@contextlib.contextmanager
def gunicorn(
    env: BenchEnv,
    app_spec: str,
    *,
    name: str,
    database_url: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Run ``app_spec`` (e.g. ``hamkke.wsgi:app``) under gunicorn on a free port until the block ends."""
    port = free_port()
    log_path = env.workdir / f"{name}.log"
    variables = app_environment(env, database_url=database_url)
    variables.update(extra_env or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", *GUNICORN_ARGS, "-b", f"127.0.0.1:{port}", app_spec],
            cwd=env.repo_root,
            env=variables,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url + "/healthz", process, log_path)
        yield Server(process, base_url, log_path)
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Stop a server we started: SIGTERM to its process group, SIGKILL if it does not leave."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def signed_in_cookie(app: Any, person_id: int, agency_id: int) -> dict[str, str]:
    """Open a real server-side session for a person (as the OIDC callback would) and return its cookie.

    The served app shares the secret key, so it accepts the signed cookie like any other sign-in.
    """
    from flask import session

    from agencies.models import Person
    from agencies.sessions import start_session
    from hamkke.db import db

    with app.test_request_context("/"):
        person = db.session.get(Person, person_id)
        if person is None:
            raise LookupError(f"person {person_id} is not in the benchmark database")
        start_session(person, method="oidc", acting_agency_id=agency_id)
        db.session.commit()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
        db.session.remove()
    return {app.config["SESSION_COOKIE_NAME"]: cookie}


def timed_get(http: requests.Session, url: str, *, expect: int = 200) -> tuple[float, int]:
    """GET ``url`` fully (body read); return seconds and the body size. Fails on another status."""
    started = time.perf_counter()
    response = http.get(url, timeout=60, allow_redirects=False)
    body = response.content
    elapsed = time.perf_counter() - started
    if response.status_code != expect:
        raise RuntimeError(f"GET {url} answered {response.status_code}, expected {expect}: {body[:300]!r}")
    return elapsed, len(body)
