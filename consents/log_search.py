"""The access-log search as an auditor asks it: names, case numbers, dates and Korean labels, never row ids.

The search form (``forms.AccessLogSearchForm``, GET) is read here into ``queries.LogFilters``. A
client is found by a case number people read (``260101-241``: every member of that case's household)
or by name (only clients of the auditor's own agencies, through the gate). A value the form refuses
falls back to its default and the page says so; the search never ends in an error page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from cases.models import Case, Client
from consents import gate, log_labels, queries
from consents.forms import AccessLogSearchForm
from hamkke.db import db
from hamkke.paging import read_list_form
from hamkke.time import SEOUL
from hamkke.web import parse_id

#: a case number as printed (YYMMDD-sequence), with or without the word 사례 in front
CASE_NUMBER = re.compile(r"^(?:사례\s*)?(\d{6})-(\d+)$")


@dataclass(frozen=True)
class LogSearch:
    """The search as the page shows it (the form, the fields it reset) and as the query runs it."""

    form: AccessLogSearchForm
    filters: queries.LogFilters
    #: labels of the fields whose values were refused and replaced by the default
    reset: list[str]


def _start_of(day: date | None) -> datetime | None:
    """Return the first instant of a Seoul day (the period is in Seoul days, stored instants in UTC)."""
    return datetime.combine(day, time.min, tzinfo=SEOUL) if day is not None else None


def client_ids_for(text: str, scope: Sequence[int]) -> tuple[int, ...] | None:
    """Return the clients a case number or a name means (None: nothing asked; empty: nothing matched)."""
    if not text:
        return None
    match = CASE_NUMBER.match(text)
    if match is None:
        return tuple(gate.owned_client_ids_named(text, scope))
    # The number's sequence is the case's own row (cases.models.case_number); its day must agree.
    case_id = parse_id(match.group(2))
    case = db.session.get(Case, case_id) if case_id is not None else None
    if case is None or f"{case.opened_on:%y%m%d}" != match.group(1):
        return ()
    # Every member of a household is known by the household's cases (as log_labels names them).
    return tuple(db.session.scalars(sa.select(Client.id).where(Client.household_id == case.household_id)))


def read_search(scope: Sequence[int]) -> LogSearch:
    """Read the request's search into filters; refused values fall back to their defaults."""
    form = AccessLogSearchForm(formdata=request.args)
    form.agency_id.choices = [SelectChoice("", _("전체"))] + [
        SelectChoice(str(agency_id), name) for agency_id, name in log_labels.names_for_agencies(scope).items()
    ]
    reset = read_list_form(form)
    until = _start_of(form.until.data)
    filters = queries.LogFilters(
        since=_start_of(form.since.data),
        until=until + timedelta(days=1) if until else None,
        agency_id=parse_id(form.agency_id.data),
        actor_id=form.actor_id.data,
        client_id=form.client_id.data,
        channel=form.channel.data or None,
        purpose=form.purpose.data or None,
        actor_name=(form.who.data or "").strip(),
        client_ids=client_ids_for((form.client.data or "").strip(), scope),
        oldest_first=form.order.data == "oldest",
    )
    return LogSearch(form, filters, reset)
