"""게이트웨이 교육 of a 지역자활센터: 교육계획서 (활용서식3), 교육 결과 보고서 (활용서식4), print pages.

A course is the centre's own document, not a participant's record: it names no client, so it is
read from its model directly; only staff of the centre that planned it may see or change it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Agency, AgencyType, Person
from agencies.sessions import current_actor, login_required, signed_in_person
from cases import access
from cases import selfsufficiency_forms as forms
from cases.access import EDIT_ROLES, roles_for
from cases.models import Case
from cases.models.selfsufficiency import BudgetCategory, CourseStage, EducationCourse
from cases.services import selfsufficiency_records as records
from cases.views.common import bp
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound, ValidationFailed
from hamkke.time import now_utc


def _centre_staff() -> tuple[Person, Agency]:
    """Return the signed-in staff member of a 지역자활센터 and the centre (404 for anyone else)."""
    person, agency = current_actor()
    if agency.type != AgencyType.self_sufficiency_centre or not roles_for(person, agency.id) & EDIT_ROLES:
        raise NotFound("지역자활센터 직원만 게이트웨이 교육을 봅니다.", english="Centre staff only.")
    return person, agency


def _course(course_id: int) -> tuple[Person, EducationCourse]:
    person, agency = _centre_staff()
    course = db.session.get(EducationCourse, course_id)
    if course is None or course.agency_id != agency.id:
        raise NotFound("교육을 찾을 수 없습니다.", english="No such course.")
    return person, course


def _rows(form: Any) -> tuple[list[records.BudgetRow], list[records.SessionRow]]:
    """Read the filled budget and programme rows of a course form (empty rows are skipped)."""
    budget: list[records.BudgetRow] = []
    for index, entry in enumerate(form.budget.entries):
        row = entry.form
        if not row.category.data and not (row.item.data or "").strip():
            continue
        if not row.category.data or not (row.item.data or "").strip() or row.amount.data is None:
            raise ValidationFailed(
                "예산 줄에는 구분, 목, 계를 모두 적어 주세요.", field=f"budget-{index}-item"
            )
        budget.append(
            records.BudgetRow(
                category=BudgetCategory(row.category.data),
                item=row.item.data.strip(),
                sub_item=row.sub_item.data or None,
                sub_sub_item=row.sub_sub_item.data or None,
                amount=row.amount.data,
                basis=row.basis.data or None,
                requested=row.requested.data or 0,
                own_share=row.own_share.data or 0,
                own_source=row.own_source.data or None,
            )
        )
    sessions: list[records.SessionRow] = []
    for index, entry in enumerate(form.sessions.entries):
        row = entry.form
        if row.starts_at.data is None and not (row.content.data or "").strip():
            continue
        if row.starts_at.data is None or row.ends_at.data is None or not (row.content.data or "").strip():
            raise ValidationFailed(
                "교육내용 줄에는 시작·끝 시각과 내용을 적어 주세요.", field=f"sessions-{index}-content"
            )
        sessions.append(
            records.SessionRow(
                starts_at=row.starts_at.data,
                ends_at=row.ends_at.data,
                content=row.content.data.strip(),
                person=(row.person.data or "").strip(),
                note=row.note.data or None,
            )
        )
    return budget, sessions


def _values(form: Any, names: list[str]) -> dict[str, Any]:
    return {
        name: (form[name].data.strip() or None) if isinstance(form[name].data, str) else form[name].data
        for name in names
    }


@bp.get("/jahwal/courses")
@login_required
def jahwal_courses() -> ResponseReturnValue:
    """The centre's 게이트웨이 courses, newest first, with their plan and result."""
    _person, agency = _centre_staff()
    courses = db.session.scalars(
        sa.select(EducationCourse)
        .where(EducationCourse.agency_id == agency.id)
        .order_by(EducationCourse.held_on.desc(), EducationCourse.id.desc())
    ).all()
    return render_template("cases/selfsufficiency/courses.html", courses=courses, agency=agency)


def _course_form(
    form: Any, title: str, save: Any, course: EducationCourse | None = None
) -> ResponseReturnValue:
    if request.method == "POST" and form.validate_on_submit():
        try:
            saved = save()
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(_("%(title)s 저장했습니다.", title=title), "success")
            return see_other("cases.jahwal_courses", _anchor=f"course-{saved.id}")
    status = 200 if request.method == "GET" else invalid_form_status(form) if form.errors else 422
    return render_template(
        "cases/selfsufficiency/course_form.html",
        form=form,
        title=title,
        course=course,
        categories=[(c.value, c.label) for c in BudgetCategory],
    ), status


@bp.route("/jahwal/courses/new", methods=["GET", "POST"])
@login_required
def jahwal_course_new() -> ResponseReturnValue:
    """활용서식3 교육계획서."""
    person, agency = _centre_staff()
    form = forms.CoursePlanForm()
    names = ["title", "held_on", "starts_at", "ends_at", "place", "audience", "purpose", "expected_effects"]

    def save() -> EducationCourse:
        budget, sessions = _rows(form)
        return records.create_course(agency, _values(form, names), budget, sessions, actor=person)

    return _course_form(form, _("교육계획서"), save)


@bp.route("/jahwal/courses/<int:course_id>/result", methods=["GET", "POST"])
@login_required
def jahwal_course_result(course_id: int) -> ResponseReturnValue:
    """활용서식4 교육 결과 보고서 of a planned course (the plan's rows are offered as the start)."""
    person, course = _course(course_id)
    form = forms.CourseResultForm()
    if request.method == "GET" and not course.programme(CourseStage.result):
        for entry, row in zip(form.sessions.entries, course.programme(CourseStage.plan), strict=False):
            entry.form.starts_at.data, entry.form.ends_at.data = row.starts_at, row.ends_at
            entry.form.content.data, entry.form.person.data, entry.form.note.data = (
                row.content,
                row.person,
                row.note,
            )
        for entry, line in zip(form.budget.entries, course.lines(CourseStage.plan), strict=False):
            for name in ("item", "sub_item", "sub_sub_item", "amount", "basis", "requested", "own_share"):
                entry.form[name].data = getattr(line, name)
            entry.form.category.data = line.category.value
    names = [name for _legend, group in form.fieldsets for name in group]

    def save() -> EducationCourse:
        budget, sessions = _rows(form)
        return records.report_course(course, _values(form, names), budget, sessions, actor=person)

    return _course_form(form, _("교육 결과 보고서"), save, course)


class _BlankCourse:
    """An empty 교육계획서/결과 보고서 for printing by hand: every field reads as nothing."""

    def __getattr__(self, name: str) -> Any:
        return None

    def lines(self, stage: CourseStage) -> list[Any]:
        """No budget rows."""
        return []

    def programme(self, stage: CourseStage) -> list[Any]:
        """No programme rows."""
        return []


def _print(course: Any, stage: CourseStage, case: Case | None) -> ResponseReturnValue:
    template = (
        "cases/print/education_plan.html"
        if stage == CourseStage.plan
        else "cases/print/education_result.html"
    )
    return render_template(template, course=course, case=case, stage=stage, printed_at=now_utc())


def _case_course_print(case_id: int, stage: str) -> ResponseReturnValue:
    """The centre's latest 게이트웨이 course as printed from a participant's case, or the blank form."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "view")
    # The course is the owning centre's own document (no client data); only a reported one has a result.
    query = sa.select(EducationCourse).where(EducationCourse.agency_id == case.owning_agency_id)
    if stage == "result":
        query = query.where(EducationCourse.reported_on.is_not(None))
    course = db.session.scalars(
        query.order_by(EducationCourse.held_on.desc(), EducationCourse.id.desc())
    ).first()
    return _print(course or _BlankCourse(), CourseStage(stage), case)


@bp.get("/<int:case_id>/jahwal/education-plan/print")
@login_required
def jahwal_case_course_plan(case_id: int) -> ResponseReturnValue:
    """활용서식3 from a participant's case: the centre's latest course, or the blank form."""
    return _case_course_print(case_id, "plan")


@bp.get("/<int:case_id>/jahwal/education-result/print")
@login_required
def jahwal_case_course_result(case_id: int) -> ResponseReturnValue:
    """활용서식4 from a participant's case: the centre's latest reported course, or the blank form."""
    return _case_course_print(case_id, "result")


@bp.get("/jahwal/courses/<int:course_id>/print/<any('plan', 'result'):stage>")
@login_required
def jahwal_course_print(course_id: int, stage: str) -> ResponseReturnValue:
    """The printable A4 교육계획서 (활용서식3) or 교육 결과 보고서 (활용서식4)."""
    _person, course = _course(course_id)
    if stage == "result" and course.reported_on is None:
        raise NotFound("결과 보고서를 아직 쓰지 않았습니다.", english="No result report yet.")
    return _print(course, CourseStage(stage), None)
