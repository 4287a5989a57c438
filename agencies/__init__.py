"""The district network: 권역, dongs, agencies, staff and roles; sign-in and the agency API."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint, sockets, receivers and commands."""
