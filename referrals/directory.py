"""The resource directory (자원목록, 활용서식7): services by category, searchable, exported as HSDS JSON."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from agencies.models import Agency, AgencyStatus, District, Service
from hamkke.db import db

#: longest search keyword accepted
MAX_QUERY_LENGTH = 100


def search_services(
    district: District, *, q: str = "", category: str = "", limit: int = 200
) -> list[Service]:
    """Return active services of the district's active agencies matching ``q`` (name, eligibility, agency)."""
    statement = (
        sa.select(Service)
        .join(Agency, Service.agency_id == Agency.id)
        .where(Agency.district_id == district.id, Agency.status == AgencyStatus.active, Service.is_active)
        .options(selectinload(Service.agency))
        .order_by(Service.category, Agency.name, Service.name)
        .limit(limit)
    )
    if category:
        statement = statement.where(Service.category == category)
    keyword = q.strip()[:MAX_QUERY_LENGTH]
    if keyword:
        # LIKE wildcards typed by the user are taken literally.
        escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        statement = statement.where(
            sa.or_(
                Service.name.ilike(pattern, escape="\\"),
                Service.description.ilike(pattern, escape="\\"),
                Service.eligibility.ilike(pattern, escape="\\"),
                Service.category.ilike(pattern, escape="\\"),
                Agency.name.ilike(pattern, escape="\\"),
            )
        )
    return list(db.session.scalars(statement))


def by_category(services: list[Service]) -> dict[str, list[Service]]:
    """Group services by category, as the 활용서식7 table does (one table per category)."""
    groups: dict[str, list[Service]] = defaultdict(list)
    for service in services:
        groups[service.category].append(service)
    return dict(groups)


def categories(district: District) -> list[str]:
    """Return the service categories in use in the district, sorted."""
    return list(
        db.session.scalars(
            sa.select(Service.category)
            .join(Agency, Service.agency_id == Agency.id)
            .where(Agency.district_id == district.id, Agency.status == AgencyStatus.active, Service.is_active)
            .distinct()
            .order_by(Service.category)
        )
    )


def hsds_export(district: District) -> dict[str, Any]:
    """Return the district's directory as Open Referral HSDS 3.0 objects (organizations, services, locations).

    IDs are stable strings derived from our codes; only organisational data, never client data.
    """
    services = search_services(district, limit=100_000)
    agencies: dict[int, Agency] = {service.agency_id: service.agency for service in services}
    organizations = [
        {
            "id": f"hamkke:agency:{agency.code}",
            "name": agency.name,
            "description": agency.description or agency.type.label,
            "email": agency.email,
            "website": agency.website,
            "phones": [{"id": f"hamkke:agency:{agency.code}:phone", "number": agency.phone}]
            if agency.phone
            else [],
        }
        for agency in agencies.values()
    ]
    locations = [
        {
            "id": f"hamkke:location:{agency.code}",
            "organization_id": f"hamkke:agency:{agency.code}",
            "location_type": "physical",
            "name": agency.name,
            "addresses": (
                [
                    {
                        "id": f"hamkke:location:{agency.code}:address",
                        "address_1": agency.address,
                        "city": district.name,
                        "state_province": "",
                        "postal_code": "",
                        "country": "KR",
                        "address_type": "physical",
                    }
                ]
                if agency.address
                else []
            ),
        }
        for agency in agencies.values()
    ]
    service_rows = [
        {
            "id": f"hamkke:service:{service.id}",
            "organization_id": f"hamkke:agency:{service.agency.code}",
            "name": service.name,
            "description": service.description or "",
            "status": "active",
            "eligibility_description": service.eligibility or "",
            "attributes": [{"taxonomy_term": {"term": service.category, "vocabulary": "hamkke-need-domain"}}],
            "contacts": [{"id": f"hamkke:service:{service.id}:contact", "name": service.contact}]
            if service.contact
            else [],
            "service_areas": [{"id": f"hamkke:service:{service.id}:area", "description": service.area}]
            if service.area
            else [],
            "service_at_locations": [
                {
                    "id": f"hamkke:service:{service.id}:at:{service.agency.code}",
                    "location_id": f"hamkke:location:{service.agency.code}",
                }
            ],
        }
        for service in services
    ]
    return {
        "version": "3.0",
        "publisher": district.name,
        "organizations": organizations,
        "services": service_rows,
        "locations": locations,
    }
