"""The 자문단 roster, advisers' attendance and the advice of supervision sessions (필수서식9 슈퍼비전).

Every function flushes and never commits; the view, task or command commits once. Advice about a
case is that case's content: ``supervision_lines`` shows it only to an agency the conference's
consent check (``conference.minutes_copies.withheld_for``, which asks the disclosure gate) allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case
from cases.models.case import case_number
from conference.minutes_copies import withheld_for
from conference.models import (
    ADVISED_KINDS,
    Adviser,
    AdviserAttendance,
    AgendaItem,
    Conference,
    ConferenceStatus,
    SupervisionAdvice,
)
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import now_utc, to_local

MAX_ADVICE = 5000


@dataclass(frozen=True)
class AdviserInput:
    """A roster entry as the page posts it."""

    name: str
    expertise: str
    affiliation: str
    contact: str | None
    term_starts_on: date
    term_ends_on: date | None


def add_adviser(*, actor: Person, district_id: int, data: AdviserInput) -> Adviser:
    """Put an expert on the district's 자문단 roster for a term."""
    fields = {"name": data.name.strip(), "expertise": data.expertise.strip(), "affiliation": data.affiliation}
    labels = {"name": "이름", "expertise": "전문 분야", "affiliation": "소속"}
    for field, value in fields.items():
        if not value.strip():
            raise ValidationFailed(
                f"{with_particle(labels[field], '을')} 입력하세요.",
                field=field,
                english=f"Enter the {field}.",
            )
    if data.term_ends_on is not None and data.term_ends_on < data.term_starts_on:
        raise ValidationFailed(
            "임기가 끝나는 날이 시작일보다 앞섭니다.",
            field="term_ends_on",
            english="The term ends before it starts.",
        )
    adviser = Adviser(
        district_id=district_id,
        name=data.name.strip()[:100],
        expertise=data.expertise.strip()[:200],
        affiliation=data.affiliation.strip()[:200],
        contact=(data.contact or "").strip()[:200] or None,
        term_starts_on=data.term_starts_on,
        term_ends_on=data.term_ends_on,
    )
    db.session.add(adviser)
    db.session.flush()
    audit.record(
        "conference.adviser_added", actor_id=actor.id, obj=adviser, data={"district_id": district_id}
    )
    return adviser


def roster(district_id: int) -> list[Adviser]:
    """Return the district's 자문단, current terms first, then by field and name."""
    return list(
        db.session.scalars(
            sa.select(Adviser)
            .where(Adviser.district_id == district_id)
            .order_by(Adviser.term_ends_on.is_not(None), Adviser.expertise, Adviser.name, Adviser.id)
        )
    )


def serving_advisers(conference: Conference) -> list[Adviser]:
    """Return the district's advisers whose term covers the meeting day."""
    day = to_local(conference.starts_at).date()
    return [adviser for adviser in roster(conference.district_id) if adviser.serves_on(day)]


def _require_advised(conference: Conference) -> None:
    """Refuse advice or attendance outside a held supervision or 자문단 meeting, or after the lock."""
    if conference.kind not in ADVISED_KINDS:
        raise InvalidTransition(
            "슈퍼비전이나 자문단 회의에서만 기록합니다.",
            english="Only supervision and advisory-panel meetings record this.",
        )
    if conference.status not in (ConferenceStatus.live, ConferenceStatus.closed) or conference.is_locked:
        raise InvalidTransition(
            "열렸고 회의록이 잠기지 않은 회의에서만 기록합니다.",
            english="Record this for a meeting held and not yet locked.",
        )


def record_attendance(conference: Conference, *, actor: Person, present_ids: Sequence[int]) -> int:
    """Record which serving advisers attended (the others as absent); return how many attended."""
    _require_advised(conference)
    serving = {adviser.id: adviser for adviser in serving_advisers(conference)}
    unknown = set(present_ids) - set(serving)
    if unknown:
        raise ValidationFailed(
            "임기 중인 이 구의 자문위원만 고를 수 있습니다.",
            field="adviser_ids",
            english="Choose advisers of this district serving on the meeting day.",
        )
    rows = {
        row.adviser_id: row
        for row in db.session.scalars(
            sa.select(AdviserAttendance).where(AdviserAttendance.conference_id == conference.id)
        )
    }
    now = now_utc()
    for adviser_id in serving:
        row = rows.get(adviser_id)
        if row is None:
            row = AdviserAttendance(conference_id=conference.id, adviser_id=adviser_id)
            db.session.add(row)
        row.present = adviser_id in present_ids
        row.recorded_by_id = actor.id
        row.recorded_at = now
    db.session.flush()
    audit.record(
        "conference.adviser_attendance",
        actor_id=actor.id,
        obj=conference,
        data={"present": sorted(present_ids)},
    )
    return len(set(present_ids))


def record_advice(
    conference: Conference, *, actor: Person, item_id: int, adviser_id: int, advice: str, follow_up: str
) -> SupervisionAdvice:
    """Record an adviser's advice on one case of the meeting and the follow-up agreed."""
    _require_advised(conference)
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.conference_id != conference.id or item.case_id is None:
        raise ValidationFailed(
            "이 회의의 사례 안건을 고르세요.", field="item_id", english="Choose a case item of this meeting."
        )
    if adviser_id not in {adviser.id for adviser in serving_advisers(conference)}:
        raise ValidationFailed(
            "임기 중인 이 구의 자문위원을 고르세요.",
            field="adviser_id",
            english="Choose an adviser of this district serving on the meeting day.",
        )
    text = advice.strip()
    if not text:
        raise ValidationFailed("자문 내용을 입력하세요.", field="advice", english="Enter the advice.")
    if len(text) > MAX_ADVICE or len(follow_up) > MAX_ADVICE:
        raise ValidationFailed(
            f"자문 내용과 후속 조치는 {MAX_ADVICE}자 이내로 적으세요.",
            field="advice",
            english=f"Keep the texts within {MAX_ADVICE} characters.",
        )
    row = SupervisionAdvice(
        conference_id=conference.id,
        item_id=item.id,
        case_id=item.case_id,
        adviser_id=adviser_id,
        advice=text,
        follow_up=follow_up.strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("conference.advice_recorded", actor_id=actor.id, obj=row, data={"case_id": item.case_id})
    return row


@dataclass(frozen=True)
class AdviceLine:
    """One line of the 슈퍼비전 block as one agency may read it: the advice, or why it is left out."""

    case_id: int
    case_number: str
    adviser: str
    advice: str | None
    follow_up: str | None
    withheld: str | None


def attendance_rows(conference: Conference) -> list[AdviserAttendance]:
    """Return the advisers' attendance rows recorded for the meeting."""
    return list(
        db.session.scalars(
            sa.select(AdviserAttendance).where(AdviserAttendance.conference_id == conference.id)
        )
    )


def attendance_line(conference: Conference) -> str:
    """Return the advisers who attended, with their fields, or a dash."""
    rows = db.session.execute(
        sa.select(Adviser.name, Adviser.expertise)
        .join(AdviserAttendance, AdviserAttendance.adviser_id == Adviser.id)
        .where(AdviserAttendance.conference_id == conference.id, AdviserAttendance.present.is_(True))
        .order_by(Adviser.name)
    ).all()
    return ", ".join(f"{name}({expertise})" for name, expertise in rows) or "-"


def supervision_lines(conference: Conference, agency_id: int) -> list[AdviceLine]:
    """Return the meeting's advice for one agency: cases it may not see say so instead of the advice."""
    rows = db.session.execute(
        sa.select(SupervisionAdvice, Adviser.name, Adviser.expertise, Case.opened_on)
        .join(Adviser, Adviser.id == SupervisionAdvice.adviser_id)
        .join(Case, Case.id == SupervisionAdvice.case_id)
        .where(SupervisionAdvice.conference_id == conference.id)
        .order_by(SupervisionAdvice.id)
    ).all()
    lines: list[AdviceLine] = []
    for advice, name, expertise, opened_on in rows:
        number = case_number(opened_on, advice.case_id)
        item = db.session.get(AgendaItem, advice.item_id)
        withheld = withheld_for(item, agency_id) if item is not None else None
        adviser = f"{name}({expertise})"
        if withheld is not None:
            lines.append(AdviceLine(advice.case_id, number, adviser, None, None, withheld.korean))
        else:
            lines.append(
                AdviceLine(advice.case_id, number, adviser, advice.advice, advice.follow_up or None, None)
            )
    return lines


def supervision_text(conference: Conference, agency_id: int) -> str:
    """Return the 슈퍼비전 block of the minutes for one agency (attendance, then advice per case)."""
    if conference.kind not in ADVISED_KINDS:
        return "-"
    parts = [f"참석 자문위원: {attendance_line(conference)}"]
    for line in supervision_lines(conference, agency_id):
        if line.withheld is not None:
            parts.append(f"- 사례 {line.case_number} · {line.adviser}: {line.withheld}")
            continue
        follow = f" / 후속 조치: {line.follow_up}" if line.follow_up else ""
        parts.append(f"- 사례 {line.case_number} · {line.adviser}: {line.advice}{follow}")
    if len(parts) == 1:
        parts.append("기록된 자문 없음")
    return "\n".join(parts)
