"""Background work of the network domain: the invitation e-mail."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from celery import shared_task
from flask import current_app, render_template
from flask_babel import force_locale

from agencies.models import Invitation, InvitationStatus
from agencies.onboarding import hash_token, invitation_link
from hamkke.db import db
from hamkke.i18n import local_datetime
from hamkke.retry import TRANSIENT_ERRORS
from hamkke.time import now_utc

logger = logging.getLogger(__name__)

#: seconds before an SMTP connection attempt is abandoned (the task retries later)
SMTP_TIMEOUT = 30


def deliver_email(*, to: str, subject: str, text: str, html: str) -> None:
    """Send one Korean plain-text + HTML e-mail through the configured SMTP server."""
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or None)
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=SMTP_TIMEOUT) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


@shared_task(
    name="agencies.send_invitation_email",
    # SMTP refusals as well as the transient failures every task retries (busy database, broker).
    autoretry_for=(smtplib.SMTPException, *TRANSIENT_ERRORS),
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
    deliver_email(
        to=invitation.email,
        subject=f"[함께] {invitation.agency.name} 통합사례관리 네트워크 참여 초대",
        text=text,
        html=html,
    )
    invitation.email_sent_at = now_utc()
    logger.info("Invitation e-mail for invitation %s sent", invitation_id)
    return "sent"
