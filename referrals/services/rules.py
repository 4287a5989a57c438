"""The referral's rules: its life cycle table, the content and outside recipient a sender gives."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.korean import with_particle
from referrals import access
from referrals.models import AWAITING_RESPONSE, Referral, ReferralStatus

S = ReferralStatus
#: the whole life cycle in one place: (from, to) → the side allowed to make that move
TRANSITIONS: dict[tuple[ReferralStatus, ReferralStatus], access.Side] = {
    (S.draft, S.requested): "sender",
    (S.draft, S.cancelled): "sender",
    (S.requested, S.received): "receiver",
    (S.requested, S.accepted): "receiver",
    (S.requested, S.rejected): "receiver",
    (S.requested, S.cancelled): "sender",
    (S.received, S.accepted): "receiver",
    (S.received, S.rejected): "receiver",
    (S.received, S.cancelled): "sender",
    (S.accepted, S.in_progress): "receiver",
    (S.accepted, S.completed): "receiver",
    (S.accepted, S.revoked): "sender",
    (S.in_progress, S.completed): "receiver",
    (S.in_progress, S.revoked): "sender",
}
#: states from which the sender may re-route the client to another agency
REROUTABLE = frozenset({S.requested, S.received, S.rejected})
#: the maximum length of the free-text fields of the form
TEXT_LIMIT = 4000


@dataclass(frozen=True)
class ReferralContent:
    """What the sender writes (활용서식6) and chooses to share."""

    reason: str
    requested_services: str
    main_problem: str = ""
    service_history: str = ""
    notes: str = ""
    field_groups: tuple[str, ...] = ()


#: a plain mailbox address: local part, @, a domain of dot-separated labels (no display names, no lists)
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


@dataclass(frozen=True)
class OutsideRecipient:
    """An organisation outside the network (no account), reached by e-mail."""

    name: str
    email: str


def clean_outside_recipient(name: str, email: str) -> OutsideRecipient:
    """Return the outside organisation's name and e-mail address, checked; ValidationFailed if wrong."""
    name = " ".join(name.split())
    email = email.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(
            "받는 기관 이름을 200자 이내로 적어 주세요.",
            field="external_name",
            english="Give the organisation's name (200 characters at most).",
        )
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        raise ValidationFailed(
            "받는 기관의 이메일 주소가 올바르지 않습니다. 예: office@example.or.kr",
            field="external_email",
            english="The organisation's e-mail address is not valid.",
        )
    return OutsideRecipient(name=name, email=email.lower())


class EligibilityWarning(ValidationFailed):
    """The service's eligibility rules speak against this referral; the sender may override with a reason."""

    code = "eligibility_warning"

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(
            " ".join(warnings) + " 그래도 의뢰하려면 사유를 적어 주세요.",
            field="eligibility_override_reason",
            english="The service's eligibility rules speak against this referral; give a reason to override.",
        )
        self.warnings = warnings


def allowed_transition(current: ReferralStatus, target: ReferralStatus) -> access.Side:
    """Return the side that may move a referral from ``current`` to ``target``; InvalidTransition if none."""
    side = TRANSITIONS.get((current, target))
    if side is None:
        if current.value in {s.value for s in (S.rejected, S.completed, S.cancelled, S.revoked)}:
            message = f"이미 종결된 의뢰({current.label})는 바꿀 수 없습니다."
        else:
            target_quoted = with_particle(f"'{target.label}'", "으로")
            message = f"'{current.label}' 상태의 의뢰는 {target_quoted} 바꿀 수 없습니다."
        raise InvalidTransition(message, english=f"Cannot move a referral from {current} to {target}.")
    return side


def awaiting(referral: Referral) -> bool:
    """Tell whether the receiving agency still owes an answer."""
    return referral.status in AWAITING_RESPONSE
