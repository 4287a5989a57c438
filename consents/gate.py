"""The disclosure gate: the one way any module obtains a client's personal data for an actor.

Every call decides the visible field groups with :func:`consents.policy.decide` (owner: everything;
others: what an active consent grants for that purpose, recipient and date), copies only those values
into a :class:`ClientView`, and appends one access-log row per client disclosed. Views never read
personal columns themselves, so changing the rules here changes every page at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import selectinload

from agencies.access import active_memberships
from agencies.models import Agency, AgencySector
from cases import models
from cases.fields import FIELD_GROUPS, OUT_OF_SCOPE
from cases.models import Case, CaseStage, Household
from consents import access_log
from consents.models import AccessChannel, Consent, ConsentGrant, ConsentPurpose, ConsentRevocation
from consents.policy import (
    PURPOSES,
    ConferenceContext,
    Decision,
    GrantFacts,
    SubjectFacts,
    ViewerFacts,
    decide,
)
from consents.queries import suspended_client_ids
from hamkke.audit import record_refusal
from hamkke.crypto import decrypt_text
from hamkke.db import Model, db
from hamkke.errors import NotFound
from hamkke.time import now_utc, today_local

if TYPE_CHECKING:
    from agencies.models import Person
    from cases.models import Client

Record = Mapping[str, Any]


@dataclass(frozen=True)
class ScopeReason:
    """One consent that lets a non-owner see some groups: for which purpose, to whom, until when."""

    consent_id: int
    purpose_label: str
    #: the recipient as the client was told (notice item ①)
    recipient: str
    valid_from: date
    #: None: until the case closes
    valid_until: date | None
    groups: tuple[str, ...]


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
    #: the agency that collected the record (agency names are not personal data)
    owning_agency_name: str = ""
    #: for a non-owner: each consent the visible groups rest on, with purpose, recipient and validity
    reasons: tuple[ScopeReason, ...] = ()

    @property
    def purpose_label(self) -> str:
        """Return the Korean name of the purpose the view was asked for."""
        try:
            return ConsentPurpose(self.purpose).label
        except ValueError:
            return self.purpose

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


#: relations copied into a record with their parent (a plan's goals and services, a 위기도's items)
_NESTED = ("goals", "services", "items")


def _as_record(row: Any) -> Record:
    data = {attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs}
    for nested in _NESTED:
        if hasattr(row, nested):
            data[nested] = tuple(_as_record(child) for child in getattr(row, nested))
    return MappingProxyType(data)


@cache
def _case_tables() -> dict[str, Any]:
    """Map each cases table name to its model (the registry is fixed once the models are imported)."""
    # The cases models live in one submodule per aggregate under the ``cases.models`` package.
    return {
        mapper.class_.__tablename__: mapper.class_
        for mapper in Model.registry.mappers
        if mapper.class_.__module__.startswith(f"{models.__name__}.")
    }


class _RecordLoader:
    """Loads the case records for a batch of views: each household and each case table at most once."""

    def __init__(self, clients: Sequence[Client], groups: Iterable[frozenset[str]], case_id: int | None):
        relations = {
            table for visible in groups for code in visible for table in FIELD_GROUPS[code].relations
        }
        self._households: dict[int, Record] = {}
        if "households" in relations:
            household_ids = {client.household_id for client in clients if client.household_id is not None}
            if household_ids:
                # Plain rows keyed by attribute name, as _as_record would give, without ORM objects.
                columns = [getattr(Household, attr.key) for attr in inspect(Household).column_attrs]
                rows = db.session.execute(sa.select(*columns).where(_id_in(Household.id, household_ids)))
                self._households = {row.id: MappingProxyType(row._asdict()) for row in rows}
        self._case_household_id: int | None = None
        self._case_id: int | None = None
        if case_id is not None:
            # A case id from the caller is only honoured for clients of that case's own household.
            case = db.session.get(Case, case_id)
            if case is not None:
                self._case_id = case.id
                self._case_household_id = case.household_id
        self._tables: dict[str, tuple[Record, ...]] = {}

    def _case_rows(self, table: str) -> tuple[Record, ...]:
        if table not in self._tables:
            model = _case_tables()[table]
            query = sa.select(model).where(model.case_id == self._case_id).order_by(model.id)
            # Nested rows (a plan's goals and services) in one query per relation, not one per plan.
            nested = [getattr(model, name) for name in _NESTED if hasattr(model, name)]
            if nested:
                query = query.options(*(selectinload(relation) for relation in nested))
            rows = db.session.scalars(query)
            self._tables[table] = tuple(_as_record(row) for row in rows)
        return self._tables[table]

    def records(self, client: Client, groups: frozenset[str]) -> dict[str, tuple[Record, ...]]:
        """Return the records of the visible groups' relations for one client."""
        with_case = self._case_id is not None and client.household_id == self._case_household_id
        loaded: dict[str, tuple[Record, ...]] = {}
        for code in groups:
            for table in FIELD_GROUPS[code].relations:
                if table == "households":
                    household = self._households.get(client.household_id) if client.household_id else None
                    if household is not None:
                        loaded[table] = (household,)
                    continue
                if with_case:
                    loaded[table] = self._case_rows(table)
        return loaded


def viewer_facts(actor: Person | None, acting_agency_id: int | None) -> ViewerFacts:
    """Return who is asking: the agency the actor acts for (404 when the actor does not act for it)."""
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


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One consent as the gate needs it: validity, signer facts, and its grants and revocations as rows."""

    id: int
    client_id: int
    case_id: int | None
    valid_from: date
    valid_until: date | None
    signer_capacity: str
    includes_sensitive: bool
    includes_unique_id: bool
    rrn_statutory_basis: str | None
    #: rows with id, purpose, recipient_kind, recipient_agency_id, conference_id, district_id,
    #: field_groups, notice_recipient (in id order)
    grants: tuple[Any, ...]
    #: rows with grant_id, field_groups, revoked_at
    revocations: tuple[Any, ...]


def grant_facts(
    consent: Consent | ConsentRecord, closed_case_ids: frozenset[int], *, now: datetime | None = None
) -> Iterator[GrantFacts]:
    """Turn one stored consent (grants and revocations loaded) into policy facts as of ``now``."""
    if now is None:
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


def _id_in(column: Any, ids: Collection[int]) -> sa.ColumnElement[bool]:
    """Return ``column IN ids``, as one array parameter on PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        # psycopg parses a statement with more than 50 parameters again on every execution; a page of
        # 1,000 ids as one array parameter is parsed once and cached.
        return column == sa.any_(sa.literal(list(ids), type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def _grant_rows(consent_rows: Sequence[Any], client_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Return the grant rows of these clients' consents, per consent id (part of :func:`_load_consents`)."""
    grants: dict[int, list[Any]] = {row.id: [] for row in consent_rows}
    for grant in db.session.execute(
        sa.select(
            ConsentGrant.consent_id,
            ConsentGrant.id,
            ConsentGrant.purpose,
            ConsentGrant.recipient_kind,
            ConsentGrant.recipient_agency_id,
            ConsentGrant.conference_id,
            ConsentGrant.district_id,
            ConsentGrant.field_groups,
            ConsentGrant.notice_recipient,
        )
        .join(Consent, Consent.id == ConsentGrant.consent_id)
        .where(_id_in(Consent.client_id, client_ids))
        .order_by(ConsentGrant.id)
    ):
        # A consent written after the first select (another request, no shared snapshot) is skipped.
        if grant.consent_id in grants:
            grants[grant.consent_id].append(grant)
    return grants


def _revocation_rows(consent_rows: Sequence[Any], client_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Return the revocation rows of these clients' consents, per consent id (as :func:`_grant_rows`)."""
    revocations: dict[int, list[Any]] = {row.id: [] for row in consent_rows}
    for revocation in db.session.execute(
        sa.select(
            ConsentRevocation.consent_id,
            ConsentRevocation.grant_id,
            ConsentRevocation.field_groups,
            ConsentRevocation.revoked_at,
        )
        .join(Consent, Consent.id == ConsentRevocation.consent_id)
        .where(_id_in(Consent.client_id, client_ids))
        .order_by(ConsentRevocation.id)
    ):
        if revocation.consent_id in revocations:
            revocations[revocation.consent_id].append(revocation)
    return revocations


def _closed_case_ids(consent_rows: Sequence[Any]) -> frozenset[int]:
    """Return which of the cases these consents were given for are closed (they end with the case)."""
    case_ids = {row.case_id for row in consent_rows if row.case_id is not None}
    closed: frozenset[int] = frozenset()
    if case_ids:
        closed = frozenset(
            db.session.scalars(
                sa.select(Case.id).where(_id_in(Case.id, case_ids), Case.stage == CaseStage.closed)
            )
        )
    return closed


def _load_consents(
    client_ids: Sequence[int],
) -> tuple[dict[int, list[GrantFacts]], dict[int, ConsentRecord]]:
    facts: dict[int, list[GrantFacts]] = {client_id: [] for client_id in client_ids}
    if not client_ids:
        return facts, {}
    # Plain rows from set-wise Core selects (one per table for all clients), never ORM objects: nothing
    # comes from the identity map, so a revocation committed by another request is seen on the next read.
    consent_rows = db.session.execute(
        sa.select(
            Consent.id,
            Consent.client_id,
            Consent.case_id,
            Consent.valid_from,
            Consent.valid_until,
            Consent.signer_capacity,
            Consent.includes_sensitive,
            Consent.includes_unique_id,
            Consent.rrn_statutory_basis,
        )
        .where(_id_in(Consent.client_id, client_ids))
        .order_by(Consent.id)
    ).all()
    if not consent_rows:
        return facts, {}
    grants = _grant_rows(consent_rows, client_ids)
    revocations = _revocation_rows(consent_rows, client_ids)
    closed = _closed_case_ids(consent_rows)
    records: dict[int, ConsentRecord] = {}
    # One instant for the whole batch: every client is judged against the same revocations.
    now = now_utc()
    for row in consent_rows:
        record = ConsentRecord(
            id=row.id,
            client_id=row.client_id,
            case_id=row.case_id,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            signer_capacity=row.signer_capacity,
            includes_sensitive=row.includes_sensitive,
            includes_unique_id=row.includes_unique_id,
            rrn_statutory_basis=row.rrn_statutory_basis,
            grants=tuple(grants[row.id]),
            revocations=tuple(revocations[row.id]),
        )
        records[record.id] = record
        facts[record.client_id].extend(grant_facts(record, closed, now=now))
    return facts, records


def load_grant_facts(client_ids: Sequence[int]) -> dict[int, list[GrantFacts]]:
    """Load every consent of these clients, fresh from the database, as grant facts per client."""
    return _load_consents(client_ids)[0]


def _conference(context: Mapping[str, Any] | None) -> ConferenceContext | None:
    if not context or context.get("conference_id") is None:
        return None
    return ConferenceContext(
        conference_id=int(context["conference_id"]),
        attending_agency_ids=frozenset(
            int(agency_id) for agency_id in context.get("attending_agency_ids", ())
        ),
    )


def _reasons(
    decision: Decision, purpose: str, consents: Mapping[int, ConsentRecord]
) -> tuple[ScopeReason, ...]:
    by_consent: dict[int, list[str]] = {}
    for code in FIELD_GROUPS:
        for consent_id in decision.basis.get(code, ()):
            by_consent.setdefault(consent_id, []).append(code)
    reasons = []
    for consent_id, groups in sorted(by_consent.items()):
        # The consents the decision rests on were loaded with their grants: no query per client.
        consent = consents.get(consent_id)
        if consent is None:
            continue
        recipients = sorted({grant.notice_recipient for grant in consent.grants if grant.purpose == purpose})
        reasons.append(
            ScopeReason(
                consent_id=consent_id,
                purpose_label=ConsentPurpose(purpose).label if purpose in PURPOSES else purpose,
                recipient=", ".join(recipients),
                valid_from=consent.valid_from,
                valid_until=consent.valid_until,
                groups=tuple(groups),
            )
        )
    return tuple(reasons)


def _build_view(
    client: Client,
    decision: Decision,
    purpose: str,
    case_id: int | None = None,
    *,
    records: Mapping[str, tuple[Record, ...]] | None = None,
    owner_name: str | None = None,
    consents: Mapping[int, ConsentRecord] | None = None,
) -> ClientView:
    # view_clients passes what it loaded for the whole batch; a single call loads its own.
    if records is None:
        records = _RecordLoader([client], [decision.groups], case_id).records(client, decision.groups)
    if owner_name is None:
        owner_name = _agency_names({client.owning_agency_id}).get(client.owning_agency_id, "")
    if consents is None:
        consents = {} if decision.is_owner else _load_consents([client.id])[1]
    values = {
        code: MappingProxyType(_column_values(client, group.columns) if code in decision.groups else {})
        for code, group in FIELD_GROUPS.items()
    }
    return ClientView(
        client_id=client.id,
        owning_agency_id=client.owning_agency_id,
        visible_groups=decision.groups,
        _values=MappingProxyType(values),
        _records=MappingProxyType(dict(records)),
        household_id=client.household_id,
        purpose=purpose,
        is_owner=decision.is_owner,
        basis=decision.basis_label,
        consent_basis=MappingProxyType(dict(decision.basis)),
        owning_agency_name=owner_name,
        reasons=() if decision.is_owner else _reasons(decision, purpose, consents),
    )


def _agency_names(agency_ids: set[int]) -> dict[int, str]:
    if not agency_ids:
        return {}
    rows = db.session.execute(sa.select(Agency.id, Agency.name).where(_id_in(Agency.id, agency_ids)))
    return dict(rows.tuples().all())


def decide_for(
    client: Client, viewer: ViewerFacts, *, purpose: str, context: Mapping[str, Any] | None
) -> Decision:
    """Decide (without logging) what a viewer may see of one client now."""
    today = today_local()
    facts = load_grant_facts([client.id])[client.id]
    subject = subject_facts(client, today, suspended=client.id in suspended_client_ids([client.id]))
    return decide(subject, viewer, purpose=purpose, on=today, grants=facts, conference=_conference(context))


def subject_facts(client: Client, on: date, *, suspended: bool) -> SubjectFacts:
    """Return what the policy needs to know of the client on ``on`` (owner, age, 처리정지)."""
    return SubjectFacts(
        client_id=client.id,
        owning_agency_id=client.owning_agency_id,
        is_under_14=_is_under_14(client.birth_date, on),
        processing_suspended=suspended,
    )


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
    viewer = viewer_facts(actor, acting_agency_id)
    present = [client for client in clients if not client.is_deleted]
    facts, consents = _load_consents([client.id for client in present])
    # 처리정지 (PIPA 제37조): no consent carries anything to another agency any more.
    suspended = suspended_client_ids([client.id for client in present])
    conference = _conference(context)
    case_id = (context or {}).get("case_id")
    today = today_local()
    disclosed: list[tuple[Client, Decision]] = []
    for client in present:
        subject = subject_facts(client, today, suspended=client.id in suspended)
        decision = decide(
            subject, viewer, purpose=purpose, on=today, grants=facts[client.id], conference=conference
        )
        if not decision.groups:
            continue
        disclosed.append((client, decision))
    if not disclosed:
        return []
    # Every row is logged (one batch, one chain head read) before any view exists: fail closed.
    access_log.log_disclosures(
        [
            access_log.Disclosure(
                client_id=client.id, field_groups=decision.groups, basis=decision.basis_label
            )
            for client, decision in disclosed
        ],
        actor_id=actor.id,
        agency_id=viewer.agency_id,
        purpose=purpose,
        channel=channel,
        reason=reason,
    )
    # Case records only when the caller names a case; a list of names never loads them.
    loader = _RecordLoader(
        [client for client, _ in disclosed],
        [decision.groups for _, decision in disclosed],
        int(case_id) if case_id is not None else None,
    )
    owners = _agency_names({client.owning_agency_id for client, _ in disclosed})
    return [
        _build_view(
            client,
            decision,
            purpose,
            records=loader.records(client, decision.groups),
            owner_name=owners.get(client.owning_agency_id, ""),
            consents=consents,
        )
        for client, decision in disclosed
    ]


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
        # A refused disclosure is audited (who asked for whom, for what), and the row outlives the 404.
        record_refusal(
            "consents.disclosure_refused",
            actor_id=actor.id,
            agency_id=acting_agency_id,
            object_type="clients",
            object_id=client.id,
            data={"purpose": purpose, "channel": str(getattr(channel, "value", channel))},
        )
        raise NotFound("대상자를 찾을 수 없습니다.", english="The client does not exist.")
    return views[0]


def groups_allowed_now(client: Client, agency: Agency, *, purpose: str) -> frozenset[str]:
    """Return, without logging, the groups an agency may receive now (send-time re-checks)."""
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


#: at most this many clients match a name in the access-log search (a name, not a list to browse)
NAME_MATCH_LIMIT = 500


def owned_client_ids_named(words: str, owner_ids: Collection[int]) -> list[int]:
    """Return the ids of the clients these agencies own whose name holds ``words`` (nothing is shown).

    The access-log search narrows to one client by name for an auditor of the owning agencies. The
    owner may read its own records, and only ids leave here (the page names clients by case number),
    so this is no disclosure and writes no access-log row; other agencies' clients never match.
    """
    if not words or not owner_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(models.Client.id)
            .where(
                models.Client.owning_agency_id.in_(list(owner_ids)),
                models.Client.name.icontains(words, autoescape=True),
            )
            .order_by(models.Client.id)
            .limit(NAME_MATCH_LIMIT)
        )
    )
