"""Consent records, the disclosure gate and the access log."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint, sockets, receivers and commands."""
