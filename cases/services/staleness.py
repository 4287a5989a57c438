"""Stale cases: the one-click start of a closure review, and telling the worker and supervisor once.

A case is stale after three months or more of refusal or lost contact, or when its plan's period
has ended (`cases.queries.staleness`). The review starts through the workflow's own transition
(``propose_closure``), so its guard, its audit row and its timeline event are the usual ones.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agencies.models import Membership, MembershipRole, MembershipStatus, Person, StaffRole
from cases.models import Case, CaseEvent
from cases.queries.staleness import StaleCase, stale_cases, staleness_of
from cases.services.transitions import transition_case
from hamkke.db import db
from hamkke.errors import InvalidTransition
from notifications.models import Notification
from notifications.services import notify

#: the notification kind (people choose e-mail for it on the preferences page)
STALE_KIND = "case.stale"


def start_closure_review(case: Case, *, actor: Person, agency_id: int | None, today: date) -> CaseEvent:
    """Move a stale case to 종결심사 with its staleness as the reason; refuse a case that is not stale."""
    stale = staleness_of(case.id, today)
    if stale is None:
        raise InvalidTransition(
            "이 사례는 장기 거부·연락두절이나 계획 기간 종료에 해당하지 않습니다. "
            "종결심사는 '다음 단계'에서 사유를 적어 요청해 주세요.",
            english="The case is not stale; request a closure review with a reason instead.",
        )
    return transition_case(
        case,
        "propose_closure",
        actor=actor,
        agency_id=agency_id,
        reason=f"종결 검토 시작: {stale.text}",
    )


def _supervisors(agency_ids: set[int]) -> list[Person]:
    """The active supervisors of the agencies in charge of a case."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .join(MembershipRole, MembershipRole.membership_id == Membership.id)
            .where(
                Membership.agency_id.in_(agency_ids),
                Membership.status == MembershipStatus.active,
                MembershipRole.role == StaffRole.supervisor,
                Person.is_active.is_(True),
            )
            .distinct()
            .order_by(Person.id)
        )
    )


def _recipients(stale: StaleCase) -> list[Person]:
    """The case worker and the supervisors of the owning and leading agencies, each once."""
    agencies = {stale.owning_agency_id} | ({stale.lead_agency_id} if stale.lead_agency_id else set())
    people = {person.id: person for person in _supervisors(agencies)}
    if stale.case_worker_id is not None:
        worker = db.session.get(Person, stale.case_worker_id)
        if worker is not None and worker.is_active:
            people[worker.id] = worker
    return [people[key] for key in sorted(people)]


def notify_stale_cases(today: date) -> int:
    """Tell the worker and the supervisors of each stale case, once per stale episode; return how many.

    The dedupe key names the case, the episode (contact or plan) and the day it began, so the daily
    job may run any number of times: a new episode (after a real contact, or a new plan) notifies again.
    """
    sent = 0
    for stale in stale_cases(today):
        for finding in stale.findings:
            for person in _recipients(stale):
                episode = f"{stale.case_id}:{finding.reason.episode}:{finding.since:%Y%m%d}"
                key = f"{STALE_KIND}:{episode}:{person.id}"
                if db.session.scalar(sa.select(Notification.id).where(Notification.dedupe_key == key)):
                    continue
                # Case number and reason only: no client data leaves the case page.
                notify(
                    person,
                    STALE_KIND,
                    title=f"사례 {stale.number}: 종결 검토가 필요합니다",
                    body=finding.text,
                    link=f"/cases/{stale.case_id}#stale",
                    dedupe_key=key,
                    agency_id=stale.owning_agency_id,
                )
                sent += 1
    return sent
