"""The consent records' answer to the case process: a client's grants in force on a day.

`cases.consent_basis` (the intake's collection ground, an escalation's consent status) needs it;
the case process sits below the consent records, so ``consents.init_app`` hands this reader down
(`cases.consent_basis.provide_grants_in_force`) instead of the case process importing the gate.
"""

from __future__ import annotations

from datetime import date

from cases.models import Client
from consents.gate import field_values, load_grant_facts
from consents.policy import GrantFacts, grant_is_active


def _age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def grants_in_force(client: Client, on: date) -> list[GrantFacts]:
    """Return the client's grants in force on ``on`` (under 14 only a 법정대리인's signature counts)."""
    # The owner's own check of its own client (no disclosure): read through the gate all the same.
    birth_date = field_values(client, ("basic",))["birth_date"]
    minor = birth_date is not None and _age_on(birth_date, on) < 14
    return [
        grant
        for grant in load_grant_facts([client.id])[client.id]
        if grant_is_active(grant, on) and (not minor or grant.signer_capacity == "legal_representative")
    ]
