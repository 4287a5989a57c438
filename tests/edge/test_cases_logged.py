"""Case pages outside the case page itself leave committed access-log rows for their viewer.

A file kept with the case (needs group), downloaded by the owning dong centre's worker; the
내부판정회의 form listing the dong's cases awaiting judgment, opened by a worker of that dong centre;
the printed 종결보고서, 사후관리 계획서 and 자활사정지.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.edge.live import committed, log_rows, signed_in
from tests.edge.world import PDF, World
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded

#: the disclosing routes this module proves logged
LIVE = frozenset(
    {
        "cases.download_attachment",
        "cases.dong_meeting",
        "cases.print_closure_report",
        "cases.print_follow_up_plan",
        "cases.print_self_assessment",
    }
)


def test_case_file_download_is_logged(
    live_server: LiveServer, world: World, second_connection: sa.Engine
) -> None:
    """A genogram stored with the case, downloaded by the owning agency's worker: logged."""
    from agencies.models import Person
    from cases import services
    from cases.models import AttachmentKind, Case

    with committed(live_server.app) as session:
        attachment = services.add_attachment(
            session.get(Case, world.case_id),
            actor=session.get(Person, world.sender_id),
            agency_id=world.dong_centre_id,
            kind=AttachmentKind.genogram,
            filename="가계도.pdf",
            content_type="application/pdf",
            data=PDF,
        )
        session.flush()
        attachment_id = attachment.id
    http = signed_in(live_server.app, world.sender_id, world.dong_centre_id)
    before = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    download = http.get(f"{live_server.url}/cases/{world.case_id}/attachments/{attachment_id}", timeout=30)
    assert download.status_code == 200, download.text[:500]
    assert download.content == PDF
    after = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    assert after > before, "the case file was served but its download left no log row"


def test_dong_meeting_form_is_logged(live_server: LiveServer, second_connection: sa.Engine) -> None:
    """The 내부판정회의 form lists the dong's households awaiting judgment: logged for the worker."""
    from agencies.models import Agency, AgencyType
    from cases.models import Case, CaseStage
    from cases.queries import cases_awaiting_judgment

    with committed(live_server.app) as session:
        awaiting = [
            case
            for case in session.scalars(
                sa.select(Case)
                .join(Agency, Agency.id == Case.owning_agency_id)
                .where(
                    Agency.type == AgencyType.dong_centre,
                    Case.stage == CaseStage.selection,
                    Case.case_worker_id.is_not(None),
                )
                .order_by(Case.id)
            )
            if case in cases_awaiting_judgment(case.owning_agency_id)
        ]
        assert awaiting, "the demo has no dong case awaiting judgment"
        worker_id, agency_id = awaiting[0].case_worker_id, awaiting[0].owning_agency_id
    assert worker_id is not None
    http = signed_in(live_server.app, worker_id, agency_id)
    before = log_rows(second_connection, actor_id=worker_id)
    page = http.get(f"{live_server.url}/cases/dong-meetings/new", timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert log_rows(second_connection, actor_id=worker_id) > before, (
        "the form listed clients but left no log row"
    )


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ("cases.print_closure_report", "closure-report/print"),
        ("cases.print_follow_up_plan", "follow-up/print"),
    ],
)
def test_closure_prints_are_logged(
    endpoint: str, path: str, live_server: LiveServer, world: World, second_connection: sa.Engine
) -> None:
    """The A4 종결보고서, 사후관리 계획서 and 자활사정지 show the client's name and more: logged."""
    from datetime import timedelta

    from cases.models import ClosureReport, FollowUpMethod, FollowUpPlan, SelfSufficiencyAssessment
    from hamkke.time import today_local

    today = today_local()
    with committed(live_server.app) as session:
        # Rows as the closure forms leave them; the forms themselves are tested in tests/cases.
        session.add(
            ClosureReport(
                case_id=world.case_id,
                written_on=today,
                author_id=world.sender_id,
                current_status="취업",
                closure_reason="목표 달성",
            )
        )
        session.add(
            FollowUpPlan(
                case_id=world.case_id,
                method=FollowUpMethod.phone,
                starts_on=today,
                ends_on=today + timedelta(days=90),
            )
        )
        session.add(
            SelfSufficiencyAssessment(
                case_id=world.case_id,
                counselled_on=today,
                counsellor_id=world.sender_id,
                duration="le60",
                method="office",
                main_complaint="일하고 싶어요",
            )
        )
    http = signed_in(live_server.app, world.sender_id, world.dong_centre_id)
    before = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    page = http.get(f"{live_server.url}/cases/{world.case_id}/{path}", timeout=30)
    assert page.status_code == 200, page.text[:500]
    after = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    assert after > before, f"{endpoint} printed the client but left no log row"
