"""Pages of conferences: the list, check-in and pledge, the meeting room, sign-off and the minutes PDF.

Views translate requests: they load and authorize (``conference.access``), validate the posted form
(``conference.forms``), call one service and answer. A refused form comes back as its page with the
reason next to the field (422, or the refusal's own status), as on the case and agency pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from agencies.models import Agency, Person
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases.fields import FIELD_GROUPS
from conference import access, briefing, queries, reconvened
from conference.briefing import SOURCE_LABELS
from conference.forms import (
    ActionProgressForm,
    ActionReferralForm,
    CarryForm,
    CarryReasonForm,
    ConferenceListForm,
    EditItemForm,
    InviteForm,
    MoveItemForm,
    PledgeForm,
    ProposeForm,
    RsvpForm,
    ScheduleForm,
    SignOffForm,
)
from conference.minutes_pdf import render_minutes_pdf
from conference.models import (
    LEAD_METHOD_LABELS,
    ActionItem,
    AgendaItem,
    CaseRole,
    Conference,
    ConferenceKind,
    ConferenceStatus,
)
from conference.services import actions as action_services
from conference.services import agenda, live, minutes, scheduling
from conference.sockets import conference_room, publish_state, send_case_data
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError
from hamkke.paging import read_list_form
from hamkke.time import today_local
from hamkke.unit_of_work import after_unit
from hamkke.web import MAX_PAGE, page_arg, parse_id

bp = Blueprint("conference", __name__, url_prefix="/conferences")


def _refused(form: FlaskForm, error: DomainError) -> int:
    """Undo the refused change and put its reason on the form; return the status to answer with."""
    db.session.rollback()
    attach_error(form, error)
    return error.status_code


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """List the conferences the signed-in person is invited to: filtered, sorted and paged in SQL."""
    person = signed_in_person()
    agency_id = acting_agency_id()
    acting = db.session.get(Agency, agency_id) if agency_id else None
    form = ConferenceListForm(formdata=request.args)
    reset = read_list_form(form)
    filters = queries.ConferenceFilters(
        status=ConferenceStatus(form.status.data) if form.status.data else None,
        kind=ConferenceKind(form.kind.data) if form.kind.data else None,
        title=(form.q.data or "").strip(),
        order=form.order.data or "newest",
    )
    listing = queries.conference_page(person, filters, page=page_arg())
    return render_template(
        "conference/index.html",
        form=form,
        reset=reset,
        filtered=bool(filters.status or filters.kind or filters.title),
        listing=listing,
        conferences=listing.items,
        can_schedule=acting is not None and access.can_schedule(person, acting),
    )


def _render_room(
    conference: Conference, *, status: int = 200, form: FlaskForm | None = None
) -> ResponseReturnValue:
    """Render check-in, the pledge or the meeting room, whichever the person has reached."""
    person = signed_in_person()
    attendance = access.attendance_of(person, conference)
    if attendance is None:
        return render_template("conference/check_in.html", conference=conference), status
    if not access.has_current_pledge(attendance):
        return render_template(
            "conference/pledge.html",
            conference=conference,
            pledge_version=access.CURRENT_PLEDGE_VERSION,
            pledge_text=access.PLEDGE_TEXTS[access.CURRENT_PLEDGE_VERSION],
            form=form,
        ), status
    return render_template(
        "conference/room.html",
        conference=conference,
        attendance=attendance,
        form=form,
        lead_methods=LEAD_METHOD_LABELS,
        case_roles=[role.value for role in CaseRole],
        agencies=queries.agency_names(
            [conference.host_agency_id]
            + [invitation.agency_id for invitation in conference.invitations]
            + [a.agency_id for a in conference.attendances]
        ),
    ), status


@bp.get("/<int:conference_id>")
@login_required
def room(conference_id: int) -> ResponseReturnValue:
    """Show check-in, then the pledge, then the meeting room."""
    return _render_room(access.get_conference_for(signed_in_person(), conference_id))


@bp.post("/<int:conference_id>/check-in")
@login_required
def check_in(conference_id: int) -> ResponseReturnValue:
    """Check the person in for their acting agency."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id)
    agency_id = access.attending_agency_id(person, conference, acting_agency_id())
    live.check_in(conference, person=person, agency_id=agency_id)
    return see_other("conference.room", conference_id=conference.id)


@bp.post("/<int:conference_id>/pledge")
@login_required
def pledge(conference_id: int) -> ResponseReturnValue:
    """Accept the confidentiality pledge shown on the page."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.attendance_of(person, conference)
    if attendance is None:
        return see_other("conference.room", conference_id=conference.id)
    form = PledgeForm()
    if not form.validate_on_submit():
        return _render_room(conference, status=invalid_form_status(form), form=form)
    if form.agree.data != "yes":
        flash(_("서약에 동의해야 회의 자료를 볼 수 있습니다."), "error")
        return see_other("conference.room", conference_id=conference.id)
    try:
        live.accept_pledge(attendance, version=form.version.data or "")
    except DomainError as error:
        return _render_room(conference, status=_refused(form, error), form=form)
    return see_other("conference.room", conference_id=conference.id)


@bp.get("/<int:conference_id>/state.json")
@login_required
def state(conference_id: int) -> ResponseReturnValue:
    """Return the attendee's current view as JSON (the page's first paint and a fallback re-fetch)."""
    person = signed_in_person()
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
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.get_attendance_for(person, conference)
    form = SignOffForm()
    if not form.validate_on_submit():
        return _render_room(conference, status=invalid_form_status(form), form=form)
    try:
        minutes.sign_off(attendance, signed=form.decision.data == "sign", comment=form.comment.data)
    except DomainError as error:
        return _render_room(conference, status=_refused(form, error), form=form)
    flash(_("회의록 확인을 기록했습니다."), "success")
    return see_other("conference.room", conference_id=conference.id)


@bp.get("/<int:conference_id>/minutes.pdf")
@login_required
def minutes_pdf(conference_id: int) -> ResponseReturnValue:
    """Download the minutes in the 필수서식9 layout, filtered for the person's agency."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id)
    attendance = access.get_pledged_attendance_for(person, conference)
    body = render_minutes_pdf(conference, attendance.agency_id)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="conference-{conference.id}-minutes.pdf"'},
    )


# --- planning: scheduling, invitations, RSVP, agenda ------------------------------------------


def _render_new(host: Agency, form: ScheduleForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "conference/new.html",
        host=host,
        form=form,
        kinds=list(ConferenceKind),
        staff=queries.staff_of([host.id]).get(host.id, []),
        regions=queries.regions_of(host.district_id),
        agencies=queries.district_agencies(host.district_id),
        default_briefing_days=scheduling.DEFAULT_BRIEFING_DAYS,
    ), status


def _schedule(person: Person, host: Agency, form: ScheduleForm) -> Conference:
    """Create the conference the form describes, invite its agencies and make it monthly if asked."""
    conference = scheduling.create_conference(
        actor=person,
        district_id=host.district_id,
        kind=form.kind.data,
        title=form.title.data or "",
        starts_at=form.starts_at(),
        host_agency_id=host.id,
        place=form.place.data,
        video_url=form.video_url.data,
        region_id=form.region_id.data,
        chair_id=form.chair_id.data,
        recorder_id=form.recorder_id.data,
        briefing_days=form.briefing_days.data or 0,
        recorded_after_reason=form.recorded_after_reason.data,
    )
    agency_ids: list[int] = form.agency_ids.data or []
    for agency_id in dict.fromkeys(agency_ids):
        if agency_id != host.id:
            scheduling.invite(conference, actor=person, agency_id=agency_id)
    if form.recurring.data == "yes":
        scheduling.make_recurring(conference, actor=person, agency_ids=agency_ids)
    return conference


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Schedule a conference hosted by the acting agency (once, or monthly)."""
    person = signed_in_person()
    host = access.acting_agency_of(person, acting_agency_id())
    access.require_can_schedule(person, host)
    form = ScheduleForm()
    if request.method == "GET":
        return _render_new(host, form)
    if not form.validate_on_submit():
        return _render_new(host, form, invalid_form_status(form))
    try:
        conference = _schedule(person, host, form)
    except DomainError as error:
        return _render_new(host, form, _refused(form, error))
    if conference.recorded_after_reason is not None:
        flash(
            _("지난 회의를 사후 기록으로 만들었습니다. 안건을 올리고 회의실에서 회의록을 작성하세요."),
            "success",
        )
    else:
        flash(_("회의를 잡았습니다."), "success")
    return see_other("conference.plan", conference_id=conference.id)


def _render_plan(
    conference: Conference, *, status: int = 200, form: FlaskForm | None = None
) -> ResponseReturnValue:
    """Render the preparation page; a refused form's reasons are shown above it."""
    person = signed_in_person()
    manager = access.can_manage(person, conference)
    acting = acting_agency_id()
    invited = access.invited_agency_ids(conference)
    actions = queries.actions_of_conference(conference)
    candidates = agenda.carry_candidates(conference) if manager else []
    return render_template(
        "conference/plan.html",
        conference=conference,
        form=form,
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
        reconvene_history=reconvened.histories(conference.items, acting),
        actions=actions,
        readable_action_ids=_readable_action_ids(actions + candidates, acting),
        reasons=agenda.CARRY_REASON_LABELS,
        source_labels=SOURCE_LABELS,
        briefing_opens_at=briefing.opens_at(conference),
    ), status


@bp.get("/<int:conference_id>/plan")
@login_required
def plan(conference_id: int) -> ResponseReturnValue:
    """Show the conference's preparation: invitations and RSVP, the agenda, carry-overs, briefing link."""
    return _render_plan(access.get_conference_for(signed_in_person(), conference_id))


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


def _plan_post(
    conference: Conference, form: FlaskForm, change: Any, done: str | None, anchor: str
) -> ResponseReturnValue:
    """Validate a form of the preparation page, make its change, and go back to the page's section.

    ``change`` is called with the valid form; a refused form or change re-renders the page with
    the reason. ``done`` is the success message (none for moving an item).
    """
    if not form.validate_on_submit():
        return _render_plan(conference, status=invalid_form_status(form), form=form)
    try:
        change(form)
    except DomainError as error:
        return _render_plan(conference, status=_refused(form, error), form=form)
    if done:
        flash(done, "success")
    return see_other("conference.plan", conference_id=conference.id, _anchor=anchor)


@bp.post("/<int:conference_id>/invitations")
@login_required
def invite(conference_id: int) -> ResponseReturnValue:
    """Invite an agency, a person of an agency, or a guest (자문위원)."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id, "manage")

    def change(form: InviteForm) -> None:
        scheduling.invite(
            conference,
            actor=person,
            agency_id=form.agency_id.data or 0,
            person_id=form.person_id.data,
            role=form.role.data,
        )

    return _plan_post(conference, InviteForm(), change, _("초대했습니다."), "invitations")


@bp.post("/invitations/<int:invitation_id>/rsvp")
@login_required
def rsvp(invitation_id: int) -> ResponseReturnValue:
    """Answer an invitation: attend, decline, or send a deputy of the same agency."""
    person = signed_in_person()
    invitation = access.get_invitation_for(person, invitation_id)

    def change(form: RsvpForm) -> None:
        scheduling.respond_to_invitation(
            invitation, actor=person, rsvp=form.rsvp.data, deputy_id=form.deputy_id.data
        )

    return _plan_post(invitation.conference, RsvpForm(), change, _("참석 여부를 알렸습니다."), "invitations")


@bp.post("/<int:conference_id>/items")
@login_required
def propose(conference_id: int) -> ResponseReturnValue:
    """An invited agency proposes an item (optionally one of its cases) for the agenda."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id)
    agency = access.acting_agency_of(person, acting_agency_id())

    def change(form: ProposeForm) -> None:
        agenda.propose_for_agency(
            conference,
            actor=person,
            agency_id=agency.id,
            title=form.title.data or "",
            case_id=form.case_id.data,
            time_box_minutes=form.time_box_minutes.data or 0,
        )

    return _plan_post(conference, ProposeForm(), change, _("안건을 제안했습니다."), "agenda")


@bp.post("/<int:conference_id>/draft-agenda")
@login_required
def draft_agenda(conference_id: int) -> ResponseReturnValue:
    """Build the automatic draft agenda (escalations, reviews due, overdue actions, stalled referrals)."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id, "manage")
    added = agenda.build_draft_agenda(conference)
    flash(_("자동 안건 초안에 %(count)d건을 더했습니다.", count=len(added)), "success")
    return see_other("conference.plan", conference_id=conference.id, _anchor="agenda")


@bp.post("/items/<int:item_id>/edit")
@login_required
def edit_item(item_id: int) -> ResponseReturnValue:
    """Set an item's title, time box and presenter."""
    person = signed_in_person()
    item = access.get_item_for(person, item_id, "manage")

    def change(form: EditItemForm) -> None:
        agenda.edit_item(
            item,
            actor=person,
            title=form.title.data or "",
            time_box_minutes=form.time_box_minutes.data or 0,
            presenter_id=form.presenter_id.data,
        )

    return _plan_post(item.conference, EditItemForm(), change, _("안건을 고쳤습니다."), f"item-{item.id}")


@bp.post("/items/<int:item_id>/move")
@login_required
def move_item(item_id: int) -> ResponseReturnValue:
    """Move an item one place up or down."""
    person = signed_in_person()
    item = access.get_item_for(person, item_id, "manage")

    def change(form: MoveItemForm) -> None:
        agenda.move_item(item, actor=person, offset=-1 if form.direction.data == "up" else 1)

    return _plan_post(item.conference, MoveItemForm(), change, None, f"item-{item.id}")


@bp.post("/items/<int:item_id>/withdraw")
@login_required
def withdraw_item(item_id: int) -> ResponseReturnValue:
    """Take an item off the agenda."""
    person = signed_in_person()
    item = access.get_item_for(person, item_id, "manage")
    agenda.withdraw_item(item, actor=person)
    flash(_("안건을 뺐습니다."), "success")
    return see_other("conference.plan", conference_id=item.conference_id, _anchor="agenda")


@bp.post("/items/<int:item_id>/carry-reason")
@login_required
def carry_reason(item_id: int) -> ResponseReturnValue:
    """Choose why a carried action is back on the agenda."""
    person = signed_in_person()
    item = access.get_item_for(person, item_id, "manage")

    def change(form: CarryReasonForm) -> None:
        agenda.set_carry_reason(item, actor=person, reason=form.reason.data)

    return _plan_post(
        item.conference, CarryReasonForm(), change, _("이월 사유를 바꿨습니다."), f"item-{item.id}"
    )


@bp.post("/<int:conference_id>/carry")
@login_required
def carry(conference_id: int) -> ResponseReturnValue:
    """Carry an unfinished action of an earlier conference to this agenda, with a reason code."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id, "manage")

    def change(form: CarryForm) -> None:
        agenda.carry_to(conference, action_id=form.action_id.data or 0, reason=form.reason.data)

    return _plan_post(conference, CarryForm(), change, _("과제를 이월했습니다."), "agenda")


@bp.post("/<int:conference_id>/approve")
@login_required
def approve(conference_id: int) -> ResponseReturnValue:
    """Approve the draft agenda in its current order."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id, "manage")
    agenda.approve_agenda(conference, actor=person)
    flash(_("안건을 확정했습니다."), "success")
    return see_other("conference.plan", conference_id=conference.id, _anchor="agenda")


# --- briefing packets ---------------------------------------------------------------------------


def _briefing_context(conference_id: int) -> tuple[Person, Conference, int]:
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id)
    agency_id = briefing.briefing_agency_for(person, conference, acting_agency_id())
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


def _render_action_referral(
    action: ActionItem, conference: Conference, form: ActionReferralForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "conference/action_referral.html",
        action=action,
        conference=conference,
        form=form,
        agencies=[
            a for a in queries.district_agencies(conference.district_id) if a.id != action.owner_agency_id
        ],
        field_groups=[(code, group.label) for code, group in FIELD_GROUPS.items()],
    ), status


@bp.route("/actions/<int:action_id>/referral", methods=["GET", "POST"])
@login_required
def action_referral(action_id: int) -> ResponseReturnValue:
    """Create a draft referral from an action item ("의뢰 만들기"); consent is checked by referrals."""
    person = signed_in_person()
    action = access.get_action_for(person, action_id)
    conference = access.get_conference_for(person, action.conference_id)
    form = ActionReferralForm()
    if request.method == "GET":
        return _render_action_referral(action, conference, form)
    if not form.validate_on_submit():
        return _render_action_referral(action, conference, form, invalid_form_status(form))
    try:
        referral = action_services.refer_from_action(
            action,
            actor=person,
            receiving_agency_id=form.receiving_agency_id.data or 0,
            reason=form.reason.data or "",
            requested_services=form.requested_services.data or "",
            field_groups=form.field_groups.data or [],
        )
    except DomainError as error:
        return _render_action_referral(action, conference, form, _refused(form, error))
    flash(_("의뢰서 초안을 만들었습니다. 내용을 확인하고 보내세요."), "success")
    return see_other("referrals.detail", referral_id=referral.id)


# --- the actions page: an agency works its action items ---------------------------------------


def _render_actions(
    person: Person, *, status: int = 200, form: FlaskForm | None = None, shown: str | None = None
) -> ResponseReturnValue:
    """Render the acting agency's action items; a refused form's reasons are shown above them."""
    agency = access.acting_agency_of(person, acting_agency_id())
    shown = shown or request.args.get("status", "open")
    # A refused change re-renders the page it was sent from (its form carries the page's number).
    page = _return_page(form) if isinstance(form, ActionProgressForm) else page_arg()
    listing = queries.tracked_actions(person, agency.id, status=shown, today=today_local(), page=page)
    return render_template(
        "conference/actions.html",
        agency=agency,
        listing=listing,
        rows=listing.items,
        status=shown,
        form=form,
    ), status


@bp.get("/actions")
@login_required
def actions() -> ResponseReturnValue:
    """List the action items the acting agency owns (a coordinator: the district's), unfinished first."""
    return _render_actions(signed_in_person())


def _after_action_change(action_id: int, conference_id: int, person: Person) -> bool:
    """Notify the conference and queue the room's state (after commit); tell whether the room is open."""
    action = db.session.get(ActionItem, action_id)
    conference = db.session.get(Conference, conference_id)
    if action is None or conference is None:
        return False
    action_services.notify_action_change(action, actor=person)
    if not any(attendance.connections > 0 for attendance in conference.attendances):
        return False
    publish_state(conference, room=conference_room(conference.id))
    return True


def _return_status(form: ActionProgressForm) -> str:
    """The actions page's filter to go back to (the page's own default when it is not one)."""
    status = form.return_status.data or "open"
    return status if status in queries.ACTION_FILTERS else "open"


def _return_page(form: ActionProgressForm) -> int:
    """The actions page's page to go back to (the first when it is not a page number)."""
    return min(parse_id(form.return_page.data) or 1, MAX_PAGE)


def _back_to_actions(form: ActionProgressForm, action_id: int) -> ResponseReturnValue:
    return see_other(
        "conference.actions",
        status=_return_status(form),
        page=_return_page(form),
        _anchor=f"action-{action_id}",
    )


def _finish_action_change(person: Person, action: ActionItem, done: str) -> None:
    """Notify, and once the change committed push the room's panels in their own transaction."""
    conference_id = action.conference_id
    if _after_action_change(action.id, conference_id, person):
        # The panels' access-log rows commit on their own, after this request's unit and its lock.
        after_unit(lambda: send_case_data(conference_id))
    flash(done, "success")


@bp.post("/actions/<int:action_id>/start")
@login_required
def start_action(action_id: int) -> ResponseReturnValue:
    """Mark an action item in progress (진행 중): its owner agency's members or its assignee."""
    person = signed_in_person()
    action = access.get_tracked_action_for(person, action_id, change=True)
    form = ActionProgressForm()
    if not form.validate_on_submit():
        return _render_actions(
            person, status=invalid_form_status(form), form=form, shown=_return_status(form)
        )
    # The room's payloads carry the conference revision: take its lock first, as live events do.
    live.lock_conference(action.conference_id)
    try:
        action_services.start_action(action, actor=person)
    except DomainError as error:
        status = _refused(form, error)
        return _render_actions(person, status=status, form=form, shown=_return_status(form))
    _finish_action_change(person, action, _("실행과제를 진행 중으로 표시했습니다."))
    return _back_to_actions(form, action.id)


@bp.post("/actions/<int:action_id>/complete")
@login_required
def complete_action(action_id: int) -> ResponseReturnValue:
    """Mark an action item done with an optional result note; a second completion changes nothing."""
    person = signed_in_person()
    action = access.get_tracked_action_for(person, action_id, change=True)
    form = ActionProgressForm()
    if not form.validate_on_submit():
        return _render_actions(
            person, status=invalid_form_status(form), form=form, shown=_return_status(form)
        )
    live.lock_conference(action.conference_id)
    try:
        changed = action_services.complete_action(action, actor=person, result_note=form.result_note.data)
    except DomainError as error:
        status = _refused(form, error)
        return _render_actions(person, status=status, form=form, shown=_return_status(form))
    if not changed:
        db.session.rollback()
        flash(_("이미 완료한 실행과제입니다. 바뀐 것은 없습니다."), "info")
        return _back_to_actions(form, action_id)
    _finish_action_change(person, action, _("실행과제를 완료했습니다."))
    return _back_to_actions(form, action.id)
