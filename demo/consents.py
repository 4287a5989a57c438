"""Realistic consents for the demo district, so the seeded conference and referrals show what each may see.

Every client on the demo conference's agenda signed a conference-sharing consent, but not alike:
one shares broadly, one only the basics and the needs assessment (narrow), and one withdrew the
consent after signing (withdrawn: the room flags the item and shows no case data). The first client
also consented to a referral to the 한빛종합사회복지관. All go through ``consents.services`` like a
consent recorded on the form, so the stored notice text and its hash are real.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases.models import Case
from conference.models import Conference
from consents.services import ConsentInput, GrantInput, record_consent, revoke_consent
from hamkke.db import db
from hamkke.time import today_local

#: field groups shared with the conference, by agenda position (the rest take the last entry)
CONFERENCE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("basic", "household", "economic", "needs", "crisis", "service_history"),
    ("basic", "needs"),
    ("basic", "household", "needs", "crisis"),
    ("basic", "needs", "crisis"),
)
#: the agenda position whose client withdrew the consent again
WITHDRAWN_POSITION = 2
#: the agency the first client agreed to be referred to
REFERRAL_AGENCY = "hanbit-welfare"


def _grant(
    purpose: str,
    kind: str,
    groups: tuple[str, ...],
    *,
    conference_id: int | None = None,
    recipient_agency_id: int | None = None,
) -> GrantInput:
    return GrantInput(
        purpose=purpose,
        recipient_kind=kind,
        field_groups=groups,
        notice_purpose="통합사례회의에서 서비스 연계와 역할 분담을 논의"
        if purpose == "conference_sharing"
        else "복지 서비스 의뢰와 회신",
        notice_retention="사례 종결 후 5년",
        notice_refusal="동의하지 않을 수 있으며, 그 경우 기관 간 연계가 늦어질 수 있습니다.",
        conference_id=conference_id,
        recipient_agency_id=recipient_agency_id,
    )


def load_demo_consents(conference: Conference) -> int:
    """Record the demo consents for the conference's agenda (one withdrawn); return how many were made."""
    today = today_local()
    made = 0
    items = sorted((i for i in conference.items if i.case_id is not None), key=lambda i: i.position)
    welfare = db.session.scalar(sa.select(Agency).where(Agency.code == REFERRAL_AGENCY))
    for position, item in enumerate(items):
        case = db.session.get(Case, item.case_id)
        if case is None:
            continue
        agency = db.session.get(Agency, case.owning_agency_id)
        worker = db.session.get(Person, case.case_worker_id) if case.case_worker_id else None
        if agency is None or worker is None:
            continue
        groups = CONFERENCE_GROUPS[min(position, len(CONFERENCE_GROUPS) - 1)]
        grants = [_grant("conference_sharing", "conference", groups, conference_id=conference.id)]
        if position == 0 and welfare is not None and welfare.id != agency.id:
            grants.append(_grant("referral", "agency", ("basic", "needs"), recipient_agency_id=welfare.id))
        signed = today - timedelta(days=20 + position)
        consent = record_consent(
            case.main_client,
            ConsentInput(
                signer_capacity="self",
                signer_name="본인 서명",
                method="signed_in_person",
                signed_on=signed,
                valid_from=signed,
                grants=tuple(grants),
                case_id=case.id,
            ),
            actor=worker,
            agency=agency,
        )
        made += 1
        if position == WITHDRAWN_POSITION:
            revoke_consent(consent, actor=worker, reason="대상자가 전화로 회의 공유 동의를 철회함")
    db.session.flush()
    return made
