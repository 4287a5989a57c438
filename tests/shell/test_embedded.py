"""The embedded default end to end: `hamkke up` serves the Korean start page, runs a task, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from hamkke.config import REPO_ROOT
from tests.fixtures.processes import clean_environment, running, wait_until
from tests.fixtures.services import free_port


def _processes_with_env(marker: str) -> list[int]:
    """PIDs of processes whose environment contains ``marker`` (our children, however deep)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _page_is_up(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.embedded
@pytest.mark.slow
def test_hamkke_up_serves_runs_a_task_and_stops_everything(tmp_path: Path) -> None:
    web_port, idp_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    instance = tmp_path / "instance"
    env = clean_environment(
        {
            "HAMKKE_INSTANCE_PATH": str(instance),
            "HAMKKE_BASE_URL": base_url,
            "HAMKKE_DEVIDP_URL": f"http://127.0.0.1:{idp_port}",
        }
    )
    hamkke = [sys.executable, "-m", "hamkke.cli"]

    with running([*hamkke, "up"], env, tmp_path / "up.log") as up:
        wait_until(
            lambda: _page_is_up(base_url + "/") or up.poll() is not None,
            timeout=120,
            message="start page served",
        )
        assert up.poll() is None, (tmp_path / "up.log").read_text(errors="replace")

        page = requests.get(base_url + "/", timeout=5)
        assert page.status_code == 200
        assert '<html lang="ko">' in page.text
        assert "통합사례관리" in page.text

        ping = subprocess.run(
            [*hamkke, "ping-worker", "--timeout", "90"],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert "worker answered" in ping.stdout

        health = requests.get(base_url + "/healthz", timeout=5).json()
        assert health["status"] == "ok"
        assert health["checks"]["broker"]["detail"] == "filesystem"

        discovery = requests.get(f"http://127.0.0.1:{idp_port}/.well-known/openid-configuration", timeout=5)
        assert discovery.status_code == 200

        # Ctrl-C in a terminal reaches only `hamkke up`; it must stop every process it started.
        up.send_signal(signal.SIGINT)
        up.wait(timeout=30)
        assert up.returncode == 0

    assert (instance / "hamkke.db").is_file()
    wait_until(lambda: not _processes_with_env(str(instance)), timeout=10, message="every child stopped")
    assert not _page_is_up(base_url + "/")

    # A second start reuses the database: the demo is not loaded twice.
    second = subprocess.run(
        [*hamkke, "demo"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 0
    assert "skipped" in second.stdout
