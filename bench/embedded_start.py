"""Embedded default: the second ``hamkke up`` from start to the first page served (SQLite, filesystem broker).

``make run`` is ``make install`` (nothing to do the second time) and then ``hamkke up``, which migrates,
skips the demo (already loaded), and starts the web app, the Celery worker, beat and the development
identity provider. The first start, which creates the database and loads the demo, is timed too but
judged against nothing. Ports are free ones; no PostgreSQL or Redis is involved.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import BenchEnv, Figure
from bench.server import wait_until_serving
from tests.fixtures.services import free_port

BENCHMARK = "embedded_start"
GOAL_SECONDS = 10.0
#: the first start migrates an empty SQLite file and loads the demo; give it room on a busy machine
FIRST_START_TIMEOUT = 240.0
SECOND_START_TIMEOUT = 120.0


def _environment(instance: Path, web_port: int, idp_port: int) -> dict[str, str]:
    # Only the embedded default's own settings: the caller's HAMKKE_* (and the benchmark's servers)
    # must not leak in, or this would not be the embedded default.
    variables = {key: value for key, value in os.environ.items() if not key.startswith("HAMKKE_")}
    variables.update(
        {
            "HAMKKE_INSTANCE_PATH": str(instance),
            "HAMKKE_BASE_URL": f"http://127.0.0.1:{web_port}",
            "HAMKKE_DEVIDP_URL": f"http://127.0.0.1:{idp_port}",
            "HAMKKE_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return variables


def start_once(env: BenchEnv, instance: Path, label: str, timeout: float) -> float:
    """Run ``hamkke up`` until ``/`` answers 200; return the seconds from launch; then stop everything."""
    web_port, idp_port = free_port(), free_port()
    log_path = env.workdir / f"embedded-{label}.log"
    with log_path.open("wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "hamkke.cli", "up"],
            cwd=env.repo_root,
            env=_environment(instance, web_port, idp_port),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(f"http://127.0.0.1:{web_port}/", process, log_path, timeout=timeout)
        return time.monotonic() - started
    finally:
        _stop_up(process)


def _stop_up(process: subprocess.Popen[bytes]) -> None:
    # SIGTERM to ``hamkke up`` alone: it stops its children in order (see hamkke.cli._run_processes).
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run(env: BenchEnv, log: Callable[[str], None] = print) -> list[Figure]:
    """Start the embedded default twice in a fresh instance folder; the second start is the figure."""
    instance = env.workdir / "embedded-instance"
    instance.mkdir(parents=True, exist_ok=True)
    first = start_once(env, instance, "first", FIRST_START_TIMEOUT)
    log(f"    first start (migrate, demo): {first:.1f} s")
    second = start_once(env, instance, "second", SECOND_START_TIMEOUT)
    log(f"    second start: {second:.1f} s")
    return [
        Figure(BENCHMARK, "first start to first page (migrate + demo)", first, "s"),
        Figure(
            BENCHMARK,
            "second start to first page",
            second,
            "s",
            goal=f"< {GOAL_SECONDS:.0f} s",
            met=second < GOAL_SECONDS,
        ),
    ]
