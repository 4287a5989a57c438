"""Sign-in pages: each agency's OpenID Connect provider, the approval wait, sign-out, break-glass."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from agencies.forms import LocalSignInForm
from agencies.models import IdentityProvider, MembershipStatus
from agencies.sessions import current_pending_session, current_person, current_session
from agencies.signin import limits as sign_in_limits
from agencies.signin import oidc
from agencies.signin import services as auth_services
from agencies.signin.oidc import SignInError
from hamkke.config import is_production
from hamkke.db import after_commit, db
from hamkke.edge import invalid_form_status
from hamkke.extensions import limiter
from hamkke.web import safe_next_url

bp = Blueprint("auth", __name__, url_prefix="/auth")

#: per client address; generous, so one office behind NAT signs in (see ``agencies.signin.limits``)
SIGN_IN_RATE_LIMIT = sign_in_limits.ADDRESS_LIMIT
#: where open authorization requests wait for their callback: {state: {"provider_id", "next"}}
AUTH_REQUESTS_KEY = "auth_requests"
#: open authorization requests kept per browser (several tabs); older ones are dropped
MAX_OPEN_REQUESTS = 5
#: the provider's logout URL, carried from the sign-out POST to the page that continues there
LOGOUT_URL_KEY = "logout_url"

_UNVERIFIED = (
    _l("기관 계정 서버의 응답을 확인할 수 없어 로그인을 거부했습니다. 다시 로그인해 주세요."),
    "The identity provider's answer could not be verified, so the sign-in was refused.",
)
#: reason code → (Korean message, English message) shown on the refusal page
REFUSAL_MESSAGES: dict[str, tuple[LazyString, str]] = {
    "state_mismatch": (
        _l("로그인 요청이 만료되었거나 올바르지 않습니다. 처음부터 다시 로그인해 주세요."),
        "The sign-in request expired or is not valid. Please start again.",
    ),
    "code_rejected": (
        _l("로그인 승인 코드가 이미 사용되었거나 만료되었습니다. 다시 로그인해 주세요."),
        "The sign-in code was already used or has expired. Please sign in again.",
    ),
    "provider_error": (
        _l("기관 계정 서버에서 로그인이 취소되었거나 거부되었습니다."),
        "The identity provider cancelled or refused the sign-in.",
    ),
    "provider_unreachable": (
        _l("기관 계정 서버에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."),
        "The identity provider cannot be reached. Please try again shortly.",
    ),
    "provider_misconfigured": (
        _l("이 로그인 방법의 설정에 문제가 있습니다. 운영 담당자에게 알려 주세요."),
        "This sign-in method is misconfigured. Please tell the operators.",
    ),
    "unknown_provider": (
        _l("알 수 없는 로그인 방법입니다. 로그인 화면에서 다시 선택해 주세요."),
        "Unknown sign-in method. Please choose again on the sign-in page.",
    ),
    "issuer_parameter_mismatch": (
        _l("다른 인증 서버의 응답이 도착해 로그인을 거부했습니다. 처음부터 다시 로그인해 주세요."),
        "The answer came from another identity provider, so the sign-in was refused. Please start again.",
    ),
    "issuer_parameter_missing": (
        _l("기관 계정 서버의 응답에 발급자(iss) 정보가 없어 로그인을 거부했습니다. 다시 로그인해 주세요."),
        "The identity provider's answer did not name its issuer, so the sign-in was refused.",
    ),
    "rate_limited": (
        _l("이 계정의 로그인 시도가 너무 많습니다. 잠시 후 다시 시도해 주세요."),
        "Too many sign-in attempts for this account. Please try again shortly.",
    ),
    "provider_inactive": (
        _l("이 로그인 방법은 현재 사용할 수 없습니다."),
        "This sign-in method is not available at the moment.",
    ),
    "email_missing": (
        _l("기관 계정에 이메일 주소가 없어 로그인할 수 없습니다."),
        "Your agency account has no e-mail address, so you cannot sign in.",
    ),
    "email_domain_not_allowed": (
        _l("이 로그인 방법으로는 사용할 수 없는 이메일 주소입니다."),
        "This e-mail address may not sign in with this provider.",
    ),
    "email_unverified": (
        _l("확인되지 않은 이메일 주소입니다. 기관 계정 관리자에게 문의해 주세요."),
        "The e-mail address is not verified. Please ask your account administrator.",
    ),
    "identity_conflict": (
        _l("이 이메일은 이미 다른 계정과 연결되어 있습니다. 기관관리자에게 문의해 주세요."),
        "This e-mail is linked to another account. Please ask your agency administrator.",
    ),
    "person_disabled": (
        _l("사용이 중지된 계정입니다. 기관관리자에게 문의해 주세요."),
        "This account is disabled. Please ask your agency administrator.",
    ),
    "break_glass_account": (
        _l("이 계정은 기관 계정으로 로그인할 수 없습니다."),
        "This account cannot sign in through an identity provider.",
    ),
    "agency_suspended": (
        _l("소속 기관의 이용이 중지되어 로그인할 수 없습니다."),
        "Your agency is suspended, so you cannot sign in.",
    ),
    "no_matching_agency": (
        _l("이 계정이 속한 기관을 찾을 수 없습니다. 기관관리자에게 문의해 주세요."),
        "No agency matches this account. Please ask your agency administrator.",
    ),
    "agency_ambiguous": (
        _l("소속 기관을 정할 수 없습니다. 기관관리자에게 초대를 요청해 주세요."),
        "Your agency cannot be determined. Please ask your agency administrator to invite you.",
    ),
    "membership_removed": (
        _l("기관에서 제외된 계정입니다. 기관관리자에게 문의해 주세요."),
        "You were removed from the agency. Please ask your agency administrator.",
    ),
}
BREAK_GLASS_MESSAGES: dict[str, tuple[LazyString, str]] = {
    "bad_credentials": (
        _l("이메일 또는 비밀번호가 올바르지 않습니다."),
        "The e-mail or password is not correct.",
    ),
    "locked": (
        _l("로그인에 여러 번 실패하여 계정이 30분 동안 잠겼습니다."),
        "Too many failed attempts; the account is locked for 30 minutes.",
    ),
    "person_disabled": REFUSAL_MESSAGES["person_disabled"],
}


@bp.get("/sign-in")
def sign_in() -> ResponseReturnValue:
    """List the ways to sign in: each agency's provider and, in development, the demo accounts."""
    next_url = safe_next_url(request.args.get("next"), fallback=url_for("core.index"))
    if current_person() is not None:
        return redirect(next_url)
    providers = db.session.scalars(
        sa.select(IdentityProvider).where(IdentityProvider.is_active).order_by(IdentityProvider.name)
    ).all()
    demo_provider = None
    demo_accounts: tuple[object, ...] = ()
    if not is_production(current_app.config):
        # lazy: the development provider's accounts, never loaded in production (see the
        # devidp-development-only contract in pyproject.toml)
        from devidp.accounts import DEMO_ACCOUNTS

        demo_accounts = DEMO_ACCOUNTS
        issuer = oidc.normalise_issuer(current_app.config["DEVIDP_URL"])
        demo_provider = next((p for p in providers if oidc.normalise_issuer(p.issuer) == issuer), None)
    return render_template(
        "auth/sign_in.html",
        providers=providers,
        next_url=next_url,
        demo_provider=demo_provider,
        demo_accounts=demo_accounts,
        break_glass=auth_services.break_glass_exists(),
    )


@bp.get("/login/<int:provider_id>")
@limiter.limit(SIGN_IN_RATE_LIMIT)
def login(provider_id: int) -> ResponseReturnValue:
    """Send the browser to the agency's provider (authorization code + PKCE S256, state, nonce)."""
    provider = db.session.get(IdentityProvider, provider_id)
    if provider is None or not provider.is_active:
        return _refuse(SignInError("unknown_provider"), provider_id=provider_id)
    next_url = safe_next_url(request.args.get("next"), fallback=url_for("core.index"))
    try:
        url, state = oidc.authorization_redirect(
            provider, _callback_url(), login_hint=_login_hint(request.args.get("login_hint"))
        )
    except SignInError as refusal:
        return _refuse(refusal, provider_id=provider_id)
    _remember_request(state, provider_id, next_url)
    return redirect(url)


@bp.get("/callback")
@limiter.limit(SIGN_IN_RATE_LIMIT)
def callback() -> ResponseReturnValue:
    """Finish a provider sign-in: validate the answer, decide person and agency, open the session."""
    state = request.args.get("state", "")
    opened = _take_request(state)
    provider = db.session.get(IdentityProvider, opened["provider_id"]) if opened else None
    provider_id = provider.id if provider is not None else None
    try:
        if opened is None:
            raise SignInError("state_mismatch")
        if provider is None:
            raise SignInError("unknown_provider")
        # Before anything else, error answers included: a response from another issuer is a mix-up.
        oidc.check_response_issuer(provider, request.args.get("iss"))
        if request.args.get("error"):
            raise SignInError("provider_error", status=403, provider_error=_error_code(request.args["error"]))
        claims = oidc.complete_authorization(provider)
        if not sign_in_limits.allow_account(f"oidc:{provider.id}", claims.subject):
            raise SignInError("rate_limited", status=429)
        auth_services.replace_session(current_session() or current_pending_session())
        outcome = auth_services.sign_in_with_provider(provider, claims)
    except SignInError as refusal:
        return _refuse(refusal, provider_id=provider_id)
    if outcome.awaiting_approval:
        return redirect(url_for("auth.pending"))
    return redirect(safe_next_url(str(opened.get("next") or ""), fallback=url_for("core.index")))


@bp.get("/pending")
def pending() -> ResponseReturnValue:
    """Show the '가입 승인 대기' page to a person whose agency membership awaits approval."""
    record = current_pending_session()
    if record is None:
        return redirect(url_for("core.index") if current_person() else url_for("auth.sign_in"))
    memberships = [m for m in record.person.memberships if m.status == MembershipStatus.pending]
    return render_template("auth/pending.html", person=record.person, memberships=memberships)


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """End the session here and, when the provider offers it, at the provider too."""
    record = current_session() or current_pending_session()
    destination: str | None = None
    if record is not None:
        provider = (
            db.session.get(IdentityProvider, record.identity_provider_id)
            if record.identity_provider_id
            else None
        )
        id_token = record.id_token_hint
        auth_services.sign_out(record)
        record.id_token_hint = None  # not needed once signed out; keep no token longer than necessary
        session_id = record.id
        after_commit(lambda: auth_services.cut_live_sessions([session_id]))
        if provider is not None and id_token:
            base = current_app.config["BASE_URL"].rstrip("/")
            destination = oidc.logout_url(
                provider, id_token_hint=id_token, post_logout_redirect_uri=base + "/"
            )
    _clear_cookie_session()
    if destination is None:
        flash(_("로그아웃했습니다."), "success")
        return redirect(url_for("core.index"))
    # Browsers apply the page's CSP form-action to redirects that follow a form POST, so a
    # redirect from here to the provider would be blocked; a page of our own continues there.
    session[LOGOUT_URL_KEY] = destination
    return redirect(url_for("auth.signed_out"), code=303)


@bp.get("/signed-out")
def signed_out() -> ResponseReturnValue:
    """Confirm the sign-out and continue to the provider's logout, which returns to the start page."""
    destination = session.pop(LOGOUT_URL_KEY, None)
    if not destination:
        return redirect(url_for("core.index"))
    return render_template("auth/signed_out.html", logout_url=destination)


@bp.route("/local", methods=["GET", "POST"])
@limiter.limit(sign_in_limits.LOCAL_ADDRESS_LIMIT, methods=["POST"])
@limiter.limit(sign_in_limits.ACCOUNT_LIMIT, methods=["POST"], key_func=sign_in_limits.local_account_key)
def local_sign_in() -> ResponseReturnValue:
    """Sign in with the break-glass administrator account (first setup only)."""
    if not auth_services.break_glass_exists():
        abort(404)  # no local account exists, so there is nothing to sign in to
    form = LocalSignInForm()
    next_url = safe_next_url(form.next.data or request.args.get("next"), fallback=url_for("core.index"))
    form.next.data = next_url
    if request.method == "GET":
        return render_template("auth/local.html", form=form, error=None)
    if not form.validate_on_submit():
        return render_template("auth/local.html", form=form, error=None), invalid_form_status(form)
    try:
        auth_services.replace_session(current_session() or current_pending_session())
        auth_services.sign_in_break_glass(email=form.email.data or "", password=form.password.data or "")
    except SignInError as refusal:
        # The failure count and its audit row are kept by the service although the edge rolls back.
        korean, english = BREAK_GLASS_MESSAGES.get(refusal.reason, BREAK_GLASS_MESSAGES["bad_credentials"])
        form.password.data = ""
        return render_template("auth/local.html", form=form, error=(korean, english)), refusal.status
    return redirect(next_url)


def _refuse(refusal: SignInError, *, provider_id: int | None) -> ResponseReturnValue:
    """Roll back whatever the attempt created, audit the refusal, and show why (4xx, never 500)."""
    db.session.rollback()
    # Kept by the edge after it rolls the refusal back (hamkke.audit.record_refusal).
    auth_services.record_refused_sign_in(
        refusal.reason,
        provider_id=provider_id,
        person_id=refusal.person_id,
        provider_error=refusal.provider_error,
    )
    korean, english = REFUSAL_MESSAGES.get(refusal.reason, _UNVERIFIED)
    return render_template(
        "auth/refused.html", status=refusal.status, reason=refusal.reason, message=korean, english=english
    ), refusal.status


def _callback_url() -> str:
    # One canonical address (BASE_URL) for the redirect URI: it must match the provider's
    # registration exactly, and the state cookie lives on that host only.
    return current_app.config["BASE_URL"].rstrip("/") + url_for("auth.callback")


def _error_code(raw: str) -> str:
    # OAuth error codes are short ASCII words; anything else in the URL is not worth keeping.
    return raw if re.fullmatch(r"[a-z_]{1,40}", raw) else "unrecognised"


def _login_hint(raw: str | None) -> str | None:
    if not raw or len(raw) > 200 or "@" not in raw:
        return None
    return raw.strip()


def _remember_request(state: str, provider_id: int, next_url: str) -> None:
    requests = dict(session.get(AUTH_REQUESTS_KEY) or {})
    requests[state] = {"provider_id": provider_id, "next": next_url}
    # Abandoned tabs must not grow the signed cookie past the browser's 4 KB limit.
    session[AUTH_REQUESTS_KEY] = dict(list(requests.items())[-MAX_OPEN_REQUESTS:])


def _take_request(state: str) -> dict[str, object] | None:
    """Remove and return the open request of ``state`` (a state is good for one callback only)."""
    requests = dict(session.get(AUTH_REQUESTS_KEY) or {})
    found = requests.pop(state, None) if state else None
    session[AUTH_REQUESTS_KEY] = requests
    return found if isinstance(found, dict) else None


def _clear_cookie_session() -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
