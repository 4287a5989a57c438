"""Sign-in decisions: which person and agency an identity provider's answer stands for; break-glass.

Services flush and never commit; the auth views and the CLI commit once, at the edge.
"""

from __future__ import annotations

import functools
import importlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from agencies.models import (
    AgencyStatus,
    Identity,
    IdentityProvider,
    Membership,
    MembershipStatus,
    Person,
    UserSession,
)
from agencies.sessions import end_session, start_session
from agencies.signin.oidc import SignInError, VerifiedClaims
from agencies.sockets import cut_live_sessions as _cut_live_sessions
from hamkke import audit
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.time import now_utc
from hamkke.unit_of_work import keep_after_rollback

if TYPE_CHECKING:
    from agencies.models import Agency

logger = logging.getLogger(__name__)

#: consecutive wrong passwords before the break-glass account locks
LOCKOUT_THRESHOLD = 5
LOCKOUT_DURATION = timedelta(minutes=30)
MIN_PASSWORD_LENGTH = 12
METHOD_OIDC = "oidc"
METHOD_BREAK_GLASS = "break_glass"
#: agencies whose staff may sign in: active ones, and those whose first admin still has to accept
#: the agreement (an invited agency is joined through its invitation link, a suspended one not at all)
SIGN_IN_AGENCY_STATUSES = frozenset({AgencyStatus.active, AgencyStatus.pending_agreement})

_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignInOutcome:
    """The session a successful provider sign-in opened and what the person may do with it."""

    session: UserSession
    person: Person
    #: True when an agency admin must approve the membership before any data is visible
    awaiting_approval: bool


def cut_live_sessions(session_ids: list[int]) -> None:
    """Disconnect the live sockets of ended sessions; call after the commit that ended them."""
    _cut_live_sessions(session_ids)


def sign_in_with_provider(provider: IdentityProvider, claims: VerifiedClaims) -> SignInOutcome:
    """Find or create the person behind verified claims and open their session (flushes; caller commits).

    :raises SignInError: the provider, e-mail, person, agency or membership does not allow it; the
        caller must roll back so that no partial Person, Identity or Membership is left behind.
    """
    if not provider.is_active:
        raise SignInError("provider_inactive", status=403)
    _check_email_domain(provider, claims)
    agencies = _matching_agencies(provider, claims)
    usable_agencies = [agency for agency in agencies if agency.status in SIGN_IN_AGENCY_STATUSES]
    identity = db.session.scalar(
        sa.select(Identity).where(Identity.provider_id == provider.id, Identity.subject == claims.subject)
    )
    person = identity.person if identity is not None else _person_for_new_identity(provider, claims)
    if not person.is_active:
        raise SignInError("person_disabled", status=403, person_id=person.id)
    if person.is_break_glass:
        # The break-glass account signs in only locally, so a provider account can never become it.
        raise SignInError("break_glass_account", status=403, person_id=person.id)
    membership = _active_membership(person, usable_agencies)
    acting_agency_id: int | None = membership.agency_id if membership is not None else None
    awaiting_approval = False
    if membership is None and not _has_pending_invitation(provider, claims):
        if not usable_agencies and any(agency.status == AgencyStatus.suspended for agency in agencies):
            raise SignInError("agency_suspended", status=403, person_id=person.id)
        _request_membership(person, usable_agencies)
        awaiting_approval = True
    if identity is None:
        identity = _link_identity(person, provider, claims)
    if not awaiting_approval:
        person.last_sign_in_at = now_utc()
    record = start_session(
        person,
        method=METHOD_OIDC,
        acting_agency_id=acting_agency_id,
        identity_provider_id=provider.id,
        id_token_hint=claims.id_token,
        awaiting_approval=awaiting_approval,
    )
    audit.record(
        "auth.sign_in",
        actor_id=person.id,
        agency_id=acting_agency_id,
        obj=record,
        data={
            "method": METHOD_OIDC,
            "provider_id": provider.id,
            "identity_id": identity.id,
            "awaiting_approval": awaiting_approval,
        },
    )
    return SignInOutcome(session=record, person=person, awaiting_approval=awaiting_approval)


def record_refused_sign_in(
    reason: str, *, provider_id: int | None, person_id: int | None = None, provider_error: str | None = None
) -> None:
    """Audit a refused sign-in with its reason code (IDs and codes only; kept past the refusal's rollback)."""
    data: dict[str, Any] = {"reason": reason, "provider_id": provider_id}
    if provider_error:
        data["provider_error"] = provider_error
    audit.record_refusal(
        "auth.sign_in_refused",
        actor_id=person_id,
        object_type="identity_providers",
        object_id=provider_id,
        data=data,
    )
    logger.info("Sign-in refused: %s (provider %s)", reason, provider_id)


def sign_out(record: UserSession) -> None:
    """End a session at the person's request, with its audit row (flushes; caller commits)."""
    end_session(record, "signed_out")
    audit.record(
        "auth.sign_out",
        actor_id=record.person_id,
        agency_id=record.acting_agency_id,
        obj=record,
        data={"method": record.method},
    )


def replace_session(record: UserSession | None) -> None:
    """End the browser's previous session when it signs in again, so it cannot come back."""
    if record is not None and record.ended_at is None:
        end_session(record, "replaced")


def _check_email_domain(provider: IdentityProvider, claims: VerifiedClaims) -> None:
    allowed = {domain.strip().lower() for domain in provider.allowed_email_domains or [] if domain.strip()}
    if not allowed:
        return
    if not claims.email or "@" not in claims.email:
        raise SignInError("email_missing", status=403)
    if claims.email.rsplit("@", 1)[1] not in allowed:
        raise SignInError("email_domain_not_allowed", status=403)
    if not claims.email_verified:
        # An unverified address proves nothing about the domain the provider rule relies on.
        raise SignInError("email_unverified", status=403)


def _matching_agencies(provider: IdentityProvider, claims: VerifiedClaims) -> list[Agency]:
    """Return the provider's agencies the claims point at (all of them when there is no claim rule)."""
    bound = sorted(provider.agencies, key=lambda agency: agency.id)
    rule = provider.claim_rule or {}
    if not rule:
        return bound
    claim = rule.get("claim")
    if not claim or rule.get("equals_agency_code") is not True:
        # A rule this code does not understand matches nobody: fail closed.
        logger.warning("Identity provider %s has an unsupported claim rule", provider.id)
        return []
    value = claims.raw.get(str(claim))
    values = value if isinstance(value, list) else [value]
    codes = {str(item) for item in values if item not in (None, "")}
    return [agency for agency in bound if agency.code in codes]


def _person_for_new_identity(provider: IdentityProvider, claims: VerifiedClaims) -> Person:
    """Link a first-time identity to a person of an agency bound to ``provider``, or create a new person.

    A verified e-mail is linked to an existing person only when that person belongs (in any
    membership state) to an agency that trusts this provider. Anyone else with the same address,
    such as the admin of an agency bound to another provider, is never reachable through it: the
    sign-in becomes a new person who waits for approval like any newcomer.
    """
    if not claims.email:
        raise SignInError("email_missing", status=403)
    namesakes = list(
        db.session.scalars(
            sa.select(Person).where(sa.func.lower(Person.email) == claims.email).order_by(Person.id)
        )
    )
    for namesake in namesakes:
        if namesake.is_break_glass:
            # The break-glass address signs in only locally; no provider may claim it in any form.
            raise SignInError("break_glass_account", status=403, person_id=namesake.id)
    bound = {agency.id for agency in provider.agencies}
    linkable = [p for p in namesakes if any(m.agency_id in bound for m in p.memberships)]
    if not linkable:
        person = Person(name=(claims.name or claims.email.split("@", 1)[0])[:100], email=claims.email)
        db.session.add(person)
        db.session.flush()
        audit.record(
            "auth.person_created",
            actor_id=person.id,
            obj=person,
            data={"provider_id": provider.id, "same_email_elsewhere": bool(namesakes)},
        )
        return person
    person = linkable[0]
    if not claims.email_verified:
        # Only an address the provider vouches for may take over an existing account.
        raise SignInError("email_unverified", status=403, person_id=person.id)
    if len(linkable) > 1 or any(identity.provider_id == provider.id for identity in person.identities):
        # Same provider, same e-mail, another subject: a recreated or different account, not this person.
        raise SignInError("identity_conflict", status=403, person_id=person.id)
    return person


def _link_identity(person: Person, provider: IdentityProvider, claims: VerifiedClaims) -> Identity:
    identity = Identity(person=person, provider_id=provider.id, subject=claims.subject)
    db.session.add(identity)
    db.session.flush()
    audit.record("auth.identity_linked", actor_id=person.id, obj=identity, data={"provider_id": provider.id})
    return identity


def _active_membership(person: Person, agencies: list[Agency]) -> Membership | None:
    """Return the person's active membership in the first of ``agencies`` that has one."""
    by_agency = {membership.agency_id: membership for membership in person.memberships}
    for agency in agencies:
        membership = by_agency.get(agency.id)
        if membership is not None and membership.status == MembershipStatus.active:
            return membership
    return None


def _request_membership(person: Person, agencies: list[Agency]) -> None:
    """Make sure a pending membership waits for approval in the one matching agency."""
    if not agencies:
        raise SignInError("no_matching_agency", status=403, person_id=person.id)
    existing = {membership.agency_id: membership for membership in person.memberships}
    for agency in agencies:
        membership = existing.get(agency.id)
        if membership is not None and membership.status == MembershipStatus.pending:
            return
    if any(existing.get(agency.id) is not None for agency in agencies):
        # Every matching membership was removed by an agency admin: asking again is not automatic.
        raise SignInError("membership_removed", status=403, person_id=person.id)
    if len(agencies) > 1:
        # Several agencies share the provider and nothing in the claims says which one is theirs.
        raise SignInError("agency_ambiguous", status=403, person_id=person.id)
    membership = Membership(person=person, agency=agencies[0], status=MembershipStatus.pending)
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "agency.membership_requested",
        actor_id=person.id,
        agency_id=agencies[0].id,
        obj=membership,
        data={"via": "sign_in"},
    )


def _has_pending_invitation(provider: IdentityProvider, claims: VerifiedClaims) -> bool:
    """Ask the onboarding module whether the verified e-mail has an open invitation."""
    if not claims.email or not claims.email_verified:
        return False
    try:
        onboarding = importlib.import_module("agencies.onboarding")
    except ModuleNotFoundError:
        # Invitations are optional: without the onboarding module nobody is invited.
        return False
    lookup = getattr(onboarding, "pending_invitation_for", None)
    return lookup is not None and lookup(claims.email, provider.id) is not None


def create_break_glass_account(*, email: str, name: str, password: str) -> Person:
    """Create the single local administrator for first setup (flushes; the caller commits).

    :raises ValidationFailed: one exists already, the e-mail is taken, or the password is short.
    """
    email = email.strip().lower()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.is_break_glass)):
        raise ValidationFailed(
            "긴급 관리자 계정이 이미 있습니다.", english="A break-glass account already exists."
        )
    if not email or "@" not in email or not name.strip():
        raise ValidationFailed("이름과 이메일을 입력해 주세요.", english="Name and e-mail are required.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"비밀번호는 {MIN_PASSWORD_LENGTH}자 이상이어야 합니다.",
            field="password",
            english=f"The password needs at least {MIN_PASSWORD_LENGTH} characters.",
        )
    if db.session.scalar(sa.select(Person.id).where(sa.func.lower(Person.email) == email)) is not None:
        raise ValidationFailed(
            "이미 등록된 이메일입니다.", field="email", english="The e-mail is already in use."
        )
    person = Person(
        name=name.strip()[:100], email=email, is_break_glass=True, password_hash=_hasher.hash(password)
    )
    db.session.add(person)
    db.session.flush()
    audit.record("auth.break_glass_created", obj=person, data={"person_id": person.id})
    return person


def break_glass_exists() -> bool:
    """Tell whether a break-glass account has been set up (the sign-in page links to it only then)."""
    return bool(
        db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.is_break_glass))
    )


def sign_in_break_glass(*, email: str, password: str) -> UserSession:
    """Check the break-glass password and open a session (flushes; the caller commits either way).

    Failures are counted and audited; after `LOCKOUT_THRESHOLD` in a row the account locks for
    `LOCKOUT_DURATION`. The count and the audit rows are kept when the refusal rolls the request back.

    :raises SignInError: ``bad_credentials`` (401), ``locked`` or ``person_disabled`` (403).
    """
    person = db.session.scalar(
        sa.select(Person).where(sa.func.lower(Person.email) == email.strip().lower(), Person.is_break_glass)
    )
    if person is None:
        # Spend the same time as a real check, so timing does not reveal which e-mail exists.
        _password_matches(_get_dummy_hash(), password)
        record_refused_break_glass("bad_credentials", person_id=None)
        raise SignInError("bad_credentials", status=401)
    now = now_utc()
    if person.locked_until is not None and person.locked_until > now:
        record_refused_break_glass("locked", person_id=person.id)
        raise SignInError("locked", status=403, person_id=person.id)
    if not _password_matches(person.password_hash, password):
        _count_failure(person)
        raise SignInError(
            "locked" if person.locked_until else "bad_credentials",
            status=403 if person.locked_until else 401,
            person_id=person.id,
        )
    if not person.is_active:
        record_refused_break_glass("person_disabled", person_id=person.id)
        raise SignInError("person_disabled", status=403, person_id=person.id)
    person.failed_sign_ins = 0
    person.locked_until = None
    if person.password_hash and _hasher.check_needs_rehash(person.password_hash):
        person.password_hash = _hasher.hash(password)
    person.last_sign_in_at = now
    record = start_session(person, method=METHOD_BREAK_GLASS)
    audit.record(
        "auth.break_glass_sign_in", actor_id=person.id, obj=record, data={"method": METHOD_BREAK_GLASS}
    )
    logger.warning("Break-glass account %s signed in", person.id)
    return record


def record_refused_break_glass(reason: str, *, person_id: int | None) -> None:
    """Audit a refused break-glass attempt (the row outlives the refusal's rollback)."""
    audit.record_refusal(
        "auth.break_glass_refused",
        actor_id=person_id,
        object_type="people",
        object_id=person_id,
        data={"reason": reason},
    )


def _count_failure(person: Person) -> None:
    """Count a wrong password, locking the account at the threshold; kept although the answer is a 4xx."""
    person_id = person.id
    _add_failure(person)
    # The refusal rolls the request back: the edge adds the failure again in a transaction of its own.
    keep_after_rollback(lambda: _add_failure(db.session.get(Person, person_id)), even_after_error=True)


def _add_failure(person: Person | None) -> None:
    if person is None:
        return
    person.failed_sign_ins = (person.failed_sign_ins or 0) + 1
    if person.failed_sign_ins >= LOCKOUT_THRESHOLD:
        person.locked_until = now_utc() + LOCKOUT_DURATION
        person.failed_sign_ins = 0
        audit.record(
            "auth.break_glass_locked",
            actor_id=person.id,
            object_type="people",
            object_id=person.id,
            data={"minutes": int(LOCKOUT_DURATION.total_seconds() // 60)},
        )
        logger.warning("Break-glass account %s locked after %s failures", person.id, LOCKOUT_THRESHOLD)
        return
    audit.record(
        "auth.break_glass_refused",
        actor_id=person.id,
        object_type="people",
        object_id=person.id,
        data={"reason": "bad_credentials"},
    )


def _password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _get_dummy_hash() -> str:
    # Computed once per process, on first need (hashing is deliberately slow).
    return _hasher.hash("not-a-real-password-only-for-timing")
