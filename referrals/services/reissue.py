"""Letters of a referral: queueing their rendering after commit, and re-issuing a new version."""

from __future__ import annotations

from agencies.models import Person
from hamkke.audit import record
from hamkke.db import db
from hamkke.edge import enqueue_after_commit
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.korean import with_particle
from referrals import access, letters
from referrals.models import LetterKind, LetterReissue, Referral, ReferralEvent


def queue_letter(referral_id: int, kind: LetterKind, version: int = letters.FIRST_VERSION) -> None:
    """Hand a letter to the worker after commit; if the broker is down the letter sweeper renders it later."""
    # Imported here: referrals.tasks imports this package for the deadline reminders.
    from referrals.tasks import render_letter

    # A first version is queued without its number, as the task's arguments always were.
    if version == letters.FIRST_VERSION:
        enqueue_after_commit(render_letter, referral_id, kind.value, sweeper="referrals.sweep_letters")
    else:
        enqueue_after_commit(
            render_letter, referral_id, kind.value, version, sweeper="referrals.sweep_letters"
        )


#: the longest reason a re-issue may give (it is printed on the letter)
REISSUE_REASON_LIMIT = 500


def reissue_letter(
    referral: Referral, kind: LetterKind | str, *, actor: Person, reason: str
) -> LetterReissue:
    """Ask for a new version of a letter (same document number, ``-v2`` …); the worker renders it once.

    The issuing side re-issues (의뢰서: the sender; 회신서: the receiver); earlier versions stay and stay
    downloadable. A repeated request (same referral, kind and version) is refused by the unique key.
    """
    kind = LetterKind(kind)
    access.require_side(actor, referral, "sender" if kind is LetterKind.request else "receiver")
    number = (
        referral.request_document_number if kind is LetterKind.request else referral.reply_document_number
    )
    if number is None:
        raise InvalidTransition(
            f"아직 발급되지 않은 {with_particle(kind.label, '은')} 재발급할 수 없습니다.",
            english="This letter has not been issued yet.",
        )
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed("재발급 사유를 적어 주세요.", field="reason", english="Give a reason.")
    if len(reason) > REISSUE_REASON_LIMIT:
        raise ValidationFailed(f"재발급 사유는 {REISSUE_REASON_LIMIT}자 이내로 적어 주세요.", field="reason")
    version = letters.latest_version(referral.id, kind) + 1
    reissue = LetterReissue(
        referral_id=referral.id, kind=kind, version=version, reason=reason, requested_by_id=actor.id
    )
    db.session.add(reissue)
    referral.events.append(
        ReferralEvent(
            from_status=referral.status.value,
            to_status=referral.status.value,
            actor_id=actor.id,
            agency_id=referral.sending_agency_id
            if kind is LetterKind.request
            else referral.receiving_agency_id,
            note=f"{kind.label} {version}차 재발급: {reason[:200]}",
        )
    )
    record(
        "referral.letter_reissued",
        actor_id=actor.id,
        obj=referral,
        data={"kind": kind.value, "version": version},
    )
    db.session.flush()
    queue_letter(referral.id, kind, version)
    return reissue
