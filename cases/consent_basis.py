"""What a case relies on for its client's data, read from the consent records and never typed.

* **Intake** (초기상담 기록) needs a ground for collecting the client's data before anything is
  written: a signed collection consent in force (개인정보 보호법 제15조 제1항 제1호), or, for a public
  agency only, the statute and article it acts under (e.g. 제15조 제1항 제3호 with 사회보장급여법
  제42조의2). A private agency has no statutory ground and always needs the consent.
* **Escalation** (구청 의뢰) carries the consent status as it stands in the records when it is
  sent: provision to the district team, collection only, or none; with the consent ids as evidence.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import sqlalchemy as sa
from flask import Flask, current_app

from agencies.models import Agency, AgencySector, AgencyType
from cases.models import Case, Client, ConsentStatus
from hamkke.db import db
from hamkke.errors import ValidationFailed


class GrantInForce(Protocol):
    """The facts of one consent grant in force that the case process reads."""

    @property
    def consent_id(self) -> int:
        """The consent the grant belongs to."""

    @property
    def purpose(self) -> str:
        """What the data may be used for (``case_management`` …)."""

    @property
    def recipient_kind(self) -> str:
        """Who receives it: ``collector``, ``agency``, ``network`` …."""

    @property
    def recipient_agency_id(self) -> int | None:
        """The receiving agency of an ``agency`` grant."""

    @property
    def district_id(self) -> int | None:
        """The district of a ``network`` grant."""


#: reads the client's grants in force on a day from the consent records
GrantsInForce = Callable[[Client, date], Sequence[GrantInForce]]
#: where ``consents.init_app`` leaves its reader: the consent records sit above the case process,
#: so they hand the reader down instead of the case process importing them
_READER_KEY = "cases.grants_in_force"


def provide_grants_in_force(app: Flask, reader: GrantsInForce) -> None:
    """Register the consent records' reader of a client's grants in force (``consents.init_app``)."""
    app.extensions[_READER_KEY] = reader


def _grants_in_force(client: Client, on: date) -> Sequence[GrantInForce]:
    """Return the client's grants in force on ``on``, as the consent records say."""
    reader: GrantsInForce | None = current_app.extensions.get(_READER_KEY)
    if reader is None:
        raise RuntimeError("consents.init_app has not registered the reader of the consent records")
    return reader(client, on)


class CollectionBasis(enum.StrEnum):
    """The ground an intake record's collection rests on."""

    consent = "consent"
    statute = "statute"

    @property
    def label(self) -> str:
        """Korean name of the ground."""
        return COLLECTION_BASIS_LABELS[self]


COLLECTION_BASIS_LABELS: dict[CollectionBasis, str] = {
    CollectionBasis.consent: "개인정보 수집·이용 동의 (개인정보 보호법 제15조 제1항 제1호)",
    CollectionBasis.statute: "법령상 근거 (공공기관의 소관 업무)",
}
#: the wording a public agency's worker is offered for the statutory ground
STATUTE_EXAMPLE = "개인정보 보호법 제15조 제1항 제3호, 사회보장급여법 제42조의2"
#: a statutory ground names a law (…법) and an article (제N조)
_ARTICLE = re.compile(r"법.*제\s*\d+\s*조")
_STATUTE_LIMIT = 300


@dataclass(frozen=True)
class CollectionGround:
    """The ground checked for one intake record, as it is stored with the record."""

    basis: CollectionBasis
    consent_ids: tuple[int, ...] = ()
    statute: str | None = None


@dataclass(frozen=True)
class ConsentSnapshot:
    """An escalation's consent status as derived from the records, with the consents behind it."""

    status: ConsentStatus
    consent_ids: tuple[int, ...]


def collection_consent_ids(client: Client, on: date) -> tuple[int, ...]:
    """Return the ids of the client's collection consents (수집·이용) in force on ``on``."""
    return tuple(
        sorted(
            {
                grant.consent_id
                for grant in _grants_in_force(client, on)
                if grant.purpose == "case_management" and grant.recipient_kind == "collector"
            }
        )
    )


def require_collection_ground(
    case: Case, *, basis: str | None, statute: str | None, on: date
) -> CollectionGround:
    """Check the ground of an intake record for the case's main client; refuse in Korean otherwise.

    :raises ValidationFailed: no ground chosen, no collection consent on file, a statutory ground
        claimed by a private agency, or a statutory ground without the law and article.
    """
    try:
        chosen = CollectionBasis(basis or "")
    except ValueError:
        raise ValidationFailed(
            "개인정보 수집 근거를 골라 주세요.",
            field="collection_basis",
            english="Choose the ground for collecting the client's data.",
        ) from None
    if chosen == CollectionBasis.consent:
        consents = collection_consent_ids(case.main_client, on)
        if not consents:
            raise ValidationFailed(
                "이 대상자의 개인정보 수집·이용 동의가 기록되어 있지 않습니다. 동의서를 먼저 기록하거나, "
                "공공기관이면 법령상 근거를 골라 조항을 적어 주세요.",
                field="collection_basis",
                english="No collection consent of this client is on file; record it first.",
            )
        return CollectionGround(basis=chosen, consent_ids=consents)
    agency = db.session.get(Agency, case.owning_agency_id)
    if agency is None or agency.sector != AgencySector.public:
        raise ValidationFailed(
            "민간기관은 법령상 근거로 개인정보를 수집할 수 없습니다. 수집·이용 동의를 받아 기록해 주세요.",
            field="collection_basis",
            english="A private agency needs the client's collection consent.",
        )
    text = " ".join((statute or "").split())
    if not _ARTICLE.search(text) or len(text) > _STATUTE_LIMIT:
        raise ValidationFailed(
            f"근거 법령과 조항을 {_STATUTE_LIMIT}자 이내로 적어 주세요. 예: {STATUTE_EXAMPLE}",
            field="statutory_basis",
            english="Name the statute and its article.",
        )
    return CollectionGround(basis=chosen, statute=text)


def district_team_of(case: Case) -> Agency | None:
    """Return the district team a case of this owner would be escalated to, if the district has one."""
    agency = db.session.get(Agency, case.owning_agency_id)
    if agency is None:
        return None
    return db.session.scalars(
        sa.select(Agency)
        .where(Agency.district_id == agency.district_id, Agency.type == AgencyType.district_team)
        .order_by(Agency.id)
    ).first()


def escalation_consent(case: Case, team: Agency, on: date) -> ConsentSnapshot:
    """Derive what the records say about sharing the main client's data with the district team."""
    grants = _grants_in_force(case.main_client, on)
    provision = sorted(
        {
            grant.consent_id
            for grant in grants
            if (grant.recipient_kind == "agency" and grant.recipient_agency_id == team.id)
            or (grant.recipient_kind == "network" and grant.district_id == team.district_id)
        }
    )
    if provision:
        return ConsentSnapshot(ConsentStatus.third_party, tuple(provision))
    collection = collection_consent_ids(case.main_client, on)
    if collection:
        return ConsentSnapshot(ConsentStatus.collection_only, collection)
    return ConsentSnapshot(ConsentStatus.none, ())
