"""Pages of conferences: the list, check-in and pledge, the meeting room, sign-off and the minutes PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Person
from agencies.sessions import current_person, current_session, login_required
from conference import access, queries, services
from conference.minutes_pdf import render_minutes_pdf
from conference.models import LEAD_METHOD_LABELS, CaseRole, Conference
from hamkke.db import db
from hamkke.errors import PermissionDenied

bp = Blueprint("conference", __name__, url_prefix="/conferences")


def _person() -> Person:
    person = current_person()
    if person is None:  # login_required guarantees a person; this keeps the type honest
        raise PermissionDenied("로그인이 필요합니다.")
    return person


def _acting_agency(person: Person, conference: Conference) -> int:
    """The agency the person attends for: the session's acting agency, or their guest invitation's."""
    record = current_session()
    agency_id = record.acting_agency_id if record is not None else None
    if agency_id is None:
        invitation = access.invitation_for(person, conference, -1)
        if invitation is None:
            raise PermissionDenied("참석할 기관을 고르세요.")
        agency_id = invitation.agency_id
    return agency_id


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """List the conferences the signed-in person is invited to."""
    return render_template("conference/index.html", conferences=queries.conferences_for(_person()))


@bp.get("/<int:conference_id>")
@login_required
def room(conference_id: int) -> ResponseReturnValue:
    """Show check-in, then the pledge, then the meeting room."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.attendance_of(person, conference)
    if attendance is None:
        return render_template("conference/check_in.html", conference=conference)
    if not access.has_current_pledge(attendance):
        return render_template(
            "conference/pledge.html",
            conference=conference,
            pledge_version=access.CURRENT_PLEDGE_VERSION,
            pledge_text=access.PLEDGE_TEXTS[access.CURRENT_PLEDGE_VERSION],
        )
    return render_template(
        "conference/room.html",
        conference=conference,
        attendance=attendance,
        lead_methods=LEAD_METHOD_LABELS,
        case_roles=[role.value for role in CaseRole],
        agencies=queries.agency_names(
            [conference.host_agency_id]
            + [invitation.agency_id for invitation in conference.invitations]
            + [a.agency_id for a in conference.attendances]
        ),
    )


@bp.post("/<int:conference_id>/check-in")
@login_required
def check_in(conference_id: int) -> ResponseReturnValue:
    """Check the person in for their acting agency."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    services.check_in(conference, person=person, agency_id=_acting_agency(person, conference))
    db.session.commit()
    return redirect(url_for("conference.room", conference_id=conference.id), code=303)


@bp.post("/<int:conference_id>/pledge")
@login_required
def pledge(conference_id: int) -> ResponseReturnValue:
    """Accept the confidentiality pledge shown on the page."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.attendance_of(person, conference)
    if attendance is None:
        return redirect(url_for("conference.room", conference_id=conference.id), code=303)
    if request.form.get("agree") != "yes":
        flash(_("서약에 동의해야 회의 자료를 볼 수 있습니다."), "error")
        return redirect(url_for("conference.room", conference_id=conference.id), code=303)
    services.accept_pledge(attendance, version=request.form.get("version", ""))
    db.session.commit()
    return redirect(url_for("conference.room", conference_id=conference.id), code=303)


@bp.get("/<int:conference_id>/state.json")
@login_required
def state(conference_id: int) -> ResponseReturnValue:
    """Return the attendee's current view as JSON (the page's first paint and a fallback re-fetch)."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.attendance_of(person, conference)
    payload: dict[str, Any] = {"state": queries.conference_payload(conference) if attendance else None}
    if attendance is not None:
        payload["case_data"] = queries.agency_payload(conference, attendance, channel="api")
    return payload


@bp.post("/<int:conference_id>/sign-off")
@login_required
def sign_off(conference_id: int) -> ResponseReturnValue:
    """Sign the finalized minutes or object with a reason."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.attendance_of(person, conference)
    if attendance is None:
        raise PermissionDenied("참석하지 않은 회의입니다.")
    services.sign_off(
        attendance, signed=request.form.get("decision") == "sign", comment=request.form.get("comment")
    )
    db.session.commit()
    flash(_("회의록 확인을 기록했습니다."), "success")
    return redirect(url_for("conference.room", conference_id=conference.id), code=303)


@bp.get("/<int:conference_id>/minutes.pdf")
@login_required
def minutes_pdf(conference_id: int) -> ResponseReturnValue:
    """Download the minutes in the 필수서식9 layout, filtered for the person's agency."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.attendance_of(person, conference)
    if attendance is None or not access.has_current_pledge(attendance):
        raise PermissionDenied("서약한 참석자만 회의록을 받을 수 있습니다.")
    body = render_minutes_pdf(conference, attendance.agency_id)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="conference-{conference.id}-minutes.pdf"'},
    )
