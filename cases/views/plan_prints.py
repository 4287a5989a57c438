"""The printable plan forms on A4: 필수서식4 IAP, 필수서식5 ISP (or seed 001's 서비스제공계획), 활용서식9.

Each page reads the case's records through the gate, like the case page, and prints the current
version unless ``?version=`` names an earlier one (a revision keeps the old version printable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask import render_template, request
from flask.typing import ResponseReturnValue

from agencies.models import Agency, Person
from agencies.sessions import login_required, signed_in_person
from cases import access
from cases.models import Case, NeedDomain
from cases.models.selfplans import PlanKind, SupportDomain, TargetPath
from cases.plan_forms import EVALUATION_ROWS
from cases.views import common
from cases.views.common import bp
from hamkke.db import db
from hamkke.errors import NotFound
from hamkke.time import now_utc, to_local
from hamkke.web import parse_id

Record = Mapping[str, Any]


def _context(case_id: int) -> tuple[Case, Any, dict[str, Any]]:
    """Load the case for its owner and the gate's view; the shared context of the printed forms."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    printed_at = now_utc()
    return (
        case,
        view,
        {"case": case, "view": view, "printed_at": printed_at, "printed_local": _local(printed_at)},
    )


def _local(instant: Any) -> str:
    return to_local(instant).strftime("%Y-%m-%d %H:%M")


def _chosen(records: Sequence[Record]) -> Record | None:
    """The version named by ``?version=``, else the newest; 404 for a version that does not exist."""
    if not records:
        return None
    wanted = parse_id(request.args.get("version"))
    if wanted is None:
        return max(records, key=lambda record: record["version"])
    for record in records:
        if record["version"] == wanted:
            return record
    raise NotFound("그 판의 계획은 없습니다.", english="No plan has that version.")


def _person_name(person_id: int | None) -> str:
    person = db.session.get(Person, person_id) if person_id else None
    return person.name if person else ""


@bp.get("/<int:case_id>/print/iap")
@login_required
def print_action_plan(case_id: int) -> ResponseReturnValue:
    """필수서식4 개인별 자립 계획 (IAP) on A4."""
    _case, view, context = _context(case_id)
    plan = _chosen(view.records("case_action_plans") if view else ())
    return render_template(
        "cases/print/iap.html",
        plan=plan,
        counsellor=_person_name(plan["counsellor_id"]) if plan else "",
        target_paths=list(TargetPath),
        **context,
    )


def _sections(plan: Record) -> list[tuple[str, list[Record]]]:
    """Group the goals: by support domain (근로 지원, 복지서비스 지원) or by need domain (seed 001)."""
    goals = list(plan["goals"])
    if plan["kind"] == PlanKind.jahwal:
        return [
            (
                domain.label,
                sorted((g for g in goals if g["support_domain"] == domain), key=lambda g: g["rank"] or 0),
            )
            for domain in SupportDomain
        ]
    return [
        (domain.label, [g for g in goals if g["domain"] == domain])
        for domain in NeedDomain
        if any(g["domain"] == domain for g in goals)
    ]


@bp.get("/<int:case_id>/print/isp")
@login_required
def print_service_plan(case_id: int) -> ResponseReturnValue:
    """필수서식5 개인별 자활 지원 계획 (ISP), or seed 001's 서비스제공계획, on A4."""
    _case, view, context = _context(case_id)
    plan = _chosen(view.records("case_service_plans") if view else ())
    provider_ids = (
        {s["provider_agency_id"] for s in plan["services"] if s["provider_agency_id"]} if plan else set()
    )
    names = (
        dict(
            db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(provider_ids)))
            .tuples()
            .all()
        )
        if provider_ids
        else {}
    )
    checkers = {s["checked_by_id"] for s in plan["services"] if s["checked_by_id"]} if plan else set()
    return render_template(
        "cases/print/isp.html",
        plan=plan,
        sections=_sections(plan) if plan else [],
        agency_names=names,
        people_names={person_id: _person_name(person_id) for person_id in checkers},
        **context,
    )


#: the three parts of 활용서식9 with their rows (section key, label on the sheet)
EVALUATION_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("사례관리 평가 Ⅰ. IAP 부분", (("iap_short", "단기"), ("iap_long", "장기"))),
    ("사례관리 평가 Ⅱ. ISP 부분 - 근로 지원", tuple((f"work{n}", str(n)) for n in range(1, 4))),
    ("사례관리 평가 Ⅲ. ISP 부분 - 복지서비스 지원", tuple((f"welfare{n}", str(n)) for n in range(1, 4))),
)


@bp.get("/<int:case_id>/print/evaluation")
@login_required
def print_evaluation(case_id: int) -> ResponseReturnValue:
    """활용서식9 사례관리 평가서 on A4 (the newest evaluation)."""
    _case, view, context = _context(case_id)
    records = view.records("case_evaluations") if view else ()
    evaluation = records[-1] if records else None
    rows = {row["section"]: row for row in evaluation["rows"]} if evaluation else {}
    sections: list[tuple[str, Sequence[tuple[str, str]]]] = list(EVALUATION_SECTIONS)
    # Sheets written before the form had its three parts name their rows "목표 n": printed apart.
    earlier = tuple((key, key) for key in rows if key not in EVALUATION_ROWS)
    if earlier:
        sections.append(("이전 양식의 목표", earlier))
    return render_template(
        "cases/print/evaluation.html",
        evaluation=evaluation,
        evaluator=_person_name(evaluation["evaluated_by_id"]) if evaluation else "",
        rows=rows,
        sections=sections,
        **context,
    )
