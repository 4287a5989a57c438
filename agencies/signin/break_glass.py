"""The break-glass account's sessions: network administration pages only, every request audited.

The account exists for the day no coordinator can sign in (a lost provider, an expired first
link). Its sessions reach the network administration pages (invitations and identity providers)
and sign-out; every other page answers 403. Each request is recorded in the audit log in its own
commit before the page runs, so the trail survives a refused or failing request. The session
itself ends one hour after sign-in (agencies.sessions.BREAK_GLASS_SESSION_LIFETIME).
"""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from agencies.sessions import BREAK_GLASS_METHOD, current_session
from hamkke import audit
from hamkke.db import db
from hamkke.web import error_response

#: the pages the account exists for, and what any signed-in page needs (assets, sign-out, language)
ALLOWED_ENDPOINTS = frozenset(
    {
        "agencies.network",
        "agencies.invite",
        "agencies.reissue_invitation",
        "agencies.revoke_invitation",
        "agencies.new_provider",
        "agencies.edit_provider",
        "auth.sign_out",
        "auth.signed_out",
        "static",
        "health.healthz",
    }
)


def confine_break_glass() -> ResponseReturnValue | None:
    """Before each request: audit a break-glass session's request and refuse pages outside its scope."""
    record = current_session()
    if record is None or record.method != BREAK_GLASS_METHOD:
        return None
    endpoint = request.endpoint or ""
    if endpoint in {"static", "health.healthz"}:
        return None
    allowed = endpoint in ALLOWED_ENDPOINTS
    audit.record(
        "auth.break_glass_request",
        actor_id=record.person_id,
        obj=record,
        data={"endpoint": endpoint, "method": request.method, "allowed": allowed},
    )
    db.session.commit()
    if allowed:
        return None
    if endpoint == "core.index" and request.method == "GET":
        return redirect(url_for("agencies.network"))
    return error_response(
        403,
        code="break_glass_limited",
        message="긴급 관리자 계정은 네트워크 관리(기관 초대, 인증 서버) 화면만 쓸 수 있습니다.",
        english="The break-glass account may use the network administration pages only.",
    )
