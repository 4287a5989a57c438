"""Forms of the dashboard pages: how an action-needed list's own page is ordered and narrowed (GET)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from hamkke.paging import ListQueryForm


class NeededListForm(ListQueryForm):
    """The order (by due date) and the overdue-only filter of an action-needed list."""

    order = SelectField(
        _l("정렬"),
        choices=[SelectChoice("soonest", _l("기한 빠른 순")), SelectChoice("latest", _l("기한 늦은 순"))],
        default="soonest",
    )
    overdue = BooleanField(_l("기한 지난 것만"))
