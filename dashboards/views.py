"""Dashboard pages, table exports (CSV, XLSX) and the monthly report PDF.

URLs: ``/dashboards/`` sends the viewer to their own dashboard; ``/dashboards/<kind>/<id>`` shows
the district, an agency or a dong for ``?period=2026|2026-Q2|2026-05`` (district: ``&region=<id>``).
Every view and export writes an audit row; lists naming clients go through the disclosure gate.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from agencies.models import Agency, Dong, Region
from agencies.sessions import current_person, login_required
from cases.access import acting_agency_id
from dashboards import access, charts, exports, queries, report_pdf
from dashboards.forms import NeededListForm
from dashboards.needed import (
    NEEDED_LISTS,
    ActionNeeded,
    NeededFilters,
    action_needed,
    name_clients,
    needed_list,
)
from dashboards.needed import PAGE_SIZE as NEEDED_PAGE_SIZE
from dashboards.queries import Period, Scope
from dashboards.tables import SECONDARY_TEXT, SUPPRESSED_TEXT, Column, Table, cell_text, is_hidden
from hamkke import audit
from hamkke.db import db
from hamkke.errors import NotFound, ValidationFailed
from hamkke.paging import read_list_form
from hamkke.time import now_utc, today_local
from hamkke.web import page_arg, parse_id

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")

KINDS = ("district", "agency", "dong")


def _period() -> Period:
    return Period.parse(request.args.get("period"))


def _region() -> int | None:
    raw = request.args.get("region", "")
    if not raw:
        return None
    region_id = parse_id(raw)
    if region_id is None:
        raise ValidationFailed("권역을 목록에서 골라 주세요.", field="region", english="Choose a region.")
    return region_id


def load_scope(kind: str, object_id: int) -> Scope:
    """Authorize the viewer for a dashboard and return its scope (404 outside it, 422 for bad filters)."""
    person = current_person()
    region = _region()
    if kind == "district":
        return access.district_scope(person, object_id, region_id=region)
    if region is not None:
        raise ValidationFailed(
            "권역 거르기는 구 전체 대시보드에서만 쓸 수 있습니다.",
            field="region",
            english="The region filter is only for the district dashboard.",
        )
    if kind == "agency":
        return access.agency_scope(person, object_id)
    if kind == "dong":
        return access.dong_scope(person, object_id)
    raise NotFound("대시보드를 찾을 수 없습니다.", english="No such dashboard.")


def _audit(action: str, scope: Scope, period: Period, **extra: Any) -> None:
    person = current_person()
    audit.record(
        action,
        actor_id=person.id if person else None,
        agency_id=acting_agency_id(),
        object_type=f"dashboard_{scope.kind}",
        object_id=scope.object_id,
        data={"period": period.code, "region_id": scope.region_id, "suppressed": scope.suppress, **extra},
    )


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    """Send the viewer to the dashboard of their scope (district, dong or agency)."""
    target = access.home_scope(current_person())
    if target is None:
        raise NotFound(
            "볼 수 있는 대시보드가 없습니다. 기관 소속으로 로그인해 주세요.",
            english="No dashboard for you; sign in for an agency.",
        )
    kind, object_id = target
    return redirect(url_for("dashboards.show", kind=kind, object_id=object_id))


@bp.get("/<kind>/<int:object_id>")
@login_required
def show(kind: str, object_id: int) -> ResponseReturnValue:
    """Show a dashboard: action needed first (own agency), then every table with its chart."""
    scope = load_scope(kind, object_id)
    period = _period()
    today = today_local()
    tables = queries.dashboard_tables(scope, period, today=today)
    needed: ActionNeeded | None = None
    person = current_person()
    if scope.is_own and scope.kind in {"agency", "dong"} and person is not None:
        agency = db.session.get(Agency, scope.object_id if scope.kind == "agency" else scope.dong_agency_id)
        if agency is not None:
            needed = action_needed(agency, person, today=today)
    _audit("dashboard.viewed", scope, period, listed_clients=len(needed.all_items()) if needed else 0)
    return render_template(
        "dashboards/dashboard.html",
        scope=scope,
        period=period,
        tables=[_translated(table) for table in tables],
        needed=needed,
        chart_for=lambda table: charts.chart_for(table, suppress=scope.suppress),
        cell_text=lambda cell, column: cell_text(cell, column, suppress=scope.suppress),
        is_hidden=lambda cell: is_hidden(cell, suppress=scope.suppress),
        suppressed_text=SUPPRESSED_TEXT,
        secondary_text=SECONDARY_TEXT,
        regions=_regions(scope),
        dongs=_dongs(scope),
        query=_query(scope, period),
    )


@bp.get("/<kind>/<int:object_id>/needed/<key>")
@login_required
def needed_list_page(kind: str, object_id: int, key: str) -> ResponseReturnValue:
    """Show one action-needed list in full: paged, ordered by due date either way, overdue only on request."""
    scope = load_scope(kind, object_id)
    person = current_person()
    agency_id = scope.object_id if scope.kind == "agency" else scope.dong_agency_id
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    # The lists name clients: only the scope's own staff see them, as on the dashboard.
    if key not in NEEDED_LISTS or not scope.is_own or agency is None or person is None:
        raise NotFound("목록을 찾을 수 없습니다.", english="No such list.")
    form = NeededListForm(formdata=request.args)
    reset = read_list_form(form)
    filters = NeededFilters(latest_first=form.order.data == "latest", overdue_only=bool(form.overdue.data))
    listing = needed_list(
        agency, key, today_local(), page=page_arg(), per_page=NEEDED_PAGE_SIZE, filters=filters
    )
    name_clients(listing.items, person, agency)
    _audit("dashboard.needed_listed", scope, _period(), list=key, listed_clients=len(listing.items))
    return render_template(
        "dashboards/needed.html",
        scope=scope,
        key=key,
        form=form,
        reset=reset,
        filtered=filters.overdue_only,
        listing=listing,
    )


#: tables whose row names are fixed labels (the others name agencies, dongs, months, people)
LABELLED_ROWS = frozenset(
    {"sessions", "visits", "dong_decisions", "dong_escalations", "household_types", "household_compositions"}
)


def _translated(table: Table) -> Table:
    """Return the table with its headings in the UI language (exports and the report stay Korean)."""
    body = [
        [
            gettext(row[0])
            if isinstance(row[0], str) and (table.key in LABELLED_ROWS or row[0] == "합계")
            else row[0],
            *row[1:],
        ]
        for row in table.body
    ]
    columns = [Column(gettext(column.label), column.kind, column.unit) for column in table.columns]
    return Table(
        table.key,
        gettext(table.title),
        columns,
        body,
        table.note,
        table.chart,
        table.chart_columns,
        table.row_sums,
    )


def _query(scope: Scope, period: Period) -> dict[str, Any]:
    values: dict[str, Any] = {"period": period.code}
    if scope.region_id is not None:
        values["region"] = scope.region_id
    return values


def _regions(scope: Scope) -> list[tuple[int, str]]:
    if scope.kind != "district":
        return []
    rows = db.session.execute(
        sa.select(Region.id, Region.name)
        .where(Region.district_id == scope.district_id)
        .order_by(Region.position)
    ).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def _dongs(scope: Scope) -> list[tuple[int, str]]:
    if scope.kind != "district":
        return []
    statement = sa.select(Dong.id, Dong.name).where(Dong.district_id == scope.district_id)
    if scope.region_id is not None:
        statement = statement.where(Dong.region_id == scope.region_id)
    rows = db.session.execute(statement.order_by(Dong.region_id, Dong.position)).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    # An ASCII file name (kind, id, table, period) is valid in every browser; the content carries the titles.
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<kind>/<int:object_id>/export/<key>.<fmt>")
@login_required
def export_table(kind: str, object_id: int, key: str, fmt: str) -> ResponseReturnValue:
    """Download one table as CSV or XLSX, suppressed exactly as on the page."""
    scope = load_scope(kind, object_id)
    period = _period()
    if fmt not in {"csv", "xlsx"}:
        raise NotFound("CSV 또는 XLSX로만 내려받을 수 있습니다.", english="Only CSV or XLSX.")
    table = queries.find_table(queries.dashboard_tables(scope, period), key)
    if table is None:
        raise NotFound("이 대시보드에 그런 표가 없습니다.", english="No such table on this dashboard.")
    _audit("dashboard.exported", scope, period, table=key, format=fmt)
    name = f"hamkke-{scope.kind}-{scope.object_id}-{key}-{period.code}"
    if fmt == "csv":
        return _download(exports.table_csv(table, scope, period), "text/csv; charset=utf-8", f"{name}.csv")
    return _download(
        exports.tables_xlsx([table], scope, period),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{name}.xlsx",
    )


@bp.get("/<kind>/<int:object_id>/export.xlsx")
@login_required
def export_workbook(kind: str, object_id: int) -> ResponseReturnValue:
    """Download every table of the dashboard as one workbook (a sheet per table)."""
    scope = load_scope(kind, object_id)
    period = _period()
    tables = queries.dashboard_tables(scope, period)
    _audit("dashboard.exported", scope, period, table="*", format="xlsx")
    return _download(
        exports.tables_xlsx(tables, scope, period),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"hamkke-{scope.kind}-{scope.object_id}-{period.code}.xlsx",
    )


@bp.get("/<kind>/<int:object_id>/report.pdf")
@login_required
def report(kind: str, object_id: int) -> ResponseReturnValue:
    """Download the monthly report PDF for 결재 (a month period only)."""
    scope = load_scope(kind, object_id)
    period = _period()
    if period.kind != "month":
        raise ValidationFailed(
            "월간 보고서는 월 단위 기간(예: 2026-05)으로만 만듭니다.",
            field="period",
            english="The monthly report needs a month, e.g. 2026-05.",
        )
    tables = queries.dashboard_tables(scope, period)
    person = current_person()
    _audit("dashboard.exported", scope, period, table="*", format="pdf")
    data = report_pdf.monthly_report(
        tables, scope, period, generated_at=now_utc(), author=person.name if person else ""
    )
    return _download(
        data, "application/pdf", f"hamkke-report-{scope.kind}-{scope.object_id}-{period.code}.pdf"
    )
