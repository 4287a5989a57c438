"""The access log in words an auditor reads: names of people and agencies, case numbers, Korean labels.

The log stores stable codes (``page``, ``case_management``, ``owner``, ``consent:3,4``) so that it can
be searched and exported; the page turns each one into a label here and never prints a raw code,
an empty ``None`` or a row id. Clients are named by their case numbers, not by name: the auditor
checks who looked at which record, which needs no further personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases.fields import FIELD_GROUPS
from cases.models import Case, Client
from consents.models import AccessChannel, ConsentPurpose
from hamkke.db import db

CHANNEL_LABELS: dict[str, str] = {
    AccessChannel.page: "화면",
    AccessChannel.api: "API",
    AccessChannel.socket: "실시간 회의",
    AccessChannel.letter: "공문(의뢰서·회신서)",
    AccessChannel.email: "전자우편",
    AccessChannel.export: "내보내기",
    AccessChannel.download: "내려받기",
}
#: the first word of a stored basis → what it means
BASIS_LABELS: dict[str, str] = {
    "owner": "수집 기관",
    "none": "동의 없음(항목 가림)",
    "consent": "대상자 동의",
    "referral": "서비스 의뢰",
    "referral_outside": "외부 기관 의뢰",
    "referral_letter": "의뢰 공문",
    "api_client": "API 이용 기관",
    "letter": "공문",
}
#: shown when nothing is known (never an empty cell or "None")
UNKNOWN = "-"


def channel_label(channel: object) -> str:
    """Return the Korean name of a disclosure channel."""
    return CHANNEL_LABELS.get(str(channel), "기타 경로") if channel else UNKNOWN


def purpose_label(purpose: str | None) -> str:
    """Return the Korean name of a purpose (consent purposes and the referral channel's own)."""
    if not purpose:
        return UNKNOWN
    try:
        return ConsentPurpose(purpose).label
    except ValueError:
        return "기타 목적"


def groups_label(groups: Iterable[str] | None) -> str:
    """Return the field groups as their Korean names, comma-separated."""
    names = [FIELD_GROUPS[code].label if code in FIELD_GROUPS else "기타 항목" for code in groups or ()]
    return ", ".join(names) or UNKNOWN


def basis_label(basis: str | None) -> str:
    """Return why the data could be seen, in words: "수집 기관", "대상자 동의 2건", "서비스 의뢰 · 공문"."""
    if not basis:
        return UNKNOWN
    parts: list[str] = []
    for piece in basis.split(";"):
        word, _, ids = piece.partition(":")
        label = BASIS_LABELS.get(word.strip(), "기타 근거")
        if word == "consent" and ids:
            label = f"{label} {len(ids.split(','))}건"
        if label not in parts:
            parts.append(label)
    return " · ".join(parts)


@dataclass(frozen=True)
class LogNames:
    """Names behind the ids of a page of access-log rows."""

    people: dict[int, str]
    agencies: dict[int, str]
    #: client id → the case numbers of the client's cases
    cases: dict[int, str]

    def person(self, person_id: int | None) -> str:
        """Return a viewer's name (the worker or system that rendered a letter has none)."""
        if person_id is None:
            return "시스템"
        return self.people.get(person_id, "알 수 없는 사용자")

    def agency(self, agency_id: int | None) -> str:
        """Return an agency's name."""
        if agency_id is None:
            return UNKNOWN
        return self.agencies.get(agency_id, "알 수 없는 기관")

    def client(self, client_id: int | None) -> str:
        """Return the client as the case numbers the record is known by."""
        if client_id is None:
            return UNKNOWN
        return self.cases.get(client_id, "사례 기록 없는 대상자")


def names_for(entries: Sequence[Any]) -> LogNames:
    """Look up the names of every person, agency and client a page of log rows mentions (three queries)."""
    person_ids = {e.actor_id for e in entries if e.actor_id is not None}
    agency_ids = {e.agency_id for e in entries if e.agency_id is not None}
    client_ids = {e.client_id for e in entries if e.client_id is not None}
    people = db.session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(person_ids))).all()
    agencies = db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all()
    return LogNames(
        people={int(row.id): str(row.name) for row in people},
        agencies={int(row.id): str(row.name) for row in agencies},
        cases=case_numbers_for(client_ids),
    )


def names_for_agencies(agency_ids: Iterable[int]) -> dict[int, str]:
    """Return the names of the agencies an auditor may search, by name (the search form's choices)."""
    rows = db.session.execute(
        sa.select(Agency.id, Agency.name).where(Agency.id.in_(list(agency_ids))).order_by(Agency.name)
    ).all()
    return {int(agency_id): str(name) for agency_id, name in rows}


def case_numbers_for(client_ids: Iterable[int]) -> dict[int, str]:
    """Return "사례 260101-001, …" per client: the numbers of the cases of the client's household."""
    numbers: dict[int, list[str]] = {}
    # Every member of a household is known by the household's cases.
    rows = db.session.execute(
        sa.select(Client.id, Case)
        .join(Case, Case.household_id == Client.household_id)
        .where(Client.id.in_(list(client_ids)))
        .order_by(Case.opened_on, Case.id)
    ).all()
    for client_id, case in rows:
        numbers.setdefault(client_id, []).append(case.number)
    return {client_id: "사례 " + ", ".join(found) for client_id, found in numbers.items()}
