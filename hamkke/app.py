"""The application factory."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

import socketio as python_socketio
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hamkke import devmail_views, health, jobs, paging
from hamkke.api import init_api
from hamkke.config import (
    PACKAGES,
    REPO_ROOT,
    check_services,
    instance_path,
    is_production,
    load_config,
    validate_config,
)
from hamkke.db import db, import_all_models
from hamkke.extensions import csrf, limiter, migrate, oauth, socketio
from hamkke.i18n import init_i18n
from hamkke.task_queue import celery_init_app, filesystem_transport_options
from hamkke.unit_of_work import install_guard, register_unit_of_work, wrap_cli_commands
from hamkke.web import register_error_handlers, register_outage_handlers, register_request_hooks


def create_app(config_override: Mapping[str, Any] | None = None) -> Flask:
    """Build the Hamkke web app: config, extensions, domains, errors, in that order."""
    inst = instance_path()
    app = Flask(
        "hamkke",
        root_path=str(REPO_ROOT),
        instance_path=str(inst),
        template_folder="templates",
        static_folder="static",
    )
    app.config.update(load_config(config_override))
    validate_config(app.config)
    if is_production(app.config) and not app.config["TESTING"]:
        # Fail at start with the variable's name, not at the first request with a stack trace.
        check_services(app.config)
    inst.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    import_all_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    oauth.init_app(app)
    init_i18n(app)
    _init_socketio(app)

    celery_init_app(app)

    app.register_blueprint(health.bp)
    for name in PACKAGES:
        # By name, not by import: the shell sits below the domains and never imports one statically.
        importlib.import_module(name).init_app(app)

    # After the domains: each declared its API endpoints in its init_app, and Flask takes no routes
    # on a blueprint once it is registered.
    init_api(app)
    jobs.init_app(app)
    devmail_views.init_app(app)

    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Behind nginx the client address and scheme come from X-Forwarded-*; trusting exactly the
        # configured number of hops keeps a client from spoofing its address in the access log.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    register_request_hooks(app)
    register_error_handlers(app)
    register_outage_handlers(app)
    # After the other hooks: the commit runs first among the after_request hooks (see the module).
    register_unit_of_work(app)
    wrap_cli_commands(app.cli)
    if app.testing:
        install_guard(app)
    app.jinja_env.globals["is_production"] = is_production(app.config)
    # Every list's pager (templates/_pager.html) builds its links with these.
    app.jinja_env.globals["page_url"] = paging.page_url
    app.jinja_env.globals["page_numbers"] = paging.page_numbers
    return app


def _init_socketio(app: Flask) -> None:
    """Bind Socket.IO; with a message queue, every web process and the worker reach the same rooms."""
    options: dict[str, Any] = {
        "async_mode": "threading",
        "cors_allowed_origins": [app.config["BASE_URL"]],
        "manage_session": False,
        "logger": False,
        "engineio_logger": False,
    }
    queue_url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if queue_url and queue_url.startswith("redis"):
        options["message_queue"] = queue_url
    elif queue_url and queue_url.startswith("filesystem://"):
        folder = f"{app.config['BROKER_FOLDER']}/socketio"
        options["client_manager"] = python_socketio.KombuManager(
            "filesystem://", connection_options={"transport_options": filesystem_transport_options(folder)}
        )
    socketio.init_app(app, **options)
