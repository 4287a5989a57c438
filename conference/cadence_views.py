"""Pages of the district's rhythm: meeting series, the 자문단 roster, and a supervision meeting's advice.

Views load and authorize (``conference.cadence_access``, ``conference.access``), validate the posted
form, call one service and answer; a refused form comes back as its page with the reason (422).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from agencies.models import Agency, Dong, Person
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases.models import Case
from cases.models.case import case_number
from conference import access, cadence_access, queries
from conference.cadence import CADENCE_LABELS, Cadence, describe
from conference.cadence_forms import AdviceForm, AdviserAttendanceForm, AdviserForm, EndSeriesForm, SeriesForm
from conference.models import (
    ADVISED_KINDS,
    CONFERENCE_KIND_LABELS,
    AgendaItem,
    Conference,
    ConferenceKind,
    ConferenceRule,
)
from conference.services import cadences, supervision
from consents.access_log import log_disclosure
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError
from hamkke.time import to_local

bp = Blueprint("cadences", __name__, url_prefix="/conferences/cadences")

WEEKDAY_LABELS = (
    _l("월요일"),
    _l("화요일"),
    _l("수요일"),
    _l("목요일"),
    _l("금요일"),
    _l("토요일"),
    _l("일요일"),
)
WEEK_LABELS = {1: _l("첫째 주"), 2: _l("둘째 주"), 3: _l("셋째 주"), 4: _l("넷째 주"), -1: _l("마지막 주")}
#: the names of the kinds this page added, for the English pages (the others keep their Korean names)
KIND_NAMES = {
    ConferenceKind.advisory: _l("자문단 회의"),
    ConferenceKind.dong_judgment: _l("동 내부판정회의"),
    ConferenceKind.high_risk_review: _l("고위험 사례 점검회의"),
}


def _refused(form: FlaskForm, error: DomainError) -> int:
    """Undo the refused change and put its reason on the form; return the status to answer with."""
    db.session.rollback()
    attach_error(form, error)
    return error.status_code


def _render_index(
    person: Person, acting: Agency, form: SeriesForm | None = None, status: int = 200
) -> ResponseReturnValue:
    """Render the district's series, the form for a new one, and the way to the roster."""
    series = cadences.district_series(acting.district_id)
    hosts = queries.agency_names([rule.host_agency_id for rule in series])
    return render_template(
        "conference/cadences.html",
        series=series,
        hosts=hosts,
        describe=describe,
        kind_labels={**CONFERENCE_KIND_LABELS, **KIND_NAMES},
        can_manage=cadence_access.may_manage_series(person, acting.district_id, acting),
        form=form or SeriesForm(),
        **_series_choices(acting),
    ), status


def _series_choices(acting: Agency) -> dict[str, Any]:
    return {
        "cadence_labels": CADENCE_LABELS,
        "weekday_labels": WEEKDAY_LABELS,
        "week_labels": WEEK_LABELS,
        "regions": queries.regions_of(acting.district_id),
        "dongs": list(
            db.session.scalars(
                db.select(Dong).where(Dong.district_id == acting.district_id).order_by(Dong.position, Dong.id)
            )
        ),
        "agencies": queries.district_agencies(acting.district_id),
        "kinds": list(CONFERENCE_KIND_LABELS),
    }


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """List the district's meeting series; coordinators and organizers create one here."""
    person = signed_in_person()
    return _render_index(person, cadence_access.district_of(person, acting_agency_id()))


@bp.post("/")
@login_required
def create() -> ResponseReturnValue:
    """Create a series; an impossible rule is a 422 with nothing saved."""
    person = signed_in_person()
    acting = cadence_access.district_of(person, acting_agency_id())
    form = SeriesForm()
    if not form.validate_on_submit():
        return _render_index(person, acting, form, invalid_form_status(form))
    try:
        data = form.to_input()
        host = cadences.host_for(acting.district_id, data, acting)
        cadence_access.require_series_manager(person, acting.district_id, host)
        cadences.create_series(actor=person, district_id=acting.district_id, host=host, data=data)
    except DomainError as error:
        return _render_index(person, acting, form, _refused(form, error))
    flash(_("회의 주기를 만들었습니다. 다가오는 회의가 만들어졌습니다."), "success")
    return see_other("cadences.index")


def _render_edit(
    rule: ConferenceRule,
    acting: Agency,
    form: SeriesForm,
    status: int = 200,
    end_form: EndSeriesForm | None = None,
) -> ResponseReturnValue:
    return render_template(
        "conference/cadence_edit.html",
        rule=rule,
        form=form,
        end_form=end_form or EndSeriesForm(formdata=None),
        describe=describe,
        kind_labels={**CONFERENCE_KIND_LABELS, **KIND_NAMES},
        **_series_choices(acting),
    ), status


def _form_of(rule: ConferenceRule, *, posted: bool = True) -> SeriesForm:
    """The edit form: as posted, or (on a GET, or beside another form) the series as it is."""
    form = SeriesForm() if posted else SeriesForm(formdata=None)
    if not posted or not form.is_submitted():
        form.kind.data = rule.kind
        form.title.data = rule.title
        form.cadence.data = Cadence.custom
        form.rrule.data = rule.rrule
        form.starts_on.data = rule.starts_on.isoformat() if rule.starts_on else ""
        form.ends_on.data = rule.ends_on.isoformat() if rule.ends_on else ""
        form.start_time.data = f"{rule.start_minute // 60:02d}:{rule.start_minute % 60:02d}"
        form.place.data = rule.place or ""
        form.region_id.data = rule.region_id
        form.dong_id.data = rule.dong_id
        form.weeks_ahead.data = rule.weeks_ahead
        form.agency_ids.data = list(rule.agency_ids)
    return form


@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def edit(rule_id: int) -> ResponseReturnValue:
    """Change a series: its future meetings follow the new rhythm."""
    person = signed_in_person()
    acting = cadence_access.district_of(person, acting_agency_id())
    rule = cadence_access.get_series_for(person, rule_id, acting, manage=True)
    form = _form_of(rule)
    if not form.is_submitted():
        return _render_edit(rule, acting, form)
    if not form.validate_on_submit():
        return _render_edit(rule, acting, form, invalid_form_status(form))
    try:
        cadences.update_series(rule, actor=person, data=form.to_input())
    except DomainError as error:
        return _render_edit(rule, acting, form, _refused(form, error))
    flash(_("회의 주기를 고쳤습니다."), "success")
    return see_other("cadences.index")


@bp.post("/<int:rule_id>/end")
@login_required
def end(rule_id: int) -> ResponseReturnValue:
    """End a series; its scheduled meetings after the last day are cancelled."""
    person = signed_in_person()
    acting = cadence_access.district_of(person, acting_agency_id())
    rule = cadence_access.get_series_for(person, rule_id, acting, manage=True)
    form = EndSeriesForm()
    if not form.validate_on_submit():
        return _render_edit(rule, acting, _form_of(rule, posted=False), invalid_form_status(form), form)
    try:
        cadences.end_series(rule, actor=person, last_day=form.last_day())
    except DomainError as error:
        return _render_edit(rule, acting, _form_of(rule, posted=False), _refused(form, error), form)
    flash(_("회의 주기를 끝냈습니다."), "success")
    return see_other("cadences.index")


# --- the 자문단 roster ---------------------------------------------------------------------------


def _render_roster(
    acting: Agency, person: Person, form: AdviserForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "conference/advisers.html",
        advisers=supervision.roster(acting.district_id),
        form=form,
        can_manage=cadence_access.may_manage_series(person, acting.district_id, None),
    ), status


@bp.route("/advisers", methods=["GET", "POST"])
@login_required
def advisers() -> ResponseReturnValue:
    """Show the district's 자문단 roster; coordinators add members for a term."""
    person = signed_in_person()
    acting = cadence_access.district_of(person, acting_agency_id())
    form = AdviserForm()
    if not form.is_submitted():
        return _render_roster(acting, person, form)
    cadence_access.require_roster_manager(person, acting.district_id)
    if not form.validate_on_submit():
        return _render_roster(acting, person, form, invalid_form_status(form))
    try:
        supervision.add_adviser(actor=person, district_id=acting.district_id, data=form.to_input())
    except DomainError as error:
        return _render_roster(acting, person, form, _refused(form, error))
    flash(_("자문위원을 명단에 올렸습니다."), "success")
    return see_other("cadences.advisers")


# --- a supervision or 자문단 meeting: attendance and advice (the minutes' 슈퍼비전 block) -------------


def _case_items(conference: Conference) -> list[AgendaItem]:
    return [item for item in conference.items if item.case_id is not None]


def _logged_lines(conference: Conference, person: Person, agency_id: int) -> list[supervision.AdviceLine]:
    """The advice this agency may read; each case shown to an agency other than its owner is logged."""
    lines = supervision.supervision_lines(conference, agency_id)
    shown = {line.case_id for line in lines if line.withheld is None}
    for case in db.session.scalars(db.select(Case).where(Case.id.in_(shown or {0}))):
        if case.owning_agency_id == agency_id:
            continue  # the owner reads its own case's advice: no disclosure
        log_disclosure(
            actor_id=person.id,
            agency_id=agency_id,
            client_id=case.main_client_id,
            field_groups=["counselling"],
            purpose="conference_sharing",
            channel="page",
            basis=f"conference:{conference.id}:supervision",
        )
    return lines


def _render_supervision(
    conference: Conference, person: Person, form: FlaskForm | None = None, status: int = 200
) -> ResponseReturnValue:
    agency_id = access.attending_agency_id(person, conference, acting_agency_id())
    attendance = {row.adviser_id: row.present for row in supervision.attendance_rows(conference)}
    case_numbers: dict[int, str] = {
        item_id: case_number(opened_on, case_id)
        for item_id, case_id, opened_on in db.session.execute(
            db.select(AgendaItem.id, Case.id, Case.opened_on)
            .join(Case, Case.id == AgendaItem.case_id)
            .where(AgendaItem.conference_id == conference.id)
        )
    }
    return render_template(
        "conference/supervision.html",
        conference=conference,
        starts_local=to_local(conference.starts_at),
        advised=conference.kind in ADVISED_KINDS,
        can_record=access.can_manage(person, conference),
        serving=supervision.serving_advisers(conference),
        attendance=attendance,
        items=_case_items(conference),
        case_numbers=case_numbers,
        lines=_logged_lines(conference, person, agency_id),
        attendance_form=form if isinstance(form, AdviserAttendanceForm) else AdviserAttendanceForm(),
        advice_form=form if isinstance(form, AdviceForm) else AdviceForm(),
    ), status


@bp.get("/meetings/<int:conference_id>/supervision")
@login_required
def supervision_page(conference_id: int) -> ResponseReturnValue:
    """Show the meeting's 슈퍼비전 block: advisers present and advice per case, as this agency may read it."""
    person = signed_in_person()
    return _render_supervision(access.get_conference_for(person, conference_id), person)


@bp.post("/meetings/<int:conference_id>/supervision/attendance")
@login_required
def record_attendance(conference_id: int) -> ResponseReturnValue:
    """Record which advisers attended."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id, "manage")
    form = AdviserAttendanceForm()
    if not form.validate_on_submit():
        return _render_supervision(conference, person, form, invalid_form_status(form))
    try:
        supervision.record_attendance(conference, actor=person, present_ids=form.adviser_ids.data or [])
    except DomainError as error:
        return _render_supervision(conference, person, form, _refused(form, error))
    flash(_("자문위원 참석을 기록했습니다."), "success")
    return see_other("cadences.supervision_page", conference_id=conference.id)


@bp.post("/meetings/<int:conference_id>/supervision/advice")
@login_required
def record_advice(conference_id: int) -> ResponseReturnValue:
    """Record an adviser's advice on one case and the follow-up agreed."""
    person = signed_in_person()
    conference = access.get_conference_for(person, conference_id, "manage")
    form = AdviceForm()
    if not form.validate_on_submit():
        return _render_supervision(conference, person, form, invalid_form_status(form))
    try:
        supervision.record_advice(
            conference,
            actor=person,
            item_id=form.item_id.data or 0,
            adviser_id=form.adviser_id.data or 0,
            advice=form.advice.data or "",
            follow_up=form.follow_up.data or "",
        )
    except DomainError as error:
        return _render_supervision(conference, person, form, _refused(form, error))
    flash(_("자문 내용을 기록했습니다."), "success")
    return see_other("cadences.supervision_page", conference_id=conference.id, _anchor="advice")
