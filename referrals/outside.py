"""Referrals to an organisation outside the network: the 의뢰서 goes by e-mail, the sender records replies.

The outside organisation has no account, so the letter (consent-filtered, see
``disclosure.consented_field_groups_outside``) is attached to an e-mail written to the outbox in the
same transaction that stores the letter, and re-checked against consent when it is sent.
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from cases.models import Client
from hamkke.db import db
from notifications.models import OutboxMessage
from notifications.services import queue_email
from referrals import disclosure
from referrals.disclosure import log_disclosure
from referrals.models import Referral, ReferralLetter, ReferralStatus

#: the payload key that marks an outbox e-mail as carrying a referral letter to an outside organisation
CHECK_KIND = "referral_outside"


def queue_outside_letter(referral: Referral, letter: ReferralLetter) -> OutboxMessage:
    """Write the e-mail carrying ``letter`` to the outside organisation into the outbox (once per letter)."""
    assert referral.external_email is not None  # noqa: S101 -- only outside referrals get here
    context = {"referral": referral, "letter": letter}
    subject = f"[서비스 의뢰] {referral.sending_agency.name} 의뢰서 {letter.document_number}"
    return queue_email(
        to=referral.external_email,
        subject=subject,
        text=render_template("emails/referrals/outside_request.txt", **context),
        html=render_template("emails/referrals/outside_request.html", **context),
        idempotency_key=f"referral:{referral.id}:outside-letter:{letter.id}",
        agency_id=referral.sending_agency_id,
        attachments=[
            {
                "path": letter.path,
                "filename": f"{letter.document_number}.pdf",
                "content_type": "application/pdf",
                "sha256": letter.sha256,
            }
        ],
        reply_to=referral.sender.email,
        consent_check={"kind": CHECK_KIND, "referral_id": referral.id, "letter_id": letter.id},
    )


def outside_email_allowed(check: dict[str, Any]) -> bool:
    """Tell, at send time, whether the letter may still go: referral not withdrawn, groups still consented."""
    referral = db.session.get(Referral, int(check["referral_id"]))
    letter = db.session.get(ReferralLetter, int(check["letter_id"]))
    if referral is None or letter is None or letter.referral_id != referral.id:
        return False
    if referral.status in {ReferralStatus.cancelled, ReferralStatus.revoked}:
        return False
    if not letter.field_groups:
        return True  # the letter carries no client field: nothing for consent to hold back
    client = db.session.get(Client, referral.client_id)
    if client is None:
        return False
    allowed = disclosure.consented_field_groups_outside(client, referral.district_id)
    return set(letter.field_groups) <= allowed


def log_email_disclosure(check: dict[str, Any]) -> None:
    """Write the access-log row of a letter e-mailed to an outside organisation (in the send's commit)."""
    referral = db.session.get(Referral, int(check["referral_id"]))
    letter = db.session.get(ReferralLetter, int(check["letter_id"]))
    if referral is None or letter is None:
        return
    log_disclosure(
        actor=None,
        agency_id=None,
        client_id=referral.client_id,
        groups=letter.field_groups,
        channel="email",
        basis=f"referral_outside:{referral.id};letter:{letter.id}",
    )
