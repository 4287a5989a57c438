"""필수서식 1 기본면접기록지 (seed 000), field by field, and seed 001's 초기상담기록지 service history.

The form's sections live in one table per field group, so the disclosure gate shares or withholds them
as units: the interview itself (``basic``), the bank account (``account``, sensitive), health, drinking
and smoking (``health``, sensitive), 수급사항 (``economic``), the family table (``family``), and work,
licences, training and schooling (``career``). Every table carries ``case_id``: the gate loads a case's
records by it. Choice values are stored as the form's Korean words (never a code a person could see).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin


def _case_fk(*, unique: bool = False) -> Any:
    # Every record names its case: the gate loads a case's records by ``case_id``.
    return mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True, unique=unique)


class BasicInterview(TimestampMixin, Model):
    """기본면접기록지: 대상자정보, 사례관리사 작성용 and 기초정보 (one per case)."""

    __tablename__ = "case_basic_interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk(unique=True)
    # 사례관리사 작성용
    counselled_on: Mapped[date]
    #: 상담유형: 방문, 내방, 전화, 기타
    method: Mapped[str] = mapped_column(sa.String(10))
    method_other: Mapped[str | None] = mapped_column(sa.String(60))
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: 자활사업 참여형태: 신규참여 or 재참여 (재참여: received the benefit before)
    participation: Mapped[str] = mapped_column(sa.String(10))
    #: 접수경로 as the form lists it
    intake_route: Mapped[str] = mapped_column(sa.String(20))
    intake_route_other: Mapped[str | None] = mapped_column(sa.String(60))
    # 대상자정보
    has_home_phone: Mapped[bool] = mapped_column(default=False, info=_pii("basic"))
    has_mobile_phone: Mapped[bool] = mapped_column(default=False, info=_pii("basic"))
    emergency_name: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("basic"))
    emergency_relation: Mapped[str | None] = mapped_column(sa.String(30), info=_pii("basic"))
    emergency_phone: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("basic"))
    #: 최종학력 (무학 … 대졸, 기타) with the major where the form asks for one
    education: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("basic"))
    education_major: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("basic"))
    email: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("basic"))
    #: 자활센터 선택이유
    centre_reason: Mapped[str | None] = mapped_column(sa.Text, info=_pii("basic"))
    #: 방문하게 된 계기: 지인소개, 주민센터(동사무소), 광고(인터넷, 신문), 기타
    visit_trigger: Mapped[str | None] = mapped_column(sa.String(30), info=_pii("basic"))
    visit_trigger_other: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("basic"))
    #: 방문한 주된 이유
    visit_reason: Mapped[str | None] = mapped_column(sa.Text, info=_pii("basic"))
    remarks: Mapped[str | None] = mapped_column(sa.Text, info=_pii("basic"))
    # 기초정보 (세대유형 and 가구특성 are the household's own columns)
    #: 혼인관계: 미혼, 기혼, 별거, 사별, 이혼, 사실혼관계(동거), 기타
    marital_status: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("basic"))
    marital_other: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("basic"))


class InterviewAccount(TimestampMixin, Model):
    """The client's bank account (은행명, 예금주명, 계좌번호): sensitive, its own field group."""

    __tablename__ = "case_interview_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk(unique=True)
    bank_name: Mapped[str] = mapped_column(sa.String(60), info=_pii("account"))
    holder_name: Mapped[str] = mapped_column(sa.String(100), info=_pii("account"))
    account_number: Mapped[str] = mapped_column(sa.String(40), info=_pii("account"))


class InterviewHealth(TimestampMixin, Model):
    """건강상태: physical and mental health, 음주 and 흡연 as the form asks them (sensitive)."""

    __tablename__ = "case_interview_health"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk(unique=True)
    # 신체적 건강상태
    #: 양호, 보통, 허약 (as the client sees it)
    physical_rating: Mapped[str | None] = mapped_column(sa.String(10), info=_pii("health"))
    disease_1: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("health"))
    disease_2: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("health"))
    medication: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("health"))
    disability_type: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("health"))
    disability_grade: Mapped[int | None] = mapped_column(info=_pii("health"))
    surgery_year: Mapped[int | None] = mapped_column(info=_pii("health"))
    surgery_detail: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("health"))
    # 정신적 건강상태
    #: 양호, 보통, 상담 및 치료필요
    mental_rating: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("health"))
    mental_illness_symptoms: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("health"))
    mental_illness_treated: Mapped[bool | None] = mapped_column(info=_pii("health"))
    mental_illness_clinic: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("health"))
    mental_illness_medication: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("health"))
    distress_symptoms: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("health"))
    distress_counselled: Mapped[bool | None] = mapped_column(info=_pii("health"))
    distress_agency: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("health"))
    distress_medication: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("health"))
    #: 정신장애 유형: 지적장애, 자폐성장애, 정신장애
    mental_disability_type: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("health"))
    mental_disability_grade: Mapped[int | None] = mapped_column(info=_pii("health"))
    # 음주
    drinks: Mapped[bool] = mapped_column(default=False, info=_pii("health"))
    #: 주로 마시는 술 종류 (소주, 맥주, 막걸리, 양주, 기타)
    drink_kinds: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'"), info=_pii("health")
    )
    #: 음주횟수: times a week, 1–7
    drinks_per_week: Mapped[int | None] = mapped_column(info=_pii("health"))
    #: 1회당 주량: bottles (1병 = 7잔), 1–10
    bottles_per_session: Mapped[int | None] = mapped_column(info=_pii("health"))
    drinking_difficulty: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("health"))
    drinking_treatment_agency: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("health"))
    drinking_treated: Mapped[bool] = mapped_column(default=False, info=_pii("health"))
    # 흡연
    smokes: Mapped[bool] = mapped_column(default=False, info=_pii("health"))
    #: 흡연양: packs a week (1갑 = 20개피), 1–21
    packs_per_week: Mapped[int | None] = mapped_column(info=_pii("health"))
    smoking_difficulty: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("health"))
    smoking_treated: Mapped[bool] = mapped_column(default=False, info=_pii("health"))
    smoking_treatment_agency: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("health"))


class InterviewBenefits(TimestampMixin, Model):
    """기초생활수급사항 at the start of participation, and past receipt."""

    __tablename__ = "case_interview_benefits"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk(unique=True)
    is_recipient: Mapped[bool] = mapped_column(default=False, info=_pii("economic"))
    #: 최초수급시기 (the month; stored as its first day)
    first_received_on: Mapped[date | None] = mapped_column(info=_pii("economic"))
    #: 개별급여 kinds (의료, 교육, 주거) when 보장구분 is 개별급여
    individual_benefits: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'"), info=_pii("economic")
    )
    #: 의료급여유형: 의료급여1종, 의료급여2종, 건강보험, 지역보험, 기타
    medical_type: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("economic"))
    medical_type_other: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("economic"))
    past_recipient: Mapped[bool] = mapped_column(default=False, info=_pii("economic"))
    past_years: Mapped[int | None] = mapped_column(info=_pii("economic"))
    past_months: Mapped[int | None] = mapped_column(info=_pii("economic"))
    #: past 수급유형: 생계, 주거, 의료, 교육, 해산, 장제, 자활급여
    past_kinds: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'"), info=_pii("economic")
    )


class InterviewFamilyMember(TimestampMixin, Model):
    """One row of 가족사항 (실제 동거현황 기준, 본인 포함)."""

    __tablename__ = "case_interview_family"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    relation: Mapped[str] = mapped_column(sa.String(20), info=_pii("family"))
    name: Mapped[str] = mapped_column(sa.String(100), info=_pii("family"))
    age: Mapped[int | None] = mapped_column(info=_pii("family"))
    sex: Mapped[str | None] = mapped_column(sa.String(10), info=_pii("family"))
    lives_together: Mapped[bool] = mapped_column(default=True, info=_pii("family"))
    occupation: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("family"))
    education: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("family"))
    marital_status: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("family"))
    physical_disability: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("family"))
    mental_disability: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("family"))
    #: 소득, 만원 a month
    monthly_income: Mapped[int | None] = mapped_column(info=_pii("family"))


class InterviewCareer(TimestampMixin, Model):
    """One row of 취·창업 경험: a job, a business, a government job scheme or earlier 자활 work."""

    __tablename__ = "case_interview_careers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    #: 취업, 창업, 정부일자리, 자활
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: 시작년월 and 종료년월 (months, stored as their first day)
    started_on: Mapped[date | None] = mapped_column(info=_pii("career"))
    ended_on: Mapped[date | None] = mapped_column(info=_pii("career"))
    #: 업종, or the 소관부처/지자체 of a job scheme
    sector: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("career"))
    #: 직장명, 업체명, 사업명 or 참여사업단/자활기업
    organisation: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("career"))
    #: 담당내용, 구체적 사업내용 or 사업내용
    duties: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("career"))
    #: 고용형태 (jobs only)
    employment_type: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("career"))
    #: 퇴직시점 월급여 or 매출액, 만원 a month
    monthly_amount: Mapped[int | None] = mapped_column(info=_pii("career"))
    #: 퇴직사유, 폐업사유 or 종결사유
    end_reason: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("career"))


class InterviewLicence(TimestampMixin, Model):
    """One 보유 자격증."""

    __tablename__ = "case_interview_licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    #: 전문자격증, 민간자격증, 기타
    licence_type: Mapped[str] = mapped_column(sa.String(20), info=_pii("career"))
    name: Mapped[str] = mapped_column(sa.String(100), info=_pii("career"))
    issuer: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("career"))
    acquired_on: Mapped[date | None] = mapped_column(info=_pii("career"))


class InterviewTraining(TimestampMixin, Model):
    """One 직업훈련 of the last five years."""

    __tablename__ = "case_interview_trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    started_on: Mapped[date] = mapped_column(info=_pii("career"))
    ended_on: Mapped[date | None] = mapped_column(info=_pii("career"))
    institution: Mapped[str] = mapped_column(sa.String(100), info=_pii("career"))
    content: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("career"))
    completed: Mapped[bool] = mapped_column(default=True, info=_pii("career"))
    #: 이수시간, 1–99
    hours: Mapped[int | None] = mapped_column(info=_pii("career"))
    dropout_reason: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("career"))


class InterviewSchooling(TimestampMixin, Model):
    """One 상위학력 gained after joining 자활근로."""

    __tablename__ = "case_interview_schooling"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    #: 고등학교졸업, 대학교졸업, 대학원졸업
    degree: Mapped[str] = mapped_column(sa.String(20), info=_pii("career"))
    school: Mapped[str] = mapped_column(sa.String(100), info=_pii("career"))
    graduated_on: Mapped[date | None] = mapped_column(info=_pii("career"))


class PriorService(TimestampMixin, Model):
    """초기상담기록지 (seed 001): a service had before, its length, why it stopped, its result."""

    __tablename__ = "case_intake_prior_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    intake_record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_intake_records.id", ondelete="CASCADE"), index=True
    )
    service: Mapped[str] = mapped_column(sa.String(200), info=_pii("service_history"))
    provider: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("service_history"))
    period: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("service_history"))
    stop_reason: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("service_history"))
    result: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("service_history"))
