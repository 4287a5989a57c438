"""The start page and language switch of the shell."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from flask.typing import ResponseReturnValue

from hamkke.i18n import SUPPORTED_LOCALES
from hamkke.web import safe_next_url

bp = Blueprint("core", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show the start page (signed-in users see their work; others the introduction)."""
    return render_template("index.html")


@bp.post("/language")
def switch_language() -> ResponseReturnValue:
    """Remember the chosen UI language and go back where the user was."""
    chosen = request.form.get("lang", "")
    if chosen in SUPPORTED_LOCALES:
        session["lang"] = chosen
    return redirect(safe_next_url(request.form.get("next")))
