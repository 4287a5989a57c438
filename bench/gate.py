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
from bench.harness import BenchEnv, Figure, ratio

BENCHMARK = "gate"
CLIENTS = 1000
ROUNDS = 10
QUICK_ROUNDS = 2
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


def _timed(function: Callable[[], Any]) -> float:
    from hamkke.db import db

    started = time.perf_counter()
    function()
    db.session.commit()
    elapsed = time.perf_counter() - started
    db.session.remove()  # the next round starts with an empty identity map, as a new request does
    return elapsed


def run(env: BenchEnv, log: Callable[[str], None] = print) -> list[Figure]:
    """Time both reads alternately and report the ratio of the medians."""
    from agencies.models import Person
    from cases.fields import FIELD_GROUPS
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
    with app.test_request_context("/"):
        client_ids = shared_client_ids(manifest.worker_agency_id, CLIENTS)
        # The columns the gate shows this viewer: the groups of the first client's view.
        person = db.session.get(Person, manifest.worker_id)
        from consents.gate import view_clients

        sample = view_clients(
            _load(client_ids[:1]),
            person,
            purpose="case_management",
            acting_agency_id=manifest.worker_agency_id,
        )
        db.session.rollback()
        groups = sorted(sample[0].visible_groups) if sample else ["basic"]
        columns = [
            column for code in groups for column in FIELD_GROUPS[code].columns if column != "rrn_masked"
        ]
        gate_times: list[float] = []
        plain_times: list[float] = []
        _timed(lambda: plain_read(client_ids, columns))  # warm the caches of both paths once
        _timed(
            lambda: gate_read(
                client_ids, db.session.get(Person, manifest.worker_id), manifest.worker_agency_id
            )
        )
        for _ in range(rounds):
            plain_times.append(_timed(lambda: plain_read(client_ids, columns)))
            gate_times.append(
                _timed(
                    lambda: gate_read(
                        client_ids, db.session.get(Person, manifest.worker_id), manifest.worker_agency_id
                    )
                )
            )
    gate_ms = statistics.median(gate_times) * 1000
    plain_ms = statistics.median(plain_times) * 1000
    found = ratio(gate_ms, plain_ms)
    note = f"{len(client_ids)} clients, groups {','.join(groups)}, median of {rounds} rounds"
    log(
        f"    gate {gate_ms:.0f} ms vs plain {plain_ms:.0f} ms"
        f" for {len(client_ids)} clients: ratio {found:.2f}"
    )
    figures = [
        Figure(
            BENCHMARK, f"gate read of {len(client_ids)} clients", gate_ms, "ms", baseline=plain_ms, note=note
        ),
        Figure(
            BENCHMARK,
            "gate / plain ORM",
            found,
            "ratio",
            goal=f"<= {RATIO_GOAL}",
            met=found <= RATIO_GOAL,
            note=note,
        ),
    ]
    if not env.quick and found > RATIO_GOAL:
        path = profile_gate(
            app,
            client_ids,
            manifest.worker_id,
            manifest.worker_agency_id,
            env.repo_root / "bench" / "results",
        )
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
