"""Errors of the agency API: a stable code, Korean and English messages, optional headers."""

from __future__ import annotations

from hamkke.errors import DomainError


class ApiError(DomainError):
    """A refused API call; rendered as ``{"error": {"code", "message", "message_en", …}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        english: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, field=field, english=english)
        self.status_code = status
        self.code = code
        #: e.g. ``WWW-Authenticate`` on 401/403 (RFC 6750 §3)
        self.headers = headers or {}
