"""Referral pages: sent and received lists, the form with the directory, the page, replies, letters."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from agencies.access import is_network_member
from agencies.models import Agency, Person, Service
from agencies.sessions import current_actor, login_required
from cases.models import Case, Client
from hamkke.db import db
from hamkke.edge import attach_error
from hamkke.errors import DomainError, NotFound
from hamkke.paging import read_list_form
from hamkke.web import page_arg, parse_id
from referrals import access, directory, disclosure, entry, letters, queries, services
from referrals.disclosure import group_label
from referrals.forms import (
    CompleteForm,
    ConfirmForm,
    DirectorySearchForm,
    NoteForm,
    OutsideReferralForm,
    ReferralForm,
    ReferralListForm,
    ReissueForm,
    RejectForm,
)
from referrals.models import LetterKind, Referral, ReferralStatus

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

#: simple moves: (service function, side) by the URL's action name
SIMPLE_ACTIONS = {
    "send": services.send_referral,
    "receive": services.mark_received,
    "accept": services.accept,
    "start": services.start,
}


def _referral(referral_id: int, person: Person) -> Referral:
    return access.require_view(person, db.session.get(Referral, referral_id))


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """List the agency's received or sent referrals: sorted, filtered by status and paged in SQL."""
    _person, agency = current_actor()
    form = ReferralListForm(formdata=request.args)
    reset = read_list_form(form)
    box: queries.Box = "sent" if form.box.data == "sent" else "received"
    listing = entry.referral_page(
        agency.id,
        box,
        order=entry.parse_order(form.order.data),
        status=ReferralStatus(form.status.data) if form.status.data else None,
        page=page_arg(),
    )
    return render_template(
        "referrals/index.html",
        box=box,
        form=form,
        reset=reset,
        listing=listing,
        referrals=listing.items,
        needs_action=lambda referral: queries.needs_action(referral, box),
        is_overdue=queries.is_overdue,
        action_count=queries.action_count(agency.id),
        agency=agency,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Write a referral from a case, choosing the service from the resource directory."""
    person, agency = current_actor()
    if not request.args.get("case_id"):
        # "새 의뢰" and "이 기관에 의뢰" start here: first the case, then the form for it.
        return render_template(
            "referrals/pick_case.html", cases=entry.referrable_cases(person), q=request.args.get("q", "")
        )
    case = db.session.get(Case, parse_id(request.args.get("case_id")) or 0)
    if case is None or case.is_deleted or access.can_refer_from_case(person, case) is None:
        raise NotFound("사례를 찾을 수 없습니다.", english="Case not found.")
    search = DirectorySearchForm(request.args)
    search.category.choices = [
        SelectChoice("", _("모든 분야")),
        *[SelectChoice(c, c) for c in directory.categories(agency.district)],
    ]
    found = (
        directory.search_services(agency.district, q=search.q.data or "", category=search.category.data or "")
        if search.validate()
        else []
    )
    form = ReferralForm()
    service_id = parse_id(form.service.data)
    selected = db.session.get(Service, service_id) if service_id is not None else None
    choices = [s for s in found if s.agency_id != agency.id]
    if selected is not None and selected not in choices:
        choices.insert(0, selected)
    form.service.choices = [SelectChoice("", _("서비스를 고르세요"))] + [
        SelectChoice(str(s.id), f"[{s.category}] {s.agency.name} · {s.name}") for s in choices
    ]
    status = 200
    if request.method == "POST":
        if form.validate() and selected is not None:
            try:
                referral = services.create_referral(
                    case,
                    actor=person,
                    receiving_agency=selected.agency,
                    service=selected,
                    content=services.ReferralContent(
                        reason=form.reason.data or "",
                        requested_services=form.requested_services.data or "",
                        main_problem=form.main_problem.data or "",
                        service_history=form.service_history.data or "",
                        notes=form.notes.data or "",
                        field_groups=tuple(form.field_groups.data or ()),
                    ),
                    eligibility_override_reason=form.eligibility_override_reason.data,
                )
                if form.action.data == "send":
                    services.send_referral(referral, actor=person)
                return redirect(url_for("referrals.detail", referral_id=referral.id))
            except DomainError as error:
                # Nothing is kept: the draft and its audit row go with the rollback.
                db.session.rollback()
                attach_error(form, error, {"receiving_agency": "service"})
        status = 422
    consented = None
    if selected is not None:
        consented = sorted(disclosure.consented_field_groups(case.main_client, selected.agency))
    return render_template(
        "referrals/new.html",
        form=form,
        search=search,
        case=case,
        services_by_category=directory.by_category(choices),
        consented=[group_label(group) for group in consented] if consented is not None else None,
    ), status


@bp.route("/new-outside", methods=["GET", "POST"])
@login_required
def new_outside() -> ResponseReturnValue:
    """Write a referral to an organisation outside the network; its 의뢰서 goes by e-mail."""
    person, _agency = current_actor()
    case = db.session.get(Case, parse_id(request.args.get("case_id")) or 0)
    if case is None or case.is_deleted or access.can_refer_from_case(person, case) is None:
        raise NotFound("사례를 찾을 수 없습니다.", english="Case not found.")
    form = OutsideReferralForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                referral = services.create_referral(
                    case,
                    actor=person,
                    outside=services.OutsideRecipient(
                        name=form.external_name.data or "", email=form.external_email.data or ""
                    ),
                    content=services.ReferralContent(
                        reason=form.reason.data or "",
                        requested_services=form.requested_services.data or "",
                        main_problem=form.main_problem.data or "",
                        service_history=form.service_history.data or "",
                        notes=form.notes.data or "",
                        field_groups=tuple(form.field_groups.data or ()),
                    ),
                )
                if form.action.data == "send":
                    services.send_referral(referral, actor=person)
                return redirect(url_for("referrals.detail", referral_id=referral.id))
            except DomainError as error:
                # Nothing is kept: the draft and its audit row go with the rollback.
                db.session.rollback()
                attach_error(form, error)
                status = error.status_code
        else:
            status = 422
    return render_template("referrals/new_outside.html", form=form, case=case), status


def _detail(
    referral: Referral, person: Person, agency: Agency, forms: dict[str, Any], status: int = 200
) -> ResponseReturnValue:
    side = access.side_of(person, referral)
    client = db.session.get(Client, referral.client_id)
    assert client is not None  # noqa: S101 -- foreign key
    # Only what the client consented to the receiving agency is shown, through the gate (which logs it).
    shown = disclosure.disclose_to_person(
        client, referral, person, acting_agency_id=agency.id, channel="page", basis=f"referral:{referral.id}"
    )
    return render_template(
        "referrals/detail.html",
        referral=referral,
        side=side,
        # Who answers: the receiving agency, or for an outside organisation its sender (회신 기록).
        answers=side == "receiver" or (referral.is_external and side == "sender"),
        client_rows=shown.client_rows,
        texts=shown.texts,
        shared_groups=[group_label(group) for group in shown.groups],
        deliveries=queries.outside_deliveries(referral) if referral.is_external else [],
        letters=referral.letters,
        pending_letters=letters.pending_letters(referral),
        LetterKind=LetterKind,
        S=ReferralStatus,
        is_overdue=queries.is_overdue(referral),
        confirm=ConfirmForm(),
        reject_form=forms.get("reject") or RejectForm(formdata=None),
        complete_form=forms.get("complete") or CompleteForm(formdata=None),
        note_form=forms.get("note") or NoteForm(formdata=None),
        reissue_form=forms.get("reissue") or ReissueForm(formdata=None),
    ), status


@bp.get("/<int:referral_id>")
@login_required
def detail(referral_id: int) -> ResponseReturnValue:
    """Show a referral: content, consented client information, timeline, letters and the reply forms."""
    person, agency = current_actor()
    return _detail(_referral(referral_id, person), person, agency, {})


@bp.post("/<int:referral_id>/<action>")
@login_required
def act(referral_id: int, action: str) -> ResponseReturnValue:
    """Apply one step of the life cycle; a refused step re-shows the page with the reason by its field."""
    person, agency = current_actor()
    referral = _referral(referral_id, person)
    forms: dict[str, Any] = {}
    try:
        if action in SIMPLE_ACTIONS:
            if not ConfirmForm().validate():
                abort(400)
            SIMPLE_ACTIONS[action](referral, actor=person)
        elif action == "reject":
            form = forms["reject"] = RejectForm()
            if not form.validate():
                return _detail(referral, person, agency, forms, 422)
            services.reject(
                referral,
                actor=person,
                reason=form.rejection_reason.data or "",
                note=form.rejection_note.data or "",
            )
        elif action == "complete":
            form = forms["complete"] = CompleteForm()
            if not form.validate():
                return _detail(referral, person, agency, forms, 422)
            services.complete(
                referral,
                actor=person,
                outcome=form.outcome.data or "",
                result_report=form.result_report.data or "",
            )
        elif action == "reissue":
            form = forms["reissue"] = ReissueForm()
            if not form.validate():
                return _detail(referral, person, agency, forms, 422)
            services.reissue_letter(
                referral, form.kind.data or "", actor=person, reason=form.reason.data or ""
            )
        elif action in {"cancel", "revoke"}:
            form = forms["note"] = NoteForm()
            if not form.validate():
                return _detail(referral, person, agency, forms, 422)
            close = services.cancel if action == "cancel" else services.revoke
            close(referral, actor=person, note=form.closing_note.data or "")
        else:
            abort(404)
    except DomainError as error:
        db.session.rollback()
        db.session.refresh(referral)
        target = {
            "reject": "reject",
            "complete": "complete",
            "cancel": "note",
            "revoke": "note",
            "reissue": "reissue",
        }.get(action)
        if target is None or target not in forms:
            raise
        attach_error(forms[target], error)
        return _detail(referral, person, agency, forms, error.status_code)
    return redirect(url_for("referrals.detail", referral_id=referral.id))


@bp.get("/<int:referral_id>/letters")
@login_required
def letters_part(referral_id: int) -> ResponseReturnValue:
    """Return the page's letter list; while a letter is being rendered the page polls this part."""
    person, _agency = current_actor()
    referral = _referral(referral_id, person)
    return render_template(
        "referrals/_letters.html",
        referral=referral,
        letters=letters.rendered_letters(referral.id),
        pending_letters=letters.pending_letters(referral),
    )


@bp.get("/letters/<int:letter_id>")
@login_required
def download_letter(letter_id: int) -> ResponseReturnValue:
    """Download a letter after the access check; every download is written to the access log."""
    person, agency = current_actor()
    letter, content = letters.open_letter(letter_id, actor=person, acting_agency_id=agency.id)
    name = f"{letter.document_number}-{'의뢰서' if letter.kind is LetterKind.request else '회신서'}.pdf"
    # After a withdrawal the letter comes re-rendered (bytes) instead of the stored file.
    source = io.BytesIO(content) if isinstance(content, bytes) else content
    return send_file(source, mimetype="application/pdf", as_attachment=True, download_name=name)


@bp.get("/directory")
@login_required
def directory_page() -> ResponseReturnValue:
    """Show the district's resource directory (자원목록) by category, searchable."""
    _person, agency = current_actor()
    search = DirectorySearchForm(request.args)
    search.category.choices = [
        SelectChoice("", _("모든 분야")),
        *[SelectChoice(c, c) for c in directory.categories(agency.district)],
    ]
    found = (
        directory.search_services(agency.district, q=search.q.data or "", category=search.category.data or "")
        if search.validate()
        else []
    )
    return render_template(
        "referrals/directory.html", search=search, services_by_category=directory.by_category(found)
    )


@bp.get("/directory.hsds.json")
@login_required
def directory_hsds() -> ResponseReturnValue:
    """Export the district's resource directory as Open Referral HSDS JSON."""
    person, agency = current_actor()
    if not is_network_member(person, agency.district_id):
        raise NotFound("찾는 페이지가 없습니다.", english="Not found.")
    return jsonify(directory.hsds_export(agency.district))
