"""상담일지 (필수서식7) pages: the full form, the quick entry's form, 위기도 with items, and their prints."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from agencies.models import Person
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases import access, services
from cases.counselling_forms import LogForm, QuickLogForm, crisis_field, crisis_form_class
from cases.models import (
    Case,
    CounsellingArea,
    CounsellingMethod,
    CounsellingType,
    CrisisItem,
    MonitoringChannel,
    MonitoringFinding,
)
from cases.queries.counselling import (
    group_candidates,
    last_entry_defaults,
    people_names,
    session_sizes,
    worker_session_counts,
)
from cases.services.counselling import LogEntry
from cases.views import common
from cases.views.common import actor_args, bp, stage_form
from hamkke.korean import particle
from hamkke.time import now_utc, today_local


def prepare_log_form(case: Case, form: LogForm, person: Person, *, fresh: bool) -> None:
    """Offer the group's cases, and on a fresh form fill in the worker's last choices for this case."""
    form.group_case_ids.choices = group_candidates(person.id, acting_agency_id(), case.id)
    if not fresh:
        return
    defaults = last_entry_defaults(case.id, person.id)
    for name, value in defaults.items():
        if form._fields[name].data in (None, ""):
            form._fields[name].data = value
    if form.channel.data in (None, ""):
        form.channel.data = MonitoringChannel.regular_contact.value
    if form.finding.data in (None, ""):
        form.finding.data = MonitoringFinding.on_track.value
    if form.contacted_on.data is None:
        form.contacted_on.data = today_local()


def quick_log_form(case: Case, person: Person, formdata: MultiDict[str, Any] | None = None) -> QuickLogForm:
    """Build the case page's quick-entry form (the posted one, or a fresh one with the defaults)."""
    # An unbound form on other pages' posts (a refused transition re-renders the case page).
    form = QuickLogForm(formdata=formdata)
    prepare_log_form(case, form, person, fresh=formdata is None)
    return form


def _entry(form: LogForm) -> LogEntry:
    return LogEntry(
        contacted_on=form.contacted_on.data,
        starts_at=form.starts_at.data,
        method=CounsellingMethod(form.method.data),
        area=CounsellingArea(form.area.data),
        counselling_type=CounsellingType(form.counselling_type.data),
        minutes=form.minutes.data or 0,
        place=form.place.data,
        participant_names=form.participant_names.data,
        purpose=form.purpose.data,
        content=form.content.data or "",
        result=form.result.data,
        worker_opinion=form.worker_opinion.data,
        worker_opinion_2=form.worker_opinion_2.data,
        worker_opinion_3=form.worker_opinion_3.data,
        remarks=form.remarks.data,
        channel=MonitoringChannel(form.channel.data),
        finding=MonitoringFinding(form.finding.data),
    )


def save_log(case: Case, form: LogForm, person: Person) -> None:
    """Record the session for this case and the group's other cases (each loaded for editing)."""
    others = [access.get_case_for(person, case_id, "edit") for case_id in form.group_case_ids.data or []]
    session, logs = services.record_session([case, *others], _entry(form), **actor_args(person))
    action = logs[0][1]
    if session.case_count > 1:
        flash(_("집단상담 1회를 %(n)d개 사례에 기록했습니다.", n=session.case_count), "info")
    if action.value != "none":
        flash(
            _(
                "점검 결과에 따라 '%(action)s'%(i_ga)s 필요합니다.",
                action=action.label,
                i_ga=particle(str(action.label), "이"),
            ),
            "info",
        )


@bp.route("/<int:case_id>/logs", methods=["GET", "POST"])
@login_required
def logs(case_id: int) -> ResponseReturnValue:
    """상담일지 (필수서식7), every field; the quick entry on the case page posts the same record."""
    person = signed_in_person()

    def prepare(case: Case, form: Any) -> None:
        prepare_log_form(case, form, person, fresh=request.method == "GET")

    return stage_form(case_id, LogForm, _("상담일지"), "필수서식7 상담일지", save_log, prepare=prepare)


@bp.route("/<int:case_id>/crisis", methods=["GET", "POST"])
@login_required
def crisis(case_id: int) -> ResponseReturnValue:
    """위기도 조사: a 0–4 score per item; the total and the level are computed."""

    def save(case: Case, form: Any, person: Person) -> None:
        rating = services.rate_crisis(
            case,
            rated_on=form.rated_on.data,
            scores={item: int(form[crisis_field(item)].data) for item in CrisisItem},
            life_safety=form.life_safety.data,
            notes=form.notes.data,
            **actor_args(person),
        )
        flash(_("위기도 합계 %(total)s점, %(level)s", total=rating.total, level=rating.level.label), "info")

    return stage_form(case_id, crisis_form_class(), _("위기도 조사"), "위기도 조사표", save)


@bp.get("/<int:case_id>/logs/print")
@login_required
def print_logs(case_id: int) -> ResponseReturnValue:
    """필수서식7 상담일지 for printing: one A4 page per log, the text through the gate."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    records = view.records("case_counselling_logs") if view else ()
    return render_template(
        "cases/print/counselling_log.html",
        case=case,
        view=view,
        logs=sorted(records, key=lambda r: (r["contacted_on"], r["id"])),
        people=people_names({r["author_id"] for r in records}),
        sizes=session_sizes({r["session_id"] for r in records}),
        printed_at=now_utc(),
    )


@bp.get("/<int:case_id>/crisis/print")
@login_required
def print_crisis(case_id: int) -> ResponseReturnValue:
    """위기도 조사표 for printing: each rating with its items, total and level (through the gate)."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    ratings = view.records("case_crisis_ratings") if view else ()
    return render_template(
        "cases/print/crisis.html",
        case=case,
        view=view,
        ratings=sorted(ratings, key=lambda r: (r["rated_on"], r["id"])),
        items=list(CrisisItem),
        people=people_names({r["rated_by_id"] for r in ratings}),
        printed_at=now_utc(),
    )


@bp.get("/my-counselling")
@login_required
def my_counselling() -> ResponseReturnValue:
    """The signed-in worker's counselling this month and this year: a group session counted once."""
    person = signed_in_person()
    today = today_local()
    periods = [
        (_("이번 달"), today.replace(day=1), today),
        (_("올해"), today.replace(month=1, day=1), today),
    ]
    rows = [(label, worker_session_counts(person.id, start, end)) for label, start, end in periods]
    return render_template("cases/my_counselling.html", rows=rows, today=today)
