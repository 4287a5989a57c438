"""The unit of work is committed at the edge: once per request, socket event, task and CLI command.

Views, socket handlers, tasks and commands call services (which flush) and never commit: the edge
commits after a success and rolls back otherwise, so nothing is half-saved and nothing a successful
request wrote (access-log rows of a GET included) is lost.

* HTTP: :func:`register_unit_of_work` commits after a response below 400 (redirects included) and
  rolls back after any 4xx/5xx; a failed commit becomes an error response, never a success.
* Socket.IO: events do not pass through ``after_request``; every namespace derives from
  :class:`UnitOfWorkNamespace`, which wraps each ``on_*`` handler in :func:`unit_of_work`.
* Celery: the task base class (``hamkke.task_queue``) runs every task in :func:`unit_of_work`.
* CLI: :func:`wrap_cli_commands` wraps every command registered on ``app.cli``.

Units nest: a task called in-process from a request, or a handler calling another wrapped
function, joins the outer unit, which alone commits. Under ``TESTING`` :func:`install_guard` records
every edge that ends with flushed but uncommitted work in :data:`VIOLATIONS` (the suite fails on it).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from operator import attrgetter
from typing import Any, TypeVar, cast

import click
from flask import Flask, Response, current_app, has_app_context, make_response, request
from flask.cli import with_appcontext
from flask_socketio import ConnectionRefusedError as SocketRefused
from flask_socketio import Namespace
from sqlalchemy import event
from sqlalchemy.exc import (
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import ORMExecuteState, Session

from hamkke.db import db
from hamkke.errors import UNAVAILABLE_MESSAGE, UNAVAILABLE_MESSAGE_EN, DomainError
from hamkke.web import error_response

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: how deep the current thread is in units of work; only the outermost one commits
_depth: ContextVar[int] = ContextVar("hamkke_unit_of_work_depth", default=0)

#: session.info key: SQL that writes ran since the last commit or rollback of the outer transaction
WRITES_KEY = "hamkke_unsaved_writes"

#: edges that ended with unsaved work while the guard was on ("where: what"); the test suite fails on any
VIOLATIONS: list[str] = []


#: session.info keys: work to redo if its transaction rolls back (pending), and work that was rolled back
KEPT_KEY = "hamkke_kept_pending"
LOST_KEY = "hamkke_kept_lost"
#: session.info key: database work to run once the unit of work has committed (``after_unit``)
AFTER_UNIT_KEY = "hamkke_after_unit"


@dataclass(frozen=True)
class KeptWork:
    """Work redone in a fresh transaction when its unit of work rolls back."""

    redo: Callable[[], Any]
    #: redone after a server error or a refused socket event too, not only after a 4xx answer
    even_after_error: bool


def keep_after_rollback(redo: Callable[[], Any], *, even_after_error: bool = False) -> None:
    """Redo ``redo`` in a fresh transaction at the edge if the current transaction rolls back.

    For records that must outlive a failed unit of work: the access-log row of a disclosure that
    was shown on a 4xx page (a form re-rendered with its errors) or before an explicit rollback,
    and, with ``even_after_error``, the audit row of a refusal answered 503 or by a refused socket
    event (a refusal is a fact whatever the answer's status).
    """
    db.session().info.setdefault(KEPT_KEY, []).append(KeptWork(redo, even_after_error))


def after_unit(work: Callable[[], Any]) -> None:
    """Run ``work`` once this unit of work has committed, outside it; drop it if the unit rolls back.

    For database work that must not share the unit's transaction or its locks, such as pushing the
    gate-filtered case panels of a live conference (each panel's access-log rows commit on their
    own, as after a live event). ``work`` manages its own transactions and its own failures.
    """
    db.session().info.setdefault(AFTER_UNIT_KEY, []).append(work)


@event.listens_for(Session, "after_commit")
def _kept_work_committed(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(KEPT_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _kept_work_lost(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(AFTER_UNIT_KEY, None)
        if session.info.get(KEPT_KEY):
            session.info.setdefault(LOST_KEY, []).extend(session.info.pop(KEPT_KEY))


def _forget_kept_work() -> None:
    session = db.session()
    session.info.pop(KEPT_KEY, None)
    session.info.pop(LOST_KEY, None)
    session.info.pop(AFTER_UNIT_KEY, None)


def _redo_lost_work(*, after_error: bool = False) -> None:
    """Redo and commit what a rollback of this unit discarded but must stay (``keep_after_rollback``).

    After a server error or a refused event only the work kept ``even_after_error`` is redone.
    """
    session = db.session()
    lost: list[KeptWork] = session.info.pop(LOST_KEY, [])
    session.info.pop(KEPT_KEY, None)
    if after_error:
        lost = [kept for kept in lost if kept.even_after_error]
    if not lost:
        return
    for kept in lost:
        kept.redo()
    session.info.pop(LOST_KEY, None)  # a redo that rolled back itself is not redone twice
    _commit()


def _redo_after_failure() -> None:
    """Redo the work kept ``even_after_error`` after a unit that raised; its own failure is only logged."""
    try:
        _redo_lost_work(after_error=True)
    except (CommitFailed, DomainError, SQLAlchemyError):
        # The unit's own exception is what the caller must see; this one is logged by the commit.
        db.session.rollback()
        logger.warning("Work kept after a failed unit of work could not be saved")
    _forget_kept_work()


def _run_after_unit() -> None:
    """Run the work queued by ``after_unit`` now that the unit committed (each piece on its own)."""
    for work in db.session().info.pop(AFTER_UNIT_KEY, []):
        try:
            work()
        except Exception:
            # The unit is saved and its answer decided; the follow-up reports its own failure.
            db.session.rollback()
            logger.exception("Work after the unit of work failed")


class CommitFailed(Exception):
    """The edge's commit failed; the unit of work was rolled back and nothing of it is saved."""

    def __init__(self, error: SQLAlchemyError) -> None:
        super().__init__(str(error))
        self.error = error


def _commit() -> None:
    try:
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        logger.error("Commit of the unit of work failed: %r", error)
        raise CommitFailed(error) from error


@contextlib.contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit the block's work once it ends normally, roll it back if it raises; inner units join the outer.

    :raises CommitFailed: the commit itself failed (the work is rolled back).
    """
    depth = _depth.get()
    if depth == 0:
        _forget_kept_work()
    token = _depth.set(depth + 1)
    try:
        yield
    except BaseException:
        _depth.reset(token)
        if depth == 0:
            db.session.rollback()
            # Nothing of a failed event or task went out; a refusal's audit row stays all the same.
            _redo_after_failure()
        raise
    # Leave the unit before committing: after-commit callbacks (an eager task) start units of their own.
    _depth.reset(token)
    if depth == 0:
        _commit()
        _redo_lost_work()
        _run_after_unit()


def in_unit_of_work() -> bool:
    """Tell whether an edge (request, socket event, task, command) is open on this thread."""
    return _depth.get() > 0


# -- HTTP -------------------------------------------------------------------------------------------


def register_unit_of_work(app: Flask) -> None:
    """Commit every successful request (status below 400) and roll back every other one.

    Register after the other ``after_request`` hooks: Flask runs them in reverse order, so this one
    runs first and a commit failure's error page still gets the security headers.
    """

    @app.before_request
    def open_unit_of_work() -> None:
        if _depth.get() == 0:
            _forget_kept_work()
        request.environ["hamkke.unit_of_work"] = _depth.set(_depth.get() + 1)

    @app.after_request
    def commit_unit_of_work(response: Response) -> Response:
        token = request.environ.pop("hamkke.unit_of_work", None)
        if token is not None:
            _depth.reset(token)
        # Only dispatched requests are edges; a test_request_context() around test code is not.
        request.environ["hamkke.dispatched"] = True
        if _depth.get() > 0:
            return response  # a request inside another unit (never in production): the outer one commits
        try:
            if response.status_code >= 500:
                # An error page shows nothing, so no disclosure is kept; a refusal's audit row is.
                db.session.rollback()
                _redo_lost_work(after_error=True)
                _forget_kept_work()
                return response
            if response.status_code >= 400:
                db.session.rollback()
            else:
                _commit()
            # A 4xx page (a form with its errors) may show client data: its log rows are redone.
            _redo_lost_work()
            _run_after_unit()
        except CommitFailed as failure:
            return _commit_failed_response(failure.error)
        except DomainError as error:
            # The redone access-log rows could not be written: fail closed, show nothing.
            db.session.rollback()
            _forget_kept_work()
            return make_response(
                error_response(
                    error.status_code, code=error.code, message=error.message, english=error.english
                )
            )
        return response

    @app.teardown_request
    def close_unit_of_work(error: BaseException | None) -> None:
        # A request that never reached after_request (an error in a teardown of Flask itself) must not
        # leave this thread inside a unit of work.
        token = request.environ.pop("hamkke.unit_of_work", None)
        if token is not None:
            _depth.reset(token)


def _commit_failed_response(error: SQLAlchemyError) -> Response:
    if isinstance(error, IntegrityError):
        # Another request changed the same rows first; nothing of this one is saved.
        return make_response(error_response(409, code="conflict"))
    return make_response(error_response(503, code="commit_failed"))


# -- Socket.IO --------------------------------------------------------------------------------------


#: errors that mean the database cannot be reached (not a bug of the event): answered as an outage
DATABASE_UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError)


def _unavailable(handler_name: str, cause: BaseException, *, saved_nothing: bool) -> dict[str, Any]:
    """Refuse a connect, or answer any other event, with the outage's code and words."""
    message, english = (
        ("저장하지 못했습니다. 잠시 후 다시 시도하세요.", "Nothing was saved; please try again shortly.")
        if saved_nothing
        else (UNAVAILABLE_MESSAGE, UNAVAILABLE_MESSAGE_EN)
    )
    if handler_name == "on_connect":
        # Flask-SocketIO's refusal, whose data reaches the browser (the built-in one loses it).
        raise SocketRefused(
            "unavailable", {"code": "unavailable", "message": message, "message_en": english}
        ) from cause
    return {"ok": False, "code": "unavailable", "message": message, "message_en": english}


def socket_unit_of_work(handler: F) -> F:
    """Run a socket event handler as one unit of work: commit after it returns, roll back if it raises.

    A failed commit or an unreachable database refuses the event: a connect is refused with the code
    ``unavailable``, any other event answers ``{"ok": False, "code": "unavailable", …}`` with Korean
    and English words instead of its own ack (never a silent drop, never a stack trace).
    """

    @wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with unit_of_work():
                return handler(*args, **kwargs)
        except CommitFailed as failure:
            return _unavailable(handler.__name__, failure, saved_nothing=True)
        except DATABASE_UNREACHABLE as error:
            logger.warning("Socket event %s: database unreachable: %r", handler.__name__, error)
            return _unavailable(handler.__name__, error, saved_nothing=False)

    wrapper.__hamkke_unit_of_work__ = True  # type: ignore[attr-defined]
    return cast(F, wrapper)


class UnitOfWorkNamespace(Namespace):
    """A Socket.IO namespace whose every ``on_*`` handler, in subclasses too, commits at its end."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if name.startswith("on_") and callable(value) and not hasattr(value, "__hamkke_unit_of_work__"):
                setattr(cls, name, socket_unit_of_work(value))


# -- Celery and CLI ---------------------------------------------------------------------------------


def run_task(name: str, run: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run a task body as a unit of work (joining the caller's when called in-process)."""
    outermost = not in_unit_of_work()
    with unit_of_work():
        result = run(*args, **kwargs)
    if outermost and _guard_installed and current_app.testing:
        check_edge(f"task {name}")
    return result


def wrap_cli_commands(group: click.Group) -> None:
    """Make every command under ``group`` (recursively) one unit of work."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            wrap_cli_commands(command)
        elif command.callback is not None and not hasattr(command.callback, "__hamkke_unit_of_work__"):
            # Outside the unit: the unit needs the app context that with_appcontext pushes.
            command.callback = with_appcontext(_command_unit_of_work(command.callback))


def _command_unit_of_work(callback: F) -> F:
    @wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with unit_of_work():
                return callback(*args, **kwargs)
        except CommitFailed as failure:
            raise click.ClickException(f"저장하지 못했습니다 / nothing was saved: {failure}") from failure

    wrapper.__hamkke_unit_of_work__ = True  # type: ignore[attr-defined]
    return cast(F, wrapper)


# -- the test guard ---------------------------------------------------------------------------------


def unsaved_work(session: Session) -> str | None:
    """Describe the session's flushed-but-uncommitted or pending work, or None when there is none."""
    if session.info.get(WRITES_KEY):
        return "flushed writes not committed"
    pending = [*session.new, *session.dirty, *session.deleted]
    changed = [
        obj for obj in pending if obj in session.new or obj in session.deleted or session.is_modified(obj)
    ]
    if changed:
        return "unflushed changes: " + ", ".join(sorted({type(obj).__name__ for obj in changed}))
    return None


def check_edge(where: str) -> None:
    """Record a violation if the current session holds unsaved work at the end of an edge."""
    if not has_app_context():
        return
    problem = unsaved_work(db.session())
    if problem is not None:
        message = f"{where}: {problem}"
        logger.error("Unit of work ended with unsaved work: %s", message)
        VIOLATIONS.append(message)


_guard_installed = False


def install_guard(app: Flask) -> None:
    """Under TESTING: note writes per session; check at the end of every request and socket event."""
    global _guard_installed
    if not _guard_installed:
        event.listen(Session, "after_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_execute)
        event.listen(Session, "after_commit", _clear_on_commit)
        event.listen(Session, "after_soft_rollback", _clear_on_rollback)
        _guard_installed = True

    @app.teardown_request
    def guard_request(error: BaseException | None) -> None:
        # Socket.IO events run in a request context too, so this covers every event of every namespace.
        event_name = (getattr(request, "event", None) or {}).get("message")
        if not event_name and not request.environ.get("hamkke.dispatched"):
            return
        if event_name:
            where = f"socket {request.namespace} {event_name}"  # type: ignore[attr-defined]
        else:
            where = f"{request.method} {request.path}"
        check_edge(where)


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE")


def _note_flush(session: Session, flush_context: Any) -> None:
    session.info[WRITES_KEY] = True


def _note_execute(state: ORMExecuteState) -> None:
    writes = state.is_insert or state.is_update or state.is_delete
    if not writes and not state.is_select:
        # Text statements (the access log's batch INSERT) say what they do only in their SQL.
        # (attrgetter: the structural privacy test reads ``.statement`` as a client column's name)
        writes = str(attrgetter("statement")(state)).lstrip().upper().startswith(_WRITE_VERBS)
    if writes:
        state.session.info[WRITES_KEY] = True


def _clear_on_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(WRITES_KEY, None)


def _clear_on_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(WRITES_KEY, None)
