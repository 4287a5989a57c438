"""Demo content of the network work: a pending member, an invited agency and an API client.

Called by the demo loader after ``demo.district.load_demo()``, before its commit::

    from demo.network import load_demo_network
    extras = load_demo_network()   # flushes; the caller commits
    db.session.commit()

It returns the one-time secrets (invitation link, API client secret) so the command can print
them once; they are not stored anywhere in clear.
"""

from __future__ import annotations

import sqlalchemy as sa

from agencies.models import (
    Agency,
    AgencySector,
    AgencyType,
    ApiClient,
    District,
    Membership,
    MembershipStatus,
    Person,
)
from agencies.onboarding import AgencyInvitationData, invitation_link, invite_agency
from agencies.services import register_api_client
from hamkke.db import db

COORDINATOR_EMAIL = "kim.coordinator@hanbit.go.kr"
WELFARE_ADMIN_EMAIL = "jung.admin@hanbit-welfare.or.kr"
PENDING_EMAIL = "shin.new@hanbit-welfare.or.kr"
INVITED_CODE = "hanbit-legal-aid"
INVITED_EMAIL = "director@hanbit-legal.or.kr"
API_CLIENT_NAME = "한빛종합사회복지관 사례관리 프로그램 (데모)"


def _person(email: str) -> Person:
    person = db.session.scalar(sa.select(Person).where(Person.email == email))
    if person is None:
        raise LookupError(f"demo person {email} is missing; run demo.district.load_demo() first")
    return person


def load_demo_network(district_code: str = "hanbit") -> dict[str, str]:
    """Add the network demo content once (skipping what exists); return what to show the operator.

    * the demo identity provider becomes the district's own, so its coordinator can edit it;
    * 신입 직원 waits for approval at 한빛종합사회복지관 (the welfare admin approves them);
    * 한빛법률구조센터 is invited (link returned, no e-mail sent);
    * 한빛종합사회복지관 has an API client with ``directory:read`` (secret returned).
    """
    district = db.session.scalar(sa.select(District).where(District.code == district_code))
    if district is None:
        raise LookupError(f"demo district {district_code} is missing; run demo.district.load_demo() first")
    welfare = db.session.scalar(sa.select(Agency).where(Agency.code == "hanbit-welfare"))
    if welfare is None:
        raise LookupError("demo agency hanbit-welfare is missing")
    coordinator = _person(COORDINATOR_EMAIL)
    welfare_admin = _person(WELFARE_ADMIN_EMAIL)
    shown: dict[str, str] = {}

    provider = welfare.identity_provider
    if provider is not None and provider.district_id is None:
        provider.district_id = district.id

    if db.session.scalar(sa.select(Person.id).where(Person.email == PENDING_EMAIL)) is None:
        newcomer = Person(name="신입직원", email=PENDING_EMAIL)
        db.session.add_all(
            [newcomer, Membership(person=newcomer, agency=welfare, status=MembershipStatus.pending)]
        )
        shown["승인 대기 직원"] = PENDING_EMAIL

    if (
        db.session.scalar(sa.select(Agency.id).where(Agency.code == INVITED_CODE)) is None
        and provider is not None
    ):
        db.session.flush()
        invitation, token = invite_agency(
            AgencyInvitationData(
                name="한빛법률구조센터",
                code=INVITED_CODE,
                type=AgencyType.legal_aid,
                sector=AgencySector.public,
                region_ids=(),
                email=INVITED_EMAIL,
                identity_provider_id=provider.id,
            ),
            actor=coordinator,
            district=district,
            send_email=False,
        )
        shown["초대 링크"] = invitation_link(token)
        shown["초대받은 전자우편"] = invitation.email

    if db.session.scalar(sa.select(ApiClient.id).where(ApiClient.name == API_CLIENT_NAME)) is None:
        client, secret = register_api_client(
            welfare, actor=welfare_admin, name=API_CLIENT_NAME, scopes=["directory:read"]
        )
        shown["API client_id"] = client.client_id
        shown["API client_secret"] = secret
    db.session.flush()
    return shown
