"""How the benchmarks count, without running them: rounds and spread, lost payloads, history and the docs.

These are the parts that decide whether a figure can flatter: a ratio from one lucky round, a join
without its case panel counted as served, a non-durable server left unstated, or prose figures that
no full run produced.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench import history, report
from bench.harness import Rounds, alternate, per_round_ratios, ratio_figure
from bench.live import analyse
from tests.fixtures.services import PostgresServer


def test_alternate_flips_the_order_every_round() -> None:
    calls: list[str] = []

    def side(name: str) -> Any:
        def call() -> int:
            calls.append(name)
            return len(calls)

        return call

    results = alternate(4, {"a": side("a"), "b": side("b")})

    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert results == {"a": [1, 4, 5, 8], "b": [2, 3, 6, 7]}


def test_ratio_is_the_median_of_per_round_ratios_with_their_spread() -> None:
    # The median of the per-round ratios (2.0), not the ratio of the medians (30 / 10 = 3.0).
    rounds = per_round_ratios([10.0, 30.0, 40.0, 100.0, 20.0], [5.0, 10.0, 20.0, 10.0, 20.0])

    assert rounds.values == (2.0, 3.0, 2.0, 10.0, 1.0)
    assert rounds.median == 2.0
    assert rounds.spread == (1.0, 10.0)
    figure = ratio_figure("gate", "gate / plain ORM", rounds, goal="<= 1.3", met=False)
    assert (figure.value, figure.rounds, figure.spread, figure.unit) == (2.0, 5, (1.0, 10.0), "ratio")
    assert json.loads(json.dumps(figure.as_dict()))["spread"] == [1.0, 10.0]
    with pytest.raises(ValueError, match="rounds"):
        per_round_ratios([1.0, 2.0], [1.0])
    assert math.isnan(Rounds(()).median)


def _merged(**joins: int) -> dict[str, Any]:
    base = {"joined": 3, "without_state": 0, "without_case_panel": 0, "refused_attempts": 0}
    base.update(joins)
    ms = 1_000_000
    return {
        # conference 1 has three participants; two changes in round 0, one in round 1
        "sends": [[1, "soap", 0, 0, 0], [1, "stage", 5, 100 * ms, 0], [1, "soap", 2, 200 * ms, 1]],
        "received": [
            [1, 11, "soap", 0, 7, 10 * ms],
            [1, 12, "soap", 0, 7, 20 * ms],
            [1, 13, "soap", 0, 7, 90 * ms],
            [1, 11, "stage", 5, 8, 105 * ms],
            [1, 12, "stage", 5, 8, 110 * ms],
            # participant 13 saw the stage move only in a later payload: its own message was lost
            [1, 13, "stage", 5, 9, 300 * ms],
            [1, 11, "soap", 2, 10, 201 * ms],
            [1, 12, "soap", 2, 10, 202 * ms],
            [1, 13, "soap", 2, 10, 203 * ms],
        ],
        "refused": [],
        "refused_join_examples": [],
        "connect_failures": [],
        "dropped": 0,
        "connect_seconds": 1.0,
        "joins": base,
    }


SEEDED = {"conferences": [{"id": 1, "participants": [{}, {}, {}]}]}


def test_live_counts_every_failed_payload_as_lost() -> None:
    clean = analyse(_merged(), SEEDED, rounds=2)
    assert clean["lost_breakdown"]["deliveries missing"] == 1
    assert clean["lost"] == 1

    failed = analyse(_merged(without_case_panel=2, without_state=1, refused_attempts=4), SEEDED, rounds=2)
    assert failed["lost_breakdown"] == {
        "deliveries missing": 1,
        "joins without their case panel": 2,
        "joins without the state": 1,
        "join attempts refused": 4,
    }
    assert failed["lost"] == 8


def test_live_p99_is_per_delivery_and_per_change_for_the_whole_room() -> None:
    result = analyse(_merged(), SEEDED, rounds=2)

    assert result["deliveries"] == 8  # every first delivery, one per socket per change
    assert result["p99"] == pytest.approx(85.1)  # over the deliveries (10, 20, 90, 5, 10, 1, 2, 3 ms)
    # Per change, the time until the last socket had it; the stage move never reached all three.
    assert result["complete_changes"] == 2
    assert result["room_p99"] == pytest.approx(89.13)
    assert len(result["round_p99"]) == 2
    assert result["round_p99"][1] == pytest.approx(2.98)


def test_only_a_full_run_goes_into_the_history() -> None:
    every = ["pages", "gate", "live", "worker", "embedded_start"]
    assert history.is_full_run(quick=False, chosen=every, every=every, scale=1.0)
    assert not history.is_full_run(quick=True, chosen=every, every=every, scale=1.0)
    assert not history.is_full_run(quick=False, chosen=["pages", "gate"], every=every, scale=1.0)
    assert not history.is_full_run(quick=False, chosen=every, every=every, scale=0.1)


def _record(date: str, revision: str, **extra: Any) -> dict[str, Any]:
    return {
        "scale": 1.0,
        "quick": False,
        "total_seconds": 900.0,
        "machine": {"date": date, "git_revision": revision, "cpu": "test CPU", "cores": 2},
        "postgresql_settings": {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"},
        "figures": [
            {
                "benchmark": "gate",
                "name": "gate / plain ORM",
                "value": 2.5,
                "unit": "ratio",
                "baseline": None,
                "goal": "<= 1.3",
                "met": False,
                "note": "a | b",
                "rounds": 10,
                "spread": [2.1, 3.4],
            }
        ],
        "failures": {},
        **extra,
    }


def test_history_files_are_small_and_the_newest_is_found_by_date(tmp_path: Path) -> None:
    old = history.write(_record("2026-12-01T10:00:00+00:00", "abcdef0123456789"), tmp_path)
    samples = {"latencies": list(range(5000)), "short": [1, 2]}
    new = history.write(
        _record("2026-12-07T09:30:00+00:00", "0123456789abcdef+uncommitted", **samples), tmp_path
    )

    assert old.name == "20261201T100000-abcdef0123.json"
    assert new.name == "20261207T093000-0123456789-uncommitted.json"
    kept = json.loads(new.read_text())
    assert kept["latencies"] == {"samples_dropped": 5000}
    assert kept["short"] == [1, 2]
    assert new.stat().st_size < 4000
    assert history.newest(tmp_path) == new
    assert history.newest(tmp_path / "none") is None


def test_report_states_rounds_spread_and_settings(tmp_path: Path) -> None:
    assert report.generated_section(tmp_path) == report.NO_HISTORY + "\n"

    history.write(_record("2026-12-07T09:30:00+00:00", "0123456789abcdef"), tmp_path)
    section = report.generated_section(tmp_path)

    assert "bench/results/history/20261207T093000-0123456789.json" in section
    assert (
        "| gate | gate / plain ORM | 2.50 | ratio |  | 10 | 2.10–3.40 | <= 1.3 | **no** | a \\| b |"
        in section
    )
    assert "`fsync=on`, `synchronous_commit=on`, `full_page_writes=on`" in section
    document = f"intro\n{report.START}\nold figures\n{report.END}\noutro\n"
    replaced = report.replace_section(document, section)
    assert replaced.startswith("intro\n")
    assert replaced.endswith("outro\n")
    assert "old figures" not in replaced
    assert report.committed_section(replaced) == section


def test_docs_figures_section_is_generated_from_the_newest_full_run() -> None:
    document = report.DOCS.read_text(encoding="utf-8")

    assert report.committed_section(document) == report.generated_section(), (
        "docs/benchmarks.md's figures section differs from the newest bench/results/history file: "
        "run `python -m bench.report`"
    )


@pytest.mark.slow
@pytest.mark.parametrize("durable", [True, False])
def test_server_settings_state_the_durability_the_server_runs_with(
    backend: str, services_root: Path, durable: bool
) -> None:
    if backend != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL")
    from bench.__main__ import server_settings

    server = PostgresServer(
        services_root / f"bench-settings-{'durable' if durable else 'fast'}", durable=durable
    )
    server.start()
    try:
        settings = server_settings(server.create_database("settings"))
    finally:
        server.stop()
    expected = "on" if durable else "off"
    assert {name: settings[name] for name in report.DURABILITY} == dict.fromkeys(report.DURABILITY, expected)
    assert settings["max_connections"] == "200"  # set on the command line: stated too
    assert "port" not in settings  # a free port, different every run
