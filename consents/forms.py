"""Forms of the consent pages: they read and type what was posted; the services decide what is valid.

Messages stay those the pages always showed (Korean, English through Flask-Babel). A refusal from a
service is attached to the form with ``hamkke.edge.attach_error`` (:func:`attach_consent_error` for
the consent form's grant rows), and the pages render the form's own errors with the shared macros
(``field_errors`` beside a field, ``form_errors`` above the form) like every other form.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from consents.log_labels import CHANNEL_LABELS
from consents.models import PURPOSE_LABELS, ConsentPurpose, RecipientKind
from consents.policy import CURRENT_NOTICE_VERSION
from consents.services import CORRECTABLE_COLUMNS, MAX_ATTACHMENT_BYTES, Attachment, ConsentInput, GrantInput
from hamkke.edge import attach_error
from hamkke.errors import DomainError
from hamkke.paging import ListQueryForm
from hamkke.time import today_local
from hamkke.web import parse_id

#: grant rows the form offers (one per purpose is the usual case)
FORM_GRANT_ROWS = 4


class OptionalDateField(Field):
    """A date as ``YYYY-MM-DD`` (ISO); empty is None, anything else is refused in Korean."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Type the posted text, or refuse it with the page's usual message."""
        raw = valuelist[0] if valuelist else ""
        self.data = None
        if not raw:
            return
        try:
            self.data = date.fromisoformat(raw)
        except (TypeError, ValueError):
            raise ValueError(_("날짜 형식이 올바르지 않습니다.")) from None


class OptionalNumberField(Field):
    """A whole number; empty is None, anything else is refused in Korean."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Type the posted text, or refuse it with the page's usual message."""
        raw = valuelist[0] if valuelist else ""
        self.data = None
        if not raw:
            return
        try:
            self.data = int(raw)
        except (TypeError, ValueError):
            raise ValueError(_("숫자를 입력해 주십시오.")) from None


class RowIdField(Field):
    """A row ID chosen on the page (``hamkke.web.parse_id``); anything else is None, as no choice."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep a valid ID, or None."""
        self.data = parse_id(valuelist[0]) if valuelist else None


def _checkbox() -> BooleanField:
    # Ticked is any non-empty value, as the pages always read it (``"false"`` too).
    return BooleanField(false_values=("",))


class GrantRowForm(Form):
    """One recipient × purpose row of the consent form (``grants-<n>-…``); no CSRF of its own."""

    include = _checkbox()
    purpose = StringField()
    recipient_kind = StringField()
    field_groups = SelectMultipleField(validate_choice=False)
    recipient_agency_id = OptionalNumberField()
    conference_id = OptionalNumberField()
    notice_recipient = StringField()
    notice_purpose = StringField()
    notice_items = StringField()
    notice_retention = StringField()
    notice_refusal = StringField()

    def validate(self, extra_validators: Any = None) -> bool:
        """Check a row only when it is included: rows left out are ignored."""
        if not self.include.data:
            return True
        return super().validate(extra_validators)

    def to_input(self) -> GrantInput:
        """Return the row as the service's input."""
        return GrantInput(
            purpose=self.purpose.data or "",
            recipient_kind=self.recipient_kind.data or "",
            field_groups=tuple(self.field_groups.data or ()),
            recipient_agency_id=self.recipient_agency_id.data,
            conference_id=self.conference_id.data,
            notice_recipient=self.notice_recipient.data or "",
            notice_purpose=self.notice_purpose.data or "",
            notice_items=self.notice_items.data or "",
            notice_retention=self.notice_retention.data or "",
            notice_refusal=self.notice_refusal.data or "",
        )


class ConsentForm(FlaskForm):
    """The consent form: the signer, up to four grant rows, separate consents, validity and the scan."""

    signer_capacity = StringField()
    signer_name = StringField()
    signer_relationship = StringField()
    representation_evidence = StringField()
    method = StringField()
    signed_on = OptionalDateField()
    valid_from = OptionalDateField()
    valid_until = OptionalDateField()
    case_id = OptionalNumberField()
    witness_id = OptionalNumberField()
    includes_sensitive = _checkbox()
    includes_unique_id = _checkbox()
    rrn_statutory_basis = StringField()
    notice_version = StringField(default=CURRENT_NOTICE_VERSION)
    grants = FieldList(FormField(GrantRowForm), min_entries=FORM_GRANT_ROWS, max_entries=FORM_GRANT_ROWS)
    attachment = FileField()

    def grant_rows(self) -> list[GrantRowForm]:
        """Return the rows the page offers (``grants-0`` … ``grants-3``), in order."""
        by_name = {entry.name: entry.form for entry in self.grants.entries}
        rows = (by_name.get(f"grants-{index}") for index in range(FORM_GRANT_ROWS))
        return [row for row in rows if row is not None]

    def to_input(self) -> ConsentInput:
        """Return what was posted as the service's input (included rows only)."""
        upload = self.attachment.data
        attachment = None
        if upload is not None and upload.filename:
            attachment = Attachment(
                filename=upload.filename,
                content_type=upload.mimetype or "",
                data=upload.read(MAX_ATTACHMENT_BYTES + 1),
            )
        signed_on = self.signed_on.data or today_local()
        return ConsentInput(
            signer_capacity=self.signer_capacity.data or "",
            signer_name=self.signer_name.data or "",
            signer_relationship=self.signer_relationship.data,
            representation_evidence=self.representation_evidence.data,
            method=self.method.data or "",
            signed_on=signed_on,
            valid_from=self.valid_from.data or signed_on,
            valid_until=self.valid_until.data,
            case_id=self.case_id.data,
            witness_id=self.witness_id.data,
            includes_sensitive=bool(self.includes_sensitive.data),
            includes_unique_id=bool(self.includes_unique_id.data),
            rrn_statutory_basis=self.rrn_statutory_basis.data,
            notice_version=self.notice_version.data or CURRENT_NOTICE_VERSION,
            grants=tuple(row.to_input() for row in self.grant_rows() if row.include.data),
            attachment=attachment,
        )


#: fields the consent page lays out with no place for an error beside them: their refusals go above the form
SHOWN_ABOVE = frozenset({"grants", "notice_version"})


def attach_consent_error(form: ConsentForm, error: DomainError) -> None:
    """Attach a service's refusal to its field, a grant row's (``grants-0-purpose``) included."""
    for row in form.grant_rows():
        for field in row:
            if field.name == error.field:
                field.errors = [*field.errors, error.message]
                return
    if error.field in SHOWN_ABOVE:
        form.form_errors.append(error.message)
        return
    attach_error(form, error)


def preselected_grant(args: Mapping[str, str], agency_ids: Collection[int]) -> MultiDict[str, str]:
    """Return the consent form's first grant row preselected from a link (purpose, recipient), or nothing.

    The consent indicator links here with the purpose and recipient that are missing; anything unknown
    in the query is ignored (the blank form is shown), never an error.
    """
    purpose = args.get("purpose", "")
    if purpose not in {member.value for member in ConsentPurpose}:
        return MultiDict()
    kind = args.get("recipient_kind", "")
    values = MultiDict(
        [
            ("grants-0-include", "1"),
            ("grants-0-purpose", purpose),
            ("grants-0-field_groups", "basic"),
        ]
    )
    if kind in {member.value for member in RecipientKind}:
        values["grants-0-recipient_kind"] = kind
    agency_id = parse_id(args.get("recipient_agency_id"))
    if kind == RecipientKind.agency and agency_id in agency_ids:
        values["grants-0-recipient_agency_id"] = str(agency_id)
    return values


class RevokeForm(FlaskForm):
    """Withdraw a consent, one grant of it (``grant_id``), or some of a grant's field groups."""

    grant_id = RowIdField()
    field_groups = SelectMultipleField(validate_choice=False)
    reason = StringField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.grant_id.data is not None:
            # Each grant has its own withdrawal form on the consent page: the IDs name the grant's.
            self.field_groups.id = f"r-{self.grant_id.data}"
            self.reason.id = f"reason-{self.grant_id.data}"


class RequestForm(FlaskForm):
    """Record a 열람·정정·삭제·처리정지 request."""

    kind = StringField()
    details = StringField()
    received_on = OptionalDateField()


class _RequestRowForm(FlaskForm):
    """A form repeated on every row of the requests page: its fields' IDs name the request's row."""

    #: field name → the ID prefix it takes on each row
    ROW_IDS: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, request_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, prefix in self.ROW_IDS.items():
            getattr(self, name).id = f"{prefix}-{request_id}"


class CloseRequestForm(_RequestRowForm):
    """Close a data-subject request as fulfilled or refused, with what was done."""

    ROW_IDS: ClassVar[dict[str, str]] = {"outcome": "outcome", "refused": "refused"}

    outcome = StringField()
    refused = _checkbox()


class LiftSuspensionForm(_RequestRowForm):
    """End a fulfilled 처리정지 on a recorded ground, with the reason."""

    ROW_IDS: ClassVar[dict[str, str]] = {"ground": "lift-ground", "reason": "lift-reason"}

    ground = StringField()
    reason = StringField()


class FulfilForm(FlaskForm):
    """Apply a 정정·삭제·처리정지 request: the corrected values (one field per column) or the confirmation."""

    confirm = _checkbox()

    def changes(self) -> dict[str, str]:
        """Return the corrected values as posted, for the columns the page sent."""
        return {
            name: self[name].raw_data[0] if self[name].raw_data else ""
            for name in CORRECTABLE_COLUMNS
            if self[name].raw_data
        }


for _column in CORRECTABLE_COLUMNS:
    # One text field per correctable client column, named as the column (the page's input names);
    # the "fix-" ID keeps a column such as "name" from clashing with the page's other IDs.
    setattr(FulfilForm, _column, StringField(id=f"fix-{_column}"))


#: the years a search of the access log may name (outside them a date is a typo, not a period)
SEARCH_YEARS = range(2000, 2101)


def _plausible_year(_form: FlaskForm, field: Field) -> None:
    """Refuse a date outside SEARCH_YEARS: far dates overflow the time-zone shift of the search."""
    if field.data is not None and field.data.year not in SEARCH_YEARS:
        raise ValidationError(_("2000년에서 2100년 사이의 날짜를 입력해 주십시오."))


class AccessLogSearchForm(ListQueryForm):
    """The access-log search (GET): period, agency, viewer, client, route, purpose and order."""

    since = OptionalDateField(_l("시작일"), validators=[_plausible_year])
    until = OptionalDateField(_l("종료일"), validators=[_plausible_year])
    agency_id = SelectField(_l("기관"), choices=[], default="", validators=[Optional()])
    who = StringField(_l("열람자 이름"), default="", validators=[Optional(), Length(max=100)])
    client = StringField(
        _l("대상자 (사례번호 또는 이름)"), default="", validators=[Optional(), Length(max=100)]
    )
    channel = SelectField(
        _l("경로"),
        choices=[SelectChoice("", _l("전체"))]
        + [SelectChoice(str(channel), label) for channel, label in CHANNEL_LABELS.items()],
        default="",
        validators=[Optional()],
    )
    purpose = SelectField(
        _l("목적"),
        choices=[SelectChoice("", _l("전체"))]
        + [SelectChoice(purpose.value, label) for purpose, label in PURPOSE_LABELS.items()],
        default="",
        validators=[Optional()],
    )
    order = SelectField(
        _l("정렬"),
        choices=[SelectChoice("newest", _l("최근 순")), SelectChoice("oldest", _l("오래된 순"))],
        default="newest",
    )
    #: deep links from other pages (a client's or a person's own log); never shown as a number
    actor_id = RowIdField()
    client_id = RowIdField()
