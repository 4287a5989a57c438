"""Reads of the district network: directory search, staff lists, invitations, API clients, sessions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from agencies.access import is_break_glass_admin, is_coordinator_of, is_network_member
from agencies.models import (
    Agency,
    AgencyStatus,
    AgencyType,
    ApiClient,
    District,
    IdentityProvider,
    Invitation,
    Membership,
    MembershipStatus,
    Person,
    Region,
    Service,
    UserSession,
    agency_regions,
)
from hamkke.db import db
from hamkke.paging import Page
from hamkke.paging import paginate as paginate_select

T = TypeVar("T")

#: the longest keyword searched; longer input is refused by the forms and the API
MAX_KEYWORD_LENGTH = 100


def paginate(select: sa.Select[tuple[T]], *, page: int, per_page: int) -> Page[T]:
    """Run ``select`` for one page and count the whole result (a page past the end is empty, as asked)."""
    return paginate_select(select, page=page, per_page=per_page, clamp_to_last=False)


def query_directory(
    district_id: int,
    *,
    agency_type: AgencyType | None = None,
    region_id: int | None = None,
    category: str | None = None,
    keyword: str | None = None,
) -> sa.Select[tuple[Agency]]:
    """Return active agencies of the district matching the filters, by name.

    ``region_id`` matches agencies serving that 권역 (agencies with no 권역 listed serve the whole
    district and always match); ``category`` matches agencies with an active service of that
    category; ``keyword`` matches the agency's name or description or one of its services' names.
    """
    select = (
        sa.select(Agency)
        .where(Agency.district_id == district_id, Agency.status == AgencyStatus.active)
        .options(selectinload(Agency.regions), selectinload(Agency.services))
        .order_by(Agency.name, Agency.id)
    )
    if agency_type is not None:
        select = select.where(Agency.type == agency_type)
    if region_id is not None:
        serves_region = sa.exists().where(
            agency_regions.c.agency_id == Agency.id, agency_regions.c.region_id == region_id
        )
        serves_any_region = sa.exists().where(agency_regions.c.agency_id == Agency.id)
        select = select.where(sa.or_(serves_region, ~serves_any_region))
    if category:
        select = select.where(
            sa.exists().where(
                Service.agency_id == Agency.id, Service.is_active.is_(True), Service.category == category
            )
        )
    if keyword:
        select = select.where(
            sa.or_(
                Agency.name.icontains(keyword, autoescape=True),
                Agency.description.icontains(keyword, autoescape=True),
                sa.exists().where(
                    Service.agency_id == Agency.id,
                    Service.is_active.is_(True),
                    Service.name.icontains(keyword, autoescape=True),
                ),
            )
        )
    return select


def query_services(
    district_id: int,
    *,
    category: str | None = None,
    region_id: int | None = None,
    keyword: str | None = None,
) -> sa.Select[tuple[Service]]:
    """Return active services of active agencies of the district, by category and name."""
    select = (
        sa.select(Service)
        .join(Service.agency)
        .where(
            Agency.district_id == district_id,
            Agency.status == AgencyStatus.active,
            Service.is_active.is_(True),
        )
        .options(selectinload(Service.agency))
        .order_by(Service.category, Service.name, Service.id)
    )
    if category:
        select = select.where(Service.category == category)
    if region_id is not None:
        serves_region = sa.exists().where(
            agency_regions.c.agency_id == Agency.id, agency_regions.c.region_id == region_id
        )
        serves_any_region = sa.exists().where(agency_regions.c.agency_id == Agency.id)
        select = select.where(sa.or_(serves_region, ~serves_any_region))
    if keyword:
        select = select.where(
            sa.or_(
                Service.name.icontains(keyword, autoescape=True),
                Service.description.icontains(keyword, autoescape=True),
                Service.eligibility.icontains(keyword, autoescape=True),
            )
        )
    return select


def list_regions(district_id: int) -> list[Region]:
    """Return the district's 권역 in display order, with their dongs."""
    return list(
        db.session.scalars(
            sa.select(Region)
            .where(Region.district_id == district_id)
            .options(selectinload(Region.dongs))
            .order_by(Region.position, Region.id)
        )
    )


def get_region_by_code(district_id: int, code: str) -> Region | None:
    """Return the district's 권역 with ``code``, if any."""
    return db.session.scalar(sa.select(Region).where(Region.district_id == district_id, Region.code == code))


def list_service_categories(district_id: int) -> list[str]:
    """Return the service categories in use by active agencies of the district, sorted."""
    return list(
        db.session.scalars(
            sa.select(Service.category)
            .join(Service.agency)
            .where(
                Agency.district_id == district_id,
                Agency.status == AgencyStatus.active,
                Service.is_active.is_(True),
            )
            .distinct()
            .order_by(Service.category)
        )
    )


def get_agency_by_code(district_id: int, code: str) -> Agency | None:
    """Return the district's active agency with ``code``, if any."""
    return db.session.scalar(
        sa.select(Agency)
        .where(Agency.district_id == district_id, Agency.code == code, Agency.status == AgencyStatus.active)
        .options(selectinload(Agency.regions), selectinload(Agency.dongs), selectinload(Agency.services))
    )


def list_staff_contacts(agency: Agency) -> list[Membership]:
    """Return the agency's active staff (active people), by name, for the contact list."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.person)
            .where(
                Membership.agency_id == agency.id,
                Membership.status == MembershipStatus.active,
                Person.is_active.is_(True),
            )
            .options(selectinload(Membership.roles))
            .order_by(Person.name, Person.id)
        )
    )


def list_members_for_admin(agency: Agency) -> list[Membership]:
    """Return pending memberships first (oldest first), then active ones by name; removed ones last."""
    order = sa.case(
        (Membership.status == MembershipStatus.pending, 0),
        (Membership.status == MembershipStatus.active, 1),
        else_=2,
    )
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.person)
            .where(Membership.agency_id == agency.id)
            .options(selectinload(Membership.roles), selectinload(Membership.person))
            .order_by(order, sa.case((order == 0, Membership.created_at)), Person.name, Membership.id)
        )
    )


def list_memberships_of(person: Person) -> list[Membership]:
    """Return every membership of the person (any status), with agency and roles."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.agency)
            .where(Membership.person_id == person.id)
            .options(selectinload(Membership.roles), selectinload(Membership.agency))
            .order_by(Agency.name)
        )
    )


def list_sessions_of(person: Person, *, limit: int = 10) -> list[UserSession]:
    """Return the person's open sessions and the most recent ended ones, newest first."""
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.person_id == person.id)
            .order_by(UserSession.ended_at.is_not(None), UserSession.created_at.desc(), UserSession.id.desc())
            .limit(limit)
        )
    )


def list_network_districts(person: Person) -> list[District]:
    """Return the districts whose network the person belongs to, by name."""
    seen: dict[int, District] = {}
    for membership in person.memberships:
        district = membership.agency.district
        if district.id not in seen and is_network_member(person, district.id):
            seen[district.id] = district
    return sorted(seen.values(), key=lambda district: district.name)


def list_coordinated_districts(person: Person) -> list[District]:
    """Return the districts the person coordinates (every district for break-glass), by name."""
    if is_break_glass_admin(person):
        return list(db.session.scalars(sa.select(District).order_by(District.name)))
    seen: dict[int, District] = {}
    for membership in person.memberships:
        district = membership.agency.district
        if district.id not in seen and is_coordinator_of(person, district.id):
            seen[district.id] = district
    return sorted(seen.values(), key=lambda district: district.name)


def list_invitations(district_id: int, *, limit: int = 100) -> list[Invitation]:
    """Return the district's invitations, newest first."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.district_id == district_id)
            .options(selectinload(Invitation.agency))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(limit)
        )
    )


def list_agencies_by_status(district_id: int, statuses: Sequence[AgencyStatus]) -> list[Agency]:
    """Return the district's agencies in the given states, by name."""
    return list(
        db.session.scalars(
            sa.select(Agency)
            .where(Agency.district_id == district_id, Agency.status.in_(list(statuses)))
            .order_by(Agency.name, Agency.id)
        )
    )


def list_identity_providers(district_id: int) -> list[IdentityProvider]:
    """Return the providers a coordinator of the district may bind: the district's own and platform-wide."""
    return list(
        db.session.scalars(
            sa.select(IdentityProvider)
            .where(
                sa.or_(IdentityProvider.district_id == district_id, IdentityProvider.district_id.is_(None))
            )
            .order_by(IdentityProvider.name, IdentityProvider.id)
        )
    )


def list_api_clients(agency: Agency) -> list[ApiClient]:
    """Return the agency's API clients, active first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiClient)
            .where(ApiClient.agency_id == agency.id)
            .order_by(ApiClient.revoked_at.is_not(None), ApiClient.created_at.desc(), ApiClient.id.desc())
        )
    )


def directory_facets(district_id: int) -> dict[str, Any]:
    """Return the filter choices of the directory: agency types in use, 권역 and service categories."""
    types = db.session.scalars(
        sa.select(Agency.type)
        .where(Agency.district_id == district_id, Agency.status == AgencyStatus.active)
        .distinct()
    ).all()
    return {
        "types": sorted(types, key=lambda kind: list(AgencyType).index(kind)),
        "regions": list_regions(district_id),
        "categories": list_service_categories(district_id),
    }
