"""Forms of the network pages, validated on the server with Korean messages next to each field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from agencies.models import AgencySector, AgencyType, StaffRole
from agencies.queries import MAX_KEYWORD_LENGTH
from agencies.services import EMAIL_PATTERN
from hamkke.api.scopes import SCOPES
from hamkke.paging import ListQueryForm

REQUIRED = "꼭 입력해 주세요."
CHOOSE = "목록에서 골라 주세요."
SECTOR_LABELS = {AgencySector.public: "공공", AgencySector.private: "민간"}


class MultiCheckboxField(SelectMultipleField):
    """A group of check boxes (rendered inside a fieldset by the templates)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _split_lines(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(",", "\n").splitlines() if part.strip()]


class DirectoryFilterForm(ListQueryForm):
    """The directory's search filters (GET, so no CSRF token)."""

    type = SelectField("기관 유형", choices=[], validators=[Optional()])
    region = SelectField("권역", choices=[], validators=[Optional()])
    category = SelectField("서비스 분야", choices=[], validators=[Optional()])
    q = StringField(
        "검색어",
        validators=[Optional(), Length(max=MAX_KEYWORD_LENGTH, message="검색어는 100자 이내로 적어 주세요.")],
    )

    def set_choices(self, facets: dict[str, Any]) -> None:
        """Fill the choices from the district's agency types, 권역 and service categories."""
        self.type.choices = [SelectChoice("", "모든 유형")] + [
            SelectChoice(kind.value, kind.label) for kind in facets["types"]
        ]
        self.region.choices = [SelectChoice("", "모든 권역")] + [
            SelectChoice(region.code, region.name) for region in facets["regions"]
        ]
        self.category.choices = [SelectChoice("", "모든 분야")] + [
            SelectChoice(category, category) for category in facets["categories"]
        ]


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReasonForm(FlaskForm):
    """A change that needs a written reason (disabling a person, suspending an agency)."""

    reason = TextAreaField(
        "사유",
        validators=[
            DataRequired(message="사유를 적어 주세요."),
            Length(max=300, message="사유는 300자 이내로 적어 주세요."),
        ],
    )


class RemoveMemberForm(FlaskForm):
    """Removing a member, with an optional reason."""

    reason = TextAreaField(
        "사유 (선택)", validators=[Optional(), Length(max=300, message="300자 이내로 적어 주세요.")]
    )


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, role.label) for role in StaffRole]


class ApproveMemberForm(FlaskForm):
    """Approving a pending member with roles."""

    roles = MultiCheckboxField("역할", choices=_role_choices)
    title = StringField(
        "직함 (선택)", validators=[Optional(), Length(max=100, message="100자 이내로 적어 주세요.")]
    )

    def validate_roles(self, field: MultiCheckboxField) -> None:
        """Require at least one role."""
        if not field.data:
            raise ValidationError("역할을 하나 이상 고르세요.")


class RoleForm(FlaskForm):
    """Granting or revoking one role."""

    role = SelectField("역할", choices=_role_choices, validators=[InputRequired(message=CHOOSE)])


class ApiClientForm(FlaskForm):
    """Registering an API client of the agency."""

    name = StringField(
        "시스템 이름",
        validators=[DataRequired(message=REQUIRED), Length(max=100, message="100자 이내로 적어 주세요.")],
    )
    scopes = MultiCheckboxField(
        "권한 범위", choices=[SelectChoice(scope.name, f"{scope.label} ({scope.name})") for scope in SCOPES]
    )

    def validate_scopes(self, field: MultiCheckboxField) -> None:
        """Require at least one scope."""
        if not field.data:
            raise ValidationError("권한 범위를 하나 이상 고르세요.")


class AgreementForm(FlaskForm):
    """Accepting the 업무협약: the version shown and an explicit tick."""

    version = HiddenField(
        validators=[DataRequired(message="협약 버전이 없습니다. 페이지를 새로 고쳐 주세요.")]
    )
    agree = BooleanField(
        "위 업무협약의 내용을 읽었으며, 기관을 대표하여 동의합니다.",
        validators=[DataRequired(message="동의하려면 확인란을 선택해 주세요.")],
    )


class ProviderFieldsMixin:
    """Fields of an OpenID Connect provider, shared by the invitation and the provider settings."""

    provider_name = StringField(
        "인증 서버 이름", validators=[Optional(), Length(max=200, message="200자 이내")]
    )
    issuer = StringField(
        "발급자(issuer) 주소", validators=[Optional(), Length(max=500, message="500자 이내")]
    )
    client_id = StringField("클라이언트 ID", validators=[Optional(), Length(max=200, message="200자 이내")])
    client_secret = PasswordField("클라이언트 비밀번호(secret)", validators=[Optional(), Length(max=500)])
    allowed_email_domains = TextAreaField(
        "허용할 전자우편 도메인", validators=[Optional(), Length(max=2000, message="너무 깁니다.")]
    )
    claim_name = StringField(
        "기관 코드 클레임 이름", validators=[Optional(), Length(max=100, message="100자 이내")]
    )
    trust_missing_email_verified = BooleanField(
        "email_verified 클레임을 보내지 않는 기관 전용 서버입니다 (주소를 서버가 직접 발급)"
    )

    def domain_list(self) -> list[str]:
        """Return the domains typed one per line (or comma-separated)."""
        return _split_lines(self.allowed_email_domains.data)


class IdentityProviderForm(ProviderFieldsMixin, FlaskForm):
    """Registering or editing an identity provider."""

    is_active = BooleanField("사용")

    def validate_provider_name(self, field: StringField) -> None:
        """Require a name."""
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)

    def validate_issuer(self, field: StringField) -> None:
        """Require the issuer."""
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)

    def validate_client_id(self, field: StringField) -> None:
        """Require the client ID."""
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)


NEW_PROVIDER = "new"


class InvitationForm(ProviderFieldsMixin, FlaskForm):
    """Inviting an agency: the agency, the invitee, and the identity provider to bind."""

    name = StringField(
        "기관 이름",
        validators=[DataRequired(message=REQUIRED), Length(max=200, message="200자 이내로 적어 주세요.")],
    )
    code = StringField(
        "기관 코드",
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(
                r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$",
                message="영문 소문자, 숫자, 하이픈(-)으로 2~60자로 적어 주세요. 예: hanbit-welfare",
            ),
        ],
    )
    type = SelectField(
        "기관 유형",
        choices=[SelectChoice(kind.value, kind.label) for kind in AgencyType],
        validators=[InputRequired(message=CHOOSE)],
    )
    sector = RadioField(
        "구분",
        choices=[SelectChoice(sector.value, label) for sector, label in SECTOR_LABELS.items()],
        validators=[InputRequired(message="공공 또는 민간을 골라 주세요.")],
    )
    regions = MultiCheckboxField("담당 권역", choices=[], coerce=int)
    email = EmailField(
        "초대받을 기관관리자의 전자우편",
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(EMAIL_PATTERN, message="전자우편 주소 형식이 올바르지 않습니다. 예: name@agency.or.kr"),
            Length(max=200, message="200자 이내로 적어 주세요."),
        ],
    )
    identity_provider = RadioField("인증 서버", choices=[], validators=[InputRequired(message=CHOOSE)])

    def set_choices(self, regions: list[Any], providers: list[Any]) -> None:
        """Fill the 권역 and identity provider choices of the district."""
        self.regions.choices = [SelectChoice(str(region.id), region.name) for region in regions]
        self.identity_provider.choices = [
            SelectChoice(str(p.id), f"{p.name} ({p.issuer})") for p in providers
        ] + [SelectChoice(NEW_PROVIDER, "새 인증 서버 등록")]

    @property
    def wants_new_provider(self) -> bool:
        """Tell whether the coordinator registers a new provider with this invitation."""
        return self.identity_provider.data == NEW_PROVIDER

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate, and require the new provider's fields only when a new provider is chosen."""
        valid = super().validate(extra_validators)
        if self.wants_new_provider:
            for field in (self.provider_name, self.issuer, self.client_id, self.client_secret):
                if not (field.data or "").strip():
                    field.errors = [*field.errors, REQUIRED]
                    valid = False
            if not self.domain_list() and not (self.claim_name.data or "").strip():
                self.allowed_email_domains.errors = [
                    *self.allowed_email_domains.errors,
                    "허용할 전자우편 도메인이나 기관 코드 클레임 중 하나 이상을 정해 주세요.",
                ]
                valid = False
        return valid


class LocalSignInForm(FlaskForm):
    """The break-glass administrator's sign-in (first setup only); every refusal is counted by the service."""

    email = EmailField(
        "이메일",
        validators=[DataRequired(message=REQUIRED), Length(max=200, message="이메일은 200자 이내입니다.")],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "비밀번호",
        validators=[DataRequired(message=REQUIRED), Length(max=1000, message="비밀번호가 너무 깁니다.")],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
