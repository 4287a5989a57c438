"""The 통합사례회의: agenda, live meeting, lead agency, roles, SOAP minutes and actions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint, sockets, receivers and commands."""
