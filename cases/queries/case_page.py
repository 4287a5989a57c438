"""The case page's facts that need no client data: clocks, permissions, escalations, actors' names.

What the page shows of the client (and the records that follow the client's field groups) comes
from the consent gate, which the view asks; this module only reads the case and the network.
"""

from __future__ import annotations

from typing import Any

from agencies.models import Agency, Person
from cases import access, deadlines, workflow
from cases.fields import FIELD_GROUPS, OUT_OF_SCOPE
from cases.models import Case
from cases.queries import last_contacts, list_escalations, profile_of
from cases.queries.staleness import staleness_of
from hamkke.db import db
from hamkke.time import today_local


def case_page_facts(case: Case, person: Person, *, acting_agency_id: int | None) -> dict[str, Any]:
    """Return the case page's template values that are no client data, for ``person`` acting as given."""
    owner = db.session.get(Agency, case.owning_agency_id)
    today = today_local()
    clocks = deadlines.case_clocks(case, profile_of(owner) if owner else deadlines.DEFAULT_PROFILE, today)
    last = last_contacts([case.id]).get(case.id)
    escalations = [e for e in list_escalations(case.owning_agency_id, incoming=False) if e.case_id == case.id]
    return {
        "case": case,
        "groups": FIELD_GROUPS,
        "out_of_scope": OUT_OF_SCOPE,
        "owner": owner,
        "clocks": clocks,
        "next_contact": deadlines.next_contact_due(case.intensity, last, case.opened_on),
        "transitions": workflow.transitions_from(case.stage),
        "can_edit": access.can_on_case(person, case, "edit", agency_id=acting_agency_id),
        "can_supervise": access.can_on_case(person, case, "supervise", agency_id=acting_agency_id),
        "escalations": escalations,
        "stale": staleness_of(case.id, today),
        "people": {
            p.id: p.name
            for p in db.session.query(Person).filter(
                Person.id.in_({e.actor_id for e in case.events if e.actor_id})
            )
        },
    }
