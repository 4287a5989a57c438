"""Encryption of sensitive columns (client secrets, 주민등록번호) with a key from the environment."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet(key_material: str | None = None) -> Fernet:
    material = key_material if key_material is not None else current_app.config["FIELD_ENCRYPTION_KEY"]
    # Fernet needs exactly 32 url-safe bytes; the operator's key may be any long random string.
    digest = hashlib.sha256(material.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_text(plain: str, *, key_material: str | None = None) -> str:
    """Encrypt ``plain`` for storage (authenticated; a changed ciphertext fails to decrypt)."""
    return _fernet(key_material).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_text(token: str, *, key_material: str | None = None) -> str:
    """Decrypt a value written by `encrypt_text`; raise ValueError if it was altered or the key differs."""
    try:
        return _fernet(key_material).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("encrypted value cannot be read with the configured key") from exc


def keyed_hash(purpose: str, value: str, *, key_material: str | None = None) -> str:
    """Return a keyed, one-way fingerprint of ``value`` (HMAC-SHA256, hex) for matching without reading.

    The key is derived from the field-encryption key and ``purpose``, so a fingerprint made for one
    purpose matches nothing of another, and nobody without the key can test a guessed value.
    """
    material = key_material if key_material is not None else current_app.config["FIELD_ENCRYPTION_KEY"]
    key = hashlib.sha256(f"hamkke-keyed-hash/{purpose}/{material}".encode()).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
