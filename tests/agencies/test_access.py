"""The access matrix of the network: role × agency relation × target → allowed or denied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from agencies import access
from agencies.models import (
    Agency,
    AgencySector,
    AgencyStatus,
    AgencyType,
    District,
    Membership,
    MembershipStatus,
    Person,
    StaffRole,
)
from hamkke.errors import NotFound, PermissionDenied


@dataclass
class World:
    """Agencies A (the actors' own), B (same district), S (suspended, same district), X (other district)."""

    agencies: dict[str, Agency]
    actors: dict[str, Person | None]


@pytest.fixture
def world(
    dummy_district: District,
    create_district: Callable[..., District],
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> World:
    team = create_agency(type=AgencyType.district_team, sector=AgencySector.public)
    a = create_agency()
    b = create_agency()
    s = create_agency(status=AgencyStatus.suspended)
    other = create_district()
    x = create_agency(district=other)
    foreign_team = create_agency(district=other, type=AgencyType.district_team, sector=AgencySector.public)
    actors: dict[str, Person | None] = {
        "anonymous": None,
        "case_worker": create_person(agency=a, roles=[StaffRole.case_worker]),
        "supervisor": create_person(agency=a, roles=[StaffRole.supervisor]),
        "agency_admin": create_person(agency=a, roles=[StaffRole.agency_admin]),
        "coordinator": create_person(agency=team, roles=[StaffRole.coordinator]),
        "advisor": create_person(agency=a, roles=[StaffRole.advisor]),
        "auditor": create_person(agency=a, roles=[StaffRole.auditor]),
        "pending": create_person(agency=a, roles=[StaffRole.agency_admin], status=MembershipStatus.pending),
        "removed": create_person(agency=a, roles=[StaffRole.agency_admin], status=MembershipStatus.removed),
        "disabled_admin": create_person(agency=a, roles=[StaffRole.agency_admin], is_active=False),
        "suspended_admin": create_person(agency=s, roles=[StaffRole.agency_admin]),
        # The coordinator role counts only in the district team; held elsewhere it gives nothing extra.
        "coordinator_outside_team": create_person(agency=a, roles=[StaffRole.coordinator]),
        "foreign_admin": create_person(agency=x, roles=[StaffRole.agency_admin]),
        "foreign_coordinator": create_person(agency=foreign_team, roles=[StaffRole.coordinator]),
    }
    return World(agencies={"A": a, "B": b, "S": s, "X": x}, actors=actors)


PREDICATES: dict[str, Callable[[Person | None, Agency], bool]] = {
    "view_directory": lambda person, agency: access.can_view_directory(person, agency.district),
    "view_agency": access.can_view_agency,
    "view_staff": access.can_view_staff_contacts,
    "manage_agency": access.can_manage_agency,
    "change_status": access.can_change_agency_status,
    "manage_network": lambda person, agency: access.can_manage_network(person, agency.district),
}

MEMBER_OF_A = {
    "view_directory": {"A", "B", "S"},
    "view_agency": {"A", "B"},
    "view_staff": {"A", "B"},
}

#: what each actor may do; every (predicate, target) not listed is denied
ALLOWED: dict[str, dict[str, set[str]]] = {
    "anonymous": {},
    "case_worker": MEMBER_OF_A,
    "supervisor": MEMBER_OF_A,
    "auditor": MEMBER_OF_A,
    "agency_admin": {**MEMBER_OF_A, "manage_agency": {"A"}},
    "coordinator": {
        "view_directory": {"A", "B", "S"},
        "view_agency": {"A", "B", "S"},
        "view_staff": {"A", "B"},
        "change_status": {"A", "B", "S"},
        "manage_network": {"A", "B", "S"},
    },
    "advisor": {},
    "pending": {},
    "removed": {},
    "disabled_admin": {},
    "suspended_admin": {},
    "coordinator_outside_team": MEMBER_OF_A,
    "foreign_admin": {
        "view_directory": {"X"},
        "view_agency": {"X"},
        "view_staff": {"X"},
        "manage_agency": {"X"},
    },
    "foreign_coordinator": {
        "view_directory": {"X"},
        "view_agency": {"X"},
        "view_staff": {"X"},
        "change_status": {"X"},
        "manage_network": {"X"},
    },
}

CASES = [
    (actor, predicate, target, target in ALLOWED[actor].get(predicate, set()))
    for actor in ALLOWED
    for predicate in PREDICATES
    for target in ("A", "B", "S", "X")
]


@pytest.mark.parametrize(
    ("actor", "predicate", "target", "expected"),
    CASES,
    ids=[f"{a}-{p}-{t}-{'allow' if e else 'deny'}" for a, p, t, e in CASES],
)
def test_access_matrix(world: World, actor: str, predicate: str, target: str, expected: bool) -> None:
    assert PREDICATES[predicate](world.actors[actor], world.agencies[target]) is expected


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        ("coordinator", True),
        ("agency_admin", True),
        ("case_worker", False),
        ("auditor", False),
        ("foreign_admin", False),
        ("foreign_coordinator", False),
        ("anonymous", False),
    ],
)
def test_disable_person_of_a_single_agency(
    world: World, create_person: Callable[..., Person], actor: str, allowed: bool
) -> None:
    target = create_person(agency=world.agencies["A"], roles=[StaffRole.case_worker])
    assert access.can_manage_person(world.actors[actor], target) is allowed


def test_admin_of_one_of_two_agencies_cannot_disable_a_person(
    world: World, create_person: Callable[..., Person], db: Any
) -> None:
    target = create_person(agency=world.agencies["A"], roles=[StaffRole.case_worker])
    db.session.add(Membership(person=target, agency=world.agencies["B"], status=MembershipStatus.active))
    db.session.flush()

    assert access.can_manage_person(world.actors["agency_admin"], target) is False
    assert access.can_manage_person(world.actors["coordinator"], target) is True


def test_coordinator_cannot_disable_someone_working_in_another_district(
    world: World, create_person: Callable[..., Person], db: Any
) -> None:
    target = create_person(agency=world.agencies["A"], roles=[StaffRole.case_worker])
    db.session.add(Membership(person=target, agency=world.agencies["X"], status=MembershipStatus.active))
    db.session.flush()

    assert access.can_manage_person(world.actors["coordinator"], target) is False


def test_nobody_disables_themselves(world: World) -> None:
    admin = world.actors["agency_admin"]
    assert admin is not None
    assert access.can_manage_person(admin, admin) is False


def test_only_the_joining_admin_accepts_the_agreement(
    create_agency: Callable[..., Agency], create_person: Callable[..., Person], world: World
) -> None:
    joining = create_agency(status=AgencyStatus.pending_agreement)
    admin = create_person(agency=joining, roles=[StaffRole.agency_admin])
    worker = create_person(agency=joining, roles=[StaffRole.case_worker])

    assert access.can_accept_agreement(admin, joining) is True
    assert access.can_view_agency(admin, joining) is True
    assert access.can_accept_agreement(worker, joining) is False
    assert access.can_accept_agreement(world.actors["coordinator"], joining) is False
    # A joining agency is not in the directory of ordinary members yet.
    assert access.can_view_agency(world.actors["case_worker"], joining) is False


def test_get_agency_for_hides_agencies_the_person_may_not_know(world: World) -> None:
    with pytest.raises(NotFound):
        access.get_agency_for(world.actors["case_worker"], world.agencies["X"].code, "view")
    with pytest.raises(NotFound):
        access.get_agency_for(world.actors["case_worker"], "no-such-agency", "view")


def test_get_agency_for_refuses_visible_agencies_without_the_permission(world: World) -> None:
    with pytest.raises(PermissionDenied):
        access.get_agency_for(world.actors["case_worker"], world.agencies["A"].code, "manage")
    with pytest.raises(PermissionDenied):
        access.get_agency_for(world.actors["agency_admin"], world.agencies["B"].code, "manage")
    assert access.get_agency_for(world.actors["agency_admin"], world.agencies["A"].code, "manage").id == (
        world.agencies["A"].id
    )
