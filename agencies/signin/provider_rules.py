"""What binds an identity provider to the agencies that trust it, checked when it is registered.

A provider may sign in only people it can vouch for as staff of its own agencies. Two rules can do
that: allowed e-mail domains that belong to the agencies (an organisation's own domain, never a
public mail service anyone can sign up to, and never a domain another provider already vouches
for), or the claim rule, whose agency codes only ever match agencies bound to the provider. The
sign-in itself (``agencies.signin.services``) never links a provider's account to a person of an
agency that does not trust that provider, whatever the e-mail says.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from agencies.models import IdentityProvider
from hamkke.db import db
from hamkke.errors import ValidationFailed

#: public mail services: anyone can hold an address there, so such a domain binds nobody to an agency
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "kakao.com",
        "nate.com",
        "empas.com",
        "korea.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.kr",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
    }
)


def check_binding(domains: Sequence[str], claim: str | None, *, existing: IdentityProvider | None) -> None:
    """Refuse a provider that is not bound to its own agencies' staff (Korean message, field marked).

    :raises ValidationFailed: no rule at all, a public mail domain, or a domain that another
        registered provider already allows.
    """
    if not domains and not claim:
        # Without either rule anybody with an account at the provider could claim to be staff.
        raise ValidationFailed(
            "허용할 전자우편 도메인이나 기관 클레임 규칙 중 하나 이상을 정해 주세요.",
            field="allowed_email_domains",
            english="Set allowed e-mail domains or a claim rule (or both).",
        )
    public = sorted(domain for domain in domains if domain.lower() in PUBLIC_MAIL_DOMAINS)
    if public:
        raise ValidationFailed(
            f"{public[0]} 도메인은 누구나 가입할 수 있는 전자우편 서비스라 기관 직원을 구별하지 못합니다. "
            "기관 고유의 도메인을 적거나 비워 두고 클레임 규칙을 쓰세요.",
            field="allowed_email_domains",
            english="A public mail domain does not identify an agency's staff.",
        )
    taken = _domains_of_other_providers(existing)
    overlap = sorted(domain for domain in domains if domain.lower() in taken)
    if overlap:
        raise ValidationFailed(
            f"'{overlap[0]}' 도메인은 이미 다른 인증 서버가 허용하고 있습니다. "
            "한 도메인은 한 인증 서버만 보증할 수 있습니다.",
            field="allowed_email_domains",
            english="Another identity provider already allows this domain.",
        )


def _domains_of_other_providers(existing: IdentityProvider | None) -> set[str]:
    rows = db.session.scalars(
        sa.select(IdentityProvider.allowed_email_domains).where(
            IdentityProvider.id != (existing.id if existing is not None else -1)
        )
    )
    return {str(domain).lower() for domains in rows for domain in (domains or [])}
