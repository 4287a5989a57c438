"""One way to page a list: the page cut in SQL (LIMIT/OFFSET), and the pager's links keeping the filters.

Every paged list (the caseload, referrals, conferences, action items, the access log, the dashboards'
lists) returns a :class:`Page` from :func:`paginate` and renders ``templates/_pager.html``. The page
links are built from the request's own query string, so filters and sort orders survive paging.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import request, url_for
from flask_wtf import FlaskForm

from hamkke.db import db

T = TypeVar("T")

#: pages linked either side of the current one (plus the first and the last)
WINDOW = 2


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and where it sits among every matching row."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Count the pages (at least one, so an empty list still has a page to say it is empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """Return the 1-based position of the page's first row (0 on an empty list)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """Return the 1-based position of the page's last row."""
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def has_previous(self) -> bool:
        """Tell whether there is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Tell whether there is a page after this one."""
        return self.page < self.pages

    @property
    def rows(self) -> list[T]:
        """The page's rows (the name the caseload's template uses)."""
        return self.items


class ListQueryForm(FlaskForm):
    """A GET form that orders, filters or searches a list: it changes nothing, so it has no CSRF token.

    Its values travel in the query string, so a page of results can be bookmarked or shared.
    """

    class Meta:
        """No CSRF token: reading a list changes nothing."""

        csrf = False


def clamp(page: int, total: int, per_page: int) -> int:
    """Return ``page`` within 1..last page: a page past the end shows the last one."""
    return min(max(page, 1), max(1, -(-total // per_page)))


def count_of(statement: sa.Select[Any]) -> int:
    """Count the rows a select would return (its ORDER BY dropped: it changes nothing for a count)."""
    counted = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    return int(db.session.scalar(counted) or 0)


def paginate(
    statement: sa.Select[Any],
    *,
    page: int,
    per_page: int,
    fetch: Callable[[sa.Select[Any]], Sequence[T]] | None = None,
    clamp_to_last: bool = True,
) -> Page[T]:
    """Count the matches, then fetch only the requested page with LIMIT/OFFSET (never every row).

    ``statement`` must carry a total order (end it with the primary key) so that every row is on
    exactly one page. ``fetch`` runs the limited select (default: its scalars, i.e. ORM objects).
    A page past the end shows the last page; the machine API (``clamp_to_last=False``) answers it
    as asked, with no items.
    """
    total = count_of(statement)
    if clamp_to_last:
        page = clamp(page, total, per_page)
    limited = statement.limit(per_page).offset((page - 1) * per_page)
    rows = fetch(limited) if fetch is not None else db.session.scalars(limited).all()
    return Page(list(rows), total, page, per_page)


def page_url(number: int, endpoint: str | None = None, values: dict[str, Any] | None = None) -> str:
    """Return the URL of page ``number``: the current page's, keeping every other query parameter.

    A list re-rendered by a POST (a refused change on the actions page) names its own GET
    ``endpoint`` and the ``values`` it keeps, since the POST's URL cannot be fetched as a page.
    """
    if endpoint is not None:
        return url_for(endpoint, **{**(values or {}), "page": number})
    kept: dict[str, Any] = {key: request.args.getlist(key) for key in request.args if key != "page"}
    kept.update(request.view_args or {})
    kept["page"] = number
    return url_for(request.endpoint or "index", **kept)


def page_numbers(listing: Page[Any]) -> list[int]:
    """Return the page numbers the pager links: a window round the current page, the first and the last."""
    around = range(max(1, listing.page - WINDOW), min(listing.pages, listing.page + WINDOW) + 1)
    return sorted({1, *around, listing.pages})


def read_list_form(form: FlaskForm) -> list[str]:
    """Validate a list's GET form; each refused field falls back to its default and is named in the result.

    A list never answers a malformed filter or order with an error page: it shows the default for
    that field, and the page says which fields it reset (``fallback_note``).
    """
    if form.validate():
        return []
    reset: list[str] = []
    for name in list(form.errors):
        field = form[name]
        field.data = field.default
        field.errors = []
        reset.append(str(field.label.text))
    return reset
