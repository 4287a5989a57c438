"""The quarterly settlement page and its XLSX and PDF (the district's coordinator, or a dong centre)."""

from __future__ import annotations

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue

from agencies.models import District
from agencies.sessions import current_actor, login_required
from funds import access, exports, forms, queries
from funds.views import bp, quarter_of
from hamkke import audit
from hamkke.db import db
from hamkke.errors import NotFound
from hamkke.paging import read_list_form
from hamkke.time import now_utc, today_local

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _selection() -> tuple[access.FundScope, District, int, int, int | None, forms.SettlementForm, list[str]]:
    """Read the viewer's scope and the chosen year, quarter and dong (a dong centre sees only its own)."""
    person, agency = current_actor()
    scope = access.require_scope(person, agency)
    district = db.session.get(District, scope.district_id)
    assert district is not None  # noqa: S101 -- an agency's district always exists
    form = forms.SettlementForm(formdata=request.args)
    form.dong.choices = forms.pairs([("", "구 전체"), *((str(d.id), d.name) for d in district.dongs)])
    reset = read_list_form(form)
    today = today_local()
    year = form.year.data or today.year
    quarter = int(form.quarter.data or quarter_of(today.month))
    if scope.kind == "dong":
        dong_id: int | None = scope.dong_id
    else:
        dong_id = int(form.dong.data) if form.dong.data else None
    return scope, district, year, quarter, dong_id, form, reset


def _dong_name(district: District, dong_id: int | None) -> str | None:
    return next((dong.name for dong in district.dongs if dong.id == dong_id), None)


@bp.get("/settlement")
@login_required
def settlement() -> ResponseReturnValue:
    """Show a quarter's settlement: per dong budget, 교부, spent per purpose, households, remaining."""
    scope, district, year, quarter, dong_id, form, reset = _selection()
    result = queries.settlement(district, year, quarter, dong_id=dong_id)
    return render_template(
        "funds/settlement.html",
        scope=scope,
        settlement=result,
        form=form,
        reset=reset,
        headings=exports.HEADINGS,
        rows=[exports.row_values(row) for row in [*result.lines, result.total]],
        household_column=exports.HOUSEHOLD_COLUMN,
        query={"year": year, "quarter": quarter, **({"dong": dong_id} if dong_id else {})},
        title=exports.title(result, _dong_name(district, dong_id)),
    )


@bp.get("/settlement.<fmt>")
@login_required
def settlement_file(fmt: str) -> ResponseReturnValue:
    """Download the settlement as the 구청 files it (XLSX or PDF)."""
    if fmt not in {"xlsx", "pdf"}:
        raise NotFound("XLSX 또는 PDF로만 내려받을 수 있습니다.", english="Only XLSX or PDF.")
    person, agency = current_actor()
    scope, district, year, quarter, dong_id, _form, _reset = _selection()
    result = queries.settlement(district, year, quarter, dong_id=dong_id)
    render = exports.settlement_xlsx if fmt == "xlsx" else exports.settlement_pdf
    data = render(result, dong_name=_dong_name(district, dong_id), author=person.name, generated_at=now_utc())
    audit.record(
        "fund.settlement_exported",
        actor_id=person.id,
        agency_id=agency.id,
        object_type="districts",
        object_id=district.id,
        data={"year": year, "quarter": quarter, "dong_id": dong_id, "format": fmt, "scope": scope.kind},
    )
    response = Response(data, mimetype=XLSX if fmt == "xlsx" else "application/pdf")
    name = f"hamkke-fund-{district.id}-{dong_id or 'all'}-{year}-Q{quarter}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
