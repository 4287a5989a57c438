"""Migrations build exactly the models on empty PostgreSQL and SQLite databases, and downgrade cleanly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import Migrate, downgrade, upgrade

from hamkke.config import REPO_ROOT
from hamkke.db import db, import_all_models

MIGRATIONS = str(REPO_ROOT / "migrations")


def _migration_app(url: str) -> Flask:
    # A bare app with only the database bound: building a full app here would rebind the
    # session app's Socket.IO server and other singletons.
    import_all_models()
    app = Flask("hamkke-migrations")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    Migrate(app, db, directory=MIGRATIONS, render_as_batch=True)
    return app


def _differences(app: Flask) -> list[object]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, db.metadata))


def _tables(app: Flask) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


@pytest.fixture(params=["postgresql", pytest.param("sqlite", marks=pytest.mark.embedded)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    server = request.getfixturevalue("postgres_server")
    return str(server.create_database(f"migrations_{uuid.uuid4().hex[:12]}"))


@pytest.fixture
def migration_app(empty_database_url: str) -> Iterator[Flask]:
    app = _migration_app(empty_database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_upgrade_gives_exactly_the_models_and_downgrade_removes_them(migration_app: Flask) -> None:
    app = migration_app
    with app.app_context():
        upgrade(directory=MIGRATIONS)
    assert _differences(app) == []
    model_tables = set(db.metadata.tables)
    assert model_tables <= _tables(app)

    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="base")
        db.engine.dispose()
    assert _tables(app) & model_tables == set()

    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    assert _differences(app) == []


def test_every_revision_has_a_real_downgrade() -> None:
    for path in (REPO_ROOT / "migrations" / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        body = source.split("def downgrade():", 1)[1]
        assert "op." in body, f"{path.name} has an empty downgrade()"
