"""필수서식8 과정기록지: the case's chronological record on a page and on A4, with conferences and referrals.

Conferences and referrals sit above the cases core, so their streams are read here, at the request
edge, as dates, kinds and statuses only (no client data); the core's streams come through the gate.
"""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from agencies.models import Agency
from agencies.sessions import login_required, signed_in_person
from cases import access
from cases.models import Case
from cases.queries.counselling import people_names
from cases.queries.process_record import ProcessEntry, process_record
from cases.views import common
from cases.views.common import bp
from conference.models import AgendaItem, Conference
from hamkke.db import db
from hamkke.time import now_utc, to_local
from referrals.models import Referral, ReferralStatus

#: how an agenda item ended, in words
ITEM_OUTCOMES = {"agreed": "합의", "reconvene": "재회의"}


def conference_entries(case: Case) -> list[ProcessEntry]:
    """The conferences that discussed the case: kind, status of the item and how it ended."""
    rows = db.session.execute(
        db.select(Conference.starts_at, Conference.kind, AgendaItem.status, AgendaItem.outcome)
        .join(AgendaItem, AgendaItem.conference_id == Conference.id)
        .where(AgendaItem.case_id == case.id)
    )
    return [
        ProcessEntry(
            on=to_local(row.starts_at).date(),
            kind="conference",
            content=row.kind.label,
            result=ITEM_OUTCOMES.get(row.outcome.value, "") if row.outcome else "",
            recorded_at=row.starts_at,
        )
        for row in rows
    ]


def referral_entries(case: Case) -> list[ProcessEntry]:
    """The service referrals sent for the case: the receiving agency and where the referral stands."""
    rows = db.session.execute(
        db.select(Referral.sent_at, Referral.status, Referral.external_name, Agency.name, Referral.sender_id)
        .outerjoin(Agency, Agency.id == Referral.receiving_agency_id)
        .where(Referral.case_id == case.id, Referral.sent_at.is_not(None))
    )
    return [
        ProcessEntry(
            on=to_local(row.sent_at).date(),
            kind="referral",
            content=f"→ {row.name or row.external_name or ''}",
            result=ReferralStatus(row.status).label,
            author_id=row.sender_id,
            recorded_at=row.sent_at,
        )
        for row in rows
    ]


def _render(case_id: int, template: str) -> ResponseReturnValue:
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    entries = process_record(case, view, [*conference_entries(case), *referral_entries(case)])
    return render_template(
        template,
        case=case,
        view=view,
        entries=entries,
        people=people_names({e.author_id for e in entries if e.author_id}),
        printed_at=now_utc(),
    )


@bp.get("/<int:case_id>/process-record")
@login_required
def process_record_page(case_id: int) -> ResponseReturnValue:
    """과정기록지 (필수서식8): the case's record in time order, generated from everything recorded."""
    return _render(case_id, "cases/process_record.html")


@bp.get("/<int:case_id>/process-record/print")
@login_required
def print_process_record(case_id: int) -> ResponseReturnValue:
    """과정기록지 on one A4 page for the front-left of the personal file."""
    return _render(case_id, "cases/print/process_record.html")
