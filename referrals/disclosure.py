"""The one place where referrals meet the consents domain: consented groups, client fields, the access log.

Every referral channel (form, page, letter, e-mail, API) asks here, so wiring the finished disclosure
gate of ``consents/`` changes only this module. Until ``consents.gate`` exists the answers fail closed:
no field group counts as consented, so nothing about the client leaves the owning agency.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases.fields import column_label, display_value
from cases.models import Client
from hamkke.audit import record
from hamkke.db import db
from hamkke.errors import NotFound

#: the consent purpose of a referral to a named agency (특정 기관 의뢰)
PURPOSE = "referral"

#: Korean names of the field groups (cases.fields.FIELD_GROUPS takes over when it exists)
GROUP_LABELS: dict[str, str] = {
    "basic": "기본정보",
    "unique_id": "고유식별정보",
    "household": "가구정보",
    "economic": "경제상황",
    "health": "건강(민감정보)",
    "family": "가족관계",
    "needs": "욕구",
    "crisis": "위기도",
    "counselling": "상담내용",
    "service_history": "서비스 이력",
}


def _gate() -> Any | None:
    if importlib.util.find_spec("consents.gate") is None:
        return None
    return importlib.import_module("consents.gate")


def group_label(group: str) -> str:
    """Return the Korean name of a field group (its code if unknown)."""
    return GROUP_LABELS.get(group, group)


def consented_field_groups(client: Client, recipient: Agency) -> frozenset[str]:
    """Return the field groups the client consented to give ``recipient`` for a referral now (empty: none).

    Asks ``consents.gate.groups_allowed_now`` (no access-log row: this is a check, not a disclosure)
    once the gate and its tables exist; until then nothing counts as consented.
    """
    gate = _gate()
    if gate is None or not _has_table("consents"):
        return frozenset()
    return frozenset(gate.groups_allowed_now(client, recipient, purpose=PURPOSE))


def consented_field_groups_outside(client: Client, district_id: int) -> frozenset[str]:
    """Return the field groups that may go to an outside organisation (no network agency) now.

    A consent names its recipients as an agency, a conference or the district network; an outside
    organisation cannot be named, so the strictest rule applies: only groups of active 특정 기관 의뢰
    grants to the whole network of the sending agency's district (never a grant to another named
    agency), without 고유식별정보 (an outside organisation is not a public body with a statutory basis).
    """
    gate = _gate()
    if gate is None or not _has_table("consents"):
        return frozenset()
    policy = importlib.import_module("consents.policy")
    # No agency has ID 0, so only network grants of the district can match this viewer.
    viewer = policy.ViewerFacts(agency_id=0, district_id=district_id, is_public=False)
    return frozenset(gate.decide_for(client, viewer, purpose=PURPOSE, context=None).groups)


def allowed_groups(client: Client, referral: Any) -> frozenset[str]:
    """Return the field groups the client's consent lets this referral's recipient receive now."""
    if referral.receiving_agency is not None:
        return consented_field_groups(client, referral.receiving_agency)
    return consented_field_groups_outside(client, referral.district_id)


def client_fields(client: Client, groups: Iterable[str]) -> list[tuple[str, str]]:
    """Return (label, value) rows of the client's own columns in ``groups`` for a letter to another agency.

    The caller has already narrowed ``groups`` to the consented ones; only the columns the field-group
    registry lists for those groups are read. (The gate's ``view_client`` needs a signed-in actor; a
    letter is rendered by the worker for an agency, so this stays here until the gate offers that.)
    """
    wanted = [group for group in _group_registry() if group in set(groups)]
    gate = _gate()
    # Personal columns are read by the consents gate only (tests/consents/test_structural.py).
    values = gate.field_values(client, wanted) if gate is not None else {}
    rows: list[tuple[str, str]] = []
    for group in wanted:
        for column in _group_registry()[group]:
            value = values.get(column)
            if value is not None and value != "":
                rows.append((column_label(column), display_value(column, value)))
    return rows


def _group_registry() -> dict[str, tuple[str, ...]]:
    if importlib.util.find_spec("cases.fields") is None:
        return {"basic": ("name", "sex", "birth_date", "phone", "address")}
    fields = importlib.import_module("cases.fields")
    return {code: tuple(group.columns) for code, group in fields.FIELD_GROUPS.items()}


def _has_table(name: str) -> bool:
    # The consents domain's migration may land after its code; until then its tables are missing.
    return sa.inspect(db.session.connection()).has_table(name)


def _access_log_ready() -> bool:
    return importlib.util.find_spec("consents.access_log") is not None and _has_table("consent_access_log")


def log_disclosure(
    *,
    actor: Person | None,
    agency_id: int | None,
    client_id: int,
    groups: Iterable[str],
    channel: str,
    basis: str,
) -> None:
    """Write the disclosure to the consents access log (audit log until that exists); fails closed."""
    group_list = sorted(set(groups))
    if _access_log_ready():
        access_log = importlib.import_module("consents.access_log")
        access_log.log_disclosure(
            actor_id=actor.id if actor is not None else None,
            agency_id=agency_id,
            client_id=client_id,
            field_groups=group_list,
            purpose=PURPOSE,
            channel=channel,
            basis=basis,
        )
        return
    record(
        "referrals.disclosure",
        actor_id=actor.id if actor is not None else None,
        agency_id=agency_id,
        object_type="clients",
        object_id=client_id,
        data={"groups": group_list, "channel": channel, "basis": basis},
    )


def disclose_to_person(
    client: Client, actor: Person, *, acting_agency_id: int, groups: Iterable[str], channel: str, basis: str
) -> list[tuple[str, str]]:
    """Return (label, value) rows of ``groups`` for a signed-in person, through the gate when it exists.

    ``consents.gate.view_client`` decides what the person's agency may see for a referral and writes
    the access-log row itself; only the groups the sender shared are shown of what it allows.
    """
    wanted = set(groups)
    if not wanted:
        return []
    gate = _gate()
    if gate is None or not _has_table("consents"):
        rows = client_fields(client, wanted)
        if rows:
            log_disclosure(
                actor=actor,
                agency_id=acting_agency_id,
                client_id=client.id,
                groups=wanted,
                channel=channel,
                basis=basis,
            )
        return rows
    try:
        view = gate.view_client(
            client, actor, purpose=PURPOSE, acting_agency_id=acting_agency_id, channel=channel, reason=basis
        )
    except NotFound:
        return []  # nothing is consented to this agency any more
    registry = _group_registry()
    rows = []
    for group in registry:
        if group in wanted and view.can_see(group):
            for column in registry[group]:
                value = view.value(group, column)
                if value is not None and value != "":
                    rows.append((column_label(column), display_value(column, value)))
    return rows
