"""The network's demo content loads once on top of the demo district."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, AgencyStatus, ApiClient, Membership, MembershipStatus, Person
from demo.district import load_demo
from demo.network import INVITED_CODE, PENDING_EMAIL, load_demo_network


def test_demo_network_content_is_added_once(db: Any) -> None:
    # load_demo() adds the network content itself; a second call must add nothing.
    shown = load_demo()
    db.session.commit()

    assert shown["초대 링크"].startswith("http://localhost/agencies/join/")
    assert shown["API client_secret"].startswith("hks_")
    newcomer = db.session.scalar(sa.select(Person).where(Person.email == PENDING_EMAIL))
    assert newcomer is not None
    assert [
        m.status for m in db.session.scalars(sa.select(Membership).where(Membership.person_id == newcomer.id))
    ] == [MembershipStatus.pending]
    invited = db.session.scalar(sa.select(Agency).where(Agency.code == INVITED_CODE))
    assert invited is not None
    assert invited.status == AgencyStatus.invited
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 1

    assert load_demo_network() == {}
