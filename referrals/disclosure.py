"""Where referrals meet the disclosure gate: consented groups, client fields, free texts, the access log.

Every referral channel (form, page, letter, e-mail, API) asks here, and every answer comes from the
gate in ``consents/`` (``consents.sharing``, ``consents.gate``): this module decides nothing itself.
Labels come from the field groups (``cases.fields``), the one place they are written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agencies.models import Agency, Person
from cases.fields import FIELD_GROUPS
from cases.models import Client
from consents import access_log, gate, sharing
from consents.sharing import TextRow
from hamkke.audit import record
from hamkke.errors import NotFound

#: the consent purpose of a referral to a named agency (특정 기관 의뢰)
PURPOSE = sharing.REFERRAL_PURPOSE


def group_label(group: str) -> str:
    """Return the Korean name of a field group (its code if unknown)."""
    known = FIELD_GROUPS.get(group)
    return known.label if known is not None else group


def consented_field_groups(client: Client, recipient: Agency) -> frozenset[str]:
    """Return the field groups the client consented to give ``recipient`` for a referral now (empty: none)."""
    return sharing.referral_groups(client, recipient=recipient, district_id=recipient.district_id)


def consented_field_groups_outside(client: Client, district_id: int) -> frozenset[str]:
    """Return the field groups that may go to an outside organisation (no network agency) now."""
    return sharing.referral_groups(client, recipient=None, district_id=district_id)


def allowed_groups(client: Client, referral: Any) -> frozenset[str]:
    """Return the field groups the client's consent lets this referral's recipient receive now."""
    if referral.receiving_agency is not None:
        return consented_field_groups(client, referral.receiving_agency)
    return consented_field_groups_outside(client, referral.district_id)


def shared_now(client: Client, referral: Any) -> list[str]:
    """Return the groups the sender shared that the recipient may still receive now (registry order)."""
    allowed = allowed_groups(client, referral) & set(referral.shared_field_groups)
    return [code for code in FIELD_GROUPS if code in allowed]


def client_fields(client: Client, groups: Iterable[str]) -> list[tuple[str, str]]:
    """Return (label, value) rows of the client's own columns in ``groups`` for a letter to another agency.

    The caller has already narrowed ``groups`` to the consented ones; the gate reads the values.
    """
    wanted = list(groups)
    return sharing.client_rows(gate.field_values(client, wanted), wanted)


def texts(referral: Any, groups: Iterable[str]) -> list[TextRow]:
    """Return the referral's free texts, each withheld unless its field group is in ``groups``."""
    return sharing.referral_texts(referral, frozenset(groups))


def log_disclosure(
    *,
    actor: Person | None,
    agency_id: int | None,
    client_id: int,
    groups: Iterable[str],
    channel: str,
    basis: str,
) -> None:
    """Write the disclosure to the consents access log; fails closed (the caller's request fails)."""
    access_log.log_disclosure(
        actor_id=actor.id if actor is not None else None,
        agency_id=agency_id,
        client_id=client_id,
        field_groups=sorted(set(groups)),
        purpose=PURPOSE,
        channel=channel,
        basis=basis,
    )


@dataclass(frozen=True)
class PersonDisclosure:
    """What a signed-in person gets of a referral's client: field rows, free texts, the groups behind them."""

    client_rows: list[tuple[str, str]]
    texts: list[TextRow]
    #: the client field groups shown in ``client_rows`` (the sender's choice within consent)
    groups: list[str]


def disclose_to_person(
    client: Client,
    referral: Any,
    actor: Person,
    *,
    acting_agency_id: int,
    channel: str,
    basis: str,
) -> PersonDisclosure:
    """Return a referral's client rows and free texts for a signed-in person, through the gate.

    ``consents.gate.view_client`` decides what the person's agency may see for a referral and writes
    the access-log row itself. The owning agency reads its own texts in full; anyone else sees the
    groups the sender shared that the recipient may still receive and their viewer's view allows.
    A refusal (nothing consented any more) is written to the audit trail.
    """
    shared = shared_now(client, referral)
    try:
        view = gate.view_client(
            client, actor, purpose=PURPOSE, acting_agency_id=acting_agency_id, channel=channel, reason=basis
        )
    except NotFound:
        record(
            "referrals.disclosure_refused",
            actor_id=actor.id,
            agency_id=acting_agency_id,
            object_type="clients",
            object_id=client.id,
            data={"channel": channel, "basis": basis, "shared_groups": list(referral.shared_field_groups)},
        )
        return PersonDisclosure(client_rows=[], texts=texts(referral, ()), groups=[])
    groups = [code for code in shared if view.can_see(code)]
    values = {column: view.value(code, column) for code in groups for column in FIELD_GROUPS[code].columns}
    text_groups = FIELD_GROUPS.keys() if view.is_owner else groups
    return PersonDisclosure(
        client_rows=sharing.client_rows(values, groups), texts=texts(referral, text_groups), groups=groups
    )
