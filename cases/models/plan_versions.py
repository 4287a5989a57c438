"""A plan's next version as a copy of the current one (goals, their services, ticks and results).

The copy lives beside the models because it copies every column, personal ones too, without
reading any of them by name: a revision that adds one service keeps the rest exactly as agreed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from cases.models.planning import PlanGoal, PlanService, ServicePlan

#: columns a copy never takes over: identity, the parent links (set by the relationships), timestamps
_NOT_COPIED = frozenset({"id", "plan_id", "goal_id", "created_at", "updated_at"})


def _columns(row: Any) -> dict[str, Any]:
    return {
        attr.key: getattr(row, attr.key)
        for attr in inspect(row).mapper.column_attrs
        if attr.key not in _NOT_COPIED
    }


def copy_plan(plan: ServicePlan, *, version: int, created_by_id: int, revision_reason: str) -> ServicePlan:
    """Return an unsaved next version of ``plan``: same goals and services; not agreed until signed again."""
    values = _columns(plan) | {
        "version": version,
        "created_by_id": created_by_id,
        "revision_reason": revision_reason,
        "agreed_on": None,
    }
    copy = ServicePlan(**values)
    for goal in plan.goals:
        new_goal = PlanGoal(**_columns(goal))
        copy.goals.append(new_goal)
        for service in goal.services:
            new_service = PlanService(**_columns(service))
            new_service.goal = new_goal
            copy.services.append(new_service)
    return copy
