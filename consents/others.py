"""중복 서비스 확인: whether another agency of the district serves this person or household now.

The answer is a disclosure about the other agencies' clients, so it is decided and logged here,
beside the gate. A match tells the asking agency only that another agency has an open case. Where
the matched client consented to provide their basic details to the asking agency (a grant for the
통합사례회의 or for a referral that reaches it, the gate's own decision, ``decide_for``), the answer
also names the agency, its contact and the case worker, so that the two workers can meet. Every
match shown writes an access-log row for the matched client, and the search itself is audited
whatever it found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases.models import Case, CaseStage, Client
from consents import access_log
from consents.gate import decide_for, viewer_facts
from consents.models import AccessChannel, ConsentPurpose
from consents.policy import ViewerFacts
from hamkke import audit
from hamkke.db import db
from hamkke.errors import ValidationFailed

#: the reason written on every access-log row of a search
SEARCH_REASON = "중복 서비스 확인"
#: stages in which another agency is still serving the household (사후관리 included)
CLOSED_STAGES = (CaseStage.closed, CaseStage.not_selected)


@dataclass(frozen=True)
class NamedService:
    """An open case of another agency that the client consented to name: who to call."""

    agency_name: str
    phone: str | None
    email: str | None
    worker_name: str | None
    stage_label: str


@dataclass(frozen=True)
class OtherServices:
    """What the asking agency may learn: named services, and how many other agencies stay unnamed."""

    named: tuple[NamedService, ...]
    unnamed_agencies: int
    #: how the match was made: "rrn" (주민등록번호 with its legal basis) or "identity" (이름·생년월일·주소)
    matched_by: tuple[str, ...]

    @property
    def found(self) -> bool:
        """Tell whether any other agency serves the person or household now."""
        return bool(self.named) or self.unnamed_agencies > 0


def _fingerprints(members: Sequence[Client]) -> tuple[set[str], set[str]]:
    rrn = {client.rrn_match_key for client in members if client.rrn_match_key}
    identity = {client.identity_match_key for client in members if client.identity_match_key}
    return rrn, identity


def _matches(members: Sequence[Client], district_id: int, asking_agency_id: int) -> list[tuple[Client, Case]]:
    """Other agencies' clients with a member's fingerprint, each with an open case of their household."""
    rrn, identity = _fingerprints(members)
    same_person = sa.or_(
        Client.rrn_match_key.in_(rrn) if rrn else sa.false(),
        Client.identity_match_key.in_(identity) if identity else sa.false(),
    )
    rows = db.session.execute(
        sa.select(Client, Case)
        .join(Case, Case.household_id == Client.household_id)
        .join(Agency, Agency.id == Case.owning_agency_id)
        .where(
            same_person,
            Client.is_deleted.is_(False),
            Case.is_deleted.is_(False),
            Case.owning_agency_id != asking_agency_id,
            Case.stage.not_in(CLOSED_STAGES),
            Agency.district_id == district_id,
        )
        .order_by(Case.owning_agency_id, Case.id)
    ).all()
    return [(client, case) for client, case in rows]


def other_agencies_serving(client: Client, actor: Person, acting_agency_id: int) -> OtherServices:
    """Find open cases of other agencies for the client's household members; log every match shown.

    The caller has checked that the actor's agency holds the client (the case page's edit access).

    :raises ValidationFailed: no member has a lawful identifier to match on (422).
    """
    viewer = viewer_facts(actor, acting_agency_id)
    members = [member for member in client.household.members if not member.is_deleted]
    rrn, identity = _fingerprints(members)
    if not rrn and not identity:
        raise ValidationFailed(
            "확인할 수 있는 정보가 없습니다. 이름·생년월일·주소를 모두 입력하거나, 법적 근거와 함께 "
            "주민등록번호를 기록한 뒤 다시 확인하세요.",
            english="Nothing to match on: record name, birth date and address, or the resident "
            "registration number with its legal basis, then check again.",
        )
    named: dict[int, NamedService] = {}
    unnamed: set[int] = set()
    shown: list[access_log.Disclosure] = []
    for matched, case in _matches(members, viewer.district_id, viewer.agency_id):
        if _may_name(matched, viewer):
            named.setdefault(case.owning_agency_id, _named(case))
            shown.append(access_log.Disclosure(matched.id, ("basic",), basis="동의: 기관·연락처 안내"))
        else:
            unnamed.add(case.owning_agency_id)
            shown.append(access_log.Disclosure(matched.id, (), basis="다른 기관 이용 여부만"))
    unnamed -= set(named)
    # One row per matched client and case (the fact of the case is what is disclosed), before any answer.
    access_log.log_disclosures(
        shown,
        actor_id=actor.id,
        agency_id=viewer.agency_id,
        purpose=ConsentPurpose.case_management,
        channel=AccessChannel.page,
        reason=SEARCH_REASON,
    )
    audit.record(
        "cases.duplicate_check",
        actor_id=actor.id,
        agency_id=viewer.agency_id,
        obj=client,
        data={"named": len(named), "unnamed": len(unnamed), "by": sorted(_kinds(rrn, identity))},
    )
    return OtherServices(tuple(named.values()), len(unnamed), tuple(sorted(_kinds(rrn, identity))))


#: the provisions to another agency under which a client's basic details may reach the asking agency
NAMING_PURPOSES = (ConsentPurpose.conference_sharing, ConsentPurpose.referral)


def _may_name(matched: Client, viewer: ViewerFacts) -> bool:
    """Tell whether the gate gives the asking agency the matched client's basic details (any provision)."""
    return any(
        "basic" in decide_for(matched, viewer, purpose=purpose, context=None).groups
        for purpose in NAMING_PURPOSES
    )


def _kinds(rrn: set[str], identity: set[str]) -> set[str]:
    return {kind for kind, keys in (("rrn", rrn), ("identity", identity)) if keys}


def _named(case: Case) -> NamedService:
    agency = db.session.get(Agency, case.owning_agency_id)
    worker = db.session.get(Person, case.case_worker_id) if case.case_worker_id else None
    return NamedService(
        agency_name=agency.name if agency else "",
        phone=agency.phone if agency else None,
        email=agency.email if agency else None,
        worker_name=worker.name if worker else None,
        stage_label=case.stage.label,
    )
