"""Forms of the cadences pages: meeting series, the 자문단 roster, attendance and supervision advice."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import StopValidation

from conference.cadence import Cadence, build_rrule
from conference.forms import EnumField, IdListField, NumberField
from conference.models import ConferenceKind
from conference.services.cadences import SeriesInput
from conference.services.supervision import AdviserInput
from hamkke.korean import with_particle


class WeekListField(Field):
    """The weeks of the month a series falls in: 1 to 4, or -1 for the last; other values are refused."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep the posted weeks as numbers; a value that is no number becomes 0, which no week is."""
        weeks: list[int] = []
        for value in valuelist:
            try:
                weeks.append(int(value))
            except ValueError:
                weeks.append(0)
        self.data = weeks

    def _value(self) -> str:
        return ""


def _day(field: Field, *, required: bool) -> date | None:
    """Read an ISO date from a text field; refuse one that is no date (or missing when required)."""
    text = (field.data or "").strip()
    if not text:
        if required:
            raise StopValidation(f"{with_particle(str(field.label.text), '을')} 입력하세요.")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StopValidation(f"{with_particle(str(field.label.text), '을')} 바르게 입력하세요.") from None


def _required_day(field: Field) -> date:
    """Read a date the form's validation already required."""
    day = _day(field, required=True)
    if day is None:  # validation refused an empty field before the form is used
        raise StopValidation(f"{with_particle(str(field.label.text), '을')} 입력하세요.")
    return day


class SeriesForm(FlaskForm):
    """Create or change a meeting series: kind, rhythm, period, time, place and invitations."""

    kind = EnumField(_l("회의 종류"), enum_type=ConferenceKind)
    title = StringField(_l("회의 이름"))
    cadence = EnumField(_l("주기"), enum_type=Cadence)
    weekday = NumberField(_l("요일"), required=False)
    weeks = WeekListField(_l("몇째 주"))
    interval = NumberField(_l("반복 간격(주)"), required=False)
    rrule = StringField(_l("반복 규칙(RRULE)"))
    starts_on = StringField(_l("시작일"))
    ends_on = StringField(_l("끝나는 날"))
    start_time = StringField(_l("시작 시각"))
    place = StringField(_l("장소"))
    region_id = NumberField(_l("권역"), required=False)
    dong_id = NumberField(_l("동"), required=False)
    weeks_ahead = NumberField(_l("미리 만들 기간(주)"))
    agency_ids = IdListField()

    def validate_starts_on(self, field: Field) -> None:
        """Refuse a start that is no date."""
        _day(field, required=True)

    def validate_ends_on(self, field: Field) -> None:
        """Refuse an end that is no date (it may be empty: the series runs on)."""
        _day(field, required=False)

    def validate_start_time(self, field: Field) -> None:
        """Refuse a start time that is no time of day."""
        try:
            time.fromisoformat((field.data or "").strip())
        except ValueError:
            raise StopValidation("시작 시각을 바르게 입력하세요.") from None

    def to_input(self) -> SeriesInput:
        """Turn the valid form into the service input; ``build_rrule`` refuses an impossible rhythm."""
        at = time.fromisoformat((self.start_time.data or "").strip())
        weeks = self.weeks.data or []
        rule = build_rrule(
            self.cadence.data,
            weekday=self.weekday.data,
            weeks=weeks,
            interval=(self.interval.data or 0) if self.interval.raw else 1,
            custom=self.rrule.data,
        )
        return SeriesInput(
            kind=self.kind.data,
            title=self.title.data or "",
            rrule=rule,
            starts_on=_required_day(self.starts_on),
            ends_on=_day(self.ends_on, required=False),
            start_minute=at.hour * 60 + at.minute,
            place=self.place.data,
            region_id=self.region_id.data,
            dong_id=self.dong_id.data,
            agency_ids=self.agency_ids.data or [],
            weeks_ahead=self.weeks_ahead.data or 0,
        )


class EndSeriesForm(FlaskForm):
    """End a series after a day (today when empty)."""

    ends_on = StringField(_l("마지막 날"))

    def validate_ends_on(self, field: Field) -> None:
        """Refuse a last day that is no date."""
        _day(field, required=False)

    def last_day(self) -> date | None:
        """Return the posted last day, or None for today."""
        return _day(self.ends_on, required=False)


class AdviserForm(FlaskForm):
    """Put an expert on the 자문단 roster for a term."""

    name = StringField(_l("이름"))
    expertise = StringField(_l("전문 분야"))
    affiliation = StringField(_l("소속"))
    contact = StringField(_l("연락처"))
    term_starts_on = StringField(_l("임기 시작일"))
    term_ends_on = StringField(_l("임기 종료일"))

    def validate_term_starts_on(self, field: Field) -> None:
        """Refuse a term start that is missing or no date."""
        _day(field, required=True)

    def validate_term_ends_on(self, field: Field) -> None:
        """Refuse a term end that is no date."""
        _day(field, required=False)

    def to_input(self) -> AdviserInput:
        """Turn the valid form into the service's input."""
        return AdviserInput(
            name=self.name.data or "",
            expertise=self.expertise.data or "",
            affiliation=self.affiliation.data or "",
            contact=self.contact.data,
            term_starts_on=_required_day(self.term_starts_on),
            term_ends_on=_day(self.term_ends_on, required=False),
        )


class AdviserAttendanceForm(FlaskForm):
    """Which serving advisers attended the meeting."""

    adviser_ids = IdListField(_l("참석 자문위원"))


class AdviceForm(FlaskForm):
    """An adviser's advice on one case of the meeting and the follow-up agreed."""

    item_id = NumberField(_l("사례 안건"))
    adviser_id = NumberField(_l("자문위원"))
    advice = TextAreaField(_l("자문 내용"))
    follow_up = TextAreaField(_l("합의한 후속 조치"))
