"""Autogenerate an Alembic revision against a throwaway PostgreSQL: ``make migration m="what changed"``.

Autogenerating against SQLite renders defaults and types PostgreSQL refuses; production is
PostgreSQL, so revisions are generated there and checked on both backends by tests/test_migrations.py.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from tests.fixtures.services import PostgresServer


def main() -> None:
    """Start PostgreSQL, upgrade to head, autogenerate the difference to the models, stop."""
    message = " ".join(sys.argv[1:]) or "schema change"
    root = Path(tempfile.mkdtemp(prefix="hamkke-migration-"))
    os.chmod(root, 0o755)  # noqa: S103 -- the postgres user must enter it
    server = PostgresServer(root / "pg")
    server.start()
    try:
        url = server.create_database("hamkke_migration")
        os.environ["HAMKKE_INSTANCE_PATH"] = str(root / "instance")
        from flask_migrate import migrate, upgrade

        from hamkke.app import create_app
        from hamkke.config import REPO_ROOT

        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            directory = str(REPO_ROOT / "migrations")
            upgrade(directory=directory)
            migrate(directory=directory, message=message)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
