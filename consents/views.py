"""Pages of consents: form, history, gated client panel, auditor log and report, data-subject requests.

Each view loads its objects through ``consents.access`` (404 when the actor may not know them),
calls one service, commits once, then redirects (303) or renders.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, jsonify, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from agencies.models import Agency, Person
from agencies.sessions import acting_agency_id, current_person, login_required, signed_in_person
from cases.fields import FIELD_GROUPS
from cases.models import Client
from consents import access, log_labels, log_search, queries, services
from consents.access_log import log_disclosure
from consents.coverage import consent_coverage
from consents.forms import (
    FORM_GRANT_ROWS,
    CloseRequestForm,
    ConsentForm,
    FulfilForm,
    LiftSuspensionForm,
    RequestForm,
    RevokeForm,
    attach_consent_error,
    preselected_grant,
)
from consents.gate import view_client
from consents.models import (
    PURPOSE_LABELS,
    REQUEST_LABELS,
    SUSPENSION_LIFT_GROUNDS,
    AccessChannel,
    AccessLogEntry,
    Consent,
    ConsentGrant,
    ConsentPurpose,
    DataSubjectRequest,
    RecipientKind,
    RequestKind,
    RequestStatus,
)
from consents.policy import CURRENT_NOTICE_VERSION, NOTICE_TEMPLATES
from hamkke.audit import record
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, InvalidTransition, ValidationFailed
from hamkke.i18n import local_datetime
from hamkke.paging import Page, paginate
from hamkke.time import today_local
from hamkke.web import page_arg, parse_id

bp = Blueprint("consents", __name__, url_prefix="/consents")

DEFAULT_REFUSAL = "동의를 거부할 수 있으며, 거부하면 해당 기관과의 연계 서비스 제공이 제한될 수 있습니다."
DEFAULT_RETENTION = "동의일로부터 사례 종결 시까지"


def _form_context(client_id: int, agency: Agency) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "agency": agency,
        "agencies": queries.list_recipient_agencies(agency),
        "field_groups": FIELD_GROUPS,
        "purposes": PURPOSE_LABELS,
        "recipient_kinds": RecipientKind,
        "rows": FORM_GRANT_ROWS,
        "notice": NOTICE_TEMPLATES[CURRENT_NOTICE_VERSION],
        "notice_version": CURRENT_NOTICE_VERSION,
        "default_refusal": DEFAULT_REFUSAL,
        "default_retention": DEFAULT_RETENTION,
        "today": today_local(),
    }


@bp.get("/clients/<int:client_id>")
@login_required
def client_consents(client_id: int) -> ResponseReturnValue:
    """Show a client's consent history, requests and what other agencies may see."""
    person = signed_in_person()
    client = access.get_client_for_owner(person, acting_agency_id(), client_id)
    return _history_page(client, person, RequestForm())


def _history_page(
    client: Client, person: Person, form: RequestForm, status: int = 200
) -> ResponseReturnValue:
    """Render a client's consent history with the request form (as posted, with its refusals)."""
    view = view_client(client, person, purpose="case_management", acting_agency_id=acting_agency_id())
    agency = access.acting_agency(person, acting_agency_id())
    return render_template(
        "consents/history.html",
        view=view,
        coverage=consent_coverage(client, district_id=agency.district_id),
        consents=queries.list_consents(client.id),
        requests=queries.list_requests_of_client(client.id),
        request_kinds=REQUEST_LABELS,
        purposes=PURPOSE_LABELS,
        field_groups=FIELD_GROUPS,
        request_form=form,
    ), status


@bp.get("/clients/<int:client_id>/new")
@login_required
def new_consent(client_id: int) -> ResponseReturnValue:
    """Show the consent form that walks the worker and client through the notice items."""
    person = signed_in_person()
    client = access.get_client_for_owner(person, acting_agency_id(), client_id)
    view = view_client(client, person, purpose="case_management", acting_agency_id=acting_agency_id())
    agency = access.acting_agency(person, acting_agency_id())
    context = _form_context(client.id, agency)
    # The consent indicator's links preselect the missing purpose and recipient on the first row.
    preselected = preselected_grant(request.args, [other.id for other in context["agencies"]])
    form = ConsentForm(formdata=preselected) if preselected else ConsentForm()
    return render_template("consents/form.html", view=view, form=form, **context)


@bp.post("/clients/<int:client_id>")
@login_required
def create_consent(client_id: int) -> ResponseReturnValue:
    """Record a signed consent; a refused form is shown again with the Korean reason."""
    person = signed_in_person()
    client = access.get_client_for_owner(person, acting_agency_id(), client_id)
    agency = access.acting_agency(person, acting_agency_id())
    form = ConsentForm()
    if not form.validate_on_submit():
        return _refused_consent_form(client, person, agency, form, invalid_form_status(form))
    try:
        consent = services.record_consent(client, form.to_input(), actor=person, agency=agency)
    except DomainError as error:
        db.session.rollback()
        attach_consent_error(form, error)
        return _refused_consent_form(client, person, agency, form, 422)
    flash(_("동의를 기록했습니다."), "success")
    return see_other("consents.show_consent", consent_id=consent.id)


def _refused_consent_form(
    client: Client, person: Person, agency: Agency, form: ConsentForm, status: int
) -> ResponseReturnValue:
    """Show the consent form again as posted, with each refusal next to its field."""
    view = view_client(client, person, purpose="case_management", acting_agency_id=agency.id)
    return render_template(
        "consents/form.html",
        view=view,
        form=form,
        **_form_context(client.id, agency),
    ), status


@bp.get("/<int:consent_id>")
@login_required
def show_consent(consent_id: int) -> ResponseReturnValue:
    """Show one consent with the exact notice text the client was shown (printable)."""
    person = signed_in_person()
    consent = access.get_consent_for(person, acting_agency_id(), consent_id)
    return _consent_page(consent, person)


def _consent_page(
    consent: Consent, person: Person, refused: RevokeForm | None = None, status: int = 200
) -> ResponseReturnValue:
    """Render one consent; a refused withdrawal comes back on its grant's form (or above them all)."""
    # The notice text names the client: showing it is a disclosure like any other page.
    client = db.session.get(Client, consent.client_id)
    if client is not None:
        view_client(client, person, purpose="case_management", acting_agency_id=acting_agency_id())
    if refused is not None and refused.grant_id.data not in {grant.id for grant in consent.grants}:
        # Withdrawing the whole consent has no fields of its own: every reason goes above the forms.
        refused.form_errors.extend(str(error) for field in refused for error in field.errors)
    return render_template(
        "consents/show.html",
        consent=consent,
        purposes=PURPOSE_LABELS,
        field_groups=FIELD_GROUPS,
        revoke_form=refused,
    ), status


@bp.get("/<int:consent_id>/scan")
@login_required
def download_scan(consent_id: int) -> ResponseReturnValue:
    """Download the scanned signed form (a disclosure: logged)."""
    person = signed_in_person()
    consent = access.get_consent_for(person, acting_agency_id(), consent_id)
    if consent.attachment_path is None:
        abort(404)
    path = services.attachment_folder() / consent.attachment_path
    if not path.is_file():
        abort(404)
    log_disclosure(
        actor_id=person.id,
        agency_id=acting_agency_id(),
        client_id=consent.client_id,
        field_groups=["basic"],
        purpose="case_management",
        channel=AccessChannel.download,
        basis="owner",
        reason="consent_scan",
    )
    return send_file(path, mimetype=consent.attachment_type, as_attachment=True)


@bp.post("/<int:consent_id>/revoke")
@login_required
def revoke_consent(consent_id: int) -> ResponseReturnValue:
    """Withdraw a consent, one grant of it, or some field groups of a grant, effective at once."""
    person = signed_in_person()
    consent = access.get_consent_for(person, acting_agency_id(), consent_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _consent_page(consent, person, form, invalid_form_status(form))
    grant = db.session.get(ConsentGrant, form.grant_id.data) if form.grant_id.data else None
    try:
        services.revoke_consent(
            consent,
            actor=person,
            grant=grant,
            field_groups=form.field_groups.data or [],
            reason=form.reason.data,
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _consent_page(consent, person, form, error.status_code)
    flash(_("동의 철회를 기록했습니다. 지금부터 다른 기관에 보이지 않습니다."), "success")
    return see_other("consents.show_consent", consent_id=consent.id)


def _purpose_arg() -> str:
    purpose = request.args.get("purpose", ConsentPurpose.referral.value)
    if purpose not in PURPOSE_LABELS:
        abort(404)
    return purpose


def _gate_context() -> dict[str, Any] | None:
    conference_id = parse_id(request.args.get("conference_id"))
    return {"conference_id": conference_id} if conference_id is not None else None


@bp.get("/panel/<int:client_id>")
@login_required
def client_panel(client_id: int) -> ResponseReturnValue:
    """Show a client as the acting agency may see them for a purpose, with the scope indicator."""
    person = signed_in_person()
    client = db.session.get(Client, client_id)
    if client is None:
        abort(404)
    view = view_client(
        client, person, purpose=_purpose_arg(), acting_agency_id=acting_agency_id(), context=_gate_context()
    )
    return render_template(
        "consents/panel.html", view=view, field_groups=FIELD_GROUPS, purposes=PURPOSE_LABELS
    )


@bp.get("/api/clients/<int:client_id>")
@login_required
def client_json(client_id: int) -> ResponseReturnValue:
    """Return a client as JSON through the gate (placeholders for withheld fields)."""
    person = signed_in_person()
    client = db.session.get(Client, client_id)
    if client is None:
        abort(404)
    view = view_client(
        client,
        person,
        purpose=_purpose_arg(),
        acting_agency_id=acting_agency_id(),
        context=_gate_context(),
        channel=AccessChannel.api,
    )
    return jsonify(view.as_dict())


# Auditor ---------------------------------------------------------------------------------------

#: access-log rows per page
ACCESS_LOG_PAGE_SIZE = 50
#: log rows whose names are looked up at once when exporting (keeps every IN list short)
CSV_NAME_BATCH = 1000
#: the export's columns for scripts (ids and stored codes) and the same row in words for people
CSV_MACHINE_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "agency_id",
    "client_id",
    "field_groups",
    "purpose",
    "channel",
)
CSV_WORD_COLUMNS = ("열람 시각(서울)", "열람자", "기관", "대상자(사례)", "정보 항목", "목적", "경로", "근거")


def _audit_scope() -> list[int]:
    scope = access.audit_scope(current_person(), acting_agency_id())
    if scope is None:
        abort(404)
    return scope


@bp.get("/access-log")
@login_required
def access_log_page() -> ResponseReturnValue:
    """Search the access log (auditors only): filtered, sorted by time and paged in SQL, all in words."""
    scope = _audit_scope()
    search = log_search.read_search(scope)
    listing: Page[AccessLogEntry] = paginate(
        queries.access_log_select(scope, search.filters), page=page_arg(), per_page=ACCESS_LOG_PAGE_SIZE
    )
    return render_template(
        "consents/access_log.html",
        form=search.form,
        reset=search.reset,
        listing=listing,
        entries=listing.items,
        args=request.args,
        names=log_labels.names_for(listing.items),
        labels=log_labels,
    )


@bp.get("/access-log.csv")
@login_required
def export_access_log() -> ResponseReturnValue:
    """Export the filtered access log as CSV; the export itself is audited."""
    scope = _audit_scope()
    filters = log_search.read_search(scope).filters
    entries = queries.search_access_log(scope, filters, limit=100_000)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The first columns are for machines (ids and codes, stable for scripts); the rest say the same in
    # words for the person who opens the file (names, case numbers, Korean labels, Seoul time).
    writer.writerow(CSV_MACHINE_COLUMNS + CSV_WORD_COLUMNS)
    for start in range(0, len(entries), CSV_NAME_BATCH):
        batch = entries[start : start + CSV_NAME_BATCH]
        names = log_labels.names_for(batch)  # a bounded batch: IN lists stay small on either database
        for entry in batch:
            writer.writerow(
                [
                    entry.id,
                    entry.created_at.isoformat(),
                    entry.actor_id,
                    entry.agency_id,
                    entry.client_id,
                    " ".join(entry.field_groups),
                    entry.purpose,
                    entry.channel,
                    local_datetime(entry.created_at),
                    names.person(entry.actor_id),
                    names.agency(entry.agency_id),
                    names.client(entry.client_id),
                    log_labels.groups_label(entry.field_groups),
                    log_labels.purpose_label(entry.purpose),
                    log_labels.channel_label(entry.channel),
                    log_labels.basis_label(entry.basis),
                ]
            )
    record(
        "consents.access_log_exported",
        actor_id=signed_in_person().id,
        agency_id=acting_agency_id(),
        data={"rows": len(entries), "filters": filters.as_dict()},
    )
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=access-log.csv"},
    )


@bp.get("/access-log/unusual")
@login_required
def unusual_access() -> ResponseReturnValue:
    """Show the monthly report of actors opening many clients outside their own cases."""
    _audit_scope()
    today = today_local()
    raw = request.args.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-", 1)) if raw else (today.year, today.month)
        date(year, month, 1)
    except ValueError:
        year, month = today.year, today.month
    threshold = parse_id(request.args.get("threshold"))
    report = services.unusual_access_report(year, month, threshold=threshold)
    scope = set(_audit_scope())
    report = [item for item in report if item.agency_id in scope]
    people = {person.id: person for person in queries.people_by_id([item.actor_id for item in report])}
    return render_template(
        "consents/unusual.html",
        report=report,
        people=people,
        agencies=log_labels.names_for_agencies(scope),
        month=f"{year:04d}-{month:02d}",
        threshold=threshold,
    )


# Data-subject requests -------------------------------------------------------------------------


@bp.get("/requests")
@login_required
def list_requests() -> ResponseReturnValue:
    """List the acting agency's open data-subject requests by deadline, and the ones closed lately."""
    agency_id = acting_agency_id()
    if not access.can_handle_requests(current_person(), agency_id):
        abort(404)
    return _requests_page(agency_id or 0)


def _requests_page(
    agency_id: int,
    *,
    refused: CloseRequestForm | LiftSuspensionForm | None = None,
    refused_id: int | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """Render the requests page; a refused closing or release of request ``refused_id`` on its row."""
    closed = queries.list_closed_requests(agency_id)
    people_ids = [item.closed_by_id for item in closed if item.closed_by_id] + [
        item.suspension_lifted_by_id for item in closed if item.suspension_lifted_by_id
    ]
    people = {p.id: p for p in queries.people_by_id(people_ids)}
    open_requests = queries.list_open_requests(agency_id)
    rows = (
        open_requests
        if isinstance(refused, CloseRequestForm)
        else [c for c in closed if c.is_suspension_in_force]
    )
    if refused is not None and not any(item.id == refused_id for item in rows):
        # The refused request has no such form on this page (closed or lifted meanwhile, or not
        # listed): its reasons are shown above the lists instead of beside fields that are not there.
        refused.form_errors.extend(str(error) for field in refused for error in field.errors)
    return render_template(
        "consents/requests.html",
        requests=open_requests,
        client_cases=log_labels.case_numbers_for([item.client_id for item in [*open_requests, *closed]]),
        closed=closed,
        people=people,
        today=today_local(),
        request_kinds=REQUEST_LABELS,
        applied_kinds=services.APPLIED_KINDS,
        lift_grounds=SUSPENSION_LIFT_GROUNDS,
        close_form=refused if isinstance(refused, CloseRequestForm) else None,
        lift_form=refused if isinstance(refused, LiftSuspensionForm) else None,
        refused_id=refused_id,
    ), status


def _fulfil_page(
    item: DataSubjectRequest, client: Client | None, *, form: FulfilForm, status: int = 200
) -> ResponseReturnValue:
    """Render how a request is fulfilled, with the refusals of a post and the values as posted."""
    view = None
    if client is not None and item.status == RequestStatus.open:
        # The worker reviews the current values with the client: an owner's page view, logged.
        view = view_client(
            client, signed_in_person(), purpose="case_management", acting_agency_id=acting_agency_id()
        )
    plan = services.erasure_plan(client) if client is not None and item.kind == RequestKind.deletion else None
    closed_by = queries.people_by_id([item.closed_by_id]) if item.closed_by_id else []
    lifted_by = queries.people_by_id([item.suspension_lifted_by_id]) if item.suspension_lifted_by_id else []
    return render_template(
        "consents/fulfil.html",
        item=item,
        view=view,
        plan=plan,
        closed_by=closed_by[0] if closed_by else None,
        lifted_by=lifted_by[0] if lifted_by else None,
        lift_grounds=SUSPENSION_LIFT_GROUNDS,
        correctable=services.CORRECTABLE_COLUMNS,
        request_kinds=REQUEST_LABELS,
        field_groups=FIELD_GROUPS,
        purposes=PURPOSE_LABELS,
        form=form,
    ), status


def _request_and_client(request_id: int) -> tuple[DataSubjectRequest, Client | None]:
    person = signed_in_person()
    item = access.get_request_for(person, acting_agency_id(), request_id)
    if item.status != RequestStatus.open:
        return item, None
    # An open request is handled only for a client the acting agency holds and may see (else 404).
    return item, access.get_client_for_owner(person, acting_agency_id(), item.client_id)


@bp.get("/requests/<int:request_id>/fulfil")
@login_required
def fulfil_request_page(request_id: int) -> ResponseReturnValue:
    """Show how a request is fulfilled: the correction form, the erasure plan, or the suspension."""
    item, client = _request_and_client(request_id)
    return _fulfil_page(item, client, form=FulfilForm())


@bp.post("/requests/<int:request_id>/fulfil")
@login_required
def fulfil_request(request_id: int) -> ResponseReturnValue:
    """Apply a 정정·삭제·처리정지 request to the data and close it; refused input is shown in Korean."""
    person = signed_in_person()
    item, client = _request_and_client(request_id)
    form = FulfilForm()
    if not form.validate_on_submit():
        return _fulfil_page(item, client, form=form, status=invalid_form_status(form))
    try:
        if client is None:
            raise InvalidTransition("이미 처리된 요청입니다.", english="The request is already closed.")
        if item.kind == RequestKind.correction:
            services.fulfil_correction(item, client, actor=person, changes=form.changes())
        elif item.kind == RequestKind.deletion:
            if not form.confirm.data:
                raise ValidationFailed(
                    _("삭제할 항목을 확인했다는 표시를 해 주십시오."),
                    field="confirm",
                    english="Confirm the erasure.",
                )
            services.fulfil_deletion(item, client, actor=person)
        elif item.kind == RequestKind.suspension:
            services.fulfil_suspension(item, client, actor=person)
        else:
            raise InvalidTransition(
                "열람 요청은 내보내기 후 '처리 완료'로 닫습니다.",
                english="An access request is closed after the export.",
            )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _fulfil_page(item, client, form=form, status=error.status_code)
    flash(_("요청을 반영하고 처리 완료로 기록했습니다."), "success")
    return see_other("consents.list_requests")


@bp.post("/clients/<int:client_id>/requests")
@login_required
def create_request(client_id: int) -> ResponseReturnValue:
    """Record a 열람·정정·삭제·처리정지 request."""
    person = signed_in_person()
    client = access.get_client_for_owner(person, acting_agency_id(), client_id)
    agency = access.acting_agency(person, acting_agency_id())
    form = RequestForm()
    if not form.validate_on_submit():
        return _history_page(client, person, form, invalid_form_status(form))
    try:
        services.record_request(
            client,
            actor=person,
            agency=agency,
            kind=form.kind.data or "",
            details=form.details.data,
            received_on=form.received_on.data,
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _history_page(client, person, form, error.status_code)
    flash(_("요청을 접수했습니다. 10일 안에 처리해야 합니다."), "success")
    return see_other("consents.client_consents", client_id=client.id)


@bp.post("/requests/<int:request_id>/close")
@login_required
def close_request(request_id: int) -> ResponseReturnValue:
    """Close a data-subject request as fulfilled or refused."""
    person = signed_in_person()
    item = access.get_request_for(person, acting_agency_id(), request_id)
    form = CloseRequestForm(request_id=item.id)
    if not form.validate_on_submit():
        return _requests_page(
            item.agency_id, refused=form, refused_id=item.id, status=invalid_form_status(form)
        )
    try:
        services.close_request(
            item,
            actor=person,
            outcome=form.outcome.data or "",
            refused=bool(form.refused.data),
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _requests_page(item.agency_id, refused=form, refused_id=item.id, status=error.status_code)
    flash(_("요청 처리를 기록했습니다."), "success")
    return see_other("consents.list_requests")


@bp.post("/requests/<int:request_id>/lift-suspension")
@login_required
def lift_suspension(request_id: int) -> ResponseReturnValue:
    """End a fulfilled 처리정지 on a recorded ground (PIPA 제37조); refused input is shown in Korean."""
    person = signed_in_person()
    item = access.get_request_for(person, acting_agency_id(), request_id)
    form = LiftSuspensionForm(request_id=item.id)
    if not form.validate_on_submit():
        return _requests_page(
            item.agency_id, refused=form, refused_id=item.id, status=invalid_form_status(form)
        )
    try:
        services.lift_suspension(
            item,
            actor=person,
            ground=form.ground.data or "",
            reason=form.reason.data or "",
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _requests_page(item.agency_id, refused=form, refused_id=item.id, status=error.status_code)
    flash(_("처리정지를 해제했습니다. 이제 동의 범위 안에서 다시 공유됩니다."), "success")
    return see_other("consents.list_requests")


@bp.get("/requests/<int:request_id>/export.<any(json, html):fmt>")
@login_required
def export_request(request_id: int, fmt: str) -> ResponseReturnValue:
    """Export the client's own data for a 열람 request, as JSON or as a readable page (logged)."""
    person = signed_in_person()
    item = access.get_request_for(person, acting_agency_id(), request_id)
    client = db.session.get(Client, item.client_id)
    if client is None:
        abort(404)
    agency = access.acting_agency(person, acting_agency_id())
    data = services.export_client_data(
        client, actor=person, agency=agency, reason=f"data_subject_request:{item.id}"
    )
    if fmt == "json":
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": f"attachment; filename=client-{client.id}.json"},
        )
    return render_template("consents/export.html", data=data, item=item, field_groups=FIELD_GROUPS)
