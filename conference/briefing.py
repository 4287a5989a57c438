"""Briefing packets (사전자료): per agenda item, what one invited agency may read before the meeting.

Client data comes only through the disclosure gate for the ``conference_sharing`` purpose, so each
page view or PDF download writes its access-log rows; items whose client has no conference-sharing
consent carry the agenda facts and no client data at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from agencies.models import Person
from cases.fields import FIELD_GROUPS, display_value
from cases.models import Case
from conference import access
from conference.models import AgendaItem, Conference, ConferenceStatus, ItemSource, ItemStatus
from conference.queries import agency_names
from consents.gate import view_client
from hamkke.db import db
from hamkke.errors import InvalidTransition, NotFound
from hamkke.pdf import KoreanDocument
from hamkke.time import now_utc, to_local

#: the access log's note on every briefing disclosure (the channel says page or download)
BRIEFING_REASON = "통합사례회의 사전자료"

SOURCE_LABELS: dict[ItemSource, str] = {
    ItemSource.proposed: "기관 제안",
    ItemSource.escalation: "동 구청 의뢰",
    ItemSource.review_due: "검토 기한 도래",
    ItemSource.overdue_action: "기한 지난 실행과제",
    ItemSource.stalled_referral: "정체된 의뢰",
    ItemSource.carried: "이월 과제",
}


@dataclass(frozen=True)
class PacketGroup:
    """One visible field group of a packet: its label, its column values and its record count."""

    label: str
    values: list[tuple[str, str]]
    records: int


@dataclass(frozen=True)
class Packet:
    """The briefing of one agenda item for one agency."""

    item_id: int
    position: int
    title: str
    source: str
    time_box_minutes: int
    presenter: str | None
    proposing_agency: str | None
    case_id: int | None
    #: the case number people know the case by (the row id is never shown)
    case_number: str | None
    stage: str | None
    consent_ok: bool
    #: the gate disclosed client data to this agency (False: only the agenda facts)
    disclosed: bool
    client_name: str | None = None
    groups: list[PacketGroup] = field(default_factory=list)


def opens_at(conference: Conference) -> datetime:
    """Return when the conference's briefing packets become available (UTC)."""
    return conference.starts_at - timedelta(days=conference.briefing_days)


def is_open(conference: Conference, *, now: datetime | None = None) -> bool:
    """Tell whether packets may be read now: inside the window and before the meeting ends."""
    if conference.status in (ConferenceStatus.closed, ConferenceStatus.cancelled):
        return False
    return (now or now_utc()) >= opens_at(conference)


def require_open(conference: Conference) -> None:
    """Refuse (409) a briefing download before its window opens or after the meeting ended."""
    if not is_open(conference):
        raise InvalidTransition(
            f"사전자료는 회의 {conference.briefing_days}일 전부터 받을 수 있습니다.",
            english="The briefing is not available yet.",
        )


def briefing_agency_for(person: Person | None, conference: Conference, agency_id: int | None) -> int:
    """Return the agency a person reads packets for; 404 unless it is invited and the person acts for it."""
    if (
        person is None
        or agency_id is None
        or agency_id not in access.agency_ids_of(person)
        or agency_id not in access.invited_agency_ids(conference)
    ):
        raise NotFound("사전자료를 찾을 수 없습니다.", english="The briefing does not exist.")
    return agency_id


def _items(conference: Conference) -> list[AgendaItem]:
    return sorted(
        (item for item in conference.items if item.status == ItemStatus.approved),
        key=lambda item: (item.position, item.id),
    )


def packets_for(conference: Conference, person: Person, agency_id: int, *, channel: str) -> list[Packet]:
    """Build the agency's packets of the approved agenda, asking the gate once per case item."""
    items = _items(conference)
    names = agency_names([item.proposed_by_agency_id for item in items if item.proposed_by_agency_id])
    presenter_ids = [item.presenter_id for item in items if item.presenter_id is not None]
    presenters = {
        row.id: row.name
        for row in db.session.execute(
            sa.select(Person.id, Person.name).where(Person.id.in_(presenter_ids or [0]))
        )
    }
    invited = sorted(access.invited_agency_ids(conference))
    packets: list[Packet] = []
    for item in items:
        case = db.session.get(Case, item.case_id) if item.case_id is not None else None
        consent_ok = case is not None and access.conference_sharing_consented(case, conference)
        base = Packet(
            item_id=item.id,
            position=item.position + 1,
            title=item.title,
            source=SOURCE_LABELS.get(item.source, str(item.source)),
            time_box_minutes=item.time_box_minutes,
            presenter=presenters.get(item.presenter_id) if item.presenter_id else None,
            proposing_agency=names.get(item.proposed_by_agency_id) if item.proposed_by_agency_id else None,
            case_id=item.case_id,
            case_number=case.number if case is not None else None,
            stage=case.stage.label if case is not None else None,
            consent_ok=consent_ok,
            disclosed=False,
        )
        if case is None or not consent_ok:
            # No conference-sharing consent: the item is flagged and no client data goes out, not even
            # to the owner in this channel (the owner reads its own record on the case page).
            packets.append(base)
            continue
        try:
            view = view_client(
                case.main_client,
                person,
                purpose="conference_sharing",
                acting_agency_id=agency_id,
                channel=channel,
                reason=BRIEFING_REASON,
                # Before the meeting the invited agencies are the conference's recipients.
                context={"case_id": case.id, "conference_id": conference.id, "attending_agency_ids": invited},
            )
        except NotFound:
            packets.append(base)
            continue
        groups: list[PacketGroup] = []
        for code, group in FIELD_GROUPS.items():
            if not view.can_see(code):
                continue
            values = [
                (group.label_of(column), display_value(column, view.value(code, column)))
                for column in group.columns
            ]
            records = sum(len(view.records(table)) for table in group.relations if table != "households")
            groups.append(PacketGroup(label=group.label, values=values, records=records))
        packets.append(replace(base, disclosed=True, client_name=view.name, groups=groups))
    return packets


def render_briefing_pdf(conference: Conference, agency_name: str, packets: list[Packet]) -> bytes:
    """Render one agency's packets as a PDF, an item per section."""
    document = KoreanDocument(
        title=f"사전자료 - {conference.title}",
        document_number=f"CONF-{conference.id}-BRIEF",
        generated_at=now_utc(),
    )
    document.add_page()
    document.heading("통합사례회의 사전자료")
    document.labelled("회의", conference.title)
    document.labelled("회의일시", f"{to_local(conference.starts_at):%Y-%m-%d %H:%M}")
    document.labelled("회의장소", conference.place or conference.video_url or "-")
    document.labelled("받는 기관", agency_name)
    document.labelled("주의", "비밀유지 서약 대상 자료입니다. 회의 목적 외 이용·복제·반출을 금합니다.")
    document.ln(3)
    if not packets:
        document.block("안건", "확정된 안건이 없습니다.")
    for packet in packets:
        lines = [
            f"출처: {packet.source}",
            f"발표: {packet.presenter or '-'} ({packet.proposing_agency or '-'})",
            f"시간: {packet.time_box_minutes}분",
        ]
        if packet.case_id is not None:
            lines.append(f"사례: {packet.case_number or '-'} ({packet.stage or '-'})")
        if not packet.consent_ok and packet.case_id is not None:
            lines.append("회의 공유 동의가 없어 대상자 정보를 싣지 않았습니다.")
        elif packet.case_id is not None and not packet.disclosed:
            lines.append("이 기관에 공유되는 대상자 정보가 없습니다.")
        for group in packet.groups:
            values = ", ".join(f"{label} {value}" for label, value in group.values)
            suffix = f" (기록 {group.records}건)" if group.records else ""
            lines.append(f"[{group.label}] {values}{suffix}".strip())
        document.block(f"{packet.position}. {packet.title}", "\n".join(lines))
    return document.render()
