"""The 자활 track's pages: the case page's track panel, its steps, 사업단 배치 and the forms with print pages.

The panel (``templates/cases/selfsufficiency/_panel.html``) is included by the case page and reads
its facts through the ``jahwal_panel`` template global. Every form page loads the case through
``cases.access`` (edit); what a form says about the participant is read back through the gate
(``view.records``), never from the models, so a print page of another agency shows only what the
consent allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Person
from agencies.sessions import login_required, signed_in_person
from cases import access
from cases import selfsufficiency_forms as forms
from cases.models import Case
from cases.models.selfsufficiency import FIELD_LEARNING_PASS, TeamKind, TrackState
from cases.queries.selfsufficiency import is_selfsufficiency_case, track_clocks, track_of
from cases.services import selfsufficiency as track_services
from cases.services import selfsufficiency_records as records
from cases.views import common
from cases.views.case_page import _case_context
from cases.views.common import actor_args, bp
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound, ValidationFailed
from hamkke.korean import particle
from hamkke.time import now_utc, today_local

#: the form pages: URL part → (form class, title with the manual's number, gate table, service)
RECORD_PAGES: dict[str, tuple[type[forms.TrackForm], str, str, Callable[..., Any]]] = {
    "gateway-closure": (
        forms.GatewayClosureForm,
        "필수서식6 게이트웨이 종결보고서",
        "case_gateway_closure_reports",
        records.record_gateway_closure_report,
    ),
    "field-learning": (
        forms.FieldLearningForm,
        "활용서식5 자활사업단 현장학습 평가서",
        "case_field_learning_evaluations",
        records.record_field_learning,
    ),
    "employment": (
        forms.EmploymentForm,
        "활용서식11 취업확인서",
        "case_employment_confirmations",
        records.record_employment_confirmation,
    ),
}
#: the URL part naming one of the form pages
_PAGES = "<any('gateway-closure', 'field-learning', 'employment'):page>"
#: date fields a new form fills with today
TODAY_FIELDS = ("written_on", "confirmed_on", "started_on", "effective_on")


@bp.app_template_global("jahwal_panel")
def jahwal_panel(case: Case) -> dict[str, Any] | None:
    """Return the track panel's facts for the case page, or None for a case of another kind of agency."""
    if not is_selfsufficiency_case(case):
        return None
    track = track_of(case.id)
    return {
        "track": track,
        "states": [state for state in TrackState if state != TrackState.not_eligible],
        "clocks": track_clocks(track, today_local()) if track else [],
        "moves": track_services.moves_from(track.state) if track else [],
        "placeable": track is not None and track.state in track_services.PLACEABLE,
        "today": today_local(),
        "state_label": lambda value: TrackState(value).label,
        "pages": {key: title for key, (_form, title, _table, _save) in RECORD_PAGES.items()},
        "tables": {key: table for key, (_form, _title, table, _save) in RECORD_PAGES.items()},
    }


def _refused(case: Case, error: DomainError, person: Person) -> ResponseReturnValue:
    """Show the case page again with the refusal next to the track panel (nothing was saved)."""
    db.session.rollback()
    case = access.get_case_for(person, case.id, "edit")
    context = _case_context(case, person)
    context["jahwal_error"] = error.message
    context["jahwal_error_field"] = error.field
    return render_template("cases/case.html", **context), error.status_code


@bp.post("/<int:case_id>/jahwal/start")
@login_required
def jahwal_start(case_id: int) -> ResponseReturnValue:
    """Start the case's 자활 track from the 지자체 referral date."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    form = forms.StartTrackForm()
    if not form.validate_on_submit():
        refusal = ValidationFailed(
            _("지자체 의뢰일을 YYYY-MM-DD 형식으로 입력해 주세요."),
            field="referred_on",
            english="Enter the referral date as YYYY-MM-DD.",
        )
        return _refused(case, refusal, person)
    try:
        track_services.start_track(case, referred_on=form.referred_on.data, **actor_args(person))
    except DomainError as error:
        return _refused(case, error, person)
    flash(_("자활 과정을 시작했습니다."), "success")
    return see_other("cases.show_case", case_id=case.id, _anchor="jahwal")


@bp.post("/<int:case_id>/jahwal/move")
@login_required
def jahwal_move(case_id: int) -> ResponseReturnValue:
    """Move the track one step (the date it took effect and the worker's reason)."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    form = forms.MoveForm()
    if not form.validate_on_submit():
        message = " ".join(error for errors in form.errors.values() for error in errors)
        refusal = ValidationFailed(
            message or _("입력한 내용을 확인해 주세요."), english="Check what you entered."
        )
        return _refused(case, refusal, person)
    try:
        track_services.move_track(
            case,
            form.action.data or "",
            on=form.effective_on.data,
            reason=form.reason.data,
            **actor_args(person),
        )
    except DomainError as error:
        return _refused(case, error, person)
    track = track_of(case.id)
    flash(
        _("자활 과정을 '%(state)s' 단계로 옮겼습니다.", state=track.state.label if track else ""), "success"
    )
    return see_other("cases.show_case", case_id=case.id, _anchor="jahwal")


def _form_page(
    case_id: int,
    form: forms.TrackForm,
    title: str,
    save: Callable[[Case, Person], Any],
) -> ResponseReturnValue:
    """Render a track form, or save it through one service call and return to the case's track panel."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    if not is_selfsufficiency_case(case):
        raise NotFound(
            "자활 서식은 지역자활센터의 사례에만 있습니다.", english="Not a self-sufficiency case."
        )
    if request.method == "GET":
        for name in TODAY_FIELDS:
            if name in form._fields and form._fields[name].data is None:
                form._fields[name].data = today_local()
    elif form.validate_on_submit():
        try:
            save(case, person)
        except DomainError as error:
            db.session.rollback()
            case = access.get_case_for(person, case_id, "edit")
            attach_error(form, error)
        else:
            flash(_("%(title)s%(eul)s 저장했습니다.", title=title, eul=particle(title, "을")), "success")
            return see_other("cases.show_case", case_id=case.id, _anchor="jahwal")
    status = 200 if request.method == "GET" else invalid_form_status(form) if form.errors else 422
    return render_template("cases/selfsufficiency/form.html", form=form, title=title, case=case), status


@bp.route("/<int:case_id>/jahwal/placement", methods=["GET", "POST"])
@login_required
def jahwal_placement(case_id: int) -> ResponseReturnValue:
    """사업단 배치 (or a move to another 사업단): only after the gateway closed."""
    form = forms.PlacementForm()

    def save(case: Case, person: Person) -> None:
        track_services.place_in_team(
            case,
            team_name=form.team_name.data,
            team_kind=TeamKind(form.team_kind.data),
            started_on=form.started_on.data,
            **actor_args(person),
        )

    return _form_page(case_id, form, _("사업단 배치"), save)


@bp.route(
    f"/<int:case_id>/jahwal/{_PAGES}",
    methods=["GET", "POST"],
)
@login_required
def jahwal_record(case_id: int, page: str) -> ResponseReturnValue:
    """One of the track's forms: 필수서식6, 활용서식5 or 활용서식11."""
    form_class, title, _table, service = RECORD_PAGES[page]
    form = form_class()

    def save(case: Case, person: Person) -> None:
        service(case, form.values(), **actor_args(person))

    return _form_page(case_id, form, title, save)


class _Blank(dict[str, Any]):
    """An empty form for printing by hand: every field reads as nothing."""

    def __missing__(self, key: str) -> Any:
        return () if key == "benefit_types" else None


def _render_print(case: Case, page: str, view: Any, record: Any) -> str:
    _form, title, _table, _save = RECORD_PAGES[page]
    number, _sep, name = title.partition(" ")
    return render_template(
        f"cases/print/{page.replace('-', '_')}.html",
        case=case,
        view=view,
        record=record,
        form_number=number,
        form_title=name,
        printed_at=now_utc(),
        pass_mark=FIELD_LEARNING_PASS,
    )


def _print_latest(case_id: int, page: str) -> ResponseReturnValue:
    """Print the case's latest record of a track form, or the blank form to fill in by hand."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "view")
    view = common.client_view(case, person)
    found = view.records(RECORD_PAGES[page][2]) if view else ()
    return _render_print(case, page, view, found[-1] if found else _Blank())


# One route per form, each needing only the case (the print pages are found by that shape).
@bp.get("/<int:case_id>/jahwal/gateway-closure/print")
@login_required
def jahwal_print_gateway_closure(case_id: int) -> ResponseReturnValue:
    """필수서식6, latest or blank."""
    return _print_latest(case_id, "gateway-closure")


@bp.get("/<int:case_id>/jahwal/field-learning/print")
@login_required
def jahwal_print_field_learning(case_id: int) -> ResponseReturnValue:
    """활용서식5, latest or blank."""
    return _print_latest(case_id, "field-learning")


@bp.get("/<int:case_id>/jahwal/employment/print")
@login_required
def jahwal_print_employment(case_id: int) -> ResponseReturnValue:
    """활용서식11, latest or blank."""
    return _print_latest(case_id, "employment")


@bp.get(f"/<int:case_id>/jahwal/{_PAGES}/<int:record_id>/print")
@login_required
def jahwal_print(case_id: int, page: str, record_id: int) -> ResponseReturnValue:
    """The printable A4 page of one of the case's track forms, read through the gate."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "view")
    _form, title, table, _save = RECORD_PAGES[page]
    view = common.client_view(case, person)
    record = next((r for r in (view.records(table) if view else ()) if r["id"] == record_id), None)
    if record is None:
        raise NotFound(
            "서식을 찾을 수 없거나 동의 범위 밖입니다.", english="No such form, or outside the consent."
        )
    number, _sep, name = title.partition(" ")
    return render_template(
        f"cases/print/{page.replace('-', '_')}.html",
        case=case,
        view=view,
        record=record,
        form_number=number,
        form_title=name,
        printed_at=now_utc(),
        pass_mark=FIELD_LEARNING_PASS,
    )
