"""The history of an item carried by 재회의: which earlier meetings discussed it, and what was said there.

What was said (the S·O·A·P notes of the earlier item) is the case's content: only the agency that
owns the case reads it here; others see which meeting it was and are pointed to its minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cases.models import Case
from conference.models import AgendaItem, ItemSource
from conference.services.minutes import SOAP_LABELS, SOAP_SECTIONS
from hamkke.db import db


@dataclass(frozen=True)
class Earlier:
    """One earlier meeting of a carried item: when, which meeting, and its notes (None when not shown)."""

    held_on: str
    conference_id: int
    conference_title: str
    said: str | None


def _said(item_id: int, agency_id: int | None) -> str | None:
    """Return the earlier item's notes for the case's owner; None for everyone else."""
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.case_id is None or agency_id is None:
        return None
    case = db.session.get(Case, item.case_id)
    if case is None or case.owning_agency_id != agency_id:
        return None
    texts = {section.section: section.text for section in item.sections if section.text.strip()}
    return "\n".join(f"{SOAP_LABELS[key]}: {texts[key]}" for key in SOAP_SECTIONS if key in texts) or "-"


def histories(items: Iterable[AgendaItem], agency_id: int | None) -> dict[int, list[Earlier]]:
    """Return, per carried 재회의 item, its earlier meetings oldest first."""
    found: dict[int, list[Earlier]] = {}
    for item in items:
        if item.source != ItemSource.carried or "reconvened_item_id" not in item.source_detail:
            continue
        found[item.id] = [
            Earlier(
                held_on=str(entry.get("held_on", "")),
                conference_id=int(entry["conference_id"]),
                conference_title=str(entry.get("conference_title", "")),
                said=_said(int(entry["item_id"]), agency_id),
            )
            for entry in item.source_detail.get("history", [])
        ]
    return found
