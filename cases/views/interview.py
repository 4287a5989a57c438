"""필수서식 1 기본면접기록지: the page that fills and edits it, and its printed A4 sheet.

The page reads what is on file through the disclosure gate (the owner's view of the case's records)
and saves the whole form through one service call; a refused form comes back with the reason beside
its field and a 4xx, and nothing of it is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Person
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases import access
from cases.interview_forms import (
    ACCOUNT_FIELDS,
    BENEFIT_FIELDS,
    HEALTH_FIELDS,
    INTERVIEW_FIELDS,
    YES_NO_SELECTS,
    BasicInterviewForm,
    filled,
)
from cases.services.interview import InterviewInput, save_basic_interview
from cases.views import common
from cases.views.common import bp
from consents.gate import ClientView
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError
from hamkke.time import today_local

#: repeated-row fields kept as a bool in the model, offered as two words on the form
ROW_WORDS = {"lives_together": ("동거", "비동거"), "completed": ("이수", "미이수")}
WORDS = {**YES_NO_SELECTS, **ROW_WORDS}


def _to_words(values: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a record's yes/no columns into the words the form offers."""
    data = dict(values)
    for name, (yes, no) in WORDS.items():
        if name in data and data[name] is not None:
            data[name] = yes if data[name] else no
    return data


def _from_words(values: Mapping[str, Any], names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Turn a form section's values into column values (two words to a bool, blanks to None)."""
    data: dict[str, Any] = {}
    for name in names or tuple(values):
        value = values[name]
        if name in WORDS:
            value = None if not value else value == WORDS[name][0]
        elif value == "":
            value = None
        data[name] = value
    return data


def _first(view: ClientView | None, table: str) -> Mapping[str, Any]:
    records = view.records(table) if view else ()
    return records[0] if records else {}


def _prefill(view: ClientView | None) -> dict[str, Any]:
    """The form's data from what is on file, read through the gate's view of the case."""
    data: dict[str, Any] = {"counselled_on": today_local()}
    for table in ("case_basic_interviews", "case_interview_health", "case_interview_benefits"):
        data.update({k: v for k, v in _to_words(_first(view, table)).items() if v is not None})
    data.update(_first(view, "case_interview_accounts"))
    household = _first(view, "households")
    data["composition"] = household.get("composition")
    data["traits"] = list(household.get("characteristics") or [])
    if view is not None and view.can_see("economic"):
        data["coverage"] = view.value("economic", "benefit_category")
    for name, table in (
        ("family", "case_interview_family"),
        ("licences", "case_interview_licences"),
        ("trainings", "case_interview_trainings"),
        ("schooling", "case_interview_schooling"),
        ("careers", "case_interview_careers"),
    ):
        data[name] = [_to_words(row) for row in (view.records(table) if view else ())]
    return data


def _input(form: BasicInterviewForm) -> InterviewInput:
    """Gather the form's sections into the service's input (empty repeated rows dropped)."""
    values = form.data

    def rows(name: str) -> tuple[dict[str, Any], ...]:
        # A blank cell is left out, so the column's default applies (동거 unless said otherwise).
        return tuple(
            {key: value for key, value in _from_words(entry.form.data).items() if value is not None}
            for entry in form[name]
            if filled(entry.form)
        )

    account = _from_words(values, ACCOUNT_FIELDS)
    return InterviewInput(
        interview=_from_words(values, INTERVIEW_FIELDS),
        health=_from_words(values, HEALTH_FIELDS),
        benefits=_from_words(values, BENEFIT_FIELDS),
        account=account if all(account.values()) else None,
        coverage=values["coverage"] or None,
        composition=values["composition_other"]
        if values["composition"] == "기타" and values["composition_other"]
        else values["composition"] or None,
        traits=tuple(values["traits"] or ()),
        family=rows("family"),
        careers=rows("careers"),
        licences=rows("licences"),
        trainings=rows("trainings"),
        schooling=rows("schooling"),
    )


@bp.route("/<int:case_id>/basic-interview", methods=["GET", "POST"])
@login_required
def basic_interview(case_id: int) -> ResponseReturnValue:
    """필수서식 1 기본면접기록지: fill in or edit every section, saved whole."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    if request.method == "GET":
        form = BasicInterviewForm(data=_prefill(common.client_view(case, person)))
    else:
        form = BasicInterviewForm()
        if form.validate_on_submit():
            try:
                save_basic_interview(case, _input(form), actor=person, agency_id=acting_agency_id())
            except DomainError as error:
                db.session.rollback()
                case = access.get_case_for(person, case_id, "edit")
                attach_error(form, error)
            else:
                flash(_("기본면접기록지를 저장했습니다."), "success")
                return see_other("cases.show_case", case_id=case.id)
    status = 200 if request.method == "GET" else invalid_form_status(form) if form.errors else 422
    return render_template("cases/basic_interview.html", form=form, case=case), status


@bp.get("/<int:case_id>/print/basic-interview")
@login_required
def print_basic_interview(case_id: int) -> ResponseReturnValue:
    """The printed 필수서식 1 기본면접기록지 (A4), read through the gate (owning agency)."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    interview = _first(view, "case_basic_interviews")
    # The counsellor is a member of staff (not client data): named from the people table.
    counsellor = db.session.get(Person, interview["counsellor_id"]) if interview else None
    return render_template(
        "cases/print/basic_interview.html",
        case=case,
        view=view,
        counsellor_name=counsellor.name if counsellor else "",
    )


@bp.get("/<int:case_id>/print/intake-record")
@login_required
def print_intake_record(case_id: int) -> ResponseReturnValue:
    """The printed 초기상담기록지 (seed 001, A4), read through the gate (owning agency)."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    return render_template("cases/print/intake_record.html", case=case, view=view)
