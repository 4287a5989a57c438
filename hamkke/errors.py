"""Domain errors that views, socket handlers and tasks turn into Korean messages and 4xx codes."""

from __future__ import annotations


class DomainError(Exception):
    """A refused operation; ``message`` is shown to the user (Korean), ``code`` is stable for APIs."""

    status_code = 400
    code = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None, english: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: form field the error belongs to, so the page can show it next to that field
        self.field = field
        #: English wording for API clients and the English UI
        self.english = english


class ValidationFailed(DomainError):
    """Input that breaks a rule; nothing was saved."""

    status_code = 422
    code = "validation_failed"


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists."""

    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    """The actor may see the object but not do this with it."""

    status_code = 403
    code = "forbidden"


class InvalidTransition(DomainError):
    """A state change the process does not allow from the current state."""

    status_code = 409
    code = "invalid_transition"


class ConsentRequired(DomainError):
    """The client's consent does not cover this use of their data."""

    status_code = 403
    code = "consent_required"


#: what a person reads when the database, Redis or the broker cannot be reached (pages, JSON and sockets)
UNAVAILABLE_MESSAGE = "서비스를 잠시 사용할 수 없습니다. 잠시 후 다시 시도해 주세요."
UNAVAILABLE_MESSAGE_EN = "The service is temporarily unavailable; please try again shortly."


class ServiceUnavailable(DomainError):
    """A part the request needs (database, Redis, broker) cannot be reached now; nothing was saved."""

    status_code = 503
    code = "unavailable"

    def __init__(self, message: str = UNAVAILABLE_MESSAGE, *, english: str = UNAVAILABLE_MESSAGE_EN) -> None:
        super().__init__(message, english=english)
