"""What a client's consents do not cover yet, told to the owning agency's worker with a way to fix it.

The consent indicator used to list only the visible and hidden field groups. The owner's worker needs
to know, before the meeting or the referral, what the consents on file leave out: no consent to share
with the 통합사례회의, no consent for a referral to the agency the case was referred to, a consent that
runs out within 30 days, consents or field groups the client withdrew, and 처리정지. Every answer about
what another agency may receive is the disclosure policy's own (:func:`consents.policy.decide` and
:func:`consents.policy.conference_shares` on the facts the gate loads, through
:func:`consents.gate.decide_for`); this module only phrases the facts, it decides nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from agencies.models import Agency
from cases.fields import FIELD_GROUPS
from consents import gate
from consents.models import ConsentPurpose, RecipientKind
from consents.policy import ANY_ATTENDEE, GrantFacts, conference_shares, grant_is_active
from consents.queries import suspended_client_ids
from hamkke.db import db
from hamkke.time import today_local

if TYPE_CHECKING:
    from cases.models import Client

#: a consent that ends within this many days is announced, so a new one can be signed in time
EXPIRY_NOTICE_DAYS = 30


@dataclass(frozen=True)
class ConsentGap:
    """One thing the consents on file do not cover, with what recording a new consent would preselect."""

    #: ``suspended``, ``conference``, ``referral``, ``referral_agency``, ``expiring``, ``expired``,
    #: ``withdrawn`` or ``withdrawn_groups``
    kind: str
    #: the purpose a new consent would be for (a ``ConsentPurpose`` value)
    purpose: str
    #: who a new consent would name as recipient (a ``RecipientKind`` value)
    recipient_kind: str
    recipient_agency_id: int | None = None
    #: a named agency's name (the page words the network, a conference or the owner itself)
    recipient: str = ""
    #: the last day of an expiring or expired consent
    until: date | None = None
    #: labels of the field groups concerned (withdrawn ones)
    groups: tuple[str, ...] = ()

    @property
    def purpose_label(self) -> str:
        """Return the purpose in Korean."""
        return ConsentPurpose(self.purpose).label

    @property
    def link_args(self) -> dict[str, str | int]:
        """Return the query of ``consents.new_consent`` that preselects this purpose and recipient."""
        args: dict[str, str | int] = {"purpose": self.purpose, "recipient_kind": self.recipient_kind}
        if self.recipient_agency_id is not None:
            args["recipient_agency_id"] = self.recipient_agency_id
        return args


@dataclass(frozen=True)
class ConsentCoverage:
    """Everything the owner should know is missing, in the order a worker would act on it."""

    gaps: tuple[ConsentGap, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.gaps)


def _recipient_words(grant: GrantFacts, names: dict[int, str]) -> str:
    """Name an agency recipient (never a row id); the page words the network or conference itself."""
    if grant.recipient_kind == RecipientKind.agency and grant.recipient_agency_id is not None:
        return names.get(grant.recipient_agency_id, "")
    return ""


def _agency_names(agency_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(agency_ids))
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(wanted)))
    return dict(rows.tuples().all())


def _same_recipient(a: GrantFacts, b: GrantFacts) -> bool:
    return (a.purpose, a.recipient_kind, a.recipient_agency_id, a.conference_id, a.district_id) == (
        b.purpose,
        b.recipient_kind,
        b.recipient_agency_id,
        b.conference_id,
        b.district_id,
    )


def _gap_for(
    kind: str,
    grant: GrantFacts,
    names: dict[int, str],
    *,
    until: date | None = None,
    groups: tuple[str, ...] = (),
) -> ConsentGap:
    return ConsentGap(
        kind=kind,
        purpose=grant.purpose,
        recipient_kind=grant.recipient_kind,
        recipient_agency_id=grant.recipient_agency_id,
        recipient=_recipient_words(grant, names),
        until=until,
        groups=groups,
    )


def _renewed(grant: GrantFacts, active: Sequence[GrantFacts], *, ended: bool) -> bool:
    """Tell whether another consent in force covers the same recipient (for longer, if this one runs)."""
    for other in active:
        if other.consent_id == grant.consent_id or not _same_recipient(grant, other):
            continue
        if ended or other.valid_until is None:
            return True
        if grant.valid_until is not None and other.valid_until > grant.valid_until:
            return True
    return False


def _ended_kind(grant: GrantFacts, on: date) -> str | None:
    """Return ``withdrawn`` or ``expired`` for a grant no longer in force for that reason, else None."""
    if grant.revoked:
        return "withdrawn"
    if grant.case_closed or (grant.valid_until is not None and grant.valid_until < on):
        return "expired"
    return None


def _lifecycle_gaps(facts: Sequence[GrantFacts], on: date, names: dict[int, str]) -> list[ConsentGap]:
    """Return expiring, expired and withdrawn grants that no other grant in force replaces."""
    active = [grant for grant in facts if grant_is_active(grant, on)]
    gaps: list[ConsentGap] = []
    seen: set[tuple[str, str, int | None, int | None]] = set()
    for grant in facts:
        ended = _ended_kind(grant, on)
        if grant.recipient_kind == RecipientKind.collector or _renewed(
            grant, active, ended=ended is not None
        ):
            # Collection and use by the owner reaches no one else; a renewed consent needs nothing new.
            continue
        if ended is not None:
            key = (ended, grant.purpose, grant.recipient_agency_id, grant.conference_id)
            if key not in seen:
                seen.add(key)
                gaps.append(_gap_for(ended, grant, names, until=grant.valid_until))
            continue
        if not grant_is_active(grant, on):
            # Signed for a start still ahead: nothing is missing yet.
            continue
        withdrawn = grant.revoked_groups & grant.field_groups
        if withdrawn:
            labels = tuple(FIELD_GROUPS[code].label for code in FIELD_GROUPS if code in withdrawn)
            gaps.append(_gap_for("withdrawn_groups", grant, names, groups=labels))
        if grant.valid_until is not None and grant.valid_until <= on + timedelta(days=EXPIRY_NOTICE_DAYS):
            gaps.append(_gap_for("expiring", grant, names, until=grant.valid_until))
    return gaps


def consent_coverage(
    client: Client, *, district_id: int, recipients: Sequence[Agency] = (), on: date | None = None
) -> ConsentCoverage:
    """Return what the client's consents do not cover now, for the owning agency's worker.

    :param recipients: agencies the case was (or is being) referred to; each one that may receive
        nothing under a referral consent gets its own line.
    """
    day = on or today_local()
    facts = gate.load_grant_facts([client.id])[client.id]
    suspended = client.id in suspended_client_ids([client.id])
    subject = gate.subject_facts(client, day, suspended=suspended)
    names = _agency_names(
        [grant.recipient_agency_id for grant in facts if grant.recipient_agency_id is not None]
        + [agency.id for agency in recipients]
    )
    if suspended:
        # 처리정지: the policy passes nothing to anyone, so a new consent would not help either.
        suspension = ConsentGap(kind="suspended", purpose="case_management", recipient_kind="collector")
        return ConsentCoverage(gaps=(suspension, *_lifecycle_gaps(facts, day, names)))
    gaps: list[ConsentGap] = []
    # The policy's own answer for "an attending agency of this district's conferences that no grant names".
    if not conference_shares(
        subject, conference_id=ANY_ATTENDEE, district_id=district_id, on=day, grants=facts
    ):
        gaps.append(
            ConsentGap(
                kind="conference",
                purpose=ConsentPurpose.conference_sharing.value,
                recipient_kind=RecipientKind.network.value,
            )
        )
    referral = ConsentPurpose.referral.value
    referral_in_force = any(
        grant.purpose == referral and grant_is_active(grant, day) and not grant.revoked for grant in facts
    )
    for agency in recipients:
        if agency.id == client.owning_agency_id:
            continue
        if not gate.groups_allowed_now(client, agency, purpose=referral):
            gaps.append(
                ConsentGap(
                    kind="referral_agency",
                    purpose=referral,
                    recipient_kind=RecipientKind.agency.value,
                    recipient_agency_id=agency.id,
                    recipient=names.get(agency.id, agency.name),
                )
            )
    if not referral_in_force and not any(gap.kind == "referral_agency" for gap in gaps):
        gaps.append(ConsentGap(kind="referral", purpose=referral, recipient_kind=RecipientKind.agency.value))
    gaps.extend(_lifecycle_gaps(facts, day, names))
    return ConsentCoverage(gaps=tuple(gaps))
