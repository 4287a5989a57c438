"""Background work of the network domain: the invitation e-mail."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import render_template
from flask_babel import force_locale

from agencies.models import Invitation, InvitationStatus
from agencies.onboarding import hash_token, invitation_link
from hamkke.db import db
from hamkke.i18n import local_datetime
from hamkke.mail import MailTransportError, build_message, send_message
from hamkke.retry import TRANSIENT_ERRORS
from hamkke.time import now_utc

logger = logging.getLogger(__name__)


@shared_task(
    name="agencies.send_invitation_email",
    # SMTP refusals as well as the transient failures every task retries (busy database, broker).
    autoretry_for=(MailTransportError, *TRANSIENT_ERRORS),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
)
def send_invitation_email(invitation_id: int, token: str) -> str:
    """E-mail the invitation link to the invitee once; skip used, expired, revoked or replaced links.

    The token travels through the broker because only its hash is in the database; it is checked
    against that hash, so a stale task for a re-issued link sends nothing.
    """
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.token_hash != hash_token(token):
        logger.warning("Invitation %s: no matching invitation, e-mail not sent", invitation_id)
        return "skipped:unknown"
    if invitation.email_sent_at is not None:
        return "skipped:already_sent"
    status = invitation.status_at(now_utc())
    if status != InvitationStatus.pending:
        logger.info("Invitation %s is %s, e-mail not sent", invitation_id, status.value)
        return f"skipped:{status.value}"
    # No request here to choose a language from: the invitation goes out in Korean.
    with force_locale("ko"):
        context = {
            "agency_name": invitation.agency.name,
            "district_name": invitation.district.name,
            "link": invitation_link(token),
            "expires_at": local_datetime(invitation.expires_at),
        }
        text = render_template("emails/agencies/invitation.txt", **context)
        html = render_template("emails/agencies/invitation.html", **context)
    send_message(
        build_message(
            to=invitation.email,
            subject=f"[함께] {invitation.agency.name} 통합사례관리 네트워크 참여 초대",
            text=text,
            html=html,
        )
    )
    invitation.email_sent_at = now_utc()
    logger.info("Invitation e-mail for invitation %s sent", invitation_id)
    return "sent"
