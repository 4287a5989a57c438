"""Pages of conferences: the list, check-in and pledge, the meeting room, sign-off and the minutes PDF."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any, TypeVar

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Agency, Person
from agencies.sessions import acting_agency_id, current_person, current_session, login_required
from cases.fields import FIELD_GROUPS
from conference import access, briefing, queries
from conference.briefing import SOURCE_LABELS
from conference.minutes_pdf import render_minutes_pdf
from conference.models import (
    LEAD_METHOD_LABELS,
    ActionItem,
    AgendaItem,
    CarryReason,
    CaseRole,
    Conference,
    ConferenceKind,
    InvitationRole,
    Rsvp,
)
from conference.services import actions as action_services
from conference.services import agenda, live, minutes, scheduling
from hamkke.db import db
from hamkke.errors import PermissionDenied, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import SEOUL, now_utc, today_local
from hamkke.web import parse_id

_E = TypeVar("_E", bound=enum.Enum)

bp = Blueprint("conference", __name__, url_prefix="/conferences")


def _person() -> Person:
    person = current_person()
    if person is None:  # login_required guarantees a person; this keeps the type honest
        raise PermissionDenied("로그인이 필요합니다.")
    return person


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """List the conferences the signed-in person is invited to."""
    person = _person()
    record = current_session()
    acting = db.session.get(Agency, record.acting_agency_id) if record and record.acting_agency_id else None
    return render_template(
        "conference/index.html",
        conferences=queries.conferences_for(person),
        can_schedule=acting is not None and access.can_schedule(person, acting),
    )


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
    agency_id = access.attending_agency_id(person, conference, acting_agency_id())
    live.check_in(conference, person=person, agency_id=agency_id)
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
    live.accept_pledge(attendance, version=request.form.get("version", ""))
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
    attendance = access.get_attendance_for(person, conference)
    minutes.sign_off(
        attendance, signed=request.form.get("decision") == "sign", comment=request.form.get("comment")
    )
    flash(_("회의록 확인을 기록했습니다."), "success")
    return redirect(url_for("conference.room", conference_id=conference.id), code=303)


@bp.get("/<int:conference_id>/minutes.pdf")
@login_required
def minutes_pdf(conference_id: int) -> ResponseReturnValue:
    """Download the minutes in the 필수서식9 layout, filtered for the person's agency."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.get_pledged_attendance_for(person, conference)
    body = render_minutes_pdf(conference, attendance.agency_id)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="conference-{conference.id}-minutes.pdf"'},
    )


# --- planning: scheduling, invitations, RSVP, agenda ------------------------------------------


def _form_int(name: str, label: str, *, required: bool = True) -> int | None:
    """Read an integer form field, refusing anything else with a Korean message (422)."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required:
            raise ValidationFailed(
                f"{with_particle(label, '을')} 입력하세요.", field=name, english=f"{name} is required."
            )
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(
            f"{with_particle(label, '은')} 숫자여야 합니다.", field=name, english=f"{name} must be a number."
        ) from None


def _form_enum(enum_type: type[_E], name: str, label: str) -> _E:
    raw = request.form.get(name, "")
    try:
        return enum_type(raw)
    except ValueError:
        raise ValidationFailed(
            f"{with_particle(label, '을')} 고르세요.", field=name, english=f"Choose {name}."
        ) from None


def _form_starts_at() -> datetime:
    """Combine the date and time fields, entered in Asia/Seoul, into an aware datetime."""
    try:
        day = date.fromisoformat(request.form.get("date", ""))
        at = time.fromisoformat(request.form.get("time", ""))
    except ValueError:
        raise ValidationFailed(
            "회의 날짜와 시간을 바르게 입력하세요.", field="date", english="Enter a valid date and time."
        ) from None
    starts = datetime.combine(day, at.replace(tzinfo=None), tzinfo=SEOUL)
    if starts < now_utc():
        raise ValidationFailed(
            "지난 시각에는 회의를 잡을 수 없습니다.", field="date", english="The start is in the past."
        )
    return starts


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Schedule a conference hosted by the acting agency (once, or monthly)."""
    person = _person()
    host = access.acting_agency_of(person, acting_agency_id())
    access.require_can_schedule(person, host)
    if request.method == "GET":
        return render_template(
            "conference/new.html",
            host=host,
            kinds=list(ConferenceKind),
            staff=queries.staff_of([host.id]).get(host.id, []),
            regions=queries.regions_of(host.district_id),
            agencies=queries.district_agencies(host.district_id),
            default_briefing_days=scheduling.DEFAULT_BRIEFING_DAYS,
        )
    region_id = _form_int("region_id", _("권역"), required=False)
    conference = scheduling.create_conference(
        actor=person,
        district_id=host.district_id,
        kind=_form_enum(ConferenceKind, "kind", _("회의 종류")),
        title=request.form.get("title", ""),
        starts_at=_form_starts_at(),
        host_agency_id=host.id,
        place=request.form.get("place"),
        video_url=request.form.get("video_url"),
        region_id=region_id,
        chair_id=_form_int("chair_id", _("진행자"), required=False),
        recorder_id=_form_int("recorder_id", _("서기"), required=False),
        briefing_days=_form_int("briefing_days", _("사전자료 공개일")) or 0,
    )
    agency_ids = [i for i in map(parse_id, request.form.getlist("agency_ids")) if i is not None]
    for agency_id in dict.fromkeys(agency_ids):
        if agency_id != host.id:
            scheduling.invite(conference, actor=person, agency_id=agency_id)
    if request.form.get("recurring") == "yes":
        scheduling.make_recurring(conference, actor=person, agency_ids=agency_ids)
    flash(_("회의를 잡았습니다."), "success")
    return redirect(url_for("conference.plan", conference_id=conference.id), code=303)


@bp.get("/<int:conference_id>/plan")
@login_required
def plan(conference_id: int) -> ResponseReturnValue:
    """Show the conference's preparation: invitations and RSVP, the agenda, carry-overs, briefing link."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    manager = access.can_manage(person, conference)
    record = current_session()
    acting = record.acting_agency_id if record is not None else None
    invited = access.invited_agency_ids(conference)
    actions = queries.actions_of_conference(conference)
    candidates = agenda.carry_candidates(conference) if manager else []
    return render_template(
        "conference/plan.html",
        conference=conference,
        manager=manager,
        acting_agency_id=acting,
        can_propose=acting in invited,
        can_brief=acting in invited,
        my_invitations=[i for i in conference.invitations if access.may_answer_invitation(person, i)],
        items=sorted(conference.items, key=lambda i: (i.position, i.id)),
        names=queries.agency_names(
            [conference.host_agency_id] + [i.agency_id for i in conference.invitations]
        ),
        people=queries.person_names(conference),
        staff=queries.staff_of(sorted(invited | {i.agency_id for i in conference.invitations})),
        district_agencies=queries.district_agencies(conference.district_id) if manager else [],
        district_staff=queries.district_staff(conference.district_id) if manager else {},
        own_cases=queries.proposable_cases(acting) if acting in invited else [],
        consent=queries.consent_flags(conference),
        carry_candidates=candidates,
        actions=actions,
        readable_action_ids=_readable_action_ids(actions + candidates, acting),
        reasons=agenda.CARRY_REASON_LABELS,
        source_labels=SOURCE_LABELS,
        briefing_opens_at=briefing.opens_at(conference),
    )


def _readable_action_ids(actions: list[ActionItem], agency_id: int | None) -> set[int]:
    """Return the actions whose text (a line of the case's plan) the acting agency may read."""
    if agency_id is None:
        return set()
    readable = set()
    for action in actions:
        item = db.session.get(AgendaItem, action.item_id)
        if action.owner_agency_id == agency_id or (
            item is not None and access.may_see_item_case(item, agency_id)
        ):
            readable.add(action.id)
    return readable


def _back(conference_id: int, anchor: str = "") -> ResponseReturnValue:
    return redirect(url_for("conference.plan", conference_id=conference_id) + anchor, code=303)


@bp.post("/<int:conference_id>/invitations")
@login_required
def invite(conference_id: int) -> ResponseReturnValue:
    """Invite an agency, a person of an agency, or a guest (자문위원)."""
    person = _person()
    conference = access.get_conference_for(person, conference_id, "manage")
    scheduling.invite(
        conference,
        actor=person,
        agency_id=_form_int("agency_id", _("기관")) or 0,
        person_id=_form_int("person_id", _("사람"), required=False),
        role=_form_enum(InvitationRole, "role", _("참석 구분")),
    )
    flash(_("초대했습니다."), "success")
    return _back(conference.id, "#invitations")


@bp.post("/invitations/<int:invitation_id>/rsvp")
@login_required
def rsvp(invitation_id: int) -> ResponseReturnValue:
    """Answer an invitation: attend, decline, or send a deputy of the same agency."""
    person = _person()
    invitation = access.get_invitation_for(person, invitation_id)
    scheduling.respond_to_invitation(
        invitation,
        actor=person,
        rsvp=_form_enum(Rsvp, "rsvp", _("참석 여부")),
        deputy_id=_form_int("deputy_id", _("대리 참석자"), required=False),
    )
    flash(_("참석 여부를 알렸습니다."), "success")
    return _back(invitation.conference_id, "#invitations")


@bp.post("/<int:conference_id>/items")
@login_required
def propose(conference_id: int) -> ResponseReturnValue:
    """An invited agency proposes an item (optionally one of its cases) for the agenda."""
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    agency = access.acting_agency_of(person, acting_agency_id())
    agenda.propose_for_agency(
        conference,
        actor=person,
        agency_id=agency.id,
        title=request.form.get("title", ""),
        case_id=_form_int("case_id", _("사례"), required=False),
        time_box_minutes=_form_int("time_box_minutes", _("시간")) or 0,
    )
    flash(_("안건을 제안했습니다."), "success")
    return _back(conference.id, "#agenda")


@bp.post("/<int:conference_id>/draft-agenda")
@login_required
def draft_agenda(conference_id: int) -> ResponseReturnValue:
    """Build the automatic draft agenda (escalations, reviews due, overdue actions, stalled referrals)."""
    person = _person()
    conference = access.get_conference_for(person, conference_id, "manage")
    added = agenda.build_draft_agenda(conference)
    flash(_("자동 안건 초안에 %(count)d건을 더했습니다.", count=len(added)), "success")
    return _back(conference.id, "#agenda")


@bp.post("/items/<int:item_id>/edit")
@login_required
def edit_item(item_id: int) -> ResponseReturnValue:
    """Set an item's title, time box and presenter."""
    person = _person()
    item = access.get_item_for(person, item_id, "manage")
    agenda.edit_item(
        item,
        actor=person,
        title=request.form.get("title", ""),
        time_box_minutes=_form_int("time_box_minutes", _("시간")) or 0,
        presenter_id=_form_int("presenter_id", _("발표자"), required=False),
    )
    flash(_("안건을 고쳤습니다."), "success")
    return _back(item.conference_id, f"#item-{item.id}")


@bp.post("/items/<int:item_id>/move")
@login_required
def move_item(item_id: int) -> ResponseReturnValue:
    """Move an item one place up or down."""
    person = _person()
    item = access.get_item_for(person, item_id, "manage")
    agenda.move_item(item, actor=person, offset=-1 if request.form.get("direction") == "up" else 1)
    return _back(item.conference_id, f"#item-{item.id}")


@bp.post("/items/<int:item_id>/withdraw")
@login_required
def withdraw_item(item_id: int) -> ResponseReturnValue:
    """Take an item off the agenda."""
    person = _person()
    item = access.get_item_for(person, item_id, "manage")
    agenda.withdraw_item(item, actor=person)
    flash(_("안건을 뺐습니다."), "success")
    return _back(item.conference_id, "#agenda")


@bp.post("/items/<int:item_id>/carry-reason")
@login_required
def carry_reason(item_id: int) -> ResponseReturnValue:
    """Choose why a carried action is back on the agenda."""
    person = _person()
    item = access.get_item_for(person, item_id, "manage")
    agenda.set_carry_reason(item, actor=person, reason=_form_enum(CarryReason, "reason", _("이월 사유")))
    flash(_("이월 사유를 바꿨습니다."), "success")
    return _back(item.conference_id, f"#item-{item.id}")


@bp.post("/<int:conference_id>/carry")
@login_required
def carry(conference_id: int) -> ResponseReturnValue:
    """Carry an unfinished action of an earlier conference to this agenda, with a reason code."""
    person = _person()
    conference = access.get_conference_for(person, conference_id, "manage")
    agenda.carry_to(
        conference,
        action_id=_form_int("action_id", _("실행과제")) or 0,
        reason=_form_enum(CarryReason, "reason", _("이월 사유")),
    )
    flash(_("과제를 이월했습니다."), "success")
    return _back(conference.id, "#agenda")


@bp.post("/<int:conference_id>/approve")
@login_required
def approve(conference_id: int) -> ResponseReturnValue:
    """Approve the draft agenda in its current order."""
    person = _person()
    conference = access.get_conference_for(person, conference_id, "manage")
    agenda.approve_agenda(conference, actor=person)
    flash(_("안건을 확정했습니다."), "success")
    return _back(conference.id, "#agenda")


# --- briefing packets ---------------------------------------------------------------------------


def _briefing_context(conference_id: int) -> tuple[Person, Conference, int]:
    person = _person()
    conference = access.get_conference_for(person, conference_id)
    record = current_session()
    agency_id = briefing.briefing_agency_for(
        person, conference, record.acting_agency_id if record is not None else None
    )
    return person, conference, agency_id


@bp.get("/<int:conference_id>/briefing")
@login_required
def briefing_page(conference_id: int) -> ResponseReturnValue:
    """List the acting agency's briefing packets, once the window has opened."""
    person, conference, agency_id = _briefing_context(conference_id)
    packets = None
    if briefing.is_open(conference):
        packets = briefing.packets_for(conference, person, agency_id, channel="page")
        # The gate logged each disclosure in this transaction; keep the log with the view.
    return render_template(
        "conference/briefing.html",
        conference=conference,
        packets=packets,
        agency_name=queries.agency_names([agency_id]).get(agency_id, ""),
        opens_at=briefing.opens_at(conference),
    )


@bp.get("/<int:conference_id>/briefing.pdf")
@login_required
def briefing_pdf(conference_id: int) -> ResponseReturnValue:
    """Download the acting agency's briefing packets as a PDF."""
    person, conference, agency_id = _briefing_context(conference_id)
    briefing.require_open(conference)
    packets = briefing.packets_for(conference, person, agency_id, channel="download")
    body = briefing.render_briefing_pdf(
        conference, queries.agency_names([agency_id]).get(agency_id, ""), packets
    )
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="conference-{conference.id}-briefing.pdf"'},
    )


# --- referrals from action items ----------------------------------------------------------------


@bp.route("/actions/<int:action_id>/referral", methods=["GET", "POST"])
@login_required
def action_referral(action_id: int) -> ResponseReturnValue:
    """Create a draft referral from an action item ("의뢰 만들기"); consent is checked by referrals."""
    person = _person()
    action = access.get_action_for(person, action_id)
    conference = access.get_conference_for(person, action.conference_id)
    if request.method == "GET":
        return render_template(
            "conference/action_referral.html",
            action=action,
            conference=conference,
            agencies=[
                a for a in queries.district_agencies(conference.district_id) if a.id != action.owner_agency_id
            ],
            field_groups=[(code, group.label) for code, group in FIELD_GROUPS.items()],
        )
    referral = action_services.refer_from_action(
        action,
        actor=person,
        receiving_agency_id=_form_int("receiving_agency_id", _("받는 기관")) or 0,
        reason=request.form.get("reason", ""),
        requested_services=request.form.get("requested_services", ""),
        field_groups=[code for code in request.form.getlist("field_groups") if code in FIELD_GROUPS],
    )
    flash(_("의뢰서 초안을 만들었습니다. 내용을 확인하고 보내세요."), "success")
    return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)


# --- the actions page: an agency works its action items ---------------------------------------


@bp.get("/actions")
@login_required
def actions() -> ResponseReturnValue:
    """List the action items the acting agency owns (a coordinator: the district's), unfinished first."""
    person = _person()
    agency = access.acting_agency_of(person, acting_agency_id())
    status = request.args.get("status", "open")
    rows = queries.tracked_actions(person, agency.id, status=status, today=today_local())
    return render_template(
        "conference/actions.html",
        agency=agency,
        rows=rows,
        status=status,
        limit=queries.ACTIONS_PAGE_LIMIT,
    )


def _after_action_change(action_id: int, conference_id: int, person: Person) -> bool:
    """Notify the conference and queue the room's state (after commit); tell whether the room is open."""
    from conference.sockets import conference_room, publish_state

    action = db.session.get(ActionItem, action_id)
    conference = db.session.get(Conference, conference_id)
    if action is None or conference is None:
        return False
    action_services.notify_action_change(action, actor=person)
    if not any(attendance.connections > 0 for attendance in conference.attendances):
        return False
    publish_state(conference, room=conference_room(conference.id))
    return True


def _send_case_data(conference_id: int) -> None:
    """Push the gate-filtered case panels once the change committed, as live events do."""
    from conference.sockets import send_case_data

    # The panels' access-log rows go in a transaction of their own, not under the conference lock.
    send_case_data(conference_id)


def _back_to_actions(action_id: int) -> ResponseReturnValue:
    status = request.form.get("return_status", "open")
    if status not in queries.ACTION_FILTERS:
        status = "open"
    return redirect(url_for("conference.actions", status=status) + f"#action-{action_id}", code=303)


@bp.post("/actions/<int:action_id>/start")
@login_required
def start_action(action_id: int) -> ResponseReturnValue:
    """Mark an action item in progress (진행 중): its owner agency's members or its assignee."""
    person = _person()
    action = access.get_tracked_action_for(person, action_id, change=True)
    # The room's payloads carry the conference revision: take its lock first, as live events do.
    live.lock_conference(action.conference_id)
    action_services.start_action(action, actor=person)
    room_open = _after_action_change(action.id, action.conference_id, person)
    # Committed before the panels go out in a transaction of their own, as live events do.
    db.session.commit()
    if room_open:
        _send_case_data(action.conference_id)
    flash(_("실행과제를 진행 중으로 표시했습니다."), "success")
    return _back_to_actions(action.id)


@bp.post("/actions/<int:action_id>/complete")
@login_required
def complete_action(action_id: int) -> ResponseReturnValue:
    """Mark an action item done with an optional result note; a second completion changes nothing."""
    person = _person()
    action = access.get_tracked_action_for(person, action_id, change=True)
    live.lock_conference(action.conference_id)
    if not action_services.complete_action(action, actor=person, result_note=request.form.get("result_note")):
        db.session.rollback()
        flash(_("이미 완료한 실행과제입니다. 바뀐 것은 없습니다."), "info")
        return _back_to_actions(action_id)
    room_open = _after_action_change(action.id, action.conference_id, person)
    # Committed before the panels go out in a transaction of their own, as live events do.
    db.session.commit()
    if room_open:
        _send_case_data(action.conference_id)
    flash(_("실행과제를 완료했습니다."), "success")
    return _back_to_actions(action.id)
