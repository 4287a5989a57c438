"""상담일지 quick entry, group sessions, 위기도 items and the 과정기록지, over real HTTP on the live server.

Every result is read back through a second engine on the live database, so only committed rows count;
a refused post must leave the database as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.edge.live import committed, csrf_token, signed_in
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded


@dataclass(frozen=True)
class Worker:
    """A worker, the agency they act for, and three of their cases in 실행·점검 (delivery)."""

    person_id: int
    agency_id: int
    case_ids: tuple[int, int, int]


@pytest.fixture
def database(live_database_url: str) -> Iterator[sa.Engine]:
    """A second engine on the live database: it sees committed rows only."""
    engine = sa.create_engine(live_database_url)
    yield engine
    engine.dispose()


def _member(session: Any, agency_type: str, role: str, agency_id: int | None = None) -> Any:
    """The first active member of that kind of agency (or of that agency) with that role, in the demo."""
    from agencies.models import Membership, StaffRole

    for membership in session.scalars(sa.select(Membership).order_by(Membership.id)):
        if (
            membership.agency.type.value == agency_type
            and StaffRole(role) in membership.role_set
            and (agency_id is None or membership.agency_id == agency_id)
        ):
            return membership
    raise AssertionError(f"the demo has no {role} in a {agency_type}")


@pytest.fixture(scope="module")
def worker(live_server: LiveServer) -> Worker:
    """Three fresh delivery cases of one demo dong worker, walked there through the services."""
    from cases import services
    from cases.fields import FIELD_GROUPS
    from cases.models import CaseStage
    from consents import services as consent_services
    from tests.fixtures.cases import CaseKit

    with committed(live_server.app) as session:
        worker = _member(session, "dong_centre", "case_worker")
        supervisor = _member(session, "dong_centre", "supervisor", worker.agency_id)
        coordinator = _member(session, "district_team", "coordinator")
        kit = CaseKit(
            district=worker.agency.district,
            dong_centre=worker.agency,
            worker=worker.person,
            supervisor=supervisor.person,
            team=coordinator.agency,
            coordinator=coordinator.person,
        )
        # The collection consent covers every non-sensitive group, so the pages show the records.
        groups = tuple(code for code, group in FIELD_GROUPS.items() if not group.sensitive)
        grant = consent_services.GrantInput(
            purpose="case_management",
            recipient_kind="collector",
            field_groups=groups,
            notice_purpose="통합사례관리",
            notice_retention="사례 종결 후 5년",
            notice_refusal="거부할 수 있으며, 거부하면 지원이 제한될 수 있습니다.",
        )
        ids = []
        for n in range(3):
            case = kit.open(client=services.ClientInput(name=f"상담시험{n}", sex="여"))
            kit.consent(case, grants=(grant,))
            ids.append(kit.advance(case, CaseStage.delivery).id)
        found = Worker(worker.person_id, worker.agency_id, (ids[0], ids[1], ids[2]))
    return found


def _count(engine: sa.Engine, sql: str, **params: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(sql), params).scalar_one())


def _post(http: requests.Session, url: str, page: str, data: dict[str, object]) -> requests.Response:
    token = csrf_token(http.get(page, timeout=30))
    return http.post(url, data={"csrf_token": token, **data}, timeout=30, allow_redirects=False)


def _today(live_server: LiveServer) -> str:
    from hamkke.time import today_local

    return today_local().isoformat()


def test_quick_entry_takes_its_defaults_from_the_worker_s_last_entry(
    live_server: LiveServer, worker: Worker, database: sa.Engine
) -> None:
    case_id = worker.case_ids[0]
    base = f"{live_server.url}/cases/{case_id}"
    http = signed_in(live_server.app, worker.person_id, worker.agency_id)
    full = _post(
        http,
        f"{base}/logs",
        f"{base}/logs",
        {
            "contacted_on": _today(live_server),
            "starts_at": "09:30",
            "minutes": "40",
            "method": "email_out",
            "area": "family",
            "counselling_type": "employment_resume",
            "place": "주민센터 상담실",
            "participant_names": "본인, 딸",
            "channel": "provider",
            "purpose": "이력서 점검",
            "content": "딸과 함께 이력서를 고쳐 씀",
            "worker_opinion": "의욕이 높음",
            "worker_opinion_2": "딸의 지지가 큼",
            "worker_opinion_3": "다음 주 면접 연습",
            "result": "이력서 완성",
            "remarks": "없음",
            "finding": "on_track",
        },
    )
    assert full.status_code == 303, full.text[:800]
    page = http.get(base, timeout=30).text
    form = page[page.index('id="quick-log-form"') :]
    form = form[: form.index("</form>")]
    for selected in ("email_out", "family", "employment_resume", "provider"):
        assert f'<option selected value="{selected}">' in form, selected
    assert 'value="주민센터 상담실"' in form
    assert re.search(r'<input[^>]*autofocus[^>]*name="content"|<input[^>]*name="content"[^>]*autofocus', form)
    # The compact form: the content comes first (autofocus), every text is one line (Enter submits).
    assert "<textarea" not in form
    before = _count(database, "SELECT count(*) FROM case_counselling_logs WHERE case_id = :c", c=case_id)
    quick = _post(
        http,
        f"{base}/logs/quick",
        base,
        {
            "content": "전화로 면접 일정 확인",
            "minutes": "15",
            "contacted_on": _today(live_server),
            "method": "email_out",
            "area": "family",
            "counselling_type": "employment_resume",
            "place": "주민센터 상담실",
            "channel": "provider",
            "finding": "on_track",
        },
    )
    assert quick.status_code == 303, quick.text[:800]
    with database.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT method, area, counselling_type, place, minutes, purpose, worker_opinion_3 "
                "FROM case_counselling_logs WHERE case_id = :c ORDER BY id"
            ),
            {"c": case_id},
        ).all()
    assert len(rows) == before + 1
    assert tuple(rows[-2]) == (
        "email_out",
        "family",
        "employment_resume",
        "주민센터 상담실",
        40,
        "이력서 점검",
        "다음 주 면접 연습",
    )
    assert tuple(rows[-1])[:5] == ("email_out", "family", "employment_resume", "주민센터 상담실", 15)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("minutes", "5", "상담시간은 10분부터 180분까지입니다."),
        ("minutes", "181", "상담시간은 10분부터 180분까지입니다."),
        ("content", "", "꼭 입력해 주세요."),
        ("method", "home_visit", ""),
    ],
)
def test_quick_entry_refuses_bad_input_in_korean_beside_the_field(
    live_server: LiveServer, worker: Worker, database: sa.Engine, field: str, value: str, message: str
) -> None:
    case_id = worker.case_ids[1]
    base = f"{live_server.url}/cases/{case_id}"
    http = signed_in(live_server.app, worker.person_id, worker.agency_id)
    data = {
        "content": "통화",
        "minutes": "20",
        "contacted_on": _today(live_server),
        "method": "phone_out",
        "area": "client",
        "counselling_type": "welfare_other",
        "channel": "regular_contact",
        "finding": "on_track",
        field: value,
    }
    before = _count(database, "SELECT count(*) FROM case_counselling_logs")
    sessions = _count(database, "SELECT count(*) FROM case_counselling_sessions")
    answer = _post(http, f"{base}/logs/quick", base, data)
    assert answer.status_code == 422, answer.text[:500]
    assert f'id="{field}"' in answer.text
    assert re.search(
        rf'<[^>]*id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', answer.text
    )
    if message:
        assert message in answer.text
    assert _count(database, "SELECT count(*) FROM case_counselling_logs") == before
    assert _count(database, "SELECT count(*) FROM case_counselling_sessions") == sessions


def _my_counts(http: requests.Session, live_server: LiveServer) -> list[int]:
    page = http.get(f"{live_server.url}/cases/my-counselling", timeout=30).text
    table = page[page.index('id="my-counselling"') :]
    first_row = table[table.index("<tbody>") :].split("</tr>")[0]
    return [int(cell) for cell in re.findall(r"<td>(\d+)</td>", first_row)]


def test_a_group_session_is_recorded_once_for_every_case_and_counted_once(
    live_server: LiveServer, worker: Worker, database: sa.Engine
) -> None:
    first, second, third = worker.case_ids
    base = f"{live_server.url}/cases/{first}"
    http = signed_in(live_server.app, worker.person_id, worker.agency_id)
    sessions, groups, minutes, logs = _my_counts(http, live_server)
    per_case = {
        c: _count(database, "SELECT count(*) FROM case_counselling_logs WHERE case_id = :c", c=c)
        for c in worker.case_ids
    }
    answer = _post(
        http,
        f"{base}/logs/quick",
        base,
        {
            "content": "집단 교육: 가계부 쓰기",
            "minutes": "120",
            "contacted_on": _today(live_server),
            "method": "face_office",
            "area": "client",
            "counselling_type": "capacity_external_training",
            "place": "교육실",
            "channel": "regular_contact",
            "finding": "on_track",
            "group_case_ids": [str(second), str(third)],
        },
    )
    assert answer.status_code == 303, answer.text[:800]
    # Hand count: one session of 120 minutes, three case records (one per case).
    assert _my_counts(http, live_server) == [sessions + 1, groups + 1, minutes + 120, logs + 3]
    for c in worker.case_ids:
        after = _count(database, "SELECT count(*) FROM case_counselling_logs WHERE case_id = :c", c=c)
        assert after == per_case[c] + 1
    with database.connect() as connection:
        session_ids = connection.execute(
            sa.text(
                "SELECT DISTINCT session_id FROM case_counselling_logs "
                "WHERE content = '집단 교육: 가계부 쓰기' AND case_id IN (:a, :b, :c)"
            ),
            {"a": first, "b": second, "c": third},
        ).all()
        assert len(session_ids) == 1
        row = connection.execute(
            sa.text("SELECT case_count, minutes FROM case_counselling_sessions WHERE id = :s"),
            {"s": session_ids[0][0]},
        ).one()
    assert tuple(row) == (3, 120)
    # The case page says how its records are counted.
    page = http.get(f"{live_server.url}/cases/{second}", timeout=30).text
    assert "집단상담도 사례마다 한 건" in page


def test_a_group_session_may_not_include_a_case_the_worker_does_not_hold(
    live_server: LiveServer, worker: Worker, database: sa.Engine
) -> None:
    from cases.models import Case

    with committed(live_server.app) as session:
        foreign = session.scalar(
            sa.select(Case.id).where(Case.case_worker_id != worker.person_id).order_by(Case.id).limit(1)
        )
    base = f"{live_server.url}/cases/{worker.case_ids[0]}"
    http = signed_in(live_server.app, worker.person_id, worker.agency_id)
    before = _count(database, "SELECT count(*) FROM case_counselling_logs")
    answer = _post(
        http,
        f"{base}/logs/quick",
        base,
        {
            "content": "집단",
            "minutes": "30",
            "contacted_on": _today(live_server),
            "method": "face_office",
            "area": "client",
            "counselling_type": "welfare_other",
            "channel": "regular_contact",
            "finding": "on_track",
            "group_case_ids": [str(foreign)],
        },
    )
    assert answer.status_code == 422, answer.text[:500]
    assert _count(database, "SELECT count(*) FROM case_counselling_logs") == before


def _crisis_data(scores: list[str]) -> dict[str, object]:
    from cases.models import CrisisItem

    return {
        "rated_on": "",
        **{f"item_{item.value}": score for item, score in zip(CrisisItem, scores, strict=True)},
        "notes": "건강과 경제 위기",
    }


def test_crisis_rating_total_and_level_come_from_its_items(
    live_server: LiveServer, worker: Worker, database: sa.Engine
) -> None:
    case_id = worker.case_ids[2]
    base = f"{live_server.url}/cases/{case_id}"
    http = signed_in(live_server.app, worker.person_id, worker.agency_id)
    scores = ["0", "3", "2", "1", "2", "3", "0", "2", "1", "0"]  # 14: 보통 (10–19), no item at 4
    data = {**_crisis_data(scores), "rated_on": _today(live_server)}
    answer = _post(http, f"{base}/crisis", f"{base}/crisis", data)
    assert answer.status_code == 303, answer.text[:800]
    with database.connect() as connection:
        rating = connection.execute(
            sa.text("SELECT id, total, level FROM case_crisis_ratings WHERE case_id = :c ORDER BY id DESC"),
            {"c": case_id},
        ).first()
        assert rating is not None
        items = connection.execute(
            sa.text("SELECT item, score FROM case_crisis_item_scores WHERE rating_id = :r"), {"r": rating.id}
        ).all()
    assert (rating.total, rating.level) == (14, "medium")
    assert sum(score for _item, score in items) == 14
    assert len(items) == 10
    printed = http.get(f"{base}/crisis/print", timeout=30)
    assert printed.status_code == 200
    assert "위기도 조사표" in printed.text
    assert "14점" in printed.text
    # One item at 4 makes the rating 위기(긴급) whatever the total.
    urgent = {
        **_crisis_data(["4", "0", "0", "0", "0", "0", "0", "0", "0", "0"]),
        "rated_on": _today(live_server),
    }
    assert _post(http, f"{base}/crisis", f"{base}/crisis", urgent).status_code == 303
    level = _count(
        database,
        "SELECT count(*) FROM case_crisis_ratings WHERE case_id = :c AND total = 4 AND level = 'critical'",
        c=case_id,
    )
    assert level == 1


@pytest.mark.parametrize("bad", ["5", "-1", "x"])
def test_an_out_of_range_crisis_score_is_refused_and_nothing_is_saved(
    live_server: LiveServer, worker: Worker, database: sa.Engine, bad: str
) -> None:
    case_id = worker.case_ids[2]
    base = f"{live_server.url}/cases/{case_id}"
    http = signed_in(live_server.app, worker.person_id, worker.agency_id)
    scores = ["1"] * 9 + [bad]
    before = _count(database, "SELECT count(*) FROM case_crisis_ratings")
    items = _count(database, "SELECT count(*) FROM case_crisis_item_scores")
    answer = _post(
        http, f"{base}/crisis", f"{base}/crisis", {**_crisis_data(scores), "rated_on": _today(live_server)}
    )
    assert answer.status_code == 422, answer.text[:500]
    assert "위기도 점수는 0부터 4까지입니다." in answer.text
    assert 'id="item_rights"' in answer.text
    assert _count(database, "SELECT count(*) FROM case_crisis_ratings") == before
    assert _count(database, "SELECT count(*) FROM case_crisis_item_scores") == items


def test_process_record_merges_everything_in_date_order(
    live_server: LiveServer, worker: Worker, database: sa.Engine
) -> None:
    from agencies.models import Person
    from cases import services
    from cases.models import Case, CounsellingArea, CounsellingMethod, CounsellingType
    from hamkke.time import today_local

    case_id = worker.case_ids[1]
    today = today_local()
    with committed(live_server.app) as session:
        case = session.get(Case, case_id)
        person = session.get(Person, worker.person_id)
        for days, content in ((3, "과정 셋째 상담"), (40, "과정 첫째 상담"), (20, "과정 둘째 상담")):
            services.add_counselling_log(
                case,
                actor=person,
                agency_id=worker.agency_id,
                contacted_on=today - timedelta(days=days),
                method=CounsellingMethod.phone_in,
                area=CounsellingArea.client,
                counselling_type=CounsellingType.welfare_other,
                minutes=10,
                content=content,
            )
    http = signed_in(live_server.app, worker.person_id, worker.agency_id)
    for url in (f"/cases/{case_id}/process-record", f"/cases/{case_id}/process-record/print"):
        page = http.get(live_server.url + url, timeout=30)
        assert page.status_code == 200, page.text[:500]
        text = page.text
        positions = [text.index(s) for s in ("과정 첫째 상담", "과정 둘째 상담", "과정 셋째 상담")]
        assert positions == sorted(positions), "the 과정기록지 is not in date order"
        # The plan was written today, after the back-dated counselling: it follows them.
        assert text.index("<td>서비스제공계획</td>") > positions[-1]
        assert (today - timedelta(days=40)).isoformat() in text
    assert (
        "필수서식 8" in http.get(f"{live_server.url}/cases/{case_id}/process-record/print", timeout=30).text
    )
