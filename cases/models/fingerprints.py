"""Fingerprints that recognise one person across agencies without anyone reading them (중복 서비스 확인).

Each client carries up to two keyed fingerprints (``hamkke.crypto.keyed_hash``): one of the
주민등록번호, kept only where the number itself is lawfully held (a recorded legal basis), and one of
name + birth date + address for everyone else. They are derived here, beside the columns they come
from, whenever a client is written; they are never shown, and a deleted or destroyed record loses
them. What a match may reveal is decided beside the disclosure gate (``consents.others``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import event, inspect

from cases.models.households import Client
from hamkke.crypto import decrypt_text, keyed_hash

#: characters that differ between two ways of writing the same address or name
_NOISE = re.compile(r"[\s\-,.()·]+")


def _normalised(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def rrn_fingerprint(rrn: str) -> str | None:
    """Return the fingerprint of a 주민등록번호 (13 digits, hyphen optional), or None if it is not one."""
    digits = re.sub(r"\D", "", rrn)
    return keyed_hash("rrn", digits) if len(digits) == 13 else None


def identity_fingerprint(name: str | None, birth_date: date | None, address: str | None) -> str | None:
    """Return the fingerprint of name + birth date + address, or None when any of the three is missing."""
    if not name or birth_date is None or not address or not _normalised(name) or not _normalised(address):
        return None
    return keyed_hash("identity", f"{_normalised(name)}|{birth_date.isoformat()}|{_normalised(address)}")


def refresh_fingerprints(client: Client) -> None:
    """Recompute a client's fingerprints from its current columns (on every insert and update)."""
    rrn_key = identity_key = None
    if not client.is_deleted:  # a deleted or destroyed record is nobody's match any more
        identity_key = identity_fingerprint(client.name, client.birth_date, client.address)
        if client.rrn_encrypted and client.rrn_legal_basis:
            try:
                rrn_key = rrn_fingerprint(decrypt_text(client.rrn_encrypted))
            except ValueError:
                rrn_key = None  # a number written under another key matches nothing
    client.rrn_match_key = rrn_key
    client.identity_match_key = identity_key


#: the columns a fingerprint is derived from; an update touching none of them keeps the old ones
_SOURCE_COLUMNS = ("name", "birth_date", "address", "rrn_encrypted", "rrn_legal_basis", "is_deleted")


@event.listens_for(Client, "before_insert")
def _fingerprint_new_client(mapper: Any, connection: Any, client: Client) -> None:
    refresh_fingerprints(client)


@event.listens_for(Client, "before_update")
def _refresh_changed_client(mapper: Any, connection: Any, client: Client) -> None:
    # Most writes to a client (a phone number, a health note) leave its identity alone; skipping them
    # spares a decryption of the 주민등록번호 and two keyed hashes per write.
    state = inspect(client)
    if any(state.attrs[name].history.has_changes() for name in _SOURCE_COLUMNS):
        refresh_fingerprints(client)
