"""Pages of the district network: directory, agency pages, staff and roles, onboarding, 내 계정.

Each view loads its objects through ``agencies.access`` (404/403), calls one service, commits once
and redirects (303) or renders. A refused form is rendered again with the error next to its field
and a 4xx status; nothing of it is saved.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from agencies import access, onboarding, queries, services
from agencies.agreement import current_agreement
from agencies.forms import (
    AgreementForm,
    ApiClientForm,
    ApproveMemberForm,
    ConfirmForm,
    DirectoryFilterForm,
    IdentityProviderForm,
    InvitationForm,
    ReasonForm,
    RemoveMemberForm,
    RoleForm,
)
from agencies.models import (
    Agency,
    AgencySector,
    AgencyStatus,
    AgencyType,
    District,
    IdentityProvider,
    Membership,
    MembershipStatus,
    Person,
    StaffRole,
    UserSession,
)
from agencies.sessions import (
    current_pending_session,
    current_person,
    current_session,
    login_required,
    signed_in_person,
)
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound, PermissionDenied
from hamkke.extensions import limiter
from hamkke.korean import particle
from hamkke.paging import Page, paginate
from hamkke.time import now_utc
from hamkke.web import page_arg, parse_id, wants_json

bp = Blueprint("agencies", __name__, url_prefix="/agencies")
account_bp = Blueprint("account", __name__, url_prefix="/account")

DIRECTORY_PER_PAGE = 30
DEFAULT_JOIN_RATE_LIMIT = "30 per minute"


def _chosen_district(districts: list[District]) -> District:
    """Pick the district of the page: ``?district=<id>``, else the acting agency's, else the first."""
    if not districts:
        raise NotFound("속한 지역 네트워크가 없습니다.", english="You belong to no district network.")
    wanted = parse_id(request.args.get("district"))
    if wanted is None:
        record = current_session()
        if record is not None and record.acting_agency_id is not None:
            acting = db.session.get(Agency, record.acting_agency_id)
            wanted = acting.district_id if acting is not None else None
    return next((district for district in districts if district.id == wanted), districts[0])


# --- directory and agency pages ------------------------------------------------------------------


@bp.get("/")
@login_required
def directory() -> ResponseReturnValue:
    """Search the agency directory of the person's district (htmx updates the results only)."""
    person = signed_in_person()
    districts = queries.list_network_districts(person)
    district = access.get_district_for(person, _chosen_district(districts).id, "view_directory")
    facets = queries.directory_facets(district.id)
    form = DirectoryFilterForm(formdata=request.args)
    form.set_choices(facets)
    page_number = page_arg()
    status = 200
    results: Page[Agency] | None = None
    if form.validate():
        region = queries.get_region_by_code(district.id, form.region.data) if form.region.data else None
        select = queries.query_directory(
            district.id,
            agency_type=AgencyType(form.type.data) if form.type.data else None,
            region_id=region.id if region else None,
            category=form.category.data or None,
            keyword=(form.q.data or "").strip() or None,
        )
        results = paginate(select, page=page_number, per_page=DIRECTORY_PER_PAGE)
    else:
        status = 400
    context = {
        "district": district,
        "districts": districts,
        "form": form,
        "results": results,
        "is_coordinator": access.can_manage_network(person, district),
    }
    # htmx swaps only the results; a history restore (back button) needs the whole page again.
    if request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request"):
        return render_template("agencies/_directory_results.html", **context), status
    return render_template("agencies/directory.html", **context), status


@bp.get("/<code>")
@login_required
def agency_page(code: str) -> ResponseReturnValue:
    """Show an agency: information, services and (for network members) its staff contacts."""
    agency = access.get_agency_for(signed_in_person(), code, "view")
    return _agency_with_form(agency, ReasonForm(formdata=None), 200)


@bp.post("/<code>/suspend")
@login_required
def suspend(code: str) -> ResponseReturnValue:
    """Suspend an agency's participation (district coordinator)."""
    person = signed_in_person()
    agency = access.get_agency_for(person, code, "change_status")
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.suspend_agency(agency, actor=person, reason=form.reason.data or "")
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            return _agency_with_form(agency, form, error.status_code)
        flash(_("%(name)s의 참여를 정지했습니다.", name=agency.name), "success")
        return see_other("agencies.agency_page", code=agency.code)
    return _agency_with_form(agency, form, invalid_form_status(form))


def _agency_with_form(agency: Agency, form: ReasonForm, status: int) -> ResponseReturnValue:
    """Render the agency page (with the suspension form as given, errors included)."""
    person = signed_in_person()
    page = render_template(
        "agencies/agency.html",
        agency=agency,
        services=[service for service in agency.services if service.is_active],
        staff=queries.list_staff_contacts(agency) if access.can_view_staff_contacts(person, agency) else None,
        can_manage=access.can_manage_agency(person, agency),
        can_change_status=access.can_change_agency_status(person, agency),
        can_accept_agreement=access.can_accept_agreement(person, agency),
        reason_form=form,
        confirm_form=ConfirmForm(),
    )
    return page, status


@bp.post("/<code>/reactivate")
@login_required
def reactivate(code: str) -> ResponseReturnValue:
    """Let a suspended agency take part again (district coordinator)."""
    person = signed_in_person()
    agency = access.get_agency_for(person, code, "change_status")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.reactivate_agency(agency, actor=person)
    flash(_("%(name)s의 참여를 다시 시작했습니다.", name=agency.name), "success")
    return see_other("agencies.agency_page", code=agency.code)


# --- staff and roles (agency admin) --------------------------------------------------------------


def _render_staff(
    agency: Agency,
    *,
    status: int = 200,
    error: str | None = None,
    forms: dict[tuple[str, int], FlaskForm] | None = None,
) -> ResponseReturnValue:
    person = signed_in_person()
    members = queries.list_members_for_admin(agency)
    overrides = forms or {}
    assignable = [
        role for role in StaffRole if role != StaffRole.coordinator or agency.type == AgencyType.district_team
    ]

    def form_for(kind: str, membership: Membership) -> FlaskForm:
        form = overrides.get((kind, membership.id)) or _blank_staff_form(kind, membership)
        if isinstance(form, ApproveMemberForm):
            # Offer only roles this agency can give (the coordinator role exists in the district team only).
            form.roles.choices = [SelectChoice(role.value, role.label) for role in assignable]
        return form

    page = render_template(
        "agencies/staff.html",
        agency=agency,
        pending=[m for m in members if m.status == MembershipStatus.pending],
        active=[m for m in members if m.status == MembershipStatus.active],
        removed=[m for m in members if m.status == MembershipStatus.removed],
        form_for=form_for,
        can_manage_person=lambda target: access.can_manage_person(person, target),
        assignable_roles=assignable,
        error=error,
        confirm_form=ConfirmForm(),
    )
    return page, status


def _blank_staff_form(kind: str, membership: Membership) -> FlaskForm:
    """Return an empty form of one staff action for one member (prefixed, so each row is distinct)."""
    factory: dict[str, type[FlaskForm]] = {
        "approve": ApproveMemberForm,
        "role": RoleForm,
        "remove": RemoveMemberForm,
        "person": ReasonForm,
        "enable": ConfirmForm,
    }
    return factory[kind](formdata=None, prefix=f"{kind}-{membership.id}")


@bp.get("/<code>/staff")
@login_required
def staff(code: str) -> ResponseReturnValue:
    """Manage the agency's staff and roles; pending approvals come first (agency admin)."""
    agency = access.get_agency_for(signed_in_person(), code, "manage")
    return _render_staff(agency)


def _membership_in(agency: Agency, membership_id: int) -> Membership:
    membership = access.get_membership_for(signed_in_person(), membership_id)
    if membership.agency_id != agency.id:
        raise NotFound("직원을 찾을 수 없습니다.", english="No such member.")
    return membership


def _staff_action(
    code: str, membership_id: int, kind: str, form_class: type[FlaskForm], action: Any, done: str
) -> ResponseReturnValue:
    person = signed_in_person()
    agency = access.get_agency_for(person, code, "manage")
    membership = _membership_in(agency, membership_id)
    form = form_class(prefix=f"{kind}-{membership.id}")
    if not form.validate_on_submit():
        return _render_staff(agency, status=invalid_form_status(form), forms={(kind, membership.id): form})
    try:
        action(person, membership, form)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_staff(
            agency, status=error.status_code, error=error.message, forms={(kind, membership.id): form}
        )
    flash(done, "success")
    return see_other("agencies.staff", code=agency.code)


@bp.post("/<code>/staff/<int:membership_id>/approve")
@login_required
def approve_member(code: str, membership_id: int) -> ResponseReturnValue:
    """Approve a pending member with the chosen roles."""

    def act(person: Person, membership: Membership, form: Any) -> None:
        services.approve_membership(
            membership,
            actor=person,
            roles=[StaffRole(role) for role in form.roles.data],
            title=form.title.data,
        )

    return _staff_action(code, membership_id, "approve", ApproveMemberForm, act, _("가입을 승인했습니다."))


@bp.post("/<code>/staff/<int:membership_id>/roles/grant")
@login_required
def grant_role(code: str, membership_id: int) -> ResponseReturnValue:
    """Give a member one more role."""

    def act(person: Person, membership: Membership, form: Any) -> None:
        services.grant_role(membership, StaffRole(form.role.data), actor=person)

    return _staff_action(code, membership_id, "role", RoleForm, act, _("역할을 주었습니다."))


@bp.post("/<code>/staff/<int:membership_id>/roles/revoke")
@login_required
def revoke_role(code: str, membership_id: int) -> ResponseReturnValue:
    """Take one role away from a member."""

    def act(person: Person, membership: Membership, form: Any) -> None:
        services.revoke_role(membership, StaffRole(form.role.data), actor=person)

    return _staff_action(code, membership_id, "role", RoleForm, act, _("역할을 회수했습니다."))


@bp.post("/<code>/staff/<int:membership_id>/remove")
@login_required
def remove_member(code: str, membership_id: int) -> ResponseReturnValue:
    """Remove a member from the agency (or decline a pending request)."""

    def act(person: Person, membership: Membership, form: Any) -> None:
        services.remove_member(membership, actor=person, reason=form.reason.data)

    return _staff_action(
        code, membership_id, "remove", RemoveMemberForm, act, _("직원을 기관에서 내보냈습니다.")
    )


@bp.post("/<code>/staff/<int:membership_id>/disable")
@login_required
def disable_person(code: str, membership_id: int) -> ResponseReturnValue:
    """Disable the member's account platform-wide (see the rule in agencies.access)."""

    def act(person: Person, membership: Membership, form: Any) -> None:
        target = access.get_person_for(person, membership.person_id)
        services.disable_person(target, actor=person, reason=form.reason.data or "")

    return _staff_action(code, membership_id, "person", ReasonForm, act, _("계정 사용을 중지했습니다."))


@bp.post("/<code>/staff/<int:membership_id>/enable")
@login_required
def enable_person(code: str, membership_id: int) -> ResponseReturnValue:
    """Let a disabled member sign in again."""

    def act(person: Person, membership: Membership, form: Any) -> None:
        target = access.get_person_for(person, membership.person_id)
        services.enable_person(target, actor=person)

    return _staff_action(code, membership_id, "enable", ConfirmForm, act, _("계정 사용을 다시 허용했습니다."))


# --- API clients (agency admin) ------------------------------------------------------------------


def _render_api_clients(agency: Agency, form: ApiClientForm, status: int = 200) -> ResponseReturnValue:
    page = render_template(
        "agencies/api_clients.html",
        agency=agency,
        clients=queries.list_api_clients(agency),
        form=form,
        confirm_form=ConfirmForm(),
        token_url=onboarding.external_url("api.issue_token"),
        openapi_url=onboarding.external_url("api.openapi_document"),
    )
    return page, status


@bp.route("/<code>/api-clients", methods=["GET", "POST"])
@login_required
def api_clients(code: str) -> ResponseReturnValue:
    """List and register the agency's API clients; a new secret is shown once."""
    person = signed_in_person()
    agency = access.get_agency_for(person, code, "manage")
    form = ApiClientForm()
    if request.method == "GET":
        return _render_api_clients(agency, form)
    if not form.validate_on_submit():
        return _render_api_clients(agency, form, invalid_form_status(form))
    try:
        client, secret = services.register_api_client(
            agency, actor=person, name=form.name.data or "", scopes=form.scopes.data or []
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_api_clients(agency, form, error.status_code)
    response = current_app.make_response(
        render_template(
            "agencies/api_client_created.html",
            agency=agency,
            client=client,
            secret=secret,
            token_url=onboarding.external_url("api.issue_token"),
        )
    )
    # The secret is on this page only: never cache it anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<code>/api-clients/<int:client_id>/revoke")
@login_required
def revoke_api_client(code: str, client_id: int) -> ResponseReturnValue:
    """Revoke an API client and every token it holds."""
    person = signed_in_person()
    agency = access.get_agency_for(person, code, "manage")
    client = access.get_api_client_for(person, client_id)
    if client.agency_id != agency.id or not ConfirmForm().validate_on_submit():
        abort(404 if client.agency_id != agency.id else 400)
    services.revoke_api_client(client, actor=person)
    flash(_("API 클라이언트를 폐기했습니다. 발급된 토큰도 모두 더 이상 쓸 수 없습니다."), "success")
    return see_other("agencies.api_clients", code=agency.code)


# --- onboarding: invitation link and agreement ---------------------------------------------------


def _join_rate_limit() -> str:
    return str(current_app.config.get("INVITATION_RATE_LIMIT") or DEFAULT_JOIN_RATE_LIMIT)


def _joining_person() -> tuple[Person | None, UserSession | None]:
    # A person signed in only because of their invitation has a session confined to "awaiting
    # approval"; the invitation page is the one place (with sign-out) such a session may use.
    if current_person() is not None:
        return current_person(), current_session()
    pending = current_pending_session()
    if pending is not None:
        return pending.person, pending
    return None, None


def _refuse_invitation(error: onboarding.InvitationRefused, person: Person | None) -> ResponseReturnValue:
    db.session.rollback()
    onboarding.record_invitation_refusal(error, actor_id=person.id if person else None)
    if wants_json():
        return {"error": {"code": error.code, "message": error.message, "message_en": error.english}}, (
            error.status_code
        )
    return render_template("agencies/join_refused.html", error=error, person=person), error.status_code


@bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit(_join_rate_limit)
def join(token: str) -> ResponseReturnValue:
    """Open an invitation link: sign in first, then become the agency's admin."""
    person, session_record = _joining_person()
    provider_id = session_record.identity_provider_id if session_record is not None else None
    try:
        invitation = onboarding.check_invitation(token, person=person, identity_provider_id=provider_id)
    except onboarding.InvitationRefused as error:
        return _refuse_invitation(error, person)
    if person is None:
        return redirect(url_for("auth.sign_in", next=request.path))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            onboarding.accept_invitation(token, person=person, session_record=session_record)
        except onboarding.InvitationRefused as error:
            return _refuse_invitation(error, person)
        flash(_("기관관리자로 가입했습니다. 업무협약을 읽고 동의하면 참여가 시작됩니다."), "success")
        return see_other("agencies.agreement", code=invitation.agency.code)
    return render_template("agencies/join.html", invitation=invitation, person=person, form=form)


@bp.route("/<code>/agreement", methods=["GET", "POST"])
@login_required
def agreement(code: str) -> ResponseReturnValue:
    """Show the current 업무협약 and let the joining agency's admin accept it."""
    person = signed_in_person()
    agency = access.get_agency_for(person, code, "view")
    text = current_agreement()
    form = AgreementForm(data={"version": text.version} if request.method == "GET" else None)
    can_accept = access.can_accept_agreement(person, agency)
    if request.method == "POST":
        agency = access.get_agency_for(person, code, "accept_agreement")
        if not form.validate_on_submit():
            return render_template(
                "agencies/agreement.html", agency=agency, agreement=text, form=form, can_accept=True
            ), invalid_form_status(form)
        try:
            onboarding.accept_agreement(agency, actor=person, version=form.version.data or "")
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            form.version.data = text.version
            return render_template(
                "agencies/agreement.html", agency=agency, agreement=text, form=form, can_accept=True
            ), error.status_code
        flash(
            _(
                "업무협약에 동의했습니다. %(name)s%(i_ga)s 네트워크에 참여합니다.",
                name=agency.name,
                i_ga=particle(agency.name, "이"),
            ),
            "success",
        )
        return see_other("agencies.agency_page", code=agency.code)
    return render_template(
        "agencies/agreement.html", agency=agency, agreement=text, form=form, can_accept=can_accept
    )


# --- network administration (district coordinator) -----------------------------------------------


def _coordinated_district() -> District:
    person = signed_in_person()
    districts = queries.list_coordinated_districts(person)
    if not districts:
        raise PermissionDenied(
            "기관 초대와 인증 서버 설정은 구청 통합사례관리 조정자만 할 수 있습니다.",
            english="Only the district coordinator may do this.",
        )
    return access.get_district_for(person, _chosen_district(districts).id, "manage_network")


@bp.get("/network")
@login_required
def network() -> ResponseReturnValue:
    """Show invitations, joining and suspended agencies, and identity providers (coordinator)."""
    district = _coordinated_district()
    return render_template(
        "agencies/network.html",
        district=district,
        invitations=queries.list_invitations(district.id),
        joining=queries.list_agencies_by_status(
            district.id, (AgencyStatus.invited, AgencyStatus.pending_agreement)
        ),
        suspended=queries.list_agencies_by_status(district.id, (AgencyStatus.suspended,)),
        providers=queries.list_identity_providers(district.id),
        can_edit_provider=lambda provider: access.can_manage_identity_provider(signed_in_person(), provider),
        now=now_utc(),
        confirm_form=ConfirmForm(),
    )


def _render_invite(district: District, form: InvitationForm, status: int = 200) -> ResponseReturnValue:
    return render_template("agencies/invite.html", district=district, form=form), status


def _invitation_data(form: InvitationForm) -> onboarding.AgencyInvitationData:
    new_provider = None
    provider_id = None
    if form.wants_new_provider:
        new_provider = services.IdentityProviderData(
            name=form.provider_name.data or "",
            issuer=form.issuer.data or "",
            client_id=form.client_id.data or "",
            client_secret=form.client_secret.data or "",
            allowed_email_domains=tuple(form.domain_list()),
            claim_name=form.claim_name.data or None,
            email_verified_required=not form.trust_missing_email_verified.data,
        )
    else:
        provider_id = int(form.identity_provider.data or 0)
    return onboarding.AgencyInvitationData(
        name=form.name.data or "",
        code=form.code.data or "",
        type=AgencyType(form.type.data),
        sector=AgencySector(form.sector.data),
        region_ids=tuple(form.regions.data or ()),
        email=form.email.data or "",
        identity_provider_id=provider_id,
        new_provider=new_provider,
    )


@bp.route("/network/invite", methods=["GET", "POST"])
@login_required
def invite() -> ResponseReturnValue:
    """Invite an agency; the one-time link is e-mailed and shown here once (coordinator)."""
    person = signed_in_person()
    district = _coordinated_district()
    form = InvitationForm()
    form.set_choices(
        queries.list_regions(district.id),
        [
            provider
            for provider in queries.list_identity_providers(district.id)
            if access.can_use_identity_provider(person, provider, district)
        ],
    )
    if request.method == "GET":
        return _render_invite(district, form)
    if not form.validate_on_submit():
        return _render_invite(district, form, invalid_form_status(form))
    try:
        invitation, token = onboarding.invite_agency(_invitation_data(form), actor=person, district=district)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_invite(district, form, error.status_code)
    return _one_time_link_page(invitation, token)


def _one_time_link_page(invitation: Any, token: str) -> Response:
    response = current_app.make_response(
        render_template(
            "agencies/invitation_created.html", invitation=invitation, link=onboarding.invitation_link(token)
        )
    )
    # The link is a credential until used: shown once, never cached.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/network/invitations/<int:invitation_id>/reissue")
@login_required
def reissue_invitation(invitation_id: int) -> ResponseReturnValue:
    """Replace an invitation with a new link and e-mail it again (coordinator)."""
    person = signed_in_person()
    invitation = access.get_invitation_for(person, invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    replacement, token = onboarding.reissue_invitation(invitation, actor=person)
    return _one_time_link_page(replacement, token)


@bp.post("/network/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(invitation_id: int) -> ResponseReturnValue:
    """Stop an invitation link from working (coordinator)."""
    person = signed_in_person()
    invitation = access.get_invitation_for(person, invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    onboarding.revoke_invitation(invitation, actor=person)
    flash(_("초대를 취소했습니다."), "success")
    return see_other("agencies.network", district=invitation.district_id)


def _provider_data(form: IdentityProviderForm) -> services.IdentityProviderData:
    return services.IdentityProviderData(
        name=form.provider_name.data or "",
        issuer=form.issuer.data or "",
        client_id=form.client_id.data or "",
        client_secret=form.client_secret.data or None,
        allowed_email_domains=tuple(form.domain_list()),
        claim_name=form.claim_name.data or None,
        is_active=bool(form.is_active.data),
        email_verified_required=not form.trust_missing_email_verified.data,
    )


def _render_provider(
    district: District, form: IdentityProviderForm, provider: IdentityProvider | None, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "agencies/provider_form.html", district=district, form=form, provider=provider
    ), status


@bp.route("/network/identity-providers/new", methods=["GET", "POST"])
@login_required
def new_provider() -> ResponseReturnValue:
    """Register an identity provider for the district (coordinator)."""
    person = signed_in_person()
    district = _coordinated_district()
    form = IdentityProviderForm(data={"is_active": True} if request.method == "GET" else None)
    if request.method == "GET":
        return _render_provider(district, form, None)
    if not form.validate_on_submit():
        return _render_provider(district, form, None, invalid_form_status(form))
    try:
        services.create_identity_provider(_provider_data(form), actor=person, district=district)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_provider(district, form, None, error.status_code)
    flash(_("인증 서버를 등록했습니다."), "success")
    return see_other("agencies.network", district=district.id)


@bp.route("/network/identity-providers/<int:provider_id>", methods=["GET", "POST"])
@login_required
def edit_provider(provider_id: int) -> ResponseReturnValue:
    """Edit an identity provider of the district; an empty secret keeps the stored one (coordinator)."""
    person = signed_in_person()
    provider = access.get_identity_provider_for(person, provider_id)
    district = provider_district(provider)
    if request.method == "GET":
        form = IdentityProviderForm(
            data={
                "provider_name": provider.name,
                "issuer": provider.issuer,
                "client_id": provider.client_id,
                "allowed_email_domains": "\n".join(provider.allowed_email_domains),
                "claim_name": provider.claim_rule.get("claim", ""),
                "trust_missing_email_verified": not provider.email_verified_required,
                "is_active": provider.is_active,
            }
        )
        return _render_provider(district, form, provider)
    form = IdentityProviderForm()
    if not form.validate_on_submit():
        return _render_provider(district, form, provider, invalid_form_status(form))
    try:
        services.update_identity_provider(provider, _provider_data(form), actor=person)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_provider(district, form, provider, error.status_code)
    flash(_("인증 서버 설정을 저장했습니다."), "success")
    return see_other("agencies.network", district=district.id)


def provider_district(provider: IdentityProvider) -> District:
    """Return the district that registered the provider (editable providers always have one)."""
    district = db.session.get(District, provider.district_id) if provider.district_id else None
    if district is None:
        raise NotFound("인증 서버 설정을 찾을 수 없습니다.", english="No such identity provider.")
    return district


# --- 내 계정 -----------------------------------------------------------------------------------------


@account_bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """Show my memberships and roles, agreements waiting for me, and my sessions."""
    person = signed_in_person()
    return render_template(
        "agencies/account.html",
        person=person,
        memberships=queries.list_memberships_of(person),
        awaiting=onboarding.agencies_awaiting_agreement(person),
        coordinated=queries.list_coordinated_districts(person),
        sessions=queries.list_sessions_of(person),
        current=current_session(),
        confirm_form=ConfirmForm(),
    )


@account_bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> ResponseReturnValue:
    """End one of my other sessions (e.g. a browser left signed in elsewhere)."""
    person = signed_in_person()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    current = current_session()
    if current is not None and current.id == session_id:
        # Ending this very session is signing out, which has its own button and flow.
        return see_other("account.index")
    services.end_own_session(person, session_id)
    flash(_("선택한 세션을 끝냈습니다."), "success")
    return see_other("account.index")
