"""Fulfilling 정정 (correction) and 삭제 (erasure) requests: the data changes they make, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cases.fields import FIELD_GROUPS, group_of_column
from cases.models import Case, Client
from consents import gate
from consents.models import DataSubjectRequest, RequestKind
from consents.services.base import fail, json_safe
from consents.services.changes import consent_changed
from consents.services.requests import check_request_client, finish_request
from hamkke.audit import record
from hamkke.db import db
from hamkke.time import today_local

if TYPE_CHECKING:
    from agencies.models import Person

#: client columns a correction may change, with their Korean labels. 주민등록번호 is not corrected
#: here: a new number is recorded with its statutory basis by the public agency that may hold it.
CORRECTABLE_COLUMNS: dict[str, str] = {
    column: group.label_of(column)
    for group in FIELD_GROUPS.values()
    for column in group.columns
    if group.code != "unique_id"
}


def _corrected_value(name: str, raw: str) -> Any:
    label = CORRECTABLE_COLUMNS[name]
    text = raw.strip()
    column = Client.__table__.columns[name]
    if name == "lives_together":
        if text not in {"1", "0"}:
            raise fail(f"{label}: 예 또는 아니오를 고르십시오.", name, "Choose yes or no.")
        return text == "1"
    if name == "name" and not text:
        raise fail("이름은 비울 수 없습니다.", name, "The name cannot be empty.")
    if not text:
        return None
    if name == "birth_date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise fail(f"{label}: 날짜 형식(YYYY-MM-DD)이 아닙니다.", name, "Not a date.") from None
        if day > today_local():
            raise fail(f"{label}: 미래 날짜일 수 없습니다.", name, "The date is in the future.")
        return day
    if name in {"monthly_income", "debt_amount"}:
        try:
            amount = int(text.replace(",", ""))
        except ValueError:
            raise fail(f"{label}: 숫자(만원)를 입력해 주십시오.", name, "Enter a number.") from None
        if amount < 0:
            raise fail(f"{label}: 0 이상이어야 합니다.", name, "Must not be negative.")
        return amount
    length = getattr(column.type, "length", None)
    if length is not None and len(text) > length:
        raise fail(f"{label}: {length}자 이하로 적어 주십시오.", name, f"At most {length} characters.")
    return text


def fulfil_correction(
    item: DataSubjectRequest, client: Client, *, actor: Person, changes: dict[str, str]
) -> dict[str, tuple[Any, Any]]:
    """Apply the reviewed corrections (정정) to the client record and close the request.

    The audit row keeps each changed field's value before and after (the access log never does).
    :raises ValidationFailed: a value of the wrong kind or nothing changed; nothing is saved.
    """
    check_request_client(item, client, RequestKind.correction)
    unknown = set(changes) - set(CORRECTABLE_COLUMNS)
    if unknown:
        raise fail("정정할 수 없는 항목입니다.", sorted(unknown)[0], "That field cannot be corrected here.")
    parsed = {name: _corrected_value(name, raw) for name, raw in changes.items()}
    # The owner's current values, read through the gate (the audit row keeps before and after).
    current = gate.field_values(client, {group_of_column(name) or "" for name in parsed})
    changed = {name: (current[name], value) for name, value in parsed.items() if current[name] != value}
    if not changed:
        raise fail(
            "바뀐 항목이 없습니다. 대상자가 정정을 요구한 값을 입력해 주십시오.",
            "changes",
            "Nothing changed; enter the corrected values.",
        )
    for name, (_before, after) in changed.items():
        setattr(client, name, after)
    labels = ", ".join(CORRECTABLE_COLUMNS[name] for name in changed)
    finish_request(item, actor, f"정정 반영: {labels}")
    db.session.flush()
    record(
        "consents.request_correction_applied",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={
            "client_id": client.id,
            "before": {name: json_safe(before) for name, (before, _after) in changed.items()},
            "after": {name: json_safe(after) for name, (_before, after) in changed.items()},
        },
    )
    consent_changed(client.id)
    return changed


#: erased on every 삭제 request: contact details, the health profile (민감정보), the economic detail and
#: family relations are not part of the 사례관리 record the law makes us keep; they only served to reach
#: and assess the client, and the case records (욕구사정, 상담기록 …) that were built from them stay.
ERASED_ALWAYS: tuple[str, ...] = (
    "phone",
    "address",
    "emergency_contact",
    "monthly_income",
    "debt_amount",
    "debt_reason",
    "housing",
    "physical_health",
    "mental_health",
    "disability",
    "addiction",
    "family_relations",
)
#: kept while a case of the household is inside its retention (사회보장급여법 제34조: 5 years after the
#: case ends; ``cases.retention``): who the record is about, the household it was assessed in, and the
#: 보장 category its eligibility decisions rest on. PIPA 제36조① 단서 lets us refuse erasure of these.
KEPT_UNDER_RETENTION: tuple[str, ...] = (
    "name",
    "sex",
    "birth_date",
    "relationship_to_head",
    "lives_together",
    "benefit_category",
)
ERASED_MARK = "(삭제 요청으로 삭제됨)"


@dataclass(frozen=True)
class ErasurePlan:
    """What a 삭제 request removes now and what stays, and why."""

    retained_by_law: bool
    erased: tuple[str, ...]
    kept: tuple[str, ...]
    #: 주민등록번호 stays only when a public agency recorded the statute it processes it under
    rrn_kept: bool


def erasure_plan(client: Client) -> ErasurePlan:
    """Decide which of the client's personal fields a 삭제 request removes (see the two tuples above)."""
    open_records = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Case)
        .where(Case.household_id == client.household_id, Case.purged_at.is_(None))
    )
    if not open_records:
        return ErasurePlan(False, ERASED_ALWAYS + KEPT_UNDER_RETENTION, (), rrn_kept=False)
    unique = gate.field_values(client, ("unique_id",))
    rrn_kept = bool(unique["rrn_legal_basis"] and unique["rrn_masked"])
    return ErasurePlan(True, ERASED_ALWAYS, KEPT_UNDER_RETENTION, rrn_kept=rrn_kept)


def fulfil_deletion(item: DataSubjectRequest, client: Client, *, actor: Person) -> ErasurePlan:
    """Erase the client's personal fields not under statutory retention (삭제) and close the request.

    With no case record left to keep, the client becomes a pseudonymous skeleton (name replaced,
    every personal field emptied, hidden). The case skeleton and the access log always stay: the log
    is evidence of past disclosures (고시 제8조), not the client's profile. The audit row names the
    fields, never their values.
    """
    check_request_client(item, client, RequestKind.deletion)
    plan = erasure_plan(client)
    for name in plan.erased:
        if name == "name":
            client.name = ERASED_MARK
        elif name == "lives_together":
            client.lives_together = True
        else:
            setattr(client, name, None)
    if not plan.rrn_kept:
        client.rrn_encrypted = None
        client.rrn_legal_basis = None
    if not plan.retained_by_law:
        client.mark_deleted()
    kept = "; ".join(
        part
        for part in (
            "법정 보존기간 중인 사례기록 때문에 보존: " + ", ".join(CORRECTABLE_COLUMNS[n] for n in plan.kept)
            if plan.kept
            else "",
            "주민등록번호(법령 근거) 보존" if plan.rrn_kept else "",
        )
        if part
    )
    finish_request(
        item,
        actor,
        "삭제 반영: "
        + ", ".join(CORRECTABLE_COLUMNS[name] for name in plan.erased)
        + (f" ({kept})" if kept else ""),
    )
    db.session.flush()
    record(
        "consents.request_erasure_applied",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={
            "client_id": client.id,
            "erased": list(plan.erased) + ([] if plan.rrn_kept else ["rrn_encrypted", "rrn_legal_basis"]),
            "retained_by_law": plan.retained_by_law,
        },
    )
    consent_changed(client.id)
    return plan
