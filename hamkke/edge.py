"""Helpers every domain's request edge shares: redirects after a post, form errors, task hand-off."""

from __future__ import annotations

import logging
from typing import Any

from flask import redirect, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers.response import Response

from hamkke.db import after_commit
from hamkke.errors import DomainError

logger = logging.getLogger(__name__)


def see_other(endpoint: str, **values: Any) -> Response:
    """Answer a successful post with 303 See Other, so a reload does not post it again."""
    return redirect(url_for(endpoint, **values), code=303)


def attach_error(form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's refusal next to the field it is about (or above the form).

    ``aliases`` maps a service's field name to the form's where the two differ.
    """
    name = (aliases or {}).get(error.field or "", error.field or "")
    field = form._fields.get(name) if name else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def invalid_form_status(form: FlaskForm) -> int:
    """Return 400 for a failed CSRF check (not the user's doing), else 422 (input they can correct)."""
    return 400 if "csrf_token" in form.errors else 422


def enqueue_after_commit(task: Any, *ids: int | str, sweeper: str) -> None:
    """Queue ``task(*ids)`` once the unit of work commits; a broker outage leaves it to ``sweeper``.

    ``ids`` are row IDs and the codes that go with them (a letter's kind): JSON, never objects.

    The change is already committed when this runs, so a broker that is down must not turn the
    user's request into an error: the named sweeper finds the work from the database later.
    """

    def enqueue() -> None:
        try:
            task.apply_async(ids, retry=False)
        except Exception:
            logger.warning("Broker unavailable; %s%s left for %s", task.name, ids, sweeper, exc_info=True)

    after_commit(enqueue)
