"""The demo district 한빛구 (fictional): every domain's demo data, loaded by ``hamkke demo`` and ``make run``.

The top layer: it may import every domain and no product package imports it. The app loads it as one
of its packages (hamkke.app.PACKAGES), which only adds the ``demo`` command.
"""

from __future__ import annotations

from flask import Flask

from demo.cli import demo_command


def init_app(app: Flask) -> None:
    """Register the ``hamkke demo`` command on the app's commands."""
    app.cli.add_command(demo_command)
