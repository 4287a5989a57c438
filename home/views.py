"""The start page (my work, or the introduction), the header navigation and the language switch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from agencies.models import Agency
from agencies.queries import list_network_districts
from agencies.sessions import acting_agency_id, current_person, current_session
from dashboards.access import home_scope
from funds.access import fund_scope
from hamkke.db import db
from hamkke.edge import invalid_form_status
from hamkke.time import now_utc, today_local
from hamkke.web import safe_next_url
from home.forms import LanguageForm
from home.worklist import my_work

bp = Blueprint("core", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show the start page (signed-in users see their work; others the introduction)."""
    person = current_person()
    record = current_session()
    agency = (
        db.session.get(Agency, record.acting_agency_id)
        if person and record and record.acting_agency_id
        else None
    )
    if person is None or agency is None:
        return render_template("index.html")
    sections = my_work(person, agency, today=today_local(), now=now_utc())
    return render_template("home.html", sections=sections, agency=agency, today=today_local())


@bp.app_context_processor
def inject_navigation() -> dict[str, Any]:
    """Let the header show only the links the signed-in person can use (no link that ends in a 404)."""

    def nav_allowed(name: str) -> bool:
        person = current_person()
        if person is None:
            return False
        if name == "dashboards":
            return home_scope(person) is not None
        if name == "directory":
            return bool(list_network_districts(person))
        if name == "funds":
            agency_id = acting_agency_id()
            return fund_scope(person, db.session.get(Agency, agency_id) if agency_id else None) is not None
        return True

    return {"nav_allowed": nav_allowed}


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Answer the browsers that ask for /favicon.ico with the site's icon (instead of a 404)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.post("/language")
def switch_language() -> ResponseReturnValue:
    """Remember the chosen UI language and go back where the user was."""
    form = LanguageForm()
    if not form.validate_on_submit():
        # A language the site does not offer is refused on a page of its own, as posted.
        return render_template("language.html", form=form), invalid_form_status(form)
    session["lang"] = form.lang.data
    return redirect(safe_next_url(form.next.data))
