"""SOAP minutes and closing: sections, saving with merge, finalizing, sign-off, addenda and sending.

Every function flushes and never commits; the view, socket handler, task or command commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from agencies.models import Person
from conference.minutes_copies import outcome_line, withheld_for
from conference.models import (
    AgendaItem,
    Attendance,
    Conference,
    ConferenceStatus,
    ItemStatus,
    MinutesVersion,
    SoapRevision,
    SoapSection,
)
from conference.services.agenda import carry_reconvened_forward
from conference.services.merge import merge_three_way
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.time import now_utc, to_local
from notifications.services import notify

SOAP_SECTIONS = ("S", "O", "A", "P")
SOAP_LABELS = {"S": "S 주관적 정보", "O": "O 객관적 정보", "A": "A 사정·평가", "P": "P 계획"}
MAX_SOAP_LENGTH = 20_000


def soap_section(item: AgendaItem, section: str) -> SoapSection:
    """Return (creating if needed) one SOAP section of an item."""
    if section not in SOAP_SECTIONS:
        raise ValidationFailed("S, O, A, P 중 하나여야 합니다.", field="section")
    for existing in item.sections:
        if existing.section == section:
            return existing
    created = SoapSection(item=item, section=section, text="", version=0)
    db.session.add(created)
    db.session.flush()
    return created


@dataclass(frozen=True)
class SoapSaveResult:
    """The section after a save, and whether the text had to be merged with concurrent edits."""

    section: SoapSection
    merged: bool


def save_soap(
    item: AgendaItem, *, actor: Person, section: str, text: str, base_version: int
) -> SoapSaveResult:
    """Save a SOAP section edited from ``base_version``; a stale base is merged three-way, never lost."""
    conference = item.conference
    if conference.is_locked or conference.finalized_at is not None:
        raise InvalidTransition("확정된 회의록은 추가기록으로만 고칩니다.")
    item.require("write_minutes")
    if len(text) > MAX_SOAP_LENGTH:
        raise ValidationFailed("내용이 너무 깁니다.", field="text")
    current = soap_section(item, section)
    # Lock the row so that two processes saving the same section serialise (no-op on SQLite).
    db.session.refresh(current, with_for_update=True)
    if base_version < 0 or base_version > current.version:
        raise InvalidTransition("알 수 없는 버전입니다.")
    merged = False
    if base_version == current.version:
        new_text = text
    else:
        base_text = ""
        if base_version > 0:
            revision = db.session.scalar(
                sa.select(SoapRevision).where(
                    SoapRevision.item_id == item.id,
                    SoapRevision.section == section,
                    SoapRevision.version == base_version,
                )
            )
            base_text = revision.text if revision is not None else ""
        new_text = merge_three_way(base_text, text, current.text)
        merged = True
    if new_text == current.text:
        return SoapSaveResult(current, merged)
    current.text = new_text
    current.version += 1
    current.updated_by_id = actor.id
    current.updated_at = now_utc()
    db.session.add(
        SoapRevision(
            item_id=item.id,
            section=section,
            version=current.version,
            text=new_text,
            author_id=actor.id,
            merged=merged,
            created_at=current.updated_at,
        )
    )
    db.session.flush()
    return SoapSaveResult(current, merged)


def _minutes_content(conference: Conference) -> dict[str, Any]:
    return {
        str(item.id): {section.section: section.text for section in item.sections}
        for item in conference.items
        if item.status == ItemStatus.closed
    }


def finalize_minutes(conference: Conference, *, actor: Person) -> MinutesVersion:
    """The chair ends the meeting and finalizes the minutes; attendees then sign off or object."""
    if conference.status != ConferenceStatus.live:
        raise InvalidTransition("진행 중인 회의만 마칠 수 있습니다.")
    if any(item.status == ItemStatus.open for item in conference.items):
        raise InvalidTransition("열린 안건을 먼저 닫으세요.")
    now = now_utc()
    conference.status = ConferenceStatus.closed
    conference.finalized_at = now
    version = MinutesVersion(
        conference_id=conference.id,
        version=1,
        kind="final",
        content=_minutes_content(conference),
        author_id=actor.id,
        created_at=now,
    )
    db.session.add(version)
    db.session.flush()
    audit.record("conference.finalized", actor_id=actor.id, obj=conference)
    # 재회의 items go onto the series' next meeting now instead of waiting for its draft agenda.
    carry_reconvened_forward(conference)
    # function-level: conference.tasks imports this module (send_minutes, lock_minutes_if_due)
    from conference import tasks

    tasks.schedule_after_finalize(conference.id)
    return version


def sign_off(attendance: Attendance, *, signed: bool, comment: str | None = None) -> Attendance:
    """An attendee signs the finalized minutes or objects, within the sign-off window."""
    conference = attendance.conference
    if conference.finalized_at is None or conference.is_locked:
        raise InvalidTransition("서명할 수 있는 회의록이 아닙니다.")
    if now_utc() > conference.finalized_at + timedelta(days=conference.signoff_days):
        raise InvalidTransition("서명 기한이 지났습니다.")
    if not signed and not (comment or "").strip():
        raise ValidationFailed("이의 사유를 적으세요.", field="comment")
    attendance.signoff = "signed" if signed else "objected"
    attendance.signoff_comment = (comment or "").strip() or None
    attendance.signoff_at = now_utc()
    db.session.flush()
    audit.record("conference.signoff", actor_id=attendance.person_id, obj=attendance, data={"signed": signed})
    return attendance


def lock_minutes_if_due(conference: Conference) -> bool:
    """Lock finalized minutes once everyone answered or the window closed; return whether it locked now."""
    if conference.finalized_at is None or conference.is_locked:
        return False
    members = [a for a in conference.attendances if not a.is_guest]
    window_over = now_utc() >= conference.finalized_at + timedelta(days=conference.signoff_days)
    if not window_over and any(a.signoff is None for a in members):
        return False
    conference.locked_at = now_utc()
    db.session.flush()
    audit.record("conference.minutes_locked", obj=conference)
    return True


def add_addendum(conference: Conference, *, actor: Person, text: str) -> MinutesVersion:
    """Amend locked (or finalized) minutes with an addendum; the earlier versions stay as they were."""
    if conference.finalized_at is None:
        raise InvalidTransition("확정 전 회의록은 바로 고칩니다.")
    if not text.strip():
        raise ValidationFailed("추가기록 내용을 적으세요.", field="text")
    latest = db.session.scalar(
        sa.select(sa.func.max(MinutesVersion.version)).where(MinutesVersion.conference_id == conference.id)
    )
    version = MinutesVersion(
        conference_id=conference.id,
        version=(latest or 0) + 1,
        kind="addendum",
        content={"text": text.strip()},
        author_id=actor.id,
        created_at=now_utc(),
    )
    db.session.add(version)
    db.session.flush()
    audit.record("conference.addendum", actor_id=actor.id, obj=conference, data={"version": version.version})
    return version


def minutes_text_for(conference: Conference, agency_id: int) -> str:
    """Return one agency's minutes as plain text: withheld items say why; every copy has the outcomes."""
    lines = [f"{conference.title}", f"일시: {to_local(conference.starts_at):%Y-%m-%d %H:%M}", ""]
    outcomes: list[str] = []
    for item in conference.items:
        if item.status != ItemStatus.closed:
            continue
        lines.append(f"■ {item.title}")
        withheld = withheld_for(item, agency_id)
        # The outcome is the meeting's decision, not client data: every copy lists it (as the PDF does).
        outcomes.append(outcome_line(item, withheld))
        if withheld is not None:
            lines.extend(f"  {sentence}" for sentence in withheld.text().splitlines())
            continue
        texts = {section.section: section.text for section in item.sections}
        for key in SOAP_SECTIONS:
            lines.append(f"  [{SOAP_LABELS[key]}] {texts.get(key, '') or '-'}")
    if outcomes:
        lines.extend(["", "회의 결과", *outcomes])
    return "\n".join(lines)


def send_minutes(conference: Conference) -> int:
    """Send each attendee the minutes filtered for their agency (idempotent); return how many were sent."""
    sent = 0
    for attendance in conference.attendances:
        if attendance.minutes_sent_at is not None:
            continue
        person = db.session.get(Person, attendance.person_id)
        if person is None:
            continue
        notify(
            person,
            "conference.minutes",
            title=f"[회의록] {conference.title}",
            body=minutes_text_for(conference, attendance.agency_id),
            link=f"/conferences/{conference.id}",
            dedupe_key=f"conference-minutes:{conference.id}:{person.id}",
            agency_id=attendance.agency_id,
        )
        attendance.minutes_sent_at = now_utc()
        sent += 1
    db.session.flush()
    return sent
