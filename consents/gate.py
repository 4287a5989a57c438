"""The disclosure gate: the one way any module obtains a client's personal data for an actor.

Every call decides the visible field groups with :func:`consents.policy.decide` (owner: everything;
others: what an active consent grants for that purpose, recipient and date), copies only those values
into a :class:`ClientView`, and appends one access-log row per client disclosed. Views never read
personal columns themselves, so changing the rules here changes every page at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.orm import selectinload

from cases.fields import FIELD_GROUPS, OUT_OF_SCOPE
from consents import access_log
from consents.models import AccessChannel, Consent
from consents.policy import ConferenceContext, Decision, GrantFacts, SubjectFacts, ViewerFacts, decide
from hamkke.crypto import decrypt_text
from hamkke.db import db
from hamkke.errors import NotFound
from hamkke.time import now_utc, today_local

if TYPE_CHECKING:
    from agencies.models import Agency, Person
    from cases.models import Client

Record = Mapping[str, Any]


@dataclass(frozen=True)
class ClientView:
    """A read-only view of one client: the visible field groups' values, placeholders for the rest."""

    client_id: int
    owning_agency_id: int
    visible_groups: frozenset[str]
    _values: Mapping[str, Mapping[str, Any]] = field(repr=False)
    _records: Mapping[str, tuple[Record, ...]] = field(repr=False)
    household_id: int | None = None
    purpose: str = "case_management"
    #: the viewer's agency collected the record (sees it all, on the basis ``owner``)
    is_owner: bool = True
    #: ``owner`` or ``consent:<ids>``, as written to the access log
    basis: str = "owner"
    #: group → ids of the consents that allow it
    consent_basis: Mapping[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> int:
        """Return the client id (ids are not personal data)."""
        return self.client_id

    @property
    def hidden_groups(self) -> tuple[str, ...]:
        """Return the field groups outside the viewer's scope, in registry order."""
        return tuple(code for code in FIELD_GROUPS if code not in self.visible_groups)

    def can_see(self, group: str) -> bool:
        """Tell whether a field group is inside what this viewer may see."""
        return group in self.visible_groups

    def value(self, group: str, name: str) -> Any:
        """Return a field's value, or the neutral placeholder when its group is withheld."""
        if group not in FIELD_GROUPS:
            raise KeyError(group)
        if group not in self.visible_groups:
            return OUT_OF_SCOPE
        return self._values[group].get(name)

    def get(self, name: str) -> Any:
        """Return a client attribute by name (its group looked up), or the placeholder."""
        for code, group in FIELD_GROUPS.items():
            if name in group.columns:
                return self.value(code, name)
        raise KeyError(name)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def records(self, table: str) -> tuple[Record, ...]:
        """Return the case records of a relation (e.g. ``case_needs``); empty when withheld."""
        return self._records.get(table, ())

    @property
    def name(self) -> str:
        """The client's name, or the placeholder."""
        return str(self.value("basic", "name"))

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for APIs and sockets, placeholders in place of withheld fields."""
        fields: dict[str, Any] = {}
        for code, group in FIELD_GROUPS.items():
            for column in group.columns:
                value = self.value(code, column)
                fields[column] = value.isoformat() if isinstance(value, date) else value
        return {
            "id": self.client_id,
            "household_id": self.household_id,
            "purpose": self.purpose,
            "visible_groups": sorted(self.visible_groups),
            "is_owner": self.is_owner,
            "fields": fields,
        }


def mask_rrn(rrn: str) -> str:
    """Show a 주민등록번호 as ``YYMMDD-G******`` (birth date and sex digit only)."""
    digits = rrn.replace("-", "")
    return f"{digits[:6]}-{digits[6:7]}******" if len(digits) >= 7 else "******-*******"


def _column_values(client: Client, columns: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in columns:
        if name == "rrn_masked":
            # The number is decrypted only to be masked; the plain value never leaves this function.
            values[name] = mask_rrn(decrypt_text(client.rrn_encrypted)) if client.rrn_encrypted else None
        else:
            values[name] = getattr(client, name)
    return values


def _as_record(row: Any) -> Record:
    data = {attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs}
    for nested in ("goals", "services"):
        if hasattr(row, nested):
            data[nested] = tuple(_as_record(child) for child in getattr(row, nested))
    return MappingProxyType(data)


def _load_records(
    client: Client, groups: frozenset[str], case_id: int | None
) -> dict[str, tuple[Record, ...]]:
    from cases import models

    tables: dict[str, Any] = {
        mapper.class_.__tablename__: mapper.class_
        for mapper in models.Model.registry.mappers
        if mapper.class_.__module__ == models.__name__
    }
    if case_id is not None:
        # A case id from the caller is only honoured for this client's own household.
        case = db.session.get(models.Case, case_id)
        if case is None or case.household_id != client.household_id:
            case_id = None
    loaded: dict[str, tuple[Record, ...]] = {}
    for code in groups:
        for table in FIELD_GROUPS[code].relations:
            if table == "households":
                loaded[table] = (_as_record(client.household),)
                continue
            if case_id is None:
                continue
            model = tables[table]
            rows = db.session.scalars(sa.select(model).where(model.case_id == case_id).order_by(model.id))
            loaded[table] = tuple(_as_record(row) for row in rows)
    return loaded


def _viewer_facts(actor: Person | None, acting_agency_id: int | None) -> ViewerFacts:
    from agencies.access import active_memberships
    from agencies.models import AgencySector

    for membership in active_memberships(actor):
        if membership.agency_id == acting_agency_id:
            agency = membership.agency
            return ViewerFacts(
                agency_id=agency.id,
                district_id=agency.district_id,
                is_public=agency.sector == AgencySector.public,
            )
    # Someone who does not act for that agency sees nothing; existence is not revealed either.
    raise NotFound("대상자를 찾을 수 없습니다.", english="The client does not exist.")


def _is_under_14(birth_date: date | None, on: date) -> bool:
    if birth_date is None:
        return False
    years = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return years < 14


def grant_facts(consent: Consent, closed_case_ids: frozenset[int]) -> Iterator[GrantFacts]:
    """Turn one stored consent (grants and revocations loaded) into policy facts as of now."""
    now = now_utc()
    revocations = [revocation for revocation in consent.revocations if revocation.revoked_at <= now]
    whole_consent = [r for r in revocations if r.grant_id is None]
    consent_revoked = any(not r.field_groups for r in whole_consent)
    consent_revoked_groups = {code for r in whole_consent for code in r.field_groups}
    for grant in consent.grants:
        mine = [r for r in revocations if r.grant_id == grant.id]
        yield GrantFacts(
            consent_id=consent.id,
            purpose=str(grant.purpose),
            recipient_kind=str(grant.recipient_kind),
            field_groups=frozenset(grant.field_groups),
            valid_from=consent.valid_from,
            valid_until=consent.valid_until,
            recipient_agency_id=grant.recipient_agency_id,
            conference_id=grant.conference_id,
            district_id=grant.district_id,
            case_closed=consent.valid_until is None and consent.case_id in closed_case_ids,
            signer_capacity=str(consent.signer_capacity),
            includes_sensitive=consent.includes_sensitive,
            includes_unique_id=consent.includes_unique_id,
            rrn_statutory_basis=consent.rrn_statutory_basis,
            revoked=consent_revoked or any(not r.field_groups for r in mine),
            revoked_groups=frozenset(
                consent_revoked_groups | {code for r in mine for code in r.field_groups}
            ),
        )


def load_grant_facts(client_ids: Sequence[int]) -> dict[int, list[GrantFacts]]:
    """Load every consent of these clients, fresh from the database, as grant facts per client."""
    from cases.models import Case, CaseStage

    facts: dict[int, list[GrantFacts]] = {client_id: [] for client_id in client_ids}
    if not client_ids:
        return facts
    # populate_existing: a revocation committed by another request is seen on the very next read.
    consents = db.session.scalars(
        sa.select(Consent)
        .where(Consent.client_id.in_(client_ids))
        .options(selectinload(Consent.grants), selectinload(Consent.revocations))
        .execution_options(populate_existing=True)
    ).all()
    case_ids = {consent.case_id for consent in consents if consent.case_id is not None}
    closed: frozenset[int] = frozenset()
    if case_ids:
        closed = frozenset(
            db.session.scalars(
                sa.select(Case.id).where(Case.id.in_(case_ids), Case.stage == CaseStage.closed)
            )
        )
    for consent in consents:
        facts[consent.client_id].extend(grant_facts(consent, closed))
    return facts


def _conference(context: Mapping[str, Any] | None) -> ConferenceContext | None:
    if not context or context.get("conference_id") is None:
        return None
    return ConferenceContext(
        conference_id=int(context["conference_id"]),
        attending_agency_ids=frozenset(
            int(agency_id) for agency_id in context.get("attending_agency_ids", ())
        ),
    )


def _build_view(client: Client, decision: Decision, purpose: str, case_id: int | None) -> ClientView:
    values = {
        code: MappingProxyType(_column_values(client, group.columns) if code in decision.groups else {})
        for code, group in FIELD_GROUPS.items()
    }
    records = _load_records(client, decision.groups, case_id)
    return ClientView(
        client_id=client.id,
        owning_agency_id=client.owning_agency_id,
        visible_groups=decision.groups,
        _values=MappingProxyType(values),
        _records=MappingProxyType(records),
        household_id=client.household_id,
        purpose=purpose,
        is_owner=decision.is_owner,
        basis=decision.basis_label,
        consent_basis=MappingProxyType(dict(decision.basis)),
    )


def decide_for(
    client: Client, viewer: ViewerFacts, *, purpose: str, context: Mapping[str, Any] | None
) -> Decision:
    """Decide (without logging) what a viewer may see of one client now."""
    today = today_local()
    subject = SubjectFacts(
        client_id=client.id,
        owning_agency_id=client.owning_agency_id,
        is_under_14=_is_under_14(client.birth_date, today),
    )
    facts = load_grant_facts([client.id])[client.id]
    return decide(subject, viewer, purpose=purpose, on=today, grants=facts, conference=_conference(context))


def view_clients(
    clients: Iterable[Client],
    actor: Person | None,
    *,
    purpose: str,
    acting_agency_id: int | None,
    context: Mapping[str, Any] | None = None,
    channel: AccessChannel | str = AccessChannel.page,
    reason: str | None = None,
) -> list[ClientView]:
    """Return views of the clients the actor may see (the rest are left out), logging each disclosure.

    :param context: ``case_id`` (include that case's records), ``conference_id`` and
        ``attending_agency_ids`` (a view inside a conference, checked by the conference module).
    :param channel: where the data goes (page, api, socket, letter, email, export, download).
    """
    if actor is None or acting_agency_id is None:
        return []
    viewer = _viewer_facts(actor, acting_agency_id)
    present = [client for client in clients if not client.is_deleted]
    facts = load_grant_facts([client.id for client in present])
    conference = _conference(context)
    case_id = (context or {}).get("case_id")
    today = today_local()
    views: list[ClientView] = []
    for client in present:
        subject = SubjectFacts(
            client_id=client.id,
            owning_agency_id=client.owning_agency_id,
            is_under_14=_is_under_14(client.birth_date, today),
        )
        decision = decide(
            subject, viewer, purpose=purpose, on=today, grants=facts[client.id], conference=conference
        )
        if not decision.groups:
            continue
        access_log.log_disclosure(
            actor_id=actor.id,
            agency_id=viewer.agency_id,
            client_id=client.id,
            field_groups=decision.groups,
            purpose=purpose,
            channel=channel,
            basis=decision.basis_label,
            reason=reason,
        )
        views.append(_build_view(client, decision, purpose, int(case_id) if case_id is not None else None))
    return views


def view_client(
    client: Client,
    actor: Person | None,
    *,
    purpose: str,
    acting_agency_id: int | None,
    context: Mapping[str, Any] | None = None,
    channel: AccessChannel | str = AccessChannel.page,
    reason: str | None = None,
) -> ClientView:
    """Return what ``actor``, acting for ``acting_agency_id``, may see of ``client`` for ``purpose``.

    :raises NotFound: when nothing is visible (no membership, no active consent): 404, not 403.
    """
    if actor is None or acting_agency_id is None:
        raise NotFound("대상자를 찾을 수 없습니다.", english="The client does not exist.")
    views = view_clients(
        [client],
        actor,
        purpose=purpose,
        acting_agency_id=acting_agency_id,
        context=context,
        channel=channel,
        reason=reason,
    )
    if not views:
        raise NotFound("대상자를 찾을 수 없습니다.", english="The client does not exist.")
    return views[0]


def groups_allowed_now(client: Client, agency: Agency, *, purpose: str) -> frozenset[str]:
    """Return, without logging, the groups an agency may receive now (send-time re-checks)."""
    from agencies.models import AgencySector

    viewer = ViewerFacts(
        agency_id=agency.id, district_id=agency.district_id, is_public=agency.sector == AgencySector.public
    )
    if client.is_deleted:
        return frozenset()
    return decide_for(client, viewer, purpose=purpose, context=None).groups


def field_values(client: Client, groups: Iterable[str]) -> dict[str, Any]:
    """Return the client's values for the given field groups only (column → value, RRN masked).

    For channels rendered without a signed-in viewer (letters built by the worker): the caller has
    already narrowed ``groups`` with :func:`groups_allowed_now` and logs the disclosure itself.
    """
    wanted = set(groups)
    values: dict[str, Any] = {}
    for code, group in FIELD_GROUPS.items():
        if code in wanted:
            values.update(_column_values(client, group.columns))
    return values
