"""Helpers for browser tests on the live server's demo district: sign in as a demo person, and
give the welfare centre a referral to answer when the demo district has none waiting."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from tests.fixtures.live import LiveServer

#: the demo agency that the demo consents let the first conference case be referred to
WELFARE = "hanbit-welfare"


def sign_in(chromium: Any, live_server: LiveServer, name: str, **context: Any) -> Any:
    """Open a new browser context, sign in through the development provider as ``name``; return the page."""
    from playwright.sync_api import expect

    options: dict[str, Any] = {"locale": "ko-KR", "timezone_id": "Asia/Seoul"}
    options.update(context)
    page = chromium.new_context(**options).new_page()
    page.context.set_default_timeout(15_000)
    page.goto(live_server.url + "/")
    page.get_by_role("banner").get_by_role("link", name="로그인", exact=True).click()
    page.get_by_role("main").get_by_role("link", name=name, exact=True).click()
    page.locator("button.hinted").click()
    expect(page.locator(".account__name")).to_have_text(name)
    return page


@contextlib.contextmanager
def _live_celery(live_server: LiveServer) -> Iterator[None]:
    """Make the live app's Celery the current one for ``shared_task`` calls made in this block."""
    from celery import _state as celery_state

    previous = celery_state.get_current_app()
    live_server.app.extensions["celery"].set_current()
    try:
        yield
    finally:
        previous.set_current()


def ensure_received_referral(live_server: LiveServer) -> int:
    """Return a sent referral waiting at the welfare centre, sending one through the services if none is.

    The demo district seeds consents but no referrals; the first conference case's client consented
    to a referral to the welfare centre (basic and needs), so its worker refers that case.
    """
    from agencies.models import Agency, Person
    from cases.models import Case
    from conference.models import AgendaItem
    from hamkke.db import db
    from referrals import services
    from referrals.models import Referral, ReferralStatus

    # Tasks queued after the commit go to the live app's eager Celery, not the session app's broker.
    with live_server.app.app_context(), _live_celery(live_server):
        welfare = db.session.scalar(sa.select(Agency).where(Agency.code == WELFARE))
        assert welfare is not None
        waiting = db.session.scalar(
            sa.select(Referral.id).where(
                Referral.receiving_agency_id == welfare.id, Referral.status == ReferralStatus.requested
            )
        )
        if waiting is not None:
            db.session.remove()
            return int(waiting)
        item = db.session.scalar(
            sa.select(AgendaItem).where(AgendaItem.case_id.is_not(None)).order_by(AgendaItem.id)
        )
        assert item is not None
        assert item.case_id is not None
        case = db.session.get(Case, item.case_id)
        assert case is not None
        assert case.case_worker_id is not None
        worker = db.session.get(Person, case.case_worker_id)
        assert worker is not None
        referral = services.create_referral(
            case,
            actor=worker,
            receiving_agency=welfare,
            content=services.ReferralContent(
                reason="정서 지원과 사례관리 연계가 필요함",
                requested_services="정서 지원 상담",
                field_groups=("basic", "needs"),
            ),
        )
        services.send_referral(referral, actor=worker)
        db.session.commit()
        referral_id = referral.id
        db.session.remove()
    return referral_id


#: a meeting of the demo district that only the phone test enters (others close the demo's own meeting)
PHONE_MEETING = "휴대전화 점검용 정기 통합사례회의"


def ensure_open_conference(live_server: LiveServer) -> str:
    """Return the title of a scheduled meeting the self-sufficiency centre is invited to, making one once.

    The demo district has one upcoming meeting, which the conference browser test holds and closes;
    a closed meeting can no longer be entered, so the phone test gets a meeting of its own.
    """
    from datetime import timedelta

    from agencies.models import Agency, Person
    from conference import services
    from conference.models import Conference, ConferenceKind
    from hamkke.db import db
    from hamkke.time import now_utc

    with live_server.app.app_context(), _live_celery(live_server):
        if db.session.scalar(sa.select(Conference.id).where(Conference.title == PHONE_MEETING)) is None:
            chair = db.session.scalar(sa.select(Person).where(Person.email == "kim.coordinator@hanbit.go.kr"))
            host = db.session.scalar(sa.select(Agency).where(Agency.code == "hanbit-gu-team"))
            guest = db.session.scalar(sa.select(Agency).where(Agency.code == "hanbit-jahwal"))
            assert chair is not None
            assert host is not None
            assert guest is not None
            conference = services.create_conference(
                actor=chair,
                district_id=host.district_id,
                kind=ConferenceKind.regional,
                title=PHONE_MEETING,
                starts_at=now_utc() + timedelta(hours=2),
                host_agency_id=host.id,
                place="한빛구청 별관 3층 회의실",
                chair_id=chair.id,
            )
            services.invite(conference, actor=chair, agency_id=guest.id)
            for title in ("자활 참여자 근로 연계 점검", "지역 자원 현황 공유"):
                services.propose_item(conference, actor=chair, title=title, agency_id=host.id)
            services.approve_agenda(conference, actor=chair)
            db.session.commit()
        db.session.remove()
    return PHONE_MEETING
