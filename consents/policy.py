"""The disclosure policy as a pure function: which field groups a viewer may see, and why.

No database, no Flask (the field-group registry is plain data): the gate loads the facts and calls
:func:`decide`; the property test calls it with generated facts by the ten thousand and compares it
with an independent oracle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from cases.fields import FIELD_GROUPS, OUT_OF_SCOPE
from hamkke.korean import particle

#: every field group of the case record, in registry order
ALL_GROUPS: tuple[str, ...] = tuple(FIELD_GROUPS)
#: 고유식별정보 (PIPA 제24조, 제24조의2): separate consent, and only to public agencies with a statute
UNIQUE_ID_GROUPS: frozenset[str] = frozenset({"unique_id"})
#: 민감정보 (PIPA 제23조) such as 건강정보: shared only under a separate, explicit consent
SENSITIVE_GROUPS: frozenset[str] = frozenset(
    code for code, group in FIELD_GROUPS.items() if group.sensitive
) - (UNIQUE_ID_GROUPS)
#: what a viewer sees instead of a field outside the consent
PLACEHOLDER = OUT_OF_SCOPE

PURPOSES: tuple[str, ...] = ("case_management", "conference_sharing", "referral", "follow_up")

#: versioned notice wordings; a new wording gets a new key and the old ones stay (consents name theirs)
NOTICE_TEMPLATES: dict[str, dict[str, str]] = {
    "2026-11": {
        "title": "사례관리 및 개인정보 수집·이용·제3자 제공 동의서",
        "preamble": (
            "{agency}{eun} 「개인정보 보호법」 제15조·제17조·제22조에 따라 "
            "아래 내용을 알려드리고 동의를 받습니다. "
            "동의하신 목적 외로는 이용하거나 제공하지 않으며, "
            "언제든지 동의를 철회하거나 열람·정정·삭제·처리정지를 요구하실 수 있습니다."
        ),
        "signer": "정보주체: {subject} / 서명자: {signer} ({capacity})",
        "grant": (
            "[{purpose}] ① 제공받는 자: {recipient} ② 이용 목적: {recipient_purpose} ③ 항목: {items} "
            "④ 보유·이용 기간: {retention} ⑤ 거부할 권리 및 불이익: {refusal}"
        ),
        "sensitive": "건강정보(민감정보) 처리에 대한 별도 동의: {answer}",
        "unique_id": "고유식별정보 처리에 대한 별도 동의: {answer}",
        "validity": "동의 유효기간: {validity}",
    }
}
CURRENT_NOTICE_VERSION = "2026-11"


@dataclass(frozen=True)
class GrantFacts:
    """What the policy needs to know about one grant of one consent, as of the decision time."""

    consent_id: int
    purpose: str
    recipient_kind: str
    field_groups: frozenset[str]
    valid_from: date
    valid_until: date | None
    recipient_agency_id: int | None = None
    conference_id: int | None = None
    district_id: int | None = None
    #: the consent runs until the case closes, and that case is closed
    case_closed: bool = False
    signer_capacity: str = "self"
    includes_sensitive: bool = False
    includes_unique_id: bool = False
    rrn_statutory_basis: str | None = None
    #: the whole consent or this whole grant was revoked
    revoked: bool = False
    #: field groups withdrawn from this grant by partial revocations
    revoked_groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ViewerFacts:
    """The agency on whose behalf someone looks."""

    agency_id: int
    district_id: int
    is_public: bool = False


@dataclass(frozen=True)
class SubjectFacts:
    """The client whose data is asked for."""

    client_id: int
    owning_agency_id: int
    #: under 14: only a 법정대리인's consent counts (PIPA 제22조의2)
    is_under_14: bool = False
    #: 처리정지 (PIPA 제37조) in force: no consent carries anything to another agency
    processing_suspended: bool = False


@dataclass(frozen=True)
class ConferenceContext:
    """The conference a view is for, with the agencies attending it."""

    conference_id: int
    attending_agency_ids: frozenset[int]


@dataclass(frozen=True)
class Decision:
    """The field groups a viewer may see, and on which basis each was allowed."""

    groups: frozenset[str]
    is_owner: bool
    #: group → ids of the consents that allow it (empty for the owner)
    basis: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def basis_label(self) -> str:
        """Return the basis as stored in the access log: ``owner`` or ``consent:<ids>``."""
        if self.is_owner:
            return "owner"
        ids = sorted({consent_id for ids in self.basis.values() for consent_id in ids})
        return "consent:" + ",".join(str(consent_id) for consent_id in ids) if ids else "none"


def grant_is_active(grant: GrantFacts, on: date) -> bool:
    """Return whether the grant is in force on ``on`` (started, not expired, not revoked, case open)."""
    if grant.revoked or grant.case_closed:
        return False
    if on < grant.valid_from:
        return False
    return grant.valid_until is None or on <= grant.valid_until


def _recipient_matches(
    grant: GrantFacts, viewer: ViewerFacts, purpose: str, conference: ConferenceContext | None
) -> bool:
    if grant.purpose != purpose:
        return False
    if grant.recipient_kind == "agency":
        return grant.recipient_agency_id == viewer.agency_id
    if grant.recipient_kind == "conference":
        # The conference context comes from the conference module, which checks attendance; a grant
        # for conference X never covers a view outside that conference.
        return (
            conference is not None
            and grant.conference_id == conference.conference_id
            and viewer.agency_id in conference.attending_agency_ids
        )
    if grant.recipient_kind == "network":
        return grant.district_id == viewer.district_id
    # "collector" grants are collection and use by the owning agency; they never reach anyone else.
    return False


def groups_of_grant(grant: GrantFacts, viewer: ViewerFacts) -> frozenset[str]:
    """Return the groups a matching, active grant carries to this viewer after the separate-consent rules."""
    groups = set(grant.field_groups) - grant.revoked_groups
    if not grant.includes_sensitive:
        groups -= SENSITIVE_GROUPS
    if not (grant.includes_unique_id and viewer.is_public and grant.rrn_statutory_basis):
        groups -= UNIQUE_ID_GROUPS
    return frozenset(groups & set(ALL_GROUPS))


def decide(
    subject: SubjectFacts,
    viewer: ViewerFacts,
    *,
    purpose: str,
    on: date,
    grants: Iterable[GrantFacts],
    conference: ConferenceContext | None = None,
) -> Decision:
    """Decide which field groups of ``subject`` the ``viewer`` may see for ``purpose`` on ``on``."""
    if viewer.agency_id == subject.owning_agency_id:
        return Decision(groups=frozenset(ALL_GROUPS), is_owner=True)
    if subject.processing_suspended:
        return Decision(groups=frozenset(), is_owner=False)
    basis: dict[str, list[int]] = {}
    for grant in grants:
        if subject.is_under_14 and grant.signer_capacity != "legal_representative":
            continue
        if not grant_is_active(grant, on) or not _recipient_matches(grant, viewer, purpose, conference):
            continue
        for group in groups_of_grant(grant, viewer):
            basis.setdefault(group, []).append(grant.consent_id)
    return Decision(
        groups=frozenset(basis),
        is_owner=False,
        basis={group: tuple(sorted(set(ids))) for group, ids in basis.items()},
    )


#: no agency has this id: a viewer standing for "any attending agency that is not named in a grant"
ANY_ATTENDEE = 0


def conference_shares(
    subject: SubjectFacts,
    *,
    conference_id: int,
    district_id: int,
    on: date,
    grants: Iterable[GrantFacts],
) -> bool:
    """Tell whether the client's data goes into a conference's shared room (its SOAP text and actions).

    The same decision as :func:`decide` for an attending agency of the conference's district that no
    grant names individually: a ``conference_sharing`` grant for this conference or for the district's
    network, in force, signed by someone who may sign, and no 처리정지.
    """
    viewer = ViewerFacts(agency_id=ANY_ATTENDEE, district_id=district_id, is_public=False)
    conference = ConferenceContext(
        conference_id=conference_id, attending_agency_ids=frozenset({ANY_ATTENDEE})
    )
    decision = decide(
        subject, viewer, purpose="conference_sharing", on=on, grants=grants, conference=conference
    )
    return bool(decision.groups)


def notice_hash(text: str) -> str:
    """Return the SHA-256 hex digest of a notice text as shown."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NoticeGrant:
    """One grant's five notice items, as the client is told them."""

    purpose_label: str
    recipient: str
    recipient_purpose: str
    items: str
    retention: str
    refusal: str


def render_notice(
    *,
    version: str,
    agency: str,
    subject: str,
    signer: str,
    capacity: str,
    grants: Sequence[NoticeGrant],
    includes_sensitive: bool,
    includes_unique_id: bool,
    validity: str,
) -> str:
    """Return the exact notice text shown to the client for these grants (stored with the consent)."""
    template = NOTICE_TEMPLATES[version]
    lines = [
        template["title"],
        # The particle follows the agency's name (…센터는, …복지관은), never both forms written out.
        template["preamble"].format(agency=agency, eun=particle(agency, "은")),
        template["signer"].format(subject=subject, signer=signer, capacity=capacity),
    ]
    lines.extend(
        template["grant"].format(
            purpose=grant.purpose_label,
            recipient=grant.recipient,
            recipient_purpose=grant.recipient_purpose,
            items=grant.items,
            retention=grant.retention,
            refusal=grant.refusal,
        )
        for grant in grants
    )
    lines.append(template["sensitive"].format(answer="동의함" if includes_sensitive else "동의하지 않음"))
    lines.append(template["unique_id"].format(answer="동의함" if includes_unique_id else "동의하지 않음"))
    lines.append(template["validity"].format(validity=validity))
    return "\n".join(lines)
