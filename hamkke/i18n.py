"""Language and time zone: Korean first, English second; dates shown in Asia/Seoul."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session
from flask_babel import format_date, format_datetime, get_locale

from hamkke.extensions import babel
from hamkke.korean import particle, with_particle
from hamkke.time import to_local

SUPPORTED_LOCALES = ("ko", "en")


def select_locale() -> str:
    """Pick the UI language: ?lang=, then the session, then the browser, then the district default."""
    requested = request.args.get("lang")
    if requested in SUPPORTED_LOCALES:
        session["lang"] = requested
        return requested
    chosen = session.get("lang")
    if chosen in SUPPORTED_LOCALES:
        return str(chosen)
    best = request.accept_languages.best_match(SUPPORTED_LOCALES)
    return best or str(current_app.config["DEFAULT_LOCALE"])


def select_timezone() -> str:
    """Show every date in the district's time zone (Asia/Seoul unless configured)."""
    return str(current_app.config["TIMEZONE"])


def local_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """Render a stored UTC instant in the display time zone."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return format_datetime(to_local(value, zone), fmt, rebase=False)


def local_date(value: date | datetime | None, fmt: str = "yyyy-MM-dd") -> str:
    """Render a date (or the local date of an instant)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value, ZoneInfo(current_app.config["TIMEZONE"])).date()
    return format_date(value, fmt)


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel and the date filters."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_locale=app.config["DEFAULT_LOCALE"],
        default_timezone=app.config["TIMEZONE"],
    )
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    # {{ name|josa("을") }} → "기록을"; particle(name, "이") gives the particle alone for _() strings.
    app.jinja_env.filters["josa"] = with_particle
    app.jinja_env.globals["particle"] = particle
