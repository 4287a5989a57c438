"""The development mail catcher: an SMTP sink (aiosmtpd) that keeps every message as a file to look at.

`hamkke up` starts it when no SMTP server is configured, so invitations, reminders and minutes sent
while trying the product land in ``instance/devmail/`` and show on the development mail page
(/dev/mail) instead of retrying against a closed port. Production refuses to start it.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from hamkke.config import instance_path, is_production, load_config
from hamkke.time import now_utc

#: the name of a stored message (time first, so that names sort by arrival)
MESSAGE_NAME = re.compile(r"^\d{8}T\d{6}\d{6}-[0-9a-f]{32}$")
#: messages listed on the page, newest first; older ones stay on disk
PAGE_LIMIT = 200


def mail_folder(instance_path: str | Path) -> Path:
    """Return the folder caught messages are kept in."""
    return Path(instance_path) / "devmail"


class MailFolderHandler:
    """aiosmtpd handler: accept every message and store its bytes as ``<time>-<random>.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        """Store one message; written under a temporary name and renamed, so a reader never sees half."""
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        name = f"{now_utc().strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex}"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(raw)
        os.replace(temporary, self.folder / f"{name}.eml")
        return "250 OK: caught by the Hamkke development mail catcher"


def serve(folder: Path, host: str, port: int, ready: threading.Event | None = None) -> None:
    """Run the SMTP sink until SIGINT or SIGTERM."""
    from aiosmtpd.controller import Controller

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller = Controller(MailFolderHandler(folder), hostname=host, port=port)
    controller.start()
    if ready is not None:
        ready.set()
    try:
        stop.wait()
    finally:
        controller.stop()


@dataclass(frozen=True)
class Attachment:
    """One attachment of a caught message."""

    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class CaughtMessage:
    """A caught message as the page shows it."""

    name: str
    received_at: datetime
    sender: str
    recipients: str
    subject: str
    text: str
    attachments: list[Attachment]


def _parse(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _received_at(name: str, message: EmailMessage) -> datetime:
    try:
        return datetime.strptime(name.split("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    except ValueError:
        return parsedate_to_datetime(str(message["Date"]))


def _attachments(message: EmailMessage) -> list[EmailMessage]:
    return list(message.iter_attachments())


def _size(part: EmailMessage) -> int:
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def _summary(path: Path) -> CaughtMessage:
    message = _parse(path)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    parts = _attachments(message)
    return CaughtMessage(
        name=path.stem,
        received_at=_received_at(path.stem, message),
        sender=str(message.get("From", "")),
        recipients=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        text=str(text),
        attachments=[
            Attachment(
                index=index,
                filename=part.get_filename() or f"attachment-{index + 1}",
                content_type=part.get_content_type(),
                size=_size(part),
            )
            for index, part in enumerate(parts)
        ],
    )


def caught_messages(folder: Path, limit: int = PAGE_LIMIT) -> list[CaughtMessage]:
    """Return the newest caught messages first."""
    if not folder.is_dir():
        return []
    paths = sorted((path for path in folder.glob("*.eml") if MESSAGE_NAME.match(path.stem)), reverse=True)
    return [_summary(path) for path in paths[:limit]]


def attachment(folder: Path, name: str, index: int) -> tuple[str, str, bytes] | None:
    """Return (filename, content type, bytes) of one attachment, or None if there is no such thing."""
    if not MESSAGE_NAME.match(name):
        return None  # only names the catcher wrote: nothing outside the folder can be asked for
    path = folder / f"{name}.eml"
    if not path.is_file():
        return None
    parts = _attachments(_parse(path))
    if not 0 <= index < len(parts):
        return None
    part = parts[index]
    payload = part.get_payload(decode=True)
    return (
        part.get_filename() or f"attachment-{index + 1}",
        part.get_content_type(),
        payload if isinstance(payload, bytes) else b"",
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m hamkke.devmail``: run the catcher (started by `hamkke up`; refused in production)."""
    import argparse

    parser = argparse.ArgumentParser(description="Hamkke development mail catcher (SMTP sink)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", default=None, help="where caught messages are kept")
    options = parser.parse_args(argv)
    if is_production(load_config()):
        raise SystemExit(
            "메일 수집기는 개발용입니다 / the mail catcher is for development only (HAMKKE_ENV=production)"
        )
    folder = Path(options.folder) if options.folder else mail_folder(instance_path())
    print(f"개발용 메일 수집기 / development mail catcher: smtp://{options.host}:{options.port} → {folder}")
    serve(folder, options.host, options.port)


if __name__ == "__main__":
    main()
