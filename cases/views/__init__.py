"""Pages of the case process: caseload, the case timeline, one form per stage, dong meeting, escalations.

Each view loads the case through ``cases.access`` (404/403), reads client data only through
``consents.gate.view_client``, calls one service and redirects (303); the edge commits
(``hamkke.unit_of_work``). A refused form is shown again with the reason next to its field and a
4xx status; nothing of it is saved.

All pages are on one blueprint (``cases``, defined in `cases.views.common`), split into modules by
page family; importing them here registers their routes, so endpoint names and URLs are those of
the single module they came from.
"""

from __future__ import annotations

from cases.views import (
    attachments,
    case_page,
    caseload,
    closure,
    counselling,
    escalations,
    intake,
    interview,
    others,
    plan_prints,
    planning,
    plans,
    printing,
    process_record,
    selfsufficiency,
    selfsufficiency_courses,
    surveys,
)
from cases.views.common import bp

__all__ = [
    "attachments",
    "bp",
    "case_page",
    "caseload",
    "closure",
    "counselling",
    "escalations",
    "intake",
    "interview",
    "others",
    "plan_prints",
    "planning",
    "plans",
    "printing",
    "process_record",
    "selfsufficiency",
    "selfsufficiency_courses",
    "surveys",
]
