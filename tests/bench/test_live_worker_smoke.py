"""The live-conference and worker benchmarks at a tiny size: they run end to end and count correctly.

Speed is never asserted here (bench/ judges it); only that the figures exist, that every change
reached every participant and that no e-mail went out twice.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench import live, worker_pipeline
from bench.harness import BenchEnv, Figure
from hamkke.config import REPO_ROOT
from tests.fixtures.processes import clean_environment

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture
def bench_env(backend: str, request: pytest.FixtureRequest, redis_url: str, tmp_path: Path) -> BenchEnv:
    """A migrated database of its own on the scratch PostgreSQL, the session Redis, tiny sizes."""
    if backend != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL and Redis")
    server: Any = request.getfixturevalue("postgres_server")
    database_url = server.create_database(f"bench_{uuid.uuid4().hex[:10]}")
    environment = clean_environment(
        {"HAMKKE_DATABASE_URL": database_url, "HAMKKE_INSTANCE_PATH": str(tmp_path / "migrate")}
    )
    subprocess.run(
        [str(Path(sys.executable).with_name("hamkke")), "db", "upgrade"],
        env=environment,
        check=True,
        capture_output=True,
        timeout=180,
    )
    return BenchEnv(
        database_url=database_url,
        redis_url=redis_url,
        scale=0.01,
        workdir=tmp_path,
        repo_root=REPO_ROOT,
        options={
            "live_rounds": 5,
            "live_actions": 2,
            "live_interval": 0.3,
            "live_tail_seconds": 20,
            "worker_referrals": 5,
        },
    )


def by_name(figures: list[Figure], benchmark: str) -> dict[str, Figure]:
    assert figures
    assert {figure.benchmark for figure in figures} == {benchmark}
    return {figure.name: figure for figure in figures}


def test_live_conference_benchmark_delivers_every_change(bench_env: BenchEnv) -> None:
    figures = by_name(live.run(bench_env), "live")

    lost = figures["lost payloads"]
    assert lost.value == 0, lost.note
    assert lost.baseline == 0, lost.note
    # Every join brought the state and the case panel (a join without them would be counted lost).
    assert "joins without their case panel 0" in lost.note
    assert figures["sockets that failed to connect"].value == 0
    # Two meetings, two changes per round for five rounds, all acknowledged by Hamkke and the bare server.
    assert figures["changes acknowledged"].value == 20
    assert figures["changes acknowledged"].baseline == 20
    assert figures["changes refused"].value == 0
    assert figures["sockets cut by the server during the run"].value == 0
    p99 = figures["delivery p99 (2×3)"]
    assert p99.value > 0
    assert p99.baseline is not None
    assert p99.baseline > 0
    ratio = figures["p99 vs bare python-socketio"]
    assert ratio.unit == "ratio"
    assert ratio.rounds == 5
    assert ratio.spread is not None
    assert ratio.spread[0] <= ratio.value <= ratio.spread[1]
    room = figures["change p99, whole room (2×3)"]
    assert 0 < room.value < float("inf")  # every change reached the whole room, so each has a time
    assert room.baseline is not None
    assert {"web1 RSS", "web2 RSS"} <= set(figures)
    assert all(figures[name].value > 0 for name in ("web1 RSS", "web2 RSS"))


def test_worker_benchmark_sends_every_letter_and_e_mail_once(bench_env: BenchEnv) -> None:
    figures = by_name(worker_pipeline.run(bench_env), "worker")

    done = figures["letters and e-mails done"]
    assert done.value == 10  # five letters and five e-mails
    assert done.met is True
    assert figures["duplicate e-mails"].value == 0
    assert figures["PDFs differing from the baseline's"].value == 0
    throughput = figures["pipeline throughput (5 referrals)"]
    assert throughput.value > 0
    assert throughput.baseline is not None
    assert throughput.baseline > 0
    assert figures["worker RSS"].value > 0
    share = figures["pipeline vs PDFs alone"]
    assert share.rounds == 5  # one referral per round, pipeline and rendering alone alternating
    assert share.spread is not None
    assert share.spread[0] <= share.value <= share.spread[1]
