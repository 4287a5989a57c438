"""One consented case for the live and worker benchmarks' own districts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any


def consented_case(
    *,
    owner: Any,
    worker: Any,
    name: str,
    birth_date: date,
    opened_days_ago: int,
    grant: Any,
    **client_fields: Any,
) -> Any:
    """Create a household, its main client and an open case of ``owner``; the client consents to ``grant``."""
    from cases.models import Case, Client, Household
    from consents import services as consent_services
    from hamkke.db import db
    from hamkke.time import today_local

    household = Household(owning_agency_id=owner.id)
    client = Client(
        household=household,
        owning_agency_id=owner.id,
        name=name,
        birth_date=birth_date,
        is_main_client=True,
        **client_fields,
    )
    db.session.add_all([household, client])
    db.session.flush()
    case = Case(
        household_id=household.id,
        main_client_id=client.id,
        owning_agency_id=owner.id,
        case_worker_id=worker.id,
        opened_on=today_local() - timedelta(days=opened_days_ago),
    )
    db.session.add(case)
    db.session.flush()
    consent_services.record_consent(
        client,
        consent_services.ConsentInput(
            signer_capacity="self",
            signer_name=name,
            method="signed_in_person",
            signed_on=today_local(),
            valid_from=today_local(),
            case_id=case.id,
            grants=(grant,),
        ),
        actor=worker,
        agency=owner,
    )
    return case
