"""The signed-in start page (my work across the domains) and the header's navigation.

A cross-domain read model like the dashboards: it reads every domain and no domain imports it.
Its blueprint keeps the shell's old name ``core`` (``core.index``, ``core.switch_language``,
``core.favicon``), so links and the sign-in flow's endpoint checks are unchanged.
"""

from __future__ import annotations

from flask import Flask

from home import views


def init_app(app: Flask) -> None:
    """Register the start page blueprint."""
    app.register_blueprint(views.bp)
