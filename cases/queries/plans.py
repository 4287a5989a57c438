"""Reads of the plans: whether an IAP or ISP is agreed, the versions' differences, proposals' fates.

`has_agreed_iap` and `has_agreed_isp` answer the 자활 track's "IAP/ISP done" question with no
personal data; `plan_changes` works on the gate's records, so it shows only what the viewer may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cases.models import ServicePlan
from cases.models.selfplans import IndividualActionPlan, PlanKind, PlanProposal
from hamkke.db import db

#: the IAP's fields a version comparison reads, with their labels on the form
IAP_FIELDS: tuple[tuple[str, str], ...] = (
    ("security_type", "보장구분"),
    ("work_team", "사업단명"),
    ("weaknesses", "단점"),
    ("strengths", "장점"),
    ("short_term_goal", "단기목표"),
    ("short_term_target_on", "단기목표 목표일"),
    ("long_term_goal", "장기목표"),
    ("long_term_target_on", "장기목표 목표일"),
    ("target_path", "목표경로"),
    ("target_path_other", "기타 목표경로"),
    ("help_wanted", "도움을 받고 싶은 것"),
)


def has_agreed_iap(case_id: int) -> bool:
    """Tell whether the case has an IAP the participant signed (any version)."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(IndividualActionPlan)
            .where(IndividualActionPlan.case_id == case_id, IndividualActionPlan.agreed_on.is_not(None))
        )
    )


def has_agreed_isp(case_id: int, *, kind: PlanKind | None = PlanKind.jahwal) -> bool:
    """Tell whether the case has an agreed ISP (of ``kind``; any kind when None)."""
    query = (
        sa.select(sa.func.count())
        .select_from(ServicePlan)
        .where(ServicePlan.case_id == case_id, ServicePlan.agreed_on.is_not(None))
    )
    if kind is not None:
        query = query.where(ServicePlan.kind == kind)
    return bool(db.session.scalar(query))


@dataclass(frozen=True)
class Change:
    """One difference between two versions: ``added``, ``removed`` or ``changed``, in words."""

    kind: str
    text: str


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "-"
    label = getattr(value, "label", None)
    if label is not None:
        return str(label)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def action_plan_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """List the IAP fields that differ between two versions."""
    return [
        Change("changed", f"{label}: {_shown(before.get(name))} → {_shown(after.get(name))}")
        for name, label in IAP_FIELDS
        if before.get(name) != after.get(name)
    ]


def _goal_key(goal: Mapping[str, Any]) -> str:
    domain = goal.get("support_domain") or goal.get("domain")
    return f"{_shown(domain)} · {goal['statement']}"


def _service_keys(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        f"{service['name']} ({service['quantity']}, {service['intensity']})": service
        for service in plan["services"]
    }


def _period(service: Mapping[str, Any]) -> str:
    if service.get("starts_on") and service.get("ends_on"):
        return f"{_shown(service['starts_on'])}~{_shown(service['ends_on'])}"
    return f"{service['duration_months']}개월"


def plan_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """List goals and services added or removed, and the changed horizon, roles and periods."""
    changes: list[Change] = []
    if before["horizon_months"] != after["horizon_months"]:
        changes.append(
            Change("changed", f"계획 기간: {before['horizon_months']}개월 → {after['horizon_months']}개월")
        )
    for name, label in (("client_role", "참여자의 역할"), ("family_role", "가족의 역할")):
        if before.get(name) != after.get(name):
            changes.append(
                Change("changed", f"{label}: {_shown(before.get(name))} → {_shown(after.get(name))}")
            )
    old_goals = {_goal_key(goal): goal for goal in before["goals"]}
    new_goals = {_goal_key(goal): goal for goal in after["goals"]}
    changes += [Change("removed", f"목표 {key}") for key in old_goals if key not in new_goals]
    changes += [Change("added", f"목표 {key}") for key in new_goals if key not in old_goals]
    old_services, new_services = _service_keys(before), _service_keys(after)
    changes += [Change("removed", f"서비스 {key}") for key in old_services if key not in new_services]
    changes += [Change("added", f"서비스 {key}") for key in new_services if key not in old_services]
    for key in old_services.keys() & new_services.keys():
        if _period(old_services[key]) != _period(new_services[key]):
            changes.append(
                Change(
                    "changed",
                    f"서비스 {key} 기간: {_period(old_services[key])} → {_period(new_services[key])}",
                )
            )
    return changes


def version_history(
    records: Sequence[Mapping[str, Any]], compare: Any
) -> list[tuple[Mapping[str, Any], list[Change]]]:
    """Pair each version (newest first) with its changes from the version before it."""
    ordered = sorted(records, key=lambda record: record["version"])
    paired = [
        (record, compare(ordered[index - 1], record) if index else []) for index, record in enumerate(ordered)
    ]
    return list(reversed(paired))


def proposal_fates(assignment_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Return, per role assignment, its items' fates (service, status code and label): no reasons."""
    ids = list(assignment_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(PlanProposal).where(PlanProposal.role_assignment_id.in_(ids)).order_by(PlanProposal.id)
    )
    fates: dict[int, list[dict[str, Any]]] = {}
    for proposal in rows:
        fates.setdefault(proposal.role_assignment_id, []).append(
            {"service": proposal.service, "status": str(proposal.status), "label": proposal.status.label}
        )
    return fates
