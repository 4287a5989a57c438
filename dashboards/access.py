"""Who may see which dashboard; checked per object for the agency the viewer acts for.

Rules:

* **District dashboard**: the coordinator of that district, acting for its district team
  (희망복지지원단). Its numbers span many agencies, so cells under 5 are suppressed.
* **Agency dashboard**: staff (case worker, supervisor, agency admin, coordinator) of that agency
  acting for it see it whole, with the "action needed" lists; the district coordinator sees the
  numbers of any agency of the district, suppressed, without lists.
* **Dong dashboard**: staff of the dong's 주민센터 acting for it see it whole; the district
  coordinator sees any dong of the district, suppressed.
* Anything else answers 404, so a dashboard outside one's scope is not even confirmed to exist.
"""

from __future__ import annotations

from agencies.models import Agency, AgencyType, District, Dong, Person, Region, StaffRole
from cases.access import acting_agency_id, is_coordinator_for, roles_for
from dashboards.dong_tables import dong_centre_of
from dashboards.queries import Scope
from hamkke.db import db
from hamkke.errors import NotFound

#: roles that make someone staff of an agency for its own dashboard (advisors and auditors are not)
STAFF_ROLES = frozenset(
    {StaffRole.case_worker, StaffRole.supervisor, StaffRole.agency_admin, StaffRole.coordinator}
)


def _not_found() -> NotFound:
    return NotFound("대시보드를 찾을 수 없습니다.", english="No such dashboard.")


def _coordinated_district(person: Person | None, agency_id: int | None) -> int | None:
    """Return the district the viewer coordinates in this request (acting for its district team)."""
    if person is None or agency_id is None or not is_coordinator_for(person, agency_id):
        return None
    agency = db.session.get(Agency, agency_id)
    return agency.district_id if agency is not None else None


def district_scope(person: Person | None, district_id: int, *, region_id: int | None = None) -> Scope:
    """Load the district dashboard's scope for its coordinator; 404 for anyone else or a foreign 권역."""
    district = db.session.get(District, district_id)
    if district is None or _coordinated_district(person, acting_agency_id()) != district.id:
        raise _not_found()
    if region_id is not None:
        region = db.session.get(Region, region_id)
        if region is None or region.district_id != district.id:
            raise NotFound("이 구의 권역이 아닙니다.", english="No such region in this district.")
    return Scope("district", district.id, district.id, district.name, suppress=True, region_id=region_id)


def agency_scope(person: Person | None, agency_id: int) -> Scope:
    """Load an agency dashboard's scope: whole for its own staff, suppressed for the district coordinator."""
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise _not_found()
    acting = acting_agency_id()
    if acting == agency.id and roles_for(person, acting) & STAFF_ROLES:
        return Scope("agency", agency.district_id, agency.id, agency.name, suppress=False, is_own=True)
    if _coordinated_district(person, acting) == agency.district_id:
        return Scope("agency", agency.district_id, agency.id, agency.name, suppress=True)
    raise _not_found()


def dong_scope(person: Person | None, dong_id: int) -> Scope:
    """Load a dong dashboard's scope: whole for its 주민센터's staff, suppressed for the coordinator."""
    dong = db.session.get(Dong, dong_id)
    if dong is None:
        raise _not_found()
    centre = dong_centre_of(dong.id)
    acting = acting_agency_id()
    name = dong.name
    if centre is not None and acting == centre and roles_for(person, acting) & STAFF_ROLES:
        return Scope(
            "dong", dong.district_id, dong.id, name, suppress=False, is_own=True, dong_agency_id=centre
        )
    if _coordinated_district(person, acting) == dong.district_id:
        return Scope("dong", dong.district_id, dong.id, name, suppress=True, dong_agency_id=centre)
    raise _not_found()


def home_scope(person: Person | None) -> tuple[str, int] | None:
    """Return the viewer's landing dashboard: district (coordinator), dong (주민센터) or agency."""
    acting = acting_agency_id()
    district_id = _coordinated_district(person, acting)
    if district_id is not None:
        return ("district", district_id)
    if acting is None or not roles_for(person, acting) & STAFF_ROLES:
        return None
    agency = db.session.get(Agency, acting)
    if agency is None:
        return None
    if agency.type == AgencyType.dong_centre and agency.dong_id is not None:
        return ("dong", agency.dong_id)
    return ("agency", agency.id)
