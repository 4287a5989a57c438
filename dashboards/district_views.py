"""The district coordinator's statistics pages: the staff roster, 민관 교육 records, low-income counts.

URLs under ``/dashboards/district/<district_id>/``: ``roster``, ``trainings`` (list, ``new``,
``<id>/edit``) and ``low-income``. Only the district's coordinator acting for its district team
may open them (``dashboards.access.district_scope``; 404 for anyone else). The roster names staff,
never clients; each page writes an audit row.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import SelectChoice

from agencies import district_services
from agencies.district_records import LowIncomeCount, TrainingAudience, TrainingParticipant, TrainingRecord
from agencies.models import District, Dong, Person
from agencies.sessions import current_person, login_required
from cases.access import acting_agency_id
from cases.models import CaseIntensity
from dashboards import access
from dashboards.district_forms import LowIncomeForm, TrainingForm
from dashboards.roster import TRAINING_MINIMUM, roster
from dashboards.scopes import Scope
from hamkke import audit
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound
from hamkke.paging import paginate
from hamkke.time import today_local
from hamkke.web import page_arg

bp = Blueprint("district_stats", __name__, url_prefix="/dashboards/district/<int:district_id>")

#: trainings per page of the list
PAGE_SIZE = 30
#: years of training history shown per person on the roster
HISTORY_YEARS = 2


def _load(district_id: int) -> tuple[Scope, District, Person]:
    """Authorize the district's coordinator (404 otherwise) and return the scope, district and person."""
    person = current_person()
    scope = access.district_scope(person, district_id)
    district = db.session.get(District, scope.district_id)
    if district is None or person is None:
        raise NotFound("대시보드를 찾을 수 없습니다.", english="No such dashboard.")
    return scope, district, person


def _audit(action: str, person: Person, district: District, **data: object) -> None:
    audit.record(
        action,
        actor_id=person.id,
        agency_id=acting_agency_id(),
        object_type="district",
        object_id=district.id,
        data=dict(data),
    )


@bp.get("/roster")
@login_required
def roster_page(district_id: int) -> ResponseReturnValue:
    """The roster of 통합사례관리사, 복지플래너 and other staff: caseloads and training history."""
    scope, district, person = _load(district_id)
    today = today_local()
    rows = roster(district.id, today=today)
    since = date(today.year - HISTORY_YEARS + 1, 1, 1)
    history: dict[int, list[TrainingRecord]] = {}
    for person_id, record in db.session.execute(
        sa.select(TrainingParticipant.person_id, TrainingRecord)
        .join(TrainingRecord, TrainingRecord.id == TrainingParticipant.training_id)
        .where(TrainingRecord.district_id == district.id, TrainingRecord.held_on >= since)
        .order_by(TrainingRecord.held_on.desc(), TrainingRecord.id.desc())
    ).all():
        history.setdefault(int(person_id), []).append(record)
    _audit("district.roster_viewed", person, district, people=len(rows))
    return render_template(
        "dashboards/roster.html",
        scope=scope,
        rows=rows,
        history=history,
        minimum=TRAINING_MINIMUM,
        intensities=list(CaseIntensity),
        year=today.year,
        below=[row for row in rows if row.below_minimum],
    )


@bp.get("/trainings")
@login_required
def trainings(district_id: int) -> ResponseReturnValue:
    """The district's 민관 교육 records, newest first, paged."""
    scope, district, person = _load(district_id)
    counts = (
        sa.select(TrainingParticipant.training_id, sa.func.count().label("people"))
        .group_by(TrainingParticipant.training_id)
        .subquery()
    )
    statement = (
        sa.select(TrainingRecord, sa.func.coalesce(counts.c.people, 0))
        .outerjoin(counts, counts.c.training_id == TrainingRecord.id)
        .where(TrainingRecord.district_id == district.id)
        .order_by(TrainingRecord.held_on.desc(), TrainingRecord.id.desc())
    )
    listing = paginate(
        statement, page=page_arg(), per_page=PAGE_SIZE, fetch=lambda s: db.session.execute(s).tuples().all()
    )
    _audit("district.trainings_listed", person, district, page=listing.page)
    return render_template("dashboards/trainings.html", scope=scope, listing=listing)


def _training_form(district: District, record: TrainingRecord | None) -> TrainingForm:
    form = TrainingForm(obj=record if request.method == "GET" else None)
    people = district_services.network_people(district.id)
    form.participant_ids.choices = [
        SelectChoice(person_id, f"{name} ({agency})") for person_id, name, agency in people
    ]
    if request.method == "GET" and record is not None:
        form.participant_ids.data = [participant.person_id for participant in record.participants]
        form.audience.data = record.audience.value
    return form


def _save_training(district_id: int, record_id: int | None) -> ResponseReturnValue:
    scope, district, person = _load(district_id)
    record = None
    if record_id is not None:
        record = db.session.get(TrainingRecord, record_id)
        if record is None or record.district_id != district.id:
            raise NotFound("교육 기록을 찾을 수 없습니다.", english="No such training record.")
    form = _training_form(district, record)
    if form.validate_on_submit():
        hours = form.hours.data
        data = district_services.TrainingInput(
            course_name=form.course_name.data or "",
            held_on=form.held_on.data,
            organiser=form.organiser.data or "",
            audience=TrainingAudience(form.audience.data),
            hours=float(hours) if isinstance(hours, Decimal | int | float) else None,
            outsider_count=form.outsider_count.data or 0,
            participant_ids=list(form.participant_ids.data or []),
        )
        try:
            district_services.save_training(district, data, actor=person, record=record)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            return see_other("district_stats.trainings", district_id=district.id)
    status = 200 if request.method == "GET" else invalid_form_status(form)
    return render_template(
        "dashboards/district_form.html",
        scope=scope,
        form=form,
        names=TrainingForm.field_names,
        title=gettext("민관 교육 수정") if record is not None else gettext("민관 교육 기록"),
        back=("district_stats.trainings", gettext("교육 목록으로")),
    ), status


@bp.route("/trainings/new", methods=["GET", "POST"])
@login_required
def new_training(district_id: int) -> ResponseReturnValue:
    """Record a 민관 교육 (422 with the form again when something is missing; nothing saved)."""
    return _save_training(district_id, None)


@bp.route("/trainings/<int:record_id>/edit", methods=["GET", "POST"])
@login_required
def edit_training(district_id: int, record_id: int) -> ResponseReturnValue:
    """Correct a 민관 교육 record of this district."""
    return _save_training(district_id, record_id)


@bp.route("/low-income", methods=["GET", "POST"])
@login_required
def low_income(district_id: int) -> ResponseReturnValue:
    """Enter each dong's low-income households per year, the denominator of 발굴률."""
    scope, district, person = _load(district_id)
    dongs = db.session.execute(
        sa.select(Dong.id, Dong.name)
        .where(Dong.district_id == district.id)
        .order_by(Dong.region_id, Dong.position)
    ).all()
    form = LowIncomeForm()
    form.dong_id.choices = [SelectChoice("", "동 고르기"), *(SelectChoice(str(i), str(n)) for i, n in dongs)]
    if request.method == "GET":
        form.year.data = today_local().year
    if form.validate_on_submit():
        try:
            district_services.save_low_income_count(
                district,
                dong_id=int(form.dong_id.data) if str(form.dong_id.data).isdigit() else 0,
                year=int(form.year.data or 0),
                basic=form.basic_livelihood_households.data,
                near=form.near_poverty_households.data,
                actor=person,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error, aliases={"basic": "basic_livelihood_households"})
        else:
            return see_other("district_stats.low_income", district_id=district.id)
    records = db.session.execute(
        sa.select(LowIncomeCount, Dong.name)
        .join(Dong, Dong.id == LowIncomeCount.dong_id)
        .where(LowIncomeCount.district_id == district.id)
        .order_by(LowIncomeCount.year.desc(), Dong.region_id, Dong.position)
    ).all()
    status = 200 if request.method == "GET" else invalid_form_status(form)
    return render_template(
        "dashboards/low_income.html", scope=scope, form=form, names=LowIncomeForm.field_names, records=records
    ), status
