"""Who may see and change a district's meeting series and its 자문단 roster, object by object."""

from __future__ import annotations

from agencies.access import is_coordinator_of, is_network_member
from agencies.models import Agency, Person
from conference.access import acting_agency_of, can_schedule
from conference.models import ConferenceRule
from hamkke.db import db
from hamkke.errors import NotFound, PermissionDenied


def district_of(person: Person, acting_agency_id: int | None) -> Agency:
    """Return the acting agency, whose district's cadences the person sees; 404 for a non-member."""
    acting = acting_agency_of(person, acting_agency_id)
    if not is_network_member(person, acting.district_id):
        raise NotFound("페이지를 찾을 수 없습니다.", english="Not found.")
    return acting


def may_manage_series(person: Person, district_id: int, host: Agency | None) -> bool:
    """The district's coordinators, and organizers of the host agency, create, change and end series."""
    if is_coordinator_of(person, district_id):
        return True
    return host is not None and host.district_id == district_id and can_schedule(person, host)


def get_series_for(person: Person, rule_id: int, acting: Agency, *, manage: bool = False) -> ConferenceRule:
    """Load a series of the acting agency's district; 404 for others, 403 when it may not be changed."""
    rule = db.session.get(ConferenceRule, rule_id)
    if rule is None or rule.rrule is None or rule.district_id != acting.district_id:
        raise NotFound("회의 주기를 찾을 수 없습니다.", english="The meeting series does not exist.")
    if manage and not may_manage_series(
        person, rule.district_id, db.session.get(Agency, rule.host_agency_id)
    ):
        raise PermissionDenied(
            "조정자나 주관 기관의 담당자만 회의 주기를 바꿀 수 있습니다.",
            english="Only coordinators or the host agency's organizers change a series.",
        )
    return rule


def require_series_manager(person: Person, district_id: int, host: Agency) -> None:
    """Refuse (403) a person who may not create a series hosted by ``host``."""
    if not may_manage_series(person, district_id, host):
        raise PermissionDenied(
            "조정자나 주관 기관의 담당자만 회의 주기를 만들 수 있습니다.",
            english="Only coordinators or the host agency's organizers create a series.",
        )


def require_roster_manager(person: Person, district_id: int) -> None:
    """Refuse (403) anyone but the district's coordinators changing the 자문단 roster."""
    if not is_coordinator_of(person, district_id):
        raise PermissionDenied(
            "자문단 명단은 조정자만 바꿀 수 있습니다.", english="Only coordinators change the panel roster."
        )
