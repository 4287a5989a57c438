"""Forms of the conference pages, validated on the server with the Korean messages the pages always gave.

The field names are those the pages post (and the browser tests fill in). A field that names a row
(an agency, a person, a case) only checks that it is a number here; whether that row may be used
is the services' decision.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, StopValidation
from wtforms.widgets import TextInput

from cases.fields import FIELD_GROUPS
from conference.models import CONFERENCE_KIND_LABELS, CarryReason, ConferenceKind, InvitationRole, Rsvp
from hamkke.korean import with_particle
from hamkke.paging import ListQueryForm
from hamkke.time import SEOUL
from hamkke.web import parse_id


class NumberField(Field):
    """A whole number (a row id, minutes, days); empty is refused unless ``required`` is False."""

    widget = TextInput()

    def __init__(self, label: Any = None, *, required: bool = True, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.required = required
        self.raw = ""
        self.data: int | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep the text as posted; ``data`` is its number, or None when it is empty or no number."""
        self.raw = (valuelist[0] if valuelist else "").strip()
        try:
            self.data = int(self.raw) if self.raw else None
        except ValueError:
            self.data = None

    def pre_validate(self, form: Any) -> None:
        """Refuse an empty required field or text that is not a number, naming the field."""
        label = str(self.label.text)
        if not self.raw:
            if self.required:
                raise StopValidation(f"{with_particle(label, '을')} 입력하세요.")
            return
        if self.data is None:
            raise StopValidation(f"{with_particle(label, '은')} 숫자여야 합니다.")


class EnumField(Field):
    """One value of an enumeration (a radio group or a select list); anything else is refused."""

    widget = TextInput()

    def __init__(self, label: Any = None, *, enum_type: type[enum.Enum], **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.enum_type = enum_type
        self.data: Any = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Turn the posted value into the enumeration's member, or None."""
        try:
            self.data = self.enum_type(valuelist[0] if valuelist else "")
        except ValueError:
            self.data = None

    def pre_validate(self, form: Any) -> None:
        """Refuse a missing or unknown choice, naming the field."""
        if self.data is None:
            raise StopValidation(f"{with_particle(str(self.label.text), '을')} 고르세요.")


class IdListField(Field):
    """A group of check boxes naming rows; entries that are not ids are left out, as before."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep the posted values that are ids, in order."""
        self.data = [i for i in map(parse_id, valuelist) if i is not None]

    def _value(self) -> str:
        return ""


class CodeListField(Field):
    """A group of check boxes naming field groups of a referral; unknown codes are left out, as before."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep the posted codes that name a field group."""
        self.data = [code for code in valuelist if code in FIELD_GROUPS]

    def _value(self) -> str:
        return ""


class ScheduleForm(FlaskForm):
    """Schedule a conference: kind, title, start (Asia/Seoul), place, staff, briefing, invitations."""

    kind = EnumField(_l("회의 종류"), enum_type=ConferenceKind)
    title = StringField(_l("회의 주제"))
    date = StringField(_l("날짜"))
    time = StringField(_l("시작 시각"))
    place = StringField(_l("장소"))
    video_url = StringField(_l("화상회의 링크"))
    region_id = NumberField(_l("권역"), required=False)
    chair_id = NumberField(_l("진행자"), required=False)
    recorder_id = NumberField(_l("서기"), required=False)
    briefing_days = NumberField(_l("사전자료 공개일"))
    agency_ids = IdListField()
    recurring = StringField()
    #: 사후 기록 사유: required by the service when the start is already past
    recorded_after_reason = TextAreaField(_l("사후 기록 사유"))

    def starts_at(self) -> datetime:
        """Combine the date and time fields, entered in Asia/Seoul, into an aware datetime."""
        day = date.fromisoformat(self.date.data or "")
        at = time.fromisoformat(self.time.data or "")
        return datetime.combine(day, at.replace(tzinfo=None), tzinfo=SEOUL)

    def validate_date(self, field: Field) -> None:
        """Refuse a date or time that is no date or time (a past start: the service asks for a reason)."""
        try:
            self.starts_at()
        except ValueError:
            raise StopValidation("회의 날짜와 시간을 바르게 입력하세요.") from None


class InviteForm(FlaskForm):
    """Invite an agency, one of its people, or a guest (자문위원)."""

    agency_id = NumberField(_l("기관"))
    person_id = NumberField(_l("사람"), required=False)
    role = EnumField(_l("참석 구분"), enum_type=InvitationRole)


class RsvpForm(FlaskForm):
    """Answer an invitation: attend, decline, or send a deputy."""

    rsvp = EnumField(_l("참석 여부"), enum_type=Rsvp)
    deputy_id = NumberField(_l("대리 참석자"), required=False)


class ProposeForm(FlaskForm):
    """An invited agency proposes an agenda item, optionally about one of its cases."""

    title = StringField(_l("안건 제목"))
    case_id = NumberField(_l("사례"), required=False)
    time_box_minutes = NumberField(_l("시간"))


class EditItemForm(FlaskForm):
    """Set an item's title, time box and presenter."""

    title = StringField(_l("안건 제목"))
    time_box_minutes = NumberField(_l("시간"))
    presenter_id = NumberField(_l("발표자"), required=False)


class MoveItemForm(FlaskForm):
    """Move an item one place: ``up``, anything else moves it down (as the two buttons post)."""

    direction = StringField()


class CarryReasonForm(FlaskForm):
    """Why a carried action is back on the agenda."""

    reason = EnumField(_l("이월 사유"), enum_type=CarryReason)


class CarryForm(FlaskForm):
    """Carry an unfinished action of an earlier conference to this agenda."""

    action_id = NumberField(_l("실행과제"))
    reason = EnumField(_l("이월 사유"), enum_type=CarryReason)


class PledgeForm(FlaskForm):
    """Accept the confidentiality pledge in the version shown."""

    agree = StringField()
    version = StringField()


class SignOffForm(FlaskForm):
    """Sign the finalized minutes (``decision`` = sign) or object with a reason."""

    decision = StringField()
    comment = TextAreaField(_l("이의 사유"))


class ActionReferralForm(FlaskForm):
    """A draft referral from an action item: the receiving agency, the reason, services, field groups."""

    receiving_agency_id = NumberField(_l("받는 기관"))
    reason = TextAreaField(_l("의뢰사유"))
    requested_services = TextAreaField(_l("대상자 요구 서비스"))
    field_groups = CodeListField()


class ActionProgressForm(FlaskForm):
    """Start or complete an action item (an optional result note); the page filter to return to."""

    result_note = TextAreaField(_l("결과(선택)"))
    return_status = StringField()
    #: the page of the list to return to (a malformed one returns to the first)
    return_page = StringField()


class ConferenceListForm(ListQueryForm):
    """Which conferences the list shows and in which order (GET: links must work when shared)."""

    status = SelectField(
        _l("상태"),
        choices=[
            SelectChoice("", _l("취소된 회의를 뺀 모든 회의")),
            SelectChoice("scheduled", _l("예정")),
            SelectChoice("live", _l("진행 중")),
            SelectChoice("closed", _l("종료")),
            SelectChoice("cancelled", _l("취소")),
        ],
        default="",
        validators=[Optional()],
    )
    kind = SelectField(
        _l("종류"),
        choices=[SelectChoice("", _l("모든 종류"))]
        + [SelectChoice(kind.value, label) for kind, label in CONFERENCE_KIND_LABELS.items()],
        default="",
        validators=[Optional()],
    )
    q = StringField(_l("회의 이름"), default="", validators=[Optional(), Length(max=100)])
    order = SelectField(
        _l("정렬"),
        choices=[SelectChoice("newest", _l("최근 일시 순")), SelectChoice("oldest", _l("오래된 일시 순"))],
        default="newest",
    )
