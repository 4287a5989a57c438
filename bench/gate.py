"""Disclosure gate: consent-filtered reads of 1,000 clients against plain ORM reads of the same columns.

The viewer is the benchmark case worker of a 종합사회복지관; the clients belong to other agencies and
share with the district network, so every client costs the gate its real work: loading the consents,
deciding per field group, and appending one hash-chained access-log row. The baseline loads the same
clients with the ORM and reads the same columns, with no consent check and no log. Both run in the
same process against the same database, alternately, and each batch commits like a request would.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.generate import app_config, load_manifest
from bench.harness import MIN_ROUNDS, BenchEnv, Figure, Rounds, alternate, per_round_ratios, ratio_figure

BENCHMARK = "gate"
CLIENTS = 1000
#: alternating rounds (gate and plain each once per round, order flipped every round)
ROUNDS = 10
QUICK_ROUNDS = MIN_ROUNDS
#: reads per side per round: the 1,000-client read takes hundreds of ms; the one-client read about one
ITERATIONS = 3
ONE_CLIENT_ITERATIONS = 100
QUICK_ITERATIONS = 1
QUICK_ONE_CLIENT_ITERATIONS = 5
RATIO_GOAL = 1.3


def shared_client_ids(manifest_agency_id: int, limit: int) -> list[int]:
    """Clients of other agencies whose consent shares with the network (the gate has work to do)."""
    from cases.models import Client
    from consents.models import Consent, ConsentGrant
    from hamkke.db import db

    return list(
        db.session.scalars(
            sa.select(Client.id)
            .join(Consent, Consent.client_id == Client.id)
            .join(ConsentGrant, ConsentGrant.consent_id == Consent.id)
            .where(
                ConsentGrant.recipient_kind == "network",
                Client.owning_agency_id != manifest_agency_id,
                Client.is_deleted.is_(False),
            )
            .group_by(Client.id)
            .order_by(Client.id)
            .limit(limit)
        )
    )


def _load(client_ids: list[int]) -> list[Any]:
    from cases.models import Client
    from hamkke.db import db

    return list(db.session.scalars(sa.select(Client).where(Client.id.in_(client_ids)).order_by(Client.id)))


def gate_read(client_ids: list[int], person: Any, agency_id: int) -> int:
    """Load the clients and read them through the gate; return how many values were read."""
    from cases.fields import FIELD_GROUPS
    from consents.gate import view_clients

    views = view_clients(_load(client_ids), person, purpose="case_management", acting_agency_id=agency_id)
    values = 0
    for view in views:
        for code in view.visible_groups:
            for column in FIELD_GROUPS[code].columns:
                view.value(code, column)
                values += 1
    return values


def plain_read(client_ids: list[int], columns: list[str]) -> int:
    """Load the same clients with the ORM and read the same columns; return how many values were read."""
    values = 0
    for client in _load(client_ids):
        for column in columns:
            getattr(client, column)
            values += 1
    return values


def _timed(function: Callable[[], Any], iterations: int = 1) -> float:
    """Seconds for ``iterations`` calls, each committed and followed by an empty session (a new request)."""
    from hamkke.db import db

    total = 0.0
    for _ in range(iterations):
        started = time.perf_counter()
        function()
        db.session.commit()
        total += time.perf_counter() - started
        db.session.remove()  # the next read starts with an empty identity map, as a new request does
    return total


def compare(
    client_ids: list[int], columns: list[str], person_id: int, agency_id: int, rounds: int, iterations: int
) -> tuple[Rounds, float, float]:
    """Alternating rounds of gate and plain reads; the per-round ratios and each side's median (ms/read)."""
    from agencies.models import Person
    from hamkke.db import db

    def gate_side() -> float:
        return _timed(lambda: gate_read(client_ids, db.session.get(Person, person_id), agency_id), iterations)

    def plain_side() -> float:
        return _timed(lambda: plain_read(client_ids, columns), iterations)

    plain_side()  # warm the caches of both paths once
    gate_side()
    times = alternate(rounds, {"gate": gate_side, "plain": plain_side})
    found = per_round_ratios(times["gate"], times["plain"])
    per_read = 1000 / iterations
    return found, statistics.median(times["gate"]) * per_read, statistics.median(times["plain"]) * per_read


def run(env: BenchEnv, log: Callable[[str], None] = print) -> list[Figure]:
    """Per-round ratios of gate to plain reads, for 1,000 clients and for one client (the case page)."""
    from agencies.models import Person
    from cases.fields import FIELD_GROUPS
    from consents.gate import view_clients
    from hamkke.app import create_app
    from hamkke.db import db

    app = create_app(
        app_config(
            env.database_url,
            secret_key=env.secret_key,
            field_encryption_key=env.field_encryption_key,
            redis_url=env.redis_url,
        )
    )
    manifest = load_manifest(env.database_url)
    rounds = QUICK_ROUNDS if env.quick else ROUNDS
    iterations = QUICK_ITERATIONS if env.quick else ITERATIONS
    one_iterations = QUICK_ONE_CLIENT_ITERATIONS if env.quick else ONE_CLIENT_ITERATIONS
    person_id, agency_id = manifest.worker_id, manifest.worker_agency_id
    with app.test_request_context("/"):
        client_ids = shared_client_ids(agency_id, CLIENTS)
        # The columns the gate shows this viewer: the groups of the first client's view.
        sample = view_clients(
            _load(client_ids[:1]),
            db.session.get(Person, person_id),
            purpose="case_management",
            acting_agency_id=agency_id,
        )
        db.session.rollback()
        groups = sorted(sample[0].visible_groups) if sample else ["basic"]
        columns = [
            column for code in groups for column in FIELD_GROUPS[code].columns if column != "rrn_masked"
        ]
        many, gate_ms, plain_ms = compare(client_ids, columns, person_id, agency_id, rounds, iterations)
        one, one_gate_ms, one_plain_ms = compare(
            client_ids[:1], columns, person_id, agency_id, rounds, one_iterations
        )
    log(
        f"    gate {gate_ms:.0f} ms vs plain {plain_ms:.0f} ms for {len(client_ids)} clients: ratio"
        f" {many.median:.2f} ({many.spread[0]:.2f}–{many.spread[1]:.2f}); one client {one.median:.2f}"
    )
    how = f"median of {rounds} alternating rounds (order flipped each round)"
    note = (
        f"{len(client_ids)} clients, groups {','.join(groups)}, {iterations} reads per side per round, {how}"
    )
    one_note = f"the case page's read: one client, {one_iterations} reads per side per round, {how}"
    figures = [
        Figure(
            BENCHMARK, f"gate read of {len(client_ids)} clients", gate_ms, "ms", baseline=plain_ms, note=note
        ),
        ratio_figure(
            BENCHMARK,
            "gate / plain ORM",
            many,
            goal=f"<= {RATIO_GOAL}",
            met=many.median <= RATIO_GOAL,
            note=note,
        ),
        Figure(BENCHMARK, "gate read of 1 client", one_gate_ms, "ms", baseline=one_plain_ms, note=one_note),
        ratio_figure(
            BENCHMARK,
            "gate / plain ORM, 1 client",
            one,
            goal=f"<= {RATIO_GOAL}",
            met=one.median <= RATIO_GOAL,
            note=one_note,
        ),
    ]
    if not env.quick and many.median > RATIO_GOAL:
        path = profile_gate(app, client_ids, person_id, agency_id, env.repo_root / "bench" / "results")
        if path is not None:
            log(f"    profile: {path.relative_to(env.repo_root)}")
    return figures


def profile_gate(
    app: Any, client_ids: list[int], person_id: int, agency_id: int, out_dir: Path
) -> Path | None:
    """Profile one gate read with pyinstrument and write the text report."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    from agencies.models import Person
    from hamkke.db import db

    with app.test_request_context("/"):
        profiler = Profiler(interval=0.0005)
        profiler.start()
        gate_read(client_ids, db.session.get(Person, person_id), agency_id)
        db.session.commit()
        profiler.stop()
        db.session.remove()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "profile-gate.txt"
    target.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    return target
