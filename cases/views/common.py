"""The cases blueprint and what its pages share.

The gate's view of a case's main client, choice lists, the one-form-per-stage flow, and the
template filter and labels the case templates use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms import SelectChoice

from agencies.models import Agency, Dong, Person, StaffRole
from agencies.sessions import acting_agency_id, signed_in_person
from cases import access, forms
from cases.models import Case, CaseStage, MonitoringFinding
from consents.gate import ClientView, view_client
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound
from hamkke.korean import particle
from hamkke.time import today_local

bp = Blueprint("cases", __name__, url_prefix="/cases")


#: date fields a new form fills with today (the worker usually records the same day)
TODAY_FIELDS = frozenset(
    {"counselled_on", "rated_on", "decided_on", "contacted_on", "reviewed_on", "outcome_on", "starts_on"}
)


def client_view(case: Case, person: Person) -> ClientView | None:
    """Ask the gate for the case's main client; None when the gate withholds everything."""
    try:
        return view_client(
            case.main_client,
            person,
            purpose="case_management",
            acting_agency_id=acting_agency_id(),
            context={"case_id": case.id},
        )
    except NotFound:
        return None


def staff_choices(case: Case, role: StaffRole) -> list[SelectChoice]:
    """Offer the active staff with ``role`` in the case's owning and lead agencies."""
    choices: list[tuple[str, str]] = [("", "고르세요")]
    for agency_id in (case.owning_agency_id, case.lead_agency_id):
        agency = db.session.get(Agency, agency_id) if agency_id else None
        if agency is None:
            continue
        for membership in agency.memberships:
            if role in membership.role_set and membership.person.is_active:
                choices.append((str(membership.person_id), f"{membership.person.name} ({agency.name})"))
    return forms.pairs(choices)


def agency_choices(case: Case) -> list[SelectChoice]:
    """Offer the active agencies of the owning agency's district."""
    owner = db.session.get(Agency, case.owning_agency_id)
    agencies = owner.district.agencies if owner else []
    return forms.pairs(
        [("", "고르세요")]
        + [(str(a.id), a.name) for a in sorted(agencies, key=lambda a: a.name) if a.is_active]
    )


def stage_form(
    case_id: int,
    form_class: type[forms.CaseForm],
    title: str,
    print_title: str,
    save: Callable[[Case, Any, Person], Any],
    *,
    prepare: Callable[[Case, Any], None] | None = None,
    permission: access.CasePermission = "edit",
) -> ResponseReturnValue:
    """Render a stage's form, or save it through one service call and return to the case."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, permission)
    form = form_class()
    if prepare is not None:
        prepare(case, form)
    if request.method == "GET":
        for name in TODAY_FIELDS & set(form._fields):
            if form._fields[name].data is None:
                form._fields[name].data = today_local()
    elif form.validate_on_submit():
        try:
            save(case, form, person)
        except DomainError as error:
            db.session.rollback()
            case = access.get_case_for(person, case_id, permission)
            attach_error(form, error)
        else:
            flash(_("%(title)s%(eul)s 저장했습니다.", title=title, eul=particle(str(title), "을")), "success")
            return see_other("cases.show_case", case_id=case.id)
    status = 200 if request.method == "GET" else invalid_form_status(form) if form.errors else 422
    return render_template(
        "cases/form.html", form=form, title=title, case=case, print_title=print_title
    ), status


def actor_args(person: Person) -> dict[str, Any]:
    """Return the ``actor`` and ``agency_id`` keywords every case service takes."""
    return {"actor": person, "agency_id": acting_agency_id()}


def _dong_names() -> dict[int, str]:
    return {dong.id: dong.name for dong in db.session.query(Dong)}


@bp.app_template_filter("case_date")
def case_date(value: date | None) -> str:
    """Render a local date as YYYY-MM-DD (empty when missing)."""
    return value.isoformat() if value else ""


@bp.app_context_processor
def case_labels() -> dict[str, Any]:
    """Expose the enums' labels and the dong names to the case templates."""
    return {"CaseStage": CaseStage, "MonitoringFinding": MonitoringFinding, "dong_names": _dong_names}
