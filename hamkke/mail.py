"""The one SMTP transport: build an e-mail and send it through the configured server.

Every e-mail the product sends goes through here (the notifications outbox and the invitation
task), so the server, port, timeout, STARTTLS and login are decided in one place, and a failure
worth retrying is raised the same way for both: `MailTransportError`.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app

from hamkke.time import now_utc

#: seconds before an SMTP connection attempt or reply is abandoned (the caller retries later)
SMTP_TIMEOUT_SECONDS = 20


class MailTransportError(Exception):
    """The SMTP server could not be reached or refused the message; worth retrying later."""


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    """Build a plain-text (plus HTML when given) UTF-8 e-mail from the configured sender."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    email = EmailMessage()
    email["From"] = sender
    email["To"] = to
    email["Subject"] = subject
    # A caller-chosen Message-ID (the outbox's, stable per message) lets a resend be recognised.
    email["Message-ID"] = message_id or make_msgid(domain=sender.rpartition("@")[2] or None)
    email["Date"] = format_datetime(now_utc())
    if reply_to:
        email["Reply-To"] = reply_to
    email.set_content(text, charset="utf-8")
    if html:
        email.add_alternative(html, subtype="html", charset="utf-8")
    return email


def send_message(message: EmailMessage) -> None:
    """Send one e-mail through the configured SMTP server; raise `MailTransportError` on a failure."""
    config = current_app.config
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=SMTP_TIMEOUT_SECONDS
        ) as smtp:
            if config.get("MAIL_USE_TLS"):
                # A verifying context: smtplib's default would accept any certificate.
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailTransportError(f"smtp: {type(exc).__name__}: {str(exc)[:200]}") from exc
