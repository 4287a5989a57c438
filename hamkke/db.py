"""Database base: naming convention, typed column aliases, mixins and the after-commit hook."""

from __future__ import annotations

import enum
import importlib
import importlib.util
import logging
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry

from hamkke.config import PACKAGES
from hamkke.time import now_utc

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: every module whose models must be imported before metadata is complete (Alembic, create_all): the
#: shell's own, then each installed package's ``models`` (a package without one is skipped)
MODEL_MODULES = ("hamkke.audit", "hamkke.heartbeat", *(f"{name}.models" for name in PACKAGES))


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Store aware datetimes as UTC on every backend and always read them back aware.

    SQLite has no time-zone type; without this, values written as aware come back naive there
    and comparisons with ``now_utc()`` raise.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Reject naive datetimes and normalise to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use hamkke.time.now_utc()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Attach UTC to values SQLite returns naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
str_50 = Annotated[str, mapped_column(sa.String(50))]
str_200 = Annotated[str, mapped_column(sa.String(200))]
text = Annotated[str, mapped_column(sa.Text)]
utc_datetime = Annotated[datetime, mapped_column(UTCDateTime())]


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention Alembic relies on."""

    # Every ``Mapped[datetime]`` becomes a UTC-aware column unless a column says otherwise.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

if TYPE_CHECKING:
    # Flask-SQLAlchemy builds ``db.Model`` at run time, which type checkers cannot see; models
    # subclass ``Model`` so that mypy checks them against the typed declarative base.
    class Model(Base):
        """Typed view of ``db.Model``."""

        __abstract__ = True
else:
    Model = db.Model


def str_enum(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """Column type for a StrEnum: VARCHAR plus a named CHECK, alike on SQLite and PostgreSQL.

    Native PostgreSQL enum types would need a type migration for every new value; a CHECK
    constraint needs only a constraint change.
    """
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [member.value for member in members],
    )


class TimestampMixin:
    """Creation and last-change instants, in UTC."""

    #: when the row was created
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: when the row last changed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)


class SoftDeleteMixin:
    """Rows that are hidden instead of deleted, so retention purges stay audited and scheduled."""

    #: hidden from every list and page; purged later by the retention job
    is_deleted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: when it was hidden
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def mark_deleted(self) -> None:
        """Hide the row now."""
        self.is_deleted = True
        self.deleted_at = now_utc()


_CALLBACKS_KEY = "hamkke_after_commit"


def after_commit(callback: Callable[[], Any], session: Session | None = None) -> None:
    """Run ``callback`` once the current transaction commits; drop it if the transaction rolls back.

    Emails, task enqueues and socket emits go through here so that nobody hears about a change
    that was never saved.
    """
    target = session if session is not None else db.session()
    if not target.in_transaction():
        # Tie the callback to a transaction now, so a rollback before any SQL still discards it.
        target.begin()
    target.info.setdefault(_CALLBACKS_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit_callbacks(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy fires after_commit for a released savepoint too (the access log writes in one):
        # the callbacks wait for the commit of the whole unit of work.
        return
    callbacks = session.info.pop(_CALLBACKS_KEY, [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _discard_after_commit_callbacks(session: Session, previous_transaction: Any) -> None:
    # Only a rollback of the outermost transaction discards the queue: a rolled-back savepoint
    # inside a committed unit of work must not lose the callbacks of the parts that stayed.
    if previous_transaction.parent is None:
        session.info.pop(_CALLBACKS_KEY, None)


#: milliseconds a SQLite connection waits for the write lock before "database is locked"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: how often BEGIN IMMEDIATE is tried again when even the busy timeout ran out (bounded, then it fails)
SQLITE_BEGIN_ATTEMPTS = 3


@event.listens_for(sa.engine.Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    # The embedded default shares one file between the web app, the worker and beat: WAL lets them
    # read while one writes, and the busy timeout makes a writer wait for the lock instead of failing.
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # NORMAL is durable across application crashes under WAL and spares an fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # pysqlite opens transactions on its own and breaks SAVEPOINT; BEGIN IMMEDIATE is issued below.
        dbapi_connection.isolation_level = None


def _is_sqlite_busy(error: BaseException) -> bool:
    """Tell whether a driver error is SQLite's "database is locked/busy" (worth waiting for)."""
    message = str(error).lower()
    return "database is locked" in message or "database is busy" in message


#: statements that only read (a SELECT ... FOR UPDATE is told apart by its compiled form)
_READ_PREFIXES = ("SELECT", "PRAGMA", "EXPLAIN", "VALUES")
#: statements that end or continue a transaction: never the first write of one
_TRANSACTION_PREFIXES = ("BEGIN", "COMMIT", "ROLLBACK", "END", "RELEASE")
_WRITE_KEYWORD = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _locks_rows(context: Any) -> bool:
    """Tell whether a SELECT was asked to lock rows (FOR UPDATE, which SQLite's dialect leaves out)."""
    compiled = getattr(context, "compiled", None)
    if compiled is None:
        return False
    return getattr(compiled.statement, "_for_update_arg", None) is not None


def _writes(statement: str, context: Any) -> bool:
    """Tell whether ``statement`` writes (or must be serialised with writers)."""
    head = statement.lstrip()[:12].upper()
    if head.startswith(_TRANSACTION_PREFIXES):
        return False
    if head.startswith(_READ_PREFIXES):
        return _locks_rows(context)
    if head.startswith("WITH"):
        return _WRITE_KEYWORD.search(statement) is not None
    return True  # INSERT, UPDATE, DELETE, SAVEPOINT, DDL


def _begin_writer(dbapi_connection: Any) -> None:
    """Start a write transaction (BEGIN IMMEDIATE), waiting for the lock; bounded retry past the timeout."""
    for attempt in range(1, SQLITE_BEGIN_ATTEMPTS + 1):
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            # Nothing has happened in this transaction yet, so beginning again is safe.
            if attempt == SQLITE_BEGIN_ATTEMPTS or not _is_sqlite_busy(error):
                raise
            logger.warning(
                "SQLite write lock still taken after %d ms; waiting again (%d)",
                SQLITE_BUSY_TIMEOUT_MS,
                attempt,
            )


# SQLite transactions start at the first write, as writers. A plain (deferred) BEGIN starts a reader
# whose first write fails at once with SQLITE_BUSY_SNAPSHOT when another process committed in between,
# without waiting: the busy timeout never applies, and every access-log append of a gated read was a
# chance of "database is locked". BEGIN IMMEDIATE takes the write lock where the busy timeout applies,
# so writers queue for a moment instead. Reads before the first write run without a transaction of
# their own (each statement sees the latest commits, like PostgreSQL's READ COMMITTED) and so never
# hold the lock: a page that only reads, or a loop polling for a worker's result, blocks no writer.
@event.listens_for(sa.engine.Engine, "do_execute")
@event.listens_for(sa.engine.Engine, "do_executemany")
def _start_sqlite_writer(cursor: Any, statement: str, parameters: Any, context: Any) -> None:
    dbapi_connection = cursor.connection
    if (
        isinstance(dbapi_connection, sqlite3.Connection)
        and not dbapi_connection.in_transaction
        and _writes(statement, context)
    ):
        _begin_writer(dbapi_connection)


@event.listens_for(sa.engine.Engine, "do_execute_no_params")
def _start_sqlite_writer_no_params(cursor: Any, statement: str, context: Any) -> None:
    _start_sqlite_writer(cursor, statement, None, context)


def import_all_models() -> None:
    """Import every model module so the metadata is complete (domains without models yet are skipped)."""
    for module in MODEL_MODULES:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
