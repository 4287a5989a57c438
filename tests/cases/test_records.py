"""Clients and households, the consent gate's seam, access, records and their validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from agencies.models import Agency, AgencySector, AgencyType, Person, StaffRole
from cases import access, services
from cases.fields import FIELD_GROUPS, OUT_OF_SCOPE
from cases.models import (
    Case,
    CaseStage,
    Client,
    CounsellingArea,
    CounsellingMethod,
    CounsellingType,
    MonitoringAction,
    MonitoringChannel,
    MonitoringFinding,
    PlanService,
)
from consents.gate import ClientView, mask_rrn, view_client
from hamkke.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from hamkke.time import today_local
from tests.fixtures.cases import CaseKit

# --- field groups --------------------------------------------------------------------------------


def test_every_personal_client_column_declares_a_known_group() -> None:
    for column in Client.__table__.columns:
        if column.info.get("pii"):
            assert column.info["field_group"] in FIELD_GROUPS, column.name


def test_registry_lists_the_twelve_groups_with_korean_labels_and_sensitive_health() -> None:
    assert [group.label for group in FIELD_GROUPS.values()] == [
        "기본정보",
        "고유식별정보",
        "가구정보",
        "경제상황",
        "건강정보",
        "가족관계",
        "욕구사정",
        "위기도",
        "상담기록",
        "서비스이력",
        "계좌정보",
        "취업·교육이력",
    ]
    assert FIELD_GROUPS["health"].sensitive
    assert FIELD_GROUPS["account"].sensitive
    assert not FIELD_GROUPS["basic"].sensitive


# --- 주민등록번호 --------------------------------------------------------------------------------------


def test_rrn_is_encrypted_and_shown_masked_only(case_kit: CaseKit) -> None:
    case = case_kit.open(
        client=services.ClientInput(
            name="박영희", rrn="800101-2345678", rrn_legal_basis="사회보장급여법 제37조"
        )
    )
    client = case.main_client
    assert client.rrn_encrypted
    assert "2345678" not in client.rrn_encrypted
    view = view_client(
        client, case_kit.worker, purpose="case_management", acting_agency_id=case_kit.dong_centre.id
    )
    assert view.value("unique_id", "rrn_masked") == "800101-2******"
    assert mask_rrn("8001012345678") == "800101-2******"


def test_rrn_needs_a_legal_basis(case_kit: CaseKit) -> None:
    with pytest.raises(ValidationFailed, match="법령") as caught:
        case_kit.open(client=services.ClientInput(name="박영희", rrn="800101-2345678"))
    assert caught.value.field == "rrn_legal_basis"


def test_private_agency_may_not_store_an_rrn(case_kit: CaseKit, create_agency: Callable[..., Agency]) -> None:
    private = create_agency(sector=AgencySector.private)
    with pytest.raises(ValidationFailed, match="민간기관"):
        services.open_case(
            private,
            services.ClientInput(name="박영희", rrn="800101-2345678", rrn_legal_basis="법"),
            actor=case_kit.worker,
            opened_on=today_local(),
        )


def test_bad_input_saves_nothing(case_kit: CaseKit, db: Any) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    with pytest.raises(ValidationFailed, match="미래") as caught:
        case_kit.open(opened_on=today_local() + timedelta(days=1))
    assert caught.value.field == "opened_on"
    with pytest.raises(ValidationFailed, match="이름"):
        case_kit.open(client=services.ClientInput(name="  "))
    with pytest.raises(ValidationFailed, match="생년월일"):
        case_kit.open(client=services.ClientInput(name="김", birth_date=today_local() + timedelta(days=2)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == before


# --- households ----------------------------------------------------------------------------------


def test_household_members_and_strategic_main_client(case_kit: CaseKit) -> None:
    case = case_kit.open()
    daughter = services.add_household_member(
        case,
        services.ClientInput(
            name="김하늘", sex="여", birth_date=date(2012, 3, 1), relationship_to_head="자녀"
        ),
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
    )
    assert {member.id for member in case.household.members} == {case.main_client_id, daughter.id}
    services.choose_main_client(
        case,
        daughter,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        reason="아동 보호가 가구 전체의 변화를 이끈다",
    )
    assert case.household.main_client is daughter
    assert case.main_client_id == daughter.id
    assert daughter.owning_agency_id == case_kit.dong_centre.id


# --- the gate seam ------------------------------------------------------------------------------


def test_gate_gives_the_owning_agency_every_group_and_the_case_records(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.selection)
    view = view_client(
        case.main_client,
        case_kit.worker,
        purpose="case_management",
        acting_agency_id=case_kit.dong_centre.id,
        context={"case_id": case.id},
    )
    assert isinstance(view, ClientView)
    assert view.visible_groups == frozenset(FIELD_GROUPS)
    assert view.name == "김민수"
    assert [need["client_words"] for need in view.records("case_needs")] == ["월세 좀 내 주세요"]
    assert view.records("case_intake_records")[0]["worker_opinion"] == "우울감이 보임"
    with pytest.raises(TypeError):
        view.records("case_needs")[0]["client_words"] = "changed"  # type: ignore[index]


def test_gate_refuses_everyone_else_with_not_found(
    case_kit: CaseKit, create_agency: Callable[..., Agency], create_person: Callable[..., Person]
) -> None:
    case = case_kit.open()
    other = create_agency()
    stranger = create_person(agency=other)
    for actor, agency_id in (
        (stranger, other.id),
        (case_kit.coordinator, case_kit.team.id),
        (stranger, case_kit.dong_centre.id),
        (None, case_kit.dong_centre.id),
    ):
        with pytest.raises(NotFound):
            view_client(case.main_client, actor, purpose="case_management", acting_agency_id=agency_id)


def test_placeholder_for_a_withheld_group() -> None:
    view = ClientView(
        client_id=1,
        owning_agency_id=1,
        visible_groups=frozenset({"basic"}),
        _values={"basic": {"name": "김"}},
        _records={},
    )
    assert view.value("basic", "name") == "김"
    assert view.value("health", "mental_health") == OUT_OF_SCOPE
    assert view.records("case_needs") == ()


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "permission", "allowed"),
    [
        ("worker", "view", True),
        ("worker", "edit", True),
        ("worker", "supervise", False),
        ("supervisor", "supervise", True),
        ("coordinator", "view", False),
        ("stranger", "view", False),
        ("lead_worker", "edit", True),
        ("advisor", "view", False),
    ],
)
def test_case_access_matrix(
    case_kit: CaseKit,
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
    who: str,
    permission: access.CasePermission,
    allowed: bool,
) -> None:
    case = case_kit.open()
    lead = create_agency(type=AgencyType.community_welfare_centre)
    case.lead_agency_id = lead.id
    people = {
        "worker": (case_kit.worker, case_kit.dong_centre.id),
        "supervisor": (case_kit.supervisor, case_kit.dong_centre.id),
        "coordinator": (case_kit.coordinator, case_kit.team.id),
        "stranger": (create_person(agency=create_agency()), None),
        "lead_worker": (create_person(agency=lead), lead.id),
        "advisor": (
            create_person(agency=case_kit.dong_centre, roles=[StaffRole.advisor]),
            case_kit.dong_centre.id,
        ),
    }
    person, agency_id = people[who]
    if agency_id is None:
        agency_id = person.memberships[0].agency_id
    assert access.can_on_case(person, case, permission, agency_id=agency_id) is allowed
    if not allowed and permission == "view":
        with pytest.raises(NotFound):
            access.get_case_for(person, case.id, "view", agency_id=agency_id)
    if not allowed and permission != "view":
        with pytest.raises(PermissionDenied):
            access.get_case_for(person, case.id, permission, agency_id=agency_id)


def test_acting_for_another_agency_hides_the_case(
    case_kit: CaseKit, create_agency: Callable[..., Agency], create_person: Callable[..., Person]
) -> None:
    case = case_kit.open()
    other = create_agency()
    both = create_person(agency=case_kit.dong_centre)
    from agencies.models import Membership, MembershipRole, MembershipStatus
    from hamkke.time import now_utc

    membership = Membership(person=both, agency=other, status=MembershipStatus.active)
    membership.roles.append(MembershipRole(role=StaffRole.case_worker, granted_at=now_utc()))
    services.db.session.add(membership)
    services.db.session.flush()
    assert access.can_on_case(both, case, "edit", agency_id=case_kit.dong_centre.id)
    assert not access.can_on_case(both, case, "view", agency_id=other.id)


# --- records -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finding", "action"),
    [
        (MonitoringFinding.on_track, MonitoringAction.none),
        (MonitoringFinding.new_need, MonitoringAction.reassess),
        (MonitoringFinding.environment_changed, MonitoringAction.reassess),
        (MonitoringFinding.change_requested, MonitoringAction.revise_plan),
        (MonitoringFinding.provider_stopped, MonitoringAction.revise_plan),
        (MonitoringFinding.effect_minimal, MonitoringAction.revise_plan),
        (MonitoringFinding.improved, MonitoringAction.closure_review),
        (MonitoringFinding.moved_or_lost_contact, MonitoringAction.closure_review),
        (MonitoringFinding.refused, MonitoringAction.closure_review),
        (MonitoringFinding.trust_broken, MonitoringAction.closure_review),
    ],
)
def test_monitoring_finding_calls_for_the_manual_s_action(
    case_kit: CaseKit, create_case: Callable[..., Case], finding: MonitoringFinding, action: MonitoringAction
) -> None:
    case = create_case(CaseStage.delivery)
    log, suggested = services.add_counselling_log(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        contacted_on=today_local(),
        channel=MonitoringChannel.regular_contact,
        method=CounsellingMethod.face_visit,
        area=CounsellingArea.client,
        counselling_type=CounsellingType.welfare_housing,
        minutes=40,
        content="주거비 지원 후 안정",
        worker_opinion="의욕 회복",
        finding=finding,
    )
    assert suggested == action
    assert (log.worker_opinion, log.content) == ("의욕 회복", "주거비 지원 후 안정")


@pytest.mark.parametrize("minutes", [9, 181])
def test_counselling_minutes_stay_within_10_to_180(
    case_kit: CaseKit, create_case: Callable[..., Case], minutes: int
) -> None:
    case = create_case(CaseStage.delivery)
    with pytest.raises(ValidationFailed, match="10분부터 180분") as caught:
        services.add_counselling_log(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            contacted_on=today_local(),
            channel=MonitoringChannel.provider,
            method=CounsellingMethod.phone_out,
            area=CounsellingArea.client,
            counselling_type=CounsellingType.welfare_other,
            minutes=minutes,
            content="통화",
        )
    assert caught.value.field == "minutes"


def test_records_are_refused_in_the_wrong_stage(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.intake_pending)
    with pytest.raises(InvalidTransition, match="상담일지"):
        services.add_counselling_log(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            contacted_on=today_local(),
            channel=MonitoringChannel.provider,
            method=CounsellingMethod.phone_out,
            area=CounsellingArea.client,
            counselling_type=CounsellingType.welfare_other,
            minutes=20,
            content="통화",
        )


def test_service_check_and_result_pending_until_recorded(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.delivery)
    service = db.session.scalars(sa.select(PlanService)).all()[-1]
    assert service.result is None  # shown as "결과 대기" on the case page
    with pytest.raises(ValidationFailed, match="1부터 4"):
        services.add_service_check(
            case,
            service,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            checked_on=today_local(),
            sufficiency=5,
            appropriateness=3,
            efficiency=3,
        )
    check = services.add_service_check(
        case,
        service,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        checked_on=today_local(),
        sufficiency=4,
        appropriateness=3,
        efficiency=2,
    )
    assert (check.sufficiency, check.appropriateness, check.efficiency) == (4, 3, 2)
    services.record_service_result(
        service,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        result="체납 해소",
        result_on=today_local(),
    )
    assert service.result == "체납 해소"


def test_plan_goal_needs_a_target_date_inside_the_horizon(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.planning)
    today = today_local()
    for target in (None, today - timedelta(days=1), today + timedelta(days=400)):
        with pytest.raises(ValidationFailed, match="목표일") as caught:
            services.create_plan(
                case,
                actor=case_kit.worker,
                agency_id=case_kit.dong_centre.id,
                horizon_months=6,
                client_role="참여",
                family_role=None,
                goals=[
                    services.GoalInput(services.NeedDomain.economy, services.GoalTerm.long, "안정", target)
                ],
                services=[services.ServiceInput("상담", "주 1회", 6, "집중", provider_name="복지관")],
            )
        assert caught.value.field == "goals-0-target_on"
