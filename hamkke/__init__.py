"""Hamkke (함께): the app shell. Only `create_app` is exported; the rest lives in submodules."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that ``import hamkke.config`` (tools, migrations) does not build the whole app.
    if name == "create_app":
        from hamkke.app import create_app

        return create_app
    raise AttributeError(name)
