"""필수서식8 과정기록지: everything that happened to a case, merged into one chronological record.

The streams of the case core (stage changes, 초기상담, 위기도, plan versions, 상담일지, service checks and
results, 종결심사) are read from the gate's view of the client, so another agency sees a record's text
only as far as the client's consent lets it; without a view only the stage changes remain (they carry
no client data). The request edge adds the streams of the packages above the core (conferences,
referrals) as `ProcessEntry` rows and `merge` orders them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from cases.models import Case, CaseStage
from hamkke.time import to_local

#: the kinds of entries, in the order they sort within one day
KIND_ORDER: tuple[str, ...] = (
    "stage",
    "intake",
    "crisis",
    "plan",
    "conference",
    "referral",
    "counselling",
    "service_check",
    "service_result",
    "closure",
)
KIND_LABELS: dict[str, str] = {
    "stage": "단계 변경",
    "intake": "초기상담",
    "crisis": "위기도 조사",
    "plan": "서비스제공계획",
    "conference": "사례회의",
    "referral": "서비스 의뢰",
    "counselling": "상담",
    "service_check": "서비스 점검",
    "service_result": "개입 결과",
    "closure": "종결심사",
}
_EARLIEST = datetime.min


class RecordSource(Protocol):
    """What the record needs of the gate's view: the case records of the visible field groups."""

    def records(self, table: str) -> tuple[Mapping[str, Any], ...]:
        """Return the visible records of one case table."""


class ProcessEntry(NamedTuple):
    """One line of the 과정기록지: when, what kind, the intervention or content, and its result."""

    on: date
    kind: str
    content: str
    result: str = ""
    #: who recorded it (a staff member's person id), when known
    author_id: int | None = None
    #: the instant it was recorded, to order entries of one day
    recorded_at: datetime | None = None

    @property
    def kind_label(self) -> str:
        """Korean name of the entry's kind."""
        return KIND_LABELS[self.kind]


def merge(*streams: Iterable[ProcessEntry]) -> list[ProcessEntry]:
    """Merge the streams into one record ordered by day, then by the kind's place, then by time."""
    entries = [entry for stream in streams for entry in stream]
    return sorted(
        entries,
        key=lambda e: (e.on, KIND_ORDER.index(e.kind), _naive(e.recorded_at)),
    )


def _naive(value: datetime | None) -> datetime:
    # Instants from the database are UTC-aware; the sort only needs them comparable.
    return value.replace(tzinfo=None) if value is not None else _EARLIEST


def stage_entries(case: Case, view: RecordSource | None) -> list[ProcessEntry]:
    """Stage changes of the case (with the worker's reason where the gate shows it)."""
    notes = {r["id"]: r["note"] for r in view.records("case_events")} if view else {}
    return [
        ProcessEntry(
            on=to_local(event.at).date(),
            kind="stage",
            content=f"{CaseStage(event.from_stage).label} → {CaseStage(event.to_stage).label}",
            result=notes.get(event.id) or "",
            author_id=event.actor_id,
            recorded_at=event.at,
        )
        for event in case.events
        if event.kind == "transition" and event.from_stage and event.to_stage
    ]


def _plan_entries(view: RecordSource) -> list[ProcessEntry]:
    entries: list[ProcessEntry] = []
    for plan in view.records("case_service_plans"):
        goals = "; ".join(f"{g['term'].label}·{g['domain'].label}: {g['statement']}" for g in plan["goals"])
        services = ", ".join(s["name"] for s in plan["services"])
        agreed = f"서면 합의 {plan['agreed_on'].isoformat()}" if plan["agreed_on"] else "합의 전"
        entries.append(
            ProcessEntry(
                on=to_local(plan["created_at"]).date(),
                kind="plan",
                content=f"v{plan['version']} {goals} / 서비스: {services}",
                result=agreed,
                author_id=plan["created_by_id"],
                recorded_at=plan["created_at"],
            )
        )
        for service in plan["services"]:
            if service["result_on"] and service["result"]:
                entries.append(
                    ProcessEntry(
                        on=service["result_on"],
                        kind="service_result",
                        content=service["name"],
                        result=service["result"],
                    )
                )
    return entries


def _log_entry(log: Mapping[str, Any]) -> ProcessEntry:
    head = f"{log['method'].label} · {log['counselling_type'].label} · {log['minutes']}분"
    return ProcessEntry(
        on=log["contacted_on"],
        kind="counselling",
        content=f"[{head}] {log['content']}",
        result=log["result"] or log["finding"].label,
        author_id=log["author_id"],
        recorded_at=log["created_at"],
    )


def record_entries(view: RecordSource | None) -> list[ProcessEntry]:
    """The entries of the client's case records, as far as the gate's view shows them."""
    if view is None:
        return []
    entries = [
        ProcessEntry(
            on=r["counselled_on"],
            kind="intake",
            content=r["main_complaint"],
            result=r["facts"],
            author_id=r["counsellor_id"],
            recorded_at=r["created_at"],
        )
        for r in view.records("case_intake_records")
    ]
    entries += [
        ProcessEntry(
            on=r["rated_on"],
            kind="crisis",
            content=f"위기도 {r['level'].label}"
            + (f" (합계 {r['total']}점)" if r["total"] is not None else ""),
            result="생명·안전 문제" if r["life_safety"] else "",
            author_id=r["rated_by_id"],
            recorded_at=r["created_at"],
        )
        for r in view.records("case_crisis_ratings")
    ]
    entries += _plan_entries(view)
    entries += [_log_entry(r) for r in view.records("case_counselling_logs")]
    entries += [
        ProcessEntry(
            on=r["checked_on"],
            kind="service_check",
            content=f"충분성 {r['sufficiency']} · 적절성 {r['appropriateness']} · 효율성 {r['efficiency']}",
            result=r["note"] or "",
            author_id=r["author_id"],
            recorded_at=r["created_at"],
        )
        for r in view.records("case_service_checks")
    ]
    entries += [
        ProcessEntry(
            on=r["reviewed_on"],
            kind="closure",
            content=f"{r['closure_type'].label}: {r['review_opinion']}",
            result=f"종결 예정일 {r['planned_closure_on'].isoformat()}",
            author_id=r["case_worker_id"],
            recorded_at=r["created_at"],
        )
        for r in view.records("case_closure_reviews")
    ]
    return entries


def process_record(
    case: Case, view: RecordSource | None, extra: Iterable[ProcessEntry] = ()
) -> list[ProcessEntry]:
    """The case's 과정기록지: its stage changes, its records through the gate and the extra streams."""
    return merge(stage_entries(case, view), record_entries(view), extra)
