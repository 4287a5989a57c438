"""The benchmark harness at a tiny size: the generator loads a consistent district, each benchmark runs.

Speed is never asserted here (bench/ judges it on a real run); only that the generated district is
what the app expects (chain verifies, encrypted numbers decrypt, every page answers) and that every
benchmark produces its figures.
"""

from __future__ import annotations

import json
import math
import secrets
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bench import embedded_start, gate, pages
from bench.__main__ import parse_args, table
from bench.generate import Counts, app_config, generate, load_manifest
from bench.harness import BenchEnv, Figure, percentile
from hamkke.config import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

TINY = 0.005


@pytest.fixture(scope="module")
def district(
    backend: str, request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> BenchEnv:
    """Two generated districts (tiny and a tenth of it) on the scratch PostgreSQL, with their keys."""
    if backend != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL and Redis")
    server: Any = request.getfixturevalue("postgres_server")
    suffix = uuid.uuid4().hex[:8]
    env = BenchEnv(
        database_url=server.create_database(f"bench_full_{suffix}"),
        redis_url=redis_url,
        scale=TINY,
        workdir=tmp_path_factory.mktemp("bench"),
        repo_root=REPO_ROOT,
        quick=True,
        small_database_url=server.create_database(f"bench_small_{suffix}"),
        small_scale=TINY / 10,
        secret_key=secrets.token_urlsafe(48),
        field_encryption_key=secrets.token_urlsafe(48),
    )
    for url, scale in ((env.database_url, env.scale), (env.small_database_url, env.small_scale)):
        assert url is not None
        assert scale is not None
        generate(url, scale=scale, field_encryption_key=env.field_encryption_key, log=lambda _line: None)
    return env


def _count(database_url: str, table: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one())  # noqa: S608 -- fixed names
    finally:
        engine.dispose()


def test_generator_loads_the_counts_of_its_scale(district: BenchEnv) -> None:
    counts = Counts.for_scale(district.scale)
    assert _count(district.database_url, "regions") == 3
    assert _count(district.database_url, "dongs") == 12
    assert _count(district.database_url, "agencies") == counts.agencies
    assert _count(district.database_url, "people") == counts.staff
    assert _count(district.database_url, "clients") == counts.clients
    assert _count(district.database_url, "cases") == counts.cases
    assert _count(district.database_url, "case_counselling_logs") == counts.monitoring
    assert _count(district.database_url, "referrals") == counts.referrals
    assert _count(district.database_url, "conferences") == counts.conferences
    assert _count(district.database_url, "consent_access_log") == counts.access_log
    assert _count(district.database_url, "consents") == counts.clients
    full = Counts.for_scale(1.0)
    assert (full.clients, full.cases, full.monitoring, full.access_log) == (20_000, 8_000, 100_000, 2_000_000)


def test_generated_district_is_consistent_for_the_app(district: BenchEnv) -> None:
    from consents.access_log import verify_chain
    from hamkke.app import create_app
    from hamkke.crypto import decrypt_text
    from hamkke.db import db

    app = create_app(
        app_config(
            district.database_url,
            secret_key=district.secret_key,
            field_encryption_key=district.field_encryption_key,
            redis_url=None,
        )
    )
    with app.app_context():
        report = verify_chain()
        assert report.ok, report
        assert report.checked == Counts.for_scale(district.scale).access_log
        encrypted = db.session.scalars(
            sa.text("SELECT rrn_encrypted FROM clients WHERE rrn_encrypted IS NOT NULL")
        ).all()
        assert encrypted
        assert all(len(decrypt_text(value).replace("-", "")) == 13 for value in encrypted)
        # A new row after the generated ones gets a fresh id: the sequences moved past explicit ids.
        next_id = db.session.scalar(sa.text("SELECT nextval(pg_get_serial_sequence('cases', 'id'))"))
        assert next_id > _count(district.database_url, "cases")
        db.session.rollback()
        db.engine.dispose()
    manifest = load_manifest(district.database_url)
    assert manifest.live_conference_id in manifest.live_conferences
    assert manifest.worker_id in manifest.live_conferences[manifest.live_conference_id]


def _assert_figures(figures: list[Figure], benchmark: str) -> None:
    assert figures
    for figure in figures:
        assert figure.benchmark == benchmark
        assert figure.unit
        assert figure.value is not None
        json.dumps(figure.as_dict())


def test_pages_benchmark_measures_every_page_at_both_scales(district: BenchEnv) -> None:
    figures = pages.run(district, log=lambda _line: None)
    _assert_figures(figures, "pages")
    names = {figure.name for figure in figures}
    for page in ("caseload", "case page", "agency directory search", "conference room first load"):
        assert f"{page} p95" in names
        assert f"{page} p95 at scale {district.small_scale:g}" in names
        p95 = next(figure for figure in figures if figure.name == f"{page} p95")
        assert p95.value > 0
        assert p95.baseline is not None
        assert p95.baseline > 0
        assert p95.met is not None
        growth = next(figure for figure in figures if figure.name.startswith(f"{page} p95 growth"))
        assert growth.rounds == pages.ROUNDS >= 5
        assert growth.spread is not None
        assert growth.spread[0] <= growth.value <= growth.spread[1]
    dashboard = [figure for figure in figures if figure.name.startswith("district dashboard")]
    assert dashboard  # measured, or a figure that says why it was left out
    assert all(not math.isnan(figure.value) or figure.note for figure in dashboard)


def test_gate_benchmark_compares_with_plain_reads(district: BenchEnv) -> None:
    figures = gate.run(district, log=lambda _line: None)
    _assert_figures(figures, "gate")
    for name in ("gate / plain ORM", "gate / plain ORM, 1 client"):
        ratio = next(figure for figure in figures if figure.name == name)
        assert ratio.value > 0
        assert ratio.met is not None
        assert ratio.rounds is not None
        assert ratio.rounds >= 5  # never a ratio from fewer than five alternating rounds
        assert ratio.spread is not None
        assert ratio.spread[0] <= ratio.value <= ratio.spread[1]
    read = next(figure for figure in figures if figure.name.startswith("gate read of"))
    assert read.baseline is not None
    assert read.baseline > 0


def test_embedded_start_benchmark_signs_in_and_runs_a_task(district: BenchEnv, tmp_path: Path) -> None:
    env = BenchEnv(
        database_url=district.database_url,
        redis_url=district.redis_url,
        scale=district.scale,
        workdir=tmp_path,
        repo_root=REPO_ROOT,
        quick=True,
    )
    figures = embedded_start.run(env, log=lambda _line: None)
    _assert_figures(figures, "embedded_start")
    second = next(figure for figure in figures if figure.name == "second start until sign-in and a task")
    first_page = next(figure for figure in figures if figure.name == "second start to first page")
    assert second.value >= first_page.value > 0  # a person signs in only after the first page answers
    assert second.met is not None
    assert "sign-in round trip" in second.note
    assert (tmp_path / "embedded-instance" / "hamkke.db").exists()


def test_harness_options_and_table() -> None:
    args = parse_args(["--quick", "--only", "pages,gate"])
    assert args.chosen == ["pages", "gate"]
    assert args.scale < 1
    with pytest.raises(SystemExit):
        parse_args(["--only", "nonsense"])
    text = table(
        [
            Figure(
                "gate",
                "gate / plain ORM",
                2.5,
                "ratio",
                goal="<= 1.3",
                met=False,
                rounds=5,
                spread=(2.1, 3.4),
            )
        ]
    )
    assert "gate / plain ORM" in text
    assert "NO" in text
    assert "2.10–3.40" in text
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([5.0], 0.95) == 5.0
