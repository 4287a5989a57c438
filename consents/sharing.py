"""Gate decisions for disclosures that name no single signed-in viewer: conference rooms and referrals.

The conference asks here whether a case goes into its shared room (SOAP text, action items), and
referrals ask which field groups a recipient may receive now and which of a referral's free texts
(의뢰사유, 주호소문제, …) belong to those groups. Every answer comes from :func:`consents.policy.decide`
with the facts the gate loads (grants, revocations, closed cases, age, 처리정지): there is no second
consent decision anywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from cases.fields import FIELD_GROUPS, OUT_OF_SCOPE, REFERRAL_TEXT_GROUPS, display_value
from consents import gate
from consents.policy import ANY_ATTENDEE, ViewerFacts, conference_shares
from consents.queries import suspended_client_ids
from hamkke.time import today_local

if TYPE_CHECKING:
    from agencies.models import Agency
    from cases.models import Client

#: the consent purpose of a referral to a named agency or an outside organisation (특정 기관 의뢰)
REFERRAL_PURPOSE = "referral"


def conference_sharing_allowed(
    client: Client, *, conference_id: int, district_id: int, on: date | None = None
) -> bool:
    """Tell whether the client's case may be shared in a conference's room now (no access-log row).

    :func:`consents.policy.conference_shares` on the facts the gate loads: the same grants, the
    under-14 signer rule, a consent "until the case closes" ending with the case, and 처리정지.
    """
    if client.is_deleted:
        return False
    day = on or today_local()
    facts = gate.load_grant_facts([client.id])[client.id]
    subject = gate.subject_facts(client, day, suspended=client.id in suspended_client_ids([client.id]))
    return conference_shares(
        subject, conference_id=conference_id, district_id=district_id, on=day, grants=facts
    )


def referral_groups(client: Client, *, recipient: Agency | None, district_id: int) -> frozenset[str]:
    """Return the field groups a referral's recipient may receive now (a check: no access-log row).

    A network agency receives what its 특정 기관 의뢰 grants carry. An outside organisation cannot be
    named in a consent, so only grants to the whole network of the sending agency's district count,
    never 고유식별정보 (an outside organisation is no public body with a statutory basis).
    """
    if recipient is not None:
        return gate.groups_allowed_now(client, recipient, purpose=REFERRAL_PURPOSE)
    if client.is_deleted:
        return frozenset()
    viewer = ViewerFacts(agency_id=ANY_ATTENDEE, district_id=district_id, is_public=False)
    return gate.decide_for(client, viewer, purpose=REFERRAL_PURPOSE, context=None).groups


@dataclass(frozen=True)
class TextRow:
    """One free text of a referral as a viewer gets it: its label, and its value or the placeholder."""

    name: str
    label: str
    group: str
    value: str
    visible: bool


def text_groups(record: Any) -> frozenset[str]:
    """Return the groups of the referral's non-empty free texts (what a letter of it may carry)."""
    return frozenset(group for name, group in REFERRAL_TEXT_GROUPS.items() if getattr(record, name, ""))


def referral_texts(record: Any, groups: Collection[str]) -> list[TextRow]:
    """Return the referral's free texts in registry order, each withheld unless its group is in ``groups``.

    ``groups`` is what the gate allowed for this viewer and channel (the owner: every group).
    """
    rows = []
    for name, group in REFERRAL_TEXT_GROUPS.items():
        visible = group in groups
        value = str(getattr(record, name) or "") if visible else OUT_OF_SCOPE
        rows.append(
            TextRow(
                name=name,
                label=FIELD_GROUPS[group].label_of(name),
                group=group,
                value=value,
                visible=visible,
            )
        )
    return rows


def notice_items(groups: Iterable[str], purpose: str) -> str:
    """Return notice item ③ for a grant's groups; for a referral, each group names the texts it carries.

    A referral's free texts (의뢰사유, 주호소문제, …) belong to field groups; the client is told which
    ones go with each group, so a consent to 욕구사정 for a referral visibly covers the 의뢰사유.
    """
    wanted = set(groups)
    items = []
    for code, group in FIELD_GROUPS.items():
        if code not in wanted:
            continue
        if purpose == REFERRAL_PURPOSE and group.referral_texts:
            texts = "·".join(group.label_of(name) for name in group.referral_texts)
            items.append(f"{group.label}(의뢰서의 {texts} 포함)")
        else:
            items.append(group.label)
    return ", ".join(items)


def owner_texts(record: Any) -> dict[str, str]:
    """Return every free text of a referral for the agency that wrote it (re-routing, its own 연계표)."""
    return {name: str(getattr(record, name) or "") for name in REFERRAL_TEXT_GROUPS}


def client_rows(values: dict[str, Any], groups: Iterable[str]) -> list[tuple[str, str]]:
    """Return (label, value) rows of the client's columns in ``groups`` (registry order, empty ones left out).

    ``values`` come from the gate (:func:`consents.gate.field_values` or a view); labels from the groups.
    """
    wanted = set(groups)
    rows: list[tuple[str, str]] = []
    for code, group in FIELD_GROUPS.items():
        if code not in wanted:
            continue
        for column in group.columns:
            value = values.get(column)
            if value is None or value == "" or value == OUT_OF_SCOPE:
                continue
            # A person reads words (함께 삶, 2026. 01. 05., 만원), never True/False or ISO codes.
            rows.append((group.label_of(column), display_value(column, value)))
    return rows
