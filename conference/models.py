"""Conferences (통합사례회의) of every kind, from the monthly 권역 meeting to a closure review."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkke.db import Model, TimestampMixin, UTCDateTime, str_enum
from hamkke.errors import InvalidTransition


class ConferenceKind(enum.StrEnum):
    """Kinds of case conferences the district holds."""

    regional = "regional"
    expanded = "expanded"
    urgent = "urgent"
    dong = "dong"
    internal = "internal"
    closure_review = "closure_review"
    #: 사례 슈퍼비전: the quarterly session where a supervisor or 자문위원 advises on cases
    supervision = "supervision"
    #: 자문단 회의: the quarterly meeting of the district's expert panel (seed 004)
    advisory = "advisory"
    #: 동 내부판정회의: the dong centre's weekly judgment meeting on visited households
    dong_judgment = "dong_judgment"
    #: 고위험 사례 점검회의: the twice-monthly review of the district's high-risk cases
    high_risk_review = "high_risk_review"

    @property
    def label(self) -> str:
        """Korean name of the kind."""
        return CONFERENCE_KIND_LABELS[self]


CONFERENCE_KIND_LABELS: dict[ConferenceKind, str] = {
    ConferenceKind.regional: "권역 정기 통합사례회의",
    ConferenceKind.expanded: "확대사례회의",
    ConferenceKind.urgent: "긴급 위기사례회의",
    ConferenceKind.dong: "동 사례회의",
    ConferenceKind.internal: "기관 내부사례회의",
    ConferenceKind.closure_review: "종결심사회의",
    ConferenceKind.supervision: "사례 슈퍼비전",
    ConferenceKind.advisory: "자문단 회의",
    ConferenceKind.dong_judgment: "동 내부판정회의",
    ConferenceKind.high_risk_review: "고위험 사례 점검회의",
}
#: kinds whose meetings record advisers' attendance and advice per case (the 슈퍼비전 block)
ADVISED_KINDS = frozenset({ConferenceKind.supervision, ConferenceKind.advisory})


class ConferenceStatus(enum.StrEnum):
    """Life of a conference: planned, running, finished."""

    scheduled = "scheduled"
    live = "live"
    closed = "closed"
    cancelled = "cancelled"


class Conference(TimestampMixin, Model):
    """One meeting of agencies about one or more cases."""

    __tablename__ = "conferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    #: the 권역 for regular conferences
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    kind: Mapped[ConferenceKind] = mapped_column(str_enum(ConferenceKind, "conference_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[ConferenceStatus] = mapped_column(
        str_enum(ConferenceStatus, "conference_status"), default=ConferenceStatus.scheduled, index=True
    )
    #: when it starts (UTC)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: place, or a video link
    place: Mapped[str | None] = mapped_column(sa.String(300))
    #: the agency hosting it (the district team for regular conferences)
    host_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    #: the 서기 who keeps the minutes; takes the chair if the chair leaves
    recorder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    #: video meeting link when held online (or both)
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    #: the recurring rule this instance was generated from (권역 정기)
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("conference_rules.id"), index=True)
    #: days attendees have to sign off or object after the chair finalizes
    signoff_days: Mapped[int] = mapped_column(default=3, server_default="3")
    #: days before the start from which invited agencies may read their briefing packets
    briefing_days: Mapped[int] = mapped_column(default=3, server_default="3")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the chair finalized the minutes; sign-off window runs from here
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the minutes are locked; changes after this are addenda
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the chair approved the (draft) agenda
    agenda_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: bumped by every live event under a row lock: serialises a meeting's writes, orders its payloads
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    #: 사후 기록 사유: why a meeting already held (paper minutes) was entered after the fact; None for
    #: a meeting scheduled ahead
    recorded_after_reason: Mapped[str | None] = mapped_column(sa.Text)

    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="conference", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    invitations: Mapped[list[ConferenceInvitation]] = relationship(
        back_populates="conference", cascade="all, delete-orphan"
    )
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="conference", cascade="all, delete-orphan"
    )

    @property
    def is_locked(self) -> bool:
        """Whether the minutes can no longer change except by addendum."""
        return self.locked_at is not None


class ConferenceRule(TimestampMixin, Model):
    """A recurring rule (a series), e.g. the second Wednesday of each month at 14:00 for one 권역.

    A series made on the cadences page keeps its rhythm as an RFC 5545 RRULE (``rrule``), read with
    python-dateutil; the older monthly series keep ``week_of_month`` and ``weekday`` and no RRULE.
    """

    __tablename__ = "conference_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    host_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    kind: Mapped[ConferenceKind] = mapped_column(
        str_enum(ConferenceKind, "conference_rule_kind"), default=ConferenceKind.regional
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    #: 1..5: which occurrence of the weekday in the month
    week_of_month: Mapped[int] = mapped_column(default=2)
    #: 0 = Monday … 6 = Sunday
    weekday: Mapped[int] = mapped_column(default=2)
    #: local (Asia/Seoul) start time as minutes after midnight
    start_minute: Mapped[int] = mapped_column(default=14 * 60)
    place: Mapped[str | None] = mapped_column(sa.String(300))
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    recorder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    #: agencies invited to every instance
    agency_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: RRULE text without DTSTART (e.g. ``FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=+3WE``); None: monthly fields
    rrule: Mapped[str | None] = mapped_column(sa.String(300))
    #: the dong a dong centre's series belongs to (내부판정회의); None for district-wide series
    dong_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dongs.id"), index=True)
    #: first day the series may fall on (Asia/Seoul); None for the older monthly series
    starts_on: Mapped[date | None]
    #: last day the series may fall on; set when a coordinator ends it
    ends_on: Mapped[date | None]
    #: how far ahead the generator creates the series' meetings
    weeks_ahead: Mapped[int] = mapped_column(default=8, server_default="8")


class InvitationRole(enum.StrEnum):
    """How someone takes part: a network member, or a guest 자문위원 who sees only what is opened."""

    member = "member"
    guest = "guest"


class Rsvp(enum.StrEnum):
    """Answer to an invitation."""

    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    #: a deputy attends instead
    delegated = "delegated"


class ConferenceInvitation(TimestampMixin, Model):
    """An invitation of an agency, or of one person (of an agency, or a guest), to a conference."""

    __tablename__ = "conference_invitations"
    __table_args__ = (
        sa.UniqueConstraint("conference_id", "agency_id", "person_id", name="uq_conference_invitation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: None invites the agency as a whole; its active staff may attend
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    role: Mapped[InvitationRole] = mapped_column(
        str_enum(InvitationRole, "conference_invitation_role"), default=InvitationRole.member
    )
    rsvp: Mapped[Rsvp] = mapped_column(str_enum(Rsvp, "conference_rsvp"), default=Rsvp.pending)
    deputy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    conference: Mapped[Conference] = relationship(back_populates="invitations")


class Attendance(Model):
    """One person at one conference for one agency: check-in, the pledge, presence and hand-raise."""

    __tablename__ = "conference_attendances"
    __table_args__ = (sa.UniqueConstraint("conference_id", "person_id", name="uq_conference_attendance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    is_guest: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: version of the 비밀유지 서약 text accepted; None until accepted
    pledge_version: Mapped[str | None] = mapped_column(sa.String(20))
    pledge_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: connected sockets right now (several tabs count once)
    connections: Mapped[int] = mapped_column(default=0)
    hand_raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: sign-off after finalization: None, "signed" or "objected"
    signoff: Mapped[str | None] = mapped_column(sa.String(20))
    signoff_comment: Mapped[str | None] = mapped_column(sa.Text)
    signoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: when the minutes were sent to this attendee
    minutes_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    conference: Mapped[Conference] = relationship(back_populates="attendances")

    #: the chair allowed this attendee to co-edit the SOAP minutes
    may_edit_minutes: Mapped[bool] = mapped_column(default=False)


class ItemSource(enum.StrEnum):
    """Where an agenda item came from."""

    proposed = "proposed"
    escalation = "escalation"
    review_due = "review_due"
    overdue_action = "overdue_action"
    stalled_referral = "stalled_referral"
    carried = "carried"


class ItemStatus(enum.StrEnum):
    """Life of an agenda item."""

    draft = "draft"
    approved = "approved"
    open = "open"
    closed = "closed"
    withdrawn = "withdrawn"


class ItemStage(enum.StrEnum):
    """The agenda flow of seed 000: present → discuss → agree → wrap up."""

    present = "present"
    discuss = "discuss"
    agree = "agree"
    wrap_up = "wrap_up"


ITEM_STAGE_ORDER = (ItemStage.present, ItemStage.discuss, ItemStage.agree, ItemStage.wrap_up)


class ItemOutcome(enum.StrEnum):
    """How an item ended."""

    agreed = "agreed"
    #: no consensus: on the next meeting's agenda (재회의)
    reconvene = "reconvene"


@dataclass(frozen=True)
class ItemTransition:
    """One thing done to an agenda item: the statuses it starts from, the status it leaves, its refusal."""

    action: str
    sources: frozenset[ItemStatus]
    #: None: the status stays (an edit, a stage change, the minutes)
    target: ItemStatus | None
    #: what a person reads when the item is in another status (Korean, then English)
    refusal: str
    english: str | None = None
    #: the action is about the item's case (lead agency, roles), so an item without one is refused
    needs_case: bool = False


_S = ItemStatus
_NOT_DISCUSSED = frozenset({_S.draft, _S.approved})

_ITEM_TRANSITIONS: tuple[ItemTransition, ...] = (
    ItemTransition(
        "approve", frozenset({_S.draft}), _S.approved, "확정할 안건이 아닙니다.", "The item is not a draft."
    ),
    # Editing, moving and changing a carry reason: only before the item is discussed.
    ItemTransition(
        "edit",
        _NOT_DISCUSSED,
        None,
        "논의를 시작한 안건은 고칠 수 없습니다.",
        "The item was discussed already.",
    ),
    ItemTransition("withdraw", _NOT_DISCUSSED, _S.withdrawn, "논의한 안건은 뺄 수 없습니다."),
    # A closed item may be opened again (재논의) while the meeting runs.
    ItemTransition("open", frozenset({_S.approved, _S.closed}), _S.open, "열 수 없는 안건입니다."),
    ItemTransition("advance_stage", frozenset({_S.open}), None, "닫힌 안건입니다."),
    ItemTransition("restart_timer", frozenset({_S.open}), None, "닫힌 안건입니다."),
    ItemTransition("close", frozenset({_S.open}), _S.closed, "열린 안건만 닫을 수 있습니다."),
    ItemTransition(
        "decide_lead",
        frozenset({_S.open}),
        None,
        "열린 사례 안건에서만 주 사례관리기관을 정합니다.",
        needs_case=True,
    ),
    ItemTransition(
        "assign_role", frozenset({_S.open}), None, "열린 사례 안건에서만 역할을 정합니다.", needs_case=True
    ),
    ItemTransition("write_minutes", frozenset({_S.open, _S.closed}), None, "논의하지 않은 안건입니다."),
)

#: action → transition: the one table the services, the pages and the tests read
ITEM_TRANSITIONS: dict[str, ItemTransition] = {t.action: t for t in _ITEM_TRANSITIONS}


class AgendaItem(TimestampMixin, Model):
    """One item of a conference's agenda, usually one case."""

    __tablename__ = "conference_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[ItemSource] = mapped_column(
        str_enum(ItemSource, "agenda_item_source"), default=ItemSource.proposed
    )
    #: why the item is on the agenda (reason code of a carried action, escalation id, …)
    source_detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    proposed_by_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    presenter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    time_box_minutes: Mapped[int] = mapped_column(default=15)
    status: Mapped[ItemStatus] = mapped_column(
        str_enum(ItemStatus, "agenda_item_status"), default=ItemStatus.draft
    )
    stage: Mapped[ItemStage] = mapped_column(
        str_enum(ItemStage, "agenda_item_stage"), default=ItemStage.present
    )
    outcome: Mapped[ItemOutcome | None] = mapped_column(str_enum(ItemOutcome, "agenda_item_outcome"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timer_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: bumped on every change of status or stage; events carry it to detect stale clients
    version: Mapped[int] = mapped_column(default=1)

    conference: Mapped[Conference] = relationship(back_populates="items")
    sections: Mapped[list[SoapSection]] = relationship(back_populates="item", cascade="all, delete-orphan")

    def may(self, action: str) -> bool:
        """Whether ``action`` (a key of ``ITEM_TRANSITIONS``) is allowed from the item's status."""
        transition = ITEM_TRANSITIONS[action]
        return self.status in transition.sources and (not transition.needs_case or self.case_id is not None)

    def require(self, action: str) -> None:
        """Refuse ``action`` (409, the table's message) unless the item's status allows it."""
        if not self.may(action):
            transition = ITEM_TRANSITIONS[action]
            raise InvalidTransition(transition.refusal, english=transition.english)

    def apply(self, action: str) -> None:
        """Check ``action`` against the table and move the item to its target status, if it has one."""
        self.require(action)
        target = ITEM_TRANSITIONS[action].target
        if target is not None:
            self.status = target


class SoapSection(Model):
    """The current text of one SOAP section of one item, with its version."""

    __tablename__ = "conference_soap_sections"
    __table_args__ = (sa.UniqueConstraint("item_id", "section", name="uq_soap_section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("conference_agenda_items.id"), index=True)
    #: S, O, A or P
    section: Mapped[str] = mapped_column(sa.String(1))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=0)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    item: Mapped[AgendaItem] = relationship(back_populates="sections")


class SoapRevision(Model):
    """Every saved version of a SOAP section: the base texts the three-way merge needs."""

    __tablename__ = "conference_soap_revisions"
    __table_args__ = (sa.UniqueConstraint("item_id", "section", "version", name="uq_soap_revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("conference_agenda_items.id"), index=True)
    section: Mapped[str] = mapped_column(sa.String(1))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    #: the edit was merged with concurrent edits
    merged: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadMethod(enum.StrEnum):
    """The five ways of choosing the 주 사례관리기관 (seed 001 §3.4)."""

    initial_assessment = "initial_assessment"
    main_complaint = "main_complaint"
    administrative_district = "administrative_district"
    client_choice = "client_choice"
    conference_decision = "conference_decision"

    @property
    def label(self) -> str:
        """Korean name of the method."""
        return LEAD_METHOD_LABELS[self]


LEAD_METHOD_LABELS: dict[LeadMethod, str] = {
    LeadMethod.initial_assessment: "초기 욕구사정 기관(기존 사례관리기관)",
    LeadMethod.main_complaint: "주 호소문제 서비스 제공기관",
    LeadMethod.administrative_district: "행정구역 기준",
    LeadMethod.client_choice: "대상자 선택(복수 제공기관일 때)",
    LeadMethod.conference_decision: "사례회의 결정",
}


class LeadDecision(Model):
    """The decision on a case's lead agency taken in a conference, with its record."""

    __tablename__ = "conference_lead_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("conference_agenda_items.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    method: Mapped[LeadMethod] = mapped_column(str_enum(LeadMethod, "lead_method"))
    candidate_agency_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    #: agency id (as text) → the candidate agency id it voted for
    votes: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    chosen_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    previous_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    objections: Mapped[str | None] = mapped_column(sa.Text)
    rationale: Mapped[str] = mapped_column(sa.Text)
    effective_on: Mapped[date]
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseRole(enum.StrEnum):
    """An agency's role in a case."""

    lead = "lead"
    partner = "partner"


class RoleAssignment(TimestampMixin, Model):
    """An agency's role in a case as agreed in the room, with its ISP items."""

    __tablename__ = "conference_role_assignments"
    __table_args__ = (sa.UniqueConstraint("item_id", "agency_id", name="uq_role_assignment_item_agency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("conference_agenda_items.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    role: Mapped[CaseRole] = mapped_column(str_enum(CaseRole, "conference_case_role"))
    responsibilities: Mapped[str] = mapped_column(sa.Text, default="")
    #: ISP items: [{"service", "quantity", "duration", "intensity", "due_on"}]
    isp_items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    due_on: Mapped[date | None]


class ActionStatus(enum.StrEnum):
    """State of an action item."""

    open = "open"
    #: the owner agency has started on it (still unfinished: reminders, overdue and carry-over apply)
    in_progress = "in_progress"
    done = "done"
    carried = "carried"

    @property
    def label(self) -> str:
        """Korean name of the state."""
        return ACTION_STATUS_LABELS[self]


ACTION_STATUS_LABELS: dict[ActionStatus, str] = {
    ActionStatus.open: "시작 전",
    ActionStatus.in_progress: "진행 중",
    ActionStatus.done: "완료",
    ActionStatus.carried: "다음 회의로 이월",
}
#: states in which an action still has to be done: overdue, reminded, carried to the next meeting
UNFINISHED_ACTION_STATUSES = (ActionStatus.open, ActionStatus.in_progress)


class CarryReason(enum.StrEnum):
    """Why an unfinished action goes to the next meeting."""

    circumstances_changed = "circumstances_changed"
    agency_did_not_act = "agency_did_not_act"


class ActionItem(TimestampMixin, Model):
    """A task agreed in the plan (P) of an item: owner agency, assignee, due date, linked referral."""

    __tablename__ = "conference_action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("conference_agenda_items.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    owner_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    due_on: Mapped[date]
    #: the linked referral (no FK: referrals migrate on their own schedule; checked by the service)
    referral_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[ActionStatus] = mapped_column(
        str_enum(ActionStatus, "action_item_status"), default=ActionStatus.open
    )
    #: when the owner agency marked it in progress (UTC)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: when the item was marked done (UTC); None while open or carried
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: what came of it, written by the owner agency when marking it done (shown to the conference)
    result_note: Mapped[str | None] = mapped_column(sa.Text)
    carry_reason: Mapped[CarryReason | None] = mapped_column(str_enum(CarryReason, "action_carry_reason"))
    carried_to_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("conference_agenda_items.id"))


class MinutesVersion(Model):
    """A frozen version of the minutes: the finalized text, then each addendum after the lock."""

    __tablename__ = "conference_minutes_versions"
    __table_args__ = (sa.UniqueConstraint("conference_id", "version", name="uq_minutes_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    version: Mapped[int]
    #: "final" or "addendum"
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: the SOAP texts by item id and section, and the addendum text
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Adviser(TimestampMixin, Model):
    """A member of a district's 자문단 (expert panel): often an outsider without a sign-in."""

    __tablename__ = "conference_advisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the district whose panel this membership is in (one row per district served)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: field of expertise, e.g. 정신건강, 법률, 노인사례관리
    expertise: Mapped[str] = mapped_column(sa.String(200))
    affiliation: Mapped[str] = mapped_column(sa.String(200))
    #: telephone or e-mail, as the adviser gave it
    contact: Mapped[str | None] = mapped_column(sa.String(200))
    term_starts_on: Mapped[date]
    term_ends_on: Mapped[date | None]
    #: the adviser's sign-in, when they have one (a 슈퍼바이저 on the staff); None for outsiders
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))

    def serves_on(self, day: date) -> bool:
        """Whether the adviser's term covers ``day``."""
        return self.term_starts_on <= day and (self.term_ends_on is None or day <= self.term_ends_on)


class AdviserAttendance(Model):
    """Whether one adviser attended one supervision or 자문단 meeting."""

    __tablename__ = "conference_adviser_attendances"
    __table_args__ = (
        sa.UniqueConstraint("conference_id", "adviser_id", name="uq_conference_adviser_attendance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    adviser_id: Mapped[int] = mapped_column(sa.ForeignKey("conference_advisers.id"), index=True)
    present: Mapped[bool] = mapped_column(default=True)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupervisionAdvice(TimestampMixin, Model):
    """An adviser's advice on one case in a supervision session, and the follow-up agreed (필수서식9)."""

    __tablename__ = "conference_supervision_advice"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    #: the agenda item of the case: the advice is shown wherever that item's case content may be
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("conference_agenda_items.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    adviser_id: Mapped[int] = mapped_column(sa.ForeignKey("conference_advisers.id"), index=True)
    advice: Mapped[str] = mapped_column(sa.Text)
    follow_up: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
