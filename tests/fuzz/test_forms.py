"""Hypothesis sends bad input to every HTML form POST route: only 2xx/3xx/4xx, and a refusal writes nothing.

The routes are enumerated from ``app.url_map`` (every rule accepting POST outside the agency API, which
schemathesis covers), so a route added later is fuzzed without touching this file as long as its URL
arguments are ones :func:`targets` knows how to fill; a route it cannot fill fails the coverage test
until it is given a target or listed in ``SKIPPED`` with the reason.

Each route is called on the demo district 한빛구 by a person the route is meant for (the case's worker,
the agency's admin, the conference's coordinator, …) with a valid CSRF token (sometimes none or a forged
one) and fields drawn from the route's own form: the names and choices of the page's ``<form>`` (GET) or
of the WTForms classes the view uses, filled with garbage, overlong, control-character, unicode,
wrong-type and missing values, and sometimes with extra unknown fields or a file.
"""

from __future__ import annotations

import dis
import io
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule
from wtforms.fields import FileField, MultipleFileField
from wtforms.fields.core import UnboundField

from agencies.district_records import TrainingRecord
from agencies.models import (
    Agency,
    ApiClient,
    IdentityProvider,
    Invitation,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    StaffRole,
    UserSession,
)
from cases.models import Case, ClosureReview, Escalation, PlanService, ServicePlan
from cases.models.selfsufficiency import EducationCourse, SelfSufficiencyTrack
from conference.models import ActionItem, AgendaItem, Conference, ConferenceInvitation
from consents import services as consent_services
from consents.models import DataSubjectRequest
from funds.models import FundRequest, FundRequestStatus
from hamkke.extensions import limiter
from notifications.models import Notification
from referrals.models import Referral
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.consents import consent_input, grant

pytestmark = pytest.mark.slow

#: no shrinking: every example is a real request on a large database; a failure is reported as found
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)

#: generated requests per route
EXAMPLES = 10

#: routes this test cannot give arguments to, with the reason (keep it short)
SKIPPED: dict[str, str] = {
    # Its only input is the job's name in the path; a valid post runs a real beat job (which writes what
    # the job writes, on purpose). Development only; tests/shell/test_devmail.py covers it, a bad name
    # and a missing token included.
    "devmail.run_job": "runs a beat job by design; covered by tests/shell/test_devmail.py",
    # A proposal comes from a conference's role assignment with ISP items; the demo assigns none.
    "cases.proposal": "the demo has no conference ISP proposal; tests/cases/test_plans.py covers it",
}

#: routes fuzzed but refused as a whole on the demo district (still checked: no 5xx, nothing written)
NOT_REACHABLE_ON_THE_DEMO: dict[str, str] = {
    "agencies.agreement": "every demo agency has accepted the 업무협약 (tests/agencies: a joining agency)",
    "auth.local_sign_in": "break-glass sign-in answers 404 unless an operator configured it",
}

#: tables a refused request may still write to: the audit trail and the disclosure log (a refused form is
#: shown again with the client panel, and that showing is a disclosure that must be logged)
LOG_TABLES = frozenset(
    {
        "audit_entries",
        "consent_access_log",
        "consent_access_log_checkpoints",
        "consent_access_log_anchors",
        "alembic_version",
    }
)

#: the referral page's life-cycle steps (``/referrals/<id>/<action>``), plus one that does not exist
REFERRAL_ACTIONS = (
    "send",
    "receive",
    "accept",
    "start",
    "reject",
    "complete",
    "reissue",
    "cancel",
    "revoke",
    "no-such-step",
)

GARBAGE = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e역방향",
    "\ud7a3\u3131\u314f",
    "0",
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "9999-12-31",
    "0000-00-00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{7*7}}",
    "../../etc/passwd",
    "true",
    "null",
    "가" * 5000,
    "x" * 70_000,
    "😀" * 300,
)


#: demo accounts (devidp.accounts) the routes are called as
COORDINATOR = "kim.coordinator@hanbit.go.kr"
DONG_WORKER = "lee.dong@hanbit.go.kr"
SUPERVISOR = "park.team@hanbit.go.kr"
WELFARE_WORKER = "choi.cm@hanbit-welfare.or.kr"
WELFARE_ADMIN = "jung.admin@hanbit-welfare.or.kr"
INVITED_DIRECTOR = "director@hanbit-legal.or.kr"


# --- the world: the demo district plus a consent and a data-subject request -----------------------


@dataclass
class World:
    """The demo district, its people by e-mail, and what the demo loader showed once."""

    db: Any
    shown: dict[str, str]

    def person(self, email: str) -> Person:
        """Load a person afresh: objects of earlier requests are detached when a request ends."""
        person = self.db.session.scalar(sa.select(Person).where(Person.email == email))
        assert person is not None, email
        return person


@pytest.fixture
def world(app: Flask, db: Any) -> World:
    """Load the demo district, add what it lacks (a consent, a data-subject request), and commit."""
    from demo.district import load_demo

    shown = load_demo()
    if db.session.scalar(sa.select(Person.id).where(Person.email == INVITED_DIRECTOR)) is None:
        # The invited director signs in before joining; until then they have no membership anywhere.
        db.session.add(Person(email=INVITED_DIRECTOR, name="문대표"))
    db.session.flush()
    worker = db.session.scalar(sa.select(Person).where(Person.email == DONG_WORKER))
    assert worker is not None
    agency = _agency(db, "dong-solnae")
    clients = db.session.scalars(
        sa.select(Case).where(Case.case_worker_id == worker.id).order_by(Case.id).limit(3)
    ).all()
    recipient = _agency(db, "hanbit-welfare")
    for case in clients:
        client = case.main_client
        consent_services.record_consent(
            client,
            consent_input(grant(recipient_agency_id=recipient.id, field_groups=("basic", "household"))),
            actor=worker,
            agency=agency,
        )
        consent_services.record_request(client, actor=worker, agency=agency, kind="access")
    db.session.commit()
    return World(db=db, shown=shown)


def _agency(db: Any, code: str) -> Agency:
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == code))
    assert agency is not None, code
    return agency


# --- targets: URL arguments and the person each route is meant for --------------------------------


@dataclass(frozen=True)
class Target:
    """One way to call a route: its URL arguments (query arguments too) and who calls it."""

    values: dict[str, Any]
    actor_email: str


#: routes of the district network's administration, meant for the coordinator
COORDINATOR_ENDPOINTS = frozenset(
    {
        "agencies.suspend",
        "agencies.reactivate",
        "agencies.invite",
        "agencies.new_provider",
        "agencies.edit_provider",
        "agencies.reissue_invitation",
        "agencies.revoke_invitation",
    }
)


def _ids(db: Any, select: Any) -> list[Any]:
    return list(db.session.scalars(select.limit(4)).all())


def _person_id(world: World, email: str) -> int:
    return world.person(email).id


def targets(rule: Rule, world: World, db: Any) -> list[Target] | None:
    """Return ways to call ``rule`` on the demo district, or None when its arguments are unknown here."""
    endpoint = rule.endpoint
    arguments = set(rule.arguments)
    blueprint = endpoint.split(".", 1)[0]
    found = _form_targets(endpoint, arguments, world, db)
    if found is not None:
        return found
    if endpoint == "agencies.join":
        token = world.shown["초대 링크"].rsplit("/", 1)[1]
        return [
            Target({"token": token}, INVITED_DIRECTOR),
            Target({"token": "forged-token"}, INVITED_DIRECTOR),
        ]
    if endpoint == "account.end_session":
        return [Target({}, WELFARE_WORKER)]  # session_id is filled in per client, see _client_for
    if "client_id" in arguments and "code" in arguments:
        clients = _ids(db, sa.select(ApiClient.id).join(Agency).where(Agency.code == "hanbit-welfare"))
        return [Target({"code": "hanbit-welfare", "client_id": cid}, WELFARE_ADMIN) for cid in clients]
    if "membership_id" in arguments:
        welfare = _agency(db, "hanbit-welfare")
        admin_id = _person_id(world, WELFARE_ADMIN)
        memberships = db.session.scalars(
            sa.select(Membership)
            .where(Membership.agency_id == welfare.id, Membership.person_id != admin_id)
            .order_by((Membership.status == MembershipStatus.pending).desc(), Membership.id)
            .limit(3)
        ).all()
        return [Target({"code": "hanbit-welfare", "membership_id": m.id}, WELFARE_ADMIN) for m in memberships]
    if "provider_id" in arguments:
        return [Target({"provider_id": pid}, COORDINATOR) for pid in _ids(db, sa.select(IdentityProvider.id))]
    if endpoint.startswith("agencies.") and "invitation_id" in arguments:
        return [Target({"invitation_id": iid}, COORDINATOR) for iid in _ids(db, sa.select(Invitation.id))]
    if "review_id" in arguments:
        reviews = db.session.scalars(sa.select(ClosureReview).order_by(ClosureReview.id).limit(3)).all()
        return [
            Target({"case_id": r.case_id, "review_id": r.id}, _email(db, r.supervisor_id)) for r in reviews
        ]
    if "escalation_id" in arguments:
        return [Target({"escalation_id": e}, COORDINATOR) for e in _ids(db, sa.select(Escalation.id))]
    if "case_id" in arguments and arguments <= {"case_id"}:
        worker = _person_id(world, DONG_WORKER)
        cases = db.session.scalars(
            sa.select(Case.id).where(Case.case_worker_id == worker).order_by(Case.stage, Case.id)
        ).all()
        return [Target({"case_id": cid}, DONG_WORKER) for cid in cases[:: max(1, len(cases) // 6)]]
    if arguments == {"rule_id"}:
        from conference.models import ConferenceRule

        series = (
            sa.select(ConferenceRule.id).where(ConferenceRule.rrule.is_not(None)).order_by(ConferenceRule.id)
        )
        return [Target({"rule_id": rid}, COORDINATOR) for rid in _ids(db, series.limit(2))]
    if "conference_id" in arguments and arguments <= {"conference_id"}:
        return [Target({"conference_id": cid}, COORDINATOR) for cid in _open_conferences(db)]
    if "item_id" in arguments and arguments <= {"item_id"}:
        items = _ids(
            db,
            sa.select(AgendaItem.id)
            .where(AgendaItem.conference_id.in_(_open_conferences(db)))
            .order_by(AgendaItem.id),
        )
        return [Target({"item_id": iid}, COORDINATOR) for iid in items]
    if "action_id" in arguments and arguments <= {"action_id"}:
        actions = db.session.scalars(sa.select(ActionItem).order_by(ActionItem.id).limit(3)).all()
        return [Target({"action_id": a.id}, _member_of(db, a.owner_agency_id)) for a in actions]
    if endpoint.startswith("conference.") and arguments == {"invitation_id"}:
        invitations = db.session.scalars(
            sa.select(ConferenceInvitation)
            .where(ConferenceInvitation.conference_id.in_(_open_conferences(db)))
            .order_by(ConferenceInvitation.id)
            .limit(3)
        ).all()
        return [Target({"invitation_id": i.id}, _member_of(db, i.agency_id)) for i in invitations]
    if "consent_id" in arguments:
        from consents.models import Consent

        return [Target({"consent_id": cid}, DONG_WORKER) for cid in _ids(db, sa.select(Consent.id))]
    if "request_id" in arguments:
        requests = _ids(db, sa.select(DataSubjectRequest.id))
        return [Target({"request_id": rid}, DONG_WORKER) for rid in requests]
    if arguments == {"client_id"}:
        worker = _person_id(world, DONG_WORKER)
        clients = _ids(
            db, sa.select(Case.main_client_id).where(Case.case_worker_id == worker).order_by(Case.id)
        )
        return [Target({"client_id": cid}, DONG_WORKER) for cid in clients]
    if "notification_id" in arguments:
        notes = db.session.scalars(sa.select(Notification).order_by(Notification.id).limit(3)).all()
        return [Target({"notification_id": n.id}, _email(db, n.person_id)) for n in notes]
    if "referral_id" in arguments and arguments <= {"referral_id", "action"}:
        referrals = db.session.scalars(
            sa.select(Referral)
            .where(Referral.receiving_agency_id.is_not(None))
            .order_by(Referral.status, Referral.id)
            .limit(6)
        ).all()
        found = []
        for referral in referrals:
            for action in REFERRAL_ACTIONS if "action" in arguments else (None,):
                values: dict[str, Any] = {"referral_id": referral.id}
                if action is not None:
                    values["action"] = action
                sender_side = action in {None, "send", "cancel", "revoke", "reissue"}
                actor = (
                    _email(db, referral.sender_id)
                    if sender_side
                    else _member_of(db, referral.receiving_agency_id)
                )
                found.append(Target(values, actor))
        return found
    if "code" in arguments and arguments <= {"code"}:
        actor = COORDINATOR if endpoint in COORDINATOR_ENDPOINTS else WELFARE_ADMIN
        codes = ["hanbit-welfare"] if actor == WELFARE_ADMIN else ["hanbit-welfare", "hanbit-jahwal"]
        return [Target({"code": code}, actor) for code in codes]
    if endpoint in {"referrals.new", "referrals.new_outside"}:
        # The referral form is opened from a case (?case_id=…).
        worker = _person_id(world, DONG_WORKER)
        cases = _ids(db, sa.select(Case.id).where(Case.case_worker_id == worker).order_by(Case.stage.desc()))
        return [Target({"case_id": cid}, DONG_WORKER) for cid in cases]
    if not arguments:
        actor = {
            "cases": DONG_WORKER,
            "referrals": DONG_WORKER,
            "consents": DONG_WORKER,
            "agencies": COORDINATOR,
            "conference": COORDINATOR,
        }.get(blueprint, COORDINATOR)
        return [Target({}, actor)]
    return None


def _form_targets(endpoint: str, arguments: set[str], world: World, db: Any) -> list[Target] | None:
    """Targets of the forms pages of seeds 000/001, the 자활 track and the district statistics."""
    if endpoint == "cases.satisfaction":
        worker = _person_id(world, DONG_WORKER)
        cases = _ids(db, sa.select(Case.id).where(Case.case_worker_id == worker).order_by(Case.id).limit(2))
        return [
            Target({"case_id": cid, "kind": kind}, DONG_WORKER)
            for cid in cases
            for kind in ("worker", "service")
        ]
    if endpoint == "cases.jahwal_record":
        tracks = db.session.scalars(
            sa.select(Case).join(SelfSufficiencyTrack).order_by(Case.id).limit(2)
        ).all()
        return [
            Target({"case_id": case.id, "page": page}, _email(db, case.case_worker_id))
            for case in tracks
            for page in ("gateway-closure", "field-learning", "employment")
        ]
    if endpoint == "cases.jahwal_course_result":
        courses = db.session.scalars(sa.select(EducationCourse).order_by(EducationCourse.id).limit(2)).all()
        return [Target({"course_id": c.id}, _member_of(db, c.agency_id)) for c in courses]
    if endpoint == "cases.plan_agreement":
        plans = db.session.execute(
            sa.select(ServicePlan.id, Case.id, Case.case_worker_id)
            .join(Case, Case.id == ServicePlan.case_id)
            .where(Case.case_worker_id.is_not(None))
            .order_by(ServicePlan.id)
            .limit(3)
        ).all()
        return [Target({"case_id": cid, "plan_id": pid}, _email(db, wid)) for pid, cid, wid in plans]
    if endpoint == "cases.execution_check":
        services = db.session.execute(
            sa.select(PlanService.id, Case.id, Case.case_worker_id)
            .join(ServicePlan, ServicePlan.id == PlanService.plan_id)
            .join(Case, Case.id == ServicePlan.case_id)
            .where(Case.case_worker_id.is_not(None))
            .order_by(PlanService.id)
            .limit(3)
        ).all()
        return [Target({"case_id": cid, "service_id": sid}, _email(db, wid)) for sid, cid, wid in services]
    if endpoint in {"cases.jahwal_start", "cases.jahwal_move", "cases.jahwal_placement"}:
        centre = _agency(db, "hanbit-jahwal")
        cases = db.session.scalars(
            sa.select(Case)
            .where(Case.owning_agency_id == centre.id, Case.case_worker_id.is_not(None))
            .order_by(Case.id)
            .limit(4)
        ).all()
        return [Target({"case_id": case.id}, _email(db, case.case_worker_id)) for case in cases]
    if endpoint == "cases.jahwal_course_new":
        return [Target({}, _member_of(db, _agency(db, "hanbit-jahwal").id))]
    if endpoint in {"funds.decide", "funds.spend"}:
        return _fund_targets(endpoint, db)
    if endpoint.startswith("district_stats.") and "district_id" in arguments:
        district = _agency(db, "hanbit-welfare").district_id
        if "record_id" not in arguments:
            return [Target({"district_id": district}, COORDINATOR)]
        records = _ids(db, sa.select(TrainingRecord.id).order_by(TrainingRecord.id).limit(2))
        return [Target({"district_id": district, "record_id": rid}, COORDINATOR) for rid in records]
    return None


def _fund_targets(endpoint: str, db: Any) -> list[Target]:
    """Fund requests where the 결재 or the spend is due, each with the person who acts on it."""
    due = (
        (FundRequestStatus.requested, FundRequestStatus.dong_approved)
        if endpoint == "funds.decide"
        else (FundRequestStatus.approved,)
    )
    found = []
    for status in due:
        requests = db.session.scalars(
            sa.select(FundRequest).where(FundRequest.status == status).order_by(FundRequest.id).limit(2)
        ).all()
        for fund_request in requests:
            if status == FundRequestStatus.requested:
                actor = _email(db, _lead_of(db, fund_request.agency_id))
            else:
                actor = COORDINATOR
            found.append(Target({"request_id": fund_request.id}, actor))
    return found


def _lead_of(db: Any, agency_id: int) -> int:
    """The active 팀장 (supervisor) of an agency."""
    lead = db.session.scalar(
        sa.select(Membership.person_id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(
            Membership.agency_id == agency_id,
            Membership.status == MembershipStatus.active,
            MembershipRole.role == StaffRole.supervisor,
        )
        .order_by(Membership.person_id)
        .limit(1)
    )
    assert lead is not None, agency_id
    return int(lead)


def _email(db: Any, person_id: int | None) -> str:
    person = db.session.get(Person, person_id)
    assert person is not None
    return person.email


def _member_of(db: Any, agency_id: int | None) -> str:
    person = db.session.scalar(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.agency_id == agency_id, Membership.status == MembershipStatus.active)
        .order_by(Person.id)
        .limit(1)
    )
    assert person is not None, agency_id
    return person.email


def _open_conferences(db: Any) -> list[int]:
    from conference.models import ConferenceStatus

    return list(
        db.session.scalars(
            sa.select(Conference.id)
            .where(Conference.status.in_((ConferenceStatus.scheduled, ConferenceStatus.live)))
            # Meetings with an agenda first: the demo's series generate many empty meetings ahead, and
            # the item routes need items to aim at.
            .order_by(
                sa.exists().where(AgendaItem.conference_id == Conference.id).desc(),
                Conference.starts_at,
                Conference.id,
            )
            .limit(2)
        ).all()
    )


# --- which fields each form has -------------------------------------------------------------------


@dataclass
class FieldSpec:
    """What the route's form(s) say about one field: the choices offered, whether it takes a file."""

    choices: set[str] = field(default_factory=set)
    is_file: bool = False


class _FormParser(HTMLParser):
    """Collect the names (and offered values) of every input, select and textarea of a page's forms."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, FieldSpec] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        name = values.get("name")
        if tag in {"input", "textarea", "select", "button"} and name and name != "csrf_token":
            spec = self.fields.setdefault(name, FieldSpec())
            if values.get("type") == "file":
                spec.is_file = True
            if values.get("value") is not None and values.get("type") in {
                "radio",
                "checkbox",
                "hidden",
                "submit",
            }:
                spec.choices.add(str(values["value"]))
            if tag == "select":
                self._select = name
        elif tag == "option" and self._select is not None and values.get("value") is not None:
            self.fields[self._select].choices.add(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for instruction in dis.get_instructions(code):
        if isinstance(instruction.argval, str):
            yield instruction.argval
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def view_form_fields(view: Any) -> dict[str, FieldSpec]:
    """Return the fields of the WTForms classes a view function refers to (directly or via a module)."""
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    code = getattr(view, "__code__", None)
    if code is None:
        return {}
    scope = view.__globals__
    modules = [value for value in scope.values() if isinstance(value, types.ModuleType)]
    fields: dict[str, FieldSpec] = {}
    for name in set(_code_names(code)):
        candidates = [scope.get(name), *(getattr(module, name, None) for module in modules)]
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, FlaskForm):
                for attribute in dir(candidate):
                    unbound = getattr(candidate, attribute, None)
                    if isinstance(unbound, UnboundField) and attribute != "csrf_token":
                        spec = fields.setdefault(attribute, FieldSpec())
                        spec.is_file = spec.is_file or issubclass(
                            unbound.field_class, FileField | MultipleFileField
                        )
                        choices = unbound.kwargs.get("choices")
                        # Choices filled in by the view (a callable or None here) come from the page instead.
                        for choice in choices if isinstance(choices, list | tuple) else ():
                            value = choice[0] if isinstance(choice, tuple | list) else choice
                            spec.choices.add(str(value))
    return fields


# --- the payloads ---------------------------------------------------------------------------------


def value_strategy(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Draw one field value: an offered choice, garbage, random text, or several values at once."""
    options: list[st.SearchStrategy[Any]] = [
        st.sampled_from(GARBAGE),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    ]
    if spec.choices:
        options.append(st.sampled_from(sorted(spec.choices)))
    single = st.one_of(*options)
    if spec.is_file:
        return st.tuples(
            st.binary(max_size=300), st.sampled_from(("a.pdf", "../x.exe", "", "서류.hwp", "a" * 300))
        )
    return st.one_of(single, st.lists(single, min_size=2, max_size=3))


def payloads(fields: dict[str, FieldSpec]) -> st.SearchStrategy[dict[str, Any]]:
    """Draw form data: any subset of the form's fields with drawn values, sometimes unknown extra fields."""
    known = st.fixed_dictionaries({}, optional={name: value_strategy(spec) for name, spec in fields.items()})
    extra = st.dictionaries(
        st.sampled_from(("id", "agency_id", "__proto__", "x" * 200, "")), st.sampled_from(GARBAGE), max_size=2
    )
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


def _as_form_data(data: dict[str, Any]) -> dict[str, Any]:
    # Files are drawn as (bytes, name); the test client wants a fresh stream per request.
    return {
        key: (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
        for key, value in data.items()
    }


# --- the snapshot ---------------------------------------------------------------------------------


def row_counts(db: Any, tables: list[str]) -> dict[str, int]:
    """Count the rows of every table in one query."""
    # Table names come from the database's own catalogue, not from input.
    query = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM \"{name}\"" for name in tables)  # noqa: S608
    return {name: int(count) for name, count in db.session.execute(sa.text(query)).all()}


# --- the tests ------------------------------------------------------------------------------------


def form_rules(app: Flask) -> list[Rule]:
    """Every rule accepting POST outside the agency API (fuzzed by test_api_schemathesis)."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/")
        ),
        key=lambda rule: rule.rule,
    )


def test_every_form_route_has_a_target_or_a_stated_reason(app: Flask, world: World, db: Any) -> None:
    missing = [
        rule.endpoint
        for rule in form_rules(app)
        if rule.endpoint not in SKIPPED and not targets(rule, world, db)
    ]
    assert not missing, (
        f"give these routes a target in tests/fuzz/test_forms.py (or a reason in SKIPPED): {missing}"
    )
    assert len(SKIPPED) <= 3


def test_bad_input_to_every_form_is_refused_cleanly_and_saves_nothing(
    app: Flask, world: World, db: Any, login_as: Callable[..., UserSession]
) -> None:
    tables = sorted(set(sa.inspect(db.session.connection()).get_table_names()) - LOG_TABLES)
    failures: list[str] = []
    reached: dict[str, set[int]] = {}
    for rule in form_rules(app):
        if rule.endpoint in SKIPPED:
            continue
        statuses = reached.setdefault(rule.endpoint, set())
        try:
            RouteFuzzer(app, rule, world, db, login_as, tables, statuses).run()
        except (Exception, BaseExceptionGroup) as error:  # gathered: one run reports every route
            failures.append(f"{rule.endpoint} ({rule.rule}): {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
    # Each route was really reached: at least one answer other than a bare CSRF refusal or "not found /
    # not yours", so the generated fields met the route's own validation.
    unreached = sorted(
        endpoint
        for endpoint, statuses in reached.items()
        if statuses <= {400, 403, 404} and endpoint not in NOT_REACHABLE_ON_THE_DEMO
    )
    assert not unreached, {endpoint: reached[endpoint] for endpoint in unreached}


@dataclass
class RouteFuzzer:
    """Fuzz one route: sign its actors in, learn its fields, send generated forms, check each answer."""

    app: Flask
    rule: Rule
    world: World
    db: Any
    login_as: Callable[..., UserSession]
    tables: list[str]
    statuses: set[int]
    clients: dict[str, tuple[FlaskClient, dict[str, Any]]] = field(default_factory=dict)

    def client_for(self, target: Target) -> tuple[FlaskClient, dict[str, Any]]:
        """Sign a fresh client in as the target's actor (once per route) and read its CSRF token."""
        key = target.actor_email
        if key not in self.clients:
            browser = self.app.test_client()
            actor = self.world.person(target.actor_email)
            self.login_as(actor, test_client=browser)
            extra: dict[str, Any] = {}
            if self.rule.endpoint == "account.end_session":
                # Another of the actor's sessions, so this client stays signed in.
                extra["session_id"] = self.login_as(actor, test_client=self.app.test_client()).id
            with self.app.app_context():
                extra["csrf"] = page_csrf_token(browser, "/")
            self.clients[key] = (browser, extra)
        return self.clients[key]

    def fields(self, first: Target) -> dict[str, FieldSpec]:
        """Return the route's fields: its view's WTForms classes plus the inputs of its page (GET)."""
        fields = view_form_fields(self.app.view_functions[self.rule.endpoint])
        if "GET" in (self.rule.methods or set()):
            browser, extra = self.client_for(first)
            with self.app.app_context():
                page = browser.get(_url(self.app, self.rule, first, extra))
            if page.status_code == 200:
                parser = _FormParser()
                parser.feed(page.get_data(as_text=True))
                for name, spec in parser.fields.items():
                    fields.setdefault(name, FieldSpec()).choices |= spec.choices
                    fields[name].is_file = fields[name].is_file or spec.is_file
        return fields

    def send(self, target: Target, data: dict[str, Any], csrf: str) -> None:
        """POST one generated form and check the answer and the database."""
        browser, extra = self.client_for(target)
        if csrf == "valid":
            data = {**data, "csrf_token": extra["csrf"]}
        elif csrf == "forged":
            data = {**data, "csrf_token": "forged." + uuid.uuid4().hex}
        limiter.reset()
        before = row_counts(self.db, self.tables)
        with self.app.app_context():
            url = _url(self.app, self.rule, target, extra)
            try:
                response = browser.post(url, data=_as_form_data(data), content_type="multipart/form-data")
            except Exception as error:  # an exception escaping the view is a 500 in production
                self.db.session.rollback()
                raise AssertionError(f"POST {url} as {target.actor_email} raised {error!r}") from error
        self.statuses.add(response.status_code)
        assert response.status_code < 500, (url, response.status_code)
        if csrf != "valid":
            assert 400 <= response.status_code < 500, (url, csrf, response.status_code)
        if response.status_code >= 400 or csrf != "valid":
            after = row_counts(self.db, self.tables)
            changed = {
                name: (before[name], after[name]) for name in self.tables if before[name] != after[name]
            }
            assert not changed, f"POST {url} answered {response.status_code} but wrote {changed}"

    def run(self) -> None:
        """Send ``EXAMPLES`` generated forms."""
        route_targets = targets(self.rule, self.world, self.db)
        assert route_targets, self.rule.endpoint

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=NO_SHRINK,
        )
        @given(
            target=st.sampled_from(route_targets),
            data=payloads(self.fields(route_targets[0])),
            csrf=st.sampled_from(("valid",) * 8 + ("missing", "forged")),
        )
        def fuzz(target: Target, data: dict[str, Any], csrf: str) -> None:
            self.send(target, data, csrf)

        fuzz()


def _url(app: Flask, rule: Rule, target: Target, extra: dict[str, Any]) -> str:
    from flask import url_for

    values = {**target.values, **{k: v for k, v in extra.items() if k in rule.arguments}}
    with app.test_request_context("/"):
        return url_for(rule.endpoint, **values, _external=False)
