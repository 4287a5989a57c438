"""Web helpers: JSON-or-HTML errors, safe redirects, security headers and request IDs."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import kombu.exceptions as kombu_exc
import redis.exceptions as redis_exc
import sqlalchemy.exc as sa_exc
from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from hamkke.audit import current_request_id
from hamkke.db import db
from hamkke.errors import UNAVAILABLE_MESSAGE, UNAVAILABLE_MESSAGE_EN, DomainError

logger = logging.getLogger(__name__)

#: Korean first, English second: API clients get both so neither language is lost.
STATUS_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("요청이 올바르지 않습니다.", "The request is not valid."),
    401: ("로그인이 필요합니다.", "Please sign in."),
    403: ("이 작업을 할 권한이 없습니다.", "You are not allowed to do this."),
    404: ("찾는 페이지가 없습니다.", "The page does not exist."),
    405: ("허용되지 않는 요청 방식입니다.", "This method is not allowed."),
    409: ("현재 상태에서는 할 수 없는 작업입니다.", "Not possible in the current state."),
    413: ("올린 파일이 너무 큽니다.", "The upload is too large."),
    422: ("입력한 내용을 확인해 주세요.", "Please check what you entered."),
    429: ("요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.", "Too many requests; try again shortly."),
    500: (
        "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.",
        "Something went wrong; please try again.",
    ),
    503: (UNAVAILABLE_MESSAGE, UNAVAILABLE_MESSAGE_EN),
}


#: seconds a client is asked to wait after a 503 (the database or Redis restarting takes about this long)
RETRY_AFTER_SECONDS = 30

#: the database, Redis or the Celery broker cannot be reached: an outage, answered 503, not a bug (500)
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    redis_exc.ConnectionError,
    redis_exc.TimeoutError,
    kombu_exc.OperationalError,
)


#: the largest value of a PostgreSQL ``integer`` column (every primary key here)
MAX_DATABASE_ID = 2**31 - 1
#: sent by static/js/hamkke.js with every form it posts inline (htmx); see ``inline_form_redirect``
INLINE_FORM_HEADER = "X-Hamkke-Inline-Form"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def parse_id(value: object) -> int | None:
    """Return a submitted value as a row ID, or None unless it is ASCII digits within the column's range.

    ``str.isdigit`` alone accepts "²" (which ``int`` refuses) and numbers the database refuses to
    compare with an integer column; both used to end a request with a 500.
    """
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(MAX_DATABASE_ID)):
        return None  # also spares ``int`` a string of thousands of digits, which it refuses
    number = int(value)
    return number if 0 < number <= MAX_DATABASE_ID else None


#: the last page number a list accepts; beyond it the OFFSET would only waste the database's time
MAX_PAGE = 10_000


def page_arg(name: str = "page") -> int:
    """Return the requested page number: 1 when absent or malformed, at most MAX_PAGE."""
    raw = request.args.get(name, "")
    if not (raw.isascii() and raw.isdigit()):
        return 1
    # Length first: Python refuses to convert digit strings of thousands of characters.
    return max(1, MAX_PAGE if len(raw) > len(str(MAX_PAGE)) else min(int(raw), MAX_PAGE))


def wants_json() -> bool:
    """Tell whether the caller expects JSON (API paths, htmx and fetch requests) rather than a page."""
    if request.path.startswith("/api/") or request.headers.get("HX-Request") == "true":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def safe_next_url(target: str | None, fallback: str = "/") -> str:
    """Return ``target`` only if it stays on this site (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return fallback
    return target


def error_response(
    status: int,
    *,
    code: str | None = None,
    message: str | None = None,
    english: str | None = None,
    field: str | None = None,
) -> ResponseReturnValue:
    """Render an error as JSON for API/htmx callers and as a Korean page for browsers."""
    korean, default_english = STATUS_MESSAGES.get(status, STATUS_MESSAGES[400 if status < 500 else 500])
    payload: dict[str, Any] = {
        "error": {
            "code": code or f"http_{status}",
            "message": message or korean,
            "message_en": english or (default_english if message is None else english or ""),
            "request_id": current_request_id(),
        }
    }
    if field:
        payload["error"]["field"] = field
    # An outage: tell clients when to come back (RFC 9110 §10.2.3); the page needs no database.
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    if wants_json():
        return jsonify(payload), status, headers
    if message is None and str(get_locale()) == "en":
        korean = default_english
    template = f"errors/{status}.html" if status in {400, 403, 404, 500, 503} else "errors/generic.html"
    page = render_template(
        template, status=status, message=message or korean, request_id=current_request_id()
    )
    return page, status, headers


def register_error_handlers(app: Flask) -> None:
    """Turn HTTP, CSRF, domain and unexpected errors into proper responses."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> ResponseReturnValue:
        db.session.rollback()
        return error_response(
            error.status_code,
            code=error.code,
            message=error.message,
            english=error.english,
            field=error.field,
        )

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
        return error_response(
            400,
            code="csrf_failed",
            message=_(
                "보안 토큰이 만료되었거나 올바르지 않습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요."
            ),
            english="The security token expired or is invalid; reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        return error_response(status)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> ResponseReturnValue:
        # Roll back so a half-done unit of work never leaks into the next request on this session.
        db.session.rollback()
        logger.error("Unhandled error in request %s", current_request_id(), exc_info=error)
        return error_response(500)


def register_outage_handlers(app: Flask) -> None:
    """Answer an unreachable database, Redis or broker with 503, Retry-After and nothing saved."""

    def handle_outage(error: Exception) -> ResponseReturnValue:
        try:
            # Whatever the request had flushed is thrown away; the rollback itself may fail too.
            db.session.rollback()
        except Exception:
            logger.debug("Rollback after an outage failed", exc_info=True)
        logger.error(
            "Service unavailable in request %s: %s: %s",
            current_request_id(),
            type(error).__name__,
            str(error).splitlines()[0] if str(error) else "",
        )
        return error_response(503, code="unavailable")

    for error_class in OUTAGE_ERRORS:
        app.register_error_handler(error_class, handle_outage)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; frame-ancestors 'none'; "
    "form-action 'self' {form_targets}; base-uri 'none'"
)


#: where the machine API lives (hamkke/api answers its own errors)
API_PREFIX = "/api/"
#: the bodies of an HTML form post (JSON bodies are checked by the API framework)
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def register_request_hooks(app: Flask) -> None:
    """Attach request IDs and security headers to every response."""

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = current_request_id()

    @app.before_request
    def refuse_nul_in_forms() -> ResponseReturnValue | None:
        # PostgreSQL text cannot hold NUL (SQLite would store it and show garbage): one check for
        # every posted form, before any view or service sees the value, instead of a 500 at flush.
        # The API answers in its own error schema (OAuth's for the token endpoints) and checks its input.
        posted_form = (
            request.method in ("POST", "PUT", "PATCH")
            and request.mimetype in FORM_MIMETYPES
            and not request.path.startswith(API_PREFIX)
        )
        if posted_form and any("\x00" in value for value in request.form.values()):
            return error_response(
                400,
                code="nul_character",
                message="입력값에 저장할 수 없는 문자(NUL)가 있습니다. 지우고 다시 보내 주세요.",
                english="The form holds a character that cannot be stored (NUL). Remove it and send again.",
            )
        return None

    @app.after_request
    def inline_form_redirect(response: Response) -> Response:
        # A form posted inline that succeeded goes on to the next page as a whole. The browser would
        # follow a 303 inside the htmx request and swap the next page into the form, so the redirect
        # becomes htmx's HX-Redirect (a full navigation). The unit of work has committed by now (its
        # hook runs first), so a failed commit is an error page here, never a redirect.
        if request.headers.get(INLINE_FORM_HEADER) and response.status_code in REDIRECT_STATUSES:
            location = response.headers.pop("Location", "")
            response.status_code = 200
            response.set_data(b"")
            response.headers["HX-Redirect"] = location
        return response

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Sign-in forms post to the agency's identity provider, so those origins are allowed targets.
        form_targets = " ".join(app.config.get("CSP_FORM_TARGETS", ()))
        response.headers.setdefault(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY.format(form_targets=form_targets)
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
