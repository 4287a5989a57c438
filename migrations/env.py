"""Alembic environment: runs inside the Flask app so the URL and metadata come from the app."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from hamkke.db import UTCDateTime

config = context.config
if config.config_file_name is not None:
    # Keep loggers created by the app (and by pytest) working after Alembic configures logging.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", database.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)
target_metadata = database.metadata


def render_item(type_, obj, autogen_context):
    """Render the app's UTC column type as a plain SQLAlchemy type, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty_autogenerate(migration_context, revision, directives):
    """Write no revision file when autogenerate finds nothing to change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline():
    """Emit SQL for the migrations without a database connection."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations against the app's database."""
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    options.setdefault("compare_type", True)
    options.setdefault("render_item", render_item)
    with database.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
