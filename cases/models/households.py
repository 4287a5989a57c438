"""Households and clients (대상자): the people served, with their personal columns marked by group."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.models.household_codes import HouseholdComposition, HouseholdProblemType
from cases.models.pii import _pii
from hamkke.db import Model, SoftDeleteMixin, TimestampMixin, str_enum


class Household(TimestampMixin, SoftDeleteMixin, Model):
    """A household served by the network; its members are clients. Owned by the collecting agency."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the agency that collected this record and answers for it
    owning_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    dong_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dongs.id"), index=True)
    #: 가구유형 by main difficulty, coded (seed 004's first typology); NULL until someone classifies it
    problem_type: Mapped[HouseholdProblemType | None] = mapped_column(
        str_enum(HouseholdProblemType, "household_problem_type"), index=True
    )
    #: 가구유형 by make-up, coded (seed 004's second typology)
    composition_type: Mapped[HouseholdComposition | None] = mapped_column(
        str_enum(HouseholdComposition, "household_composition_type"), index=True
    )
    #: the free-text 가구유형 written before the codes existed, kept as a note (never counted)
    household_type: Mapped[str | None] = mapped_column(sa.String(60))
    #: 세대유형 (필수서식1), e.g. 한부모+자녀
    composition: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("household"))
    #: 가구특성, at most four (필수서식1)
    characteristics: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'"), info=_pii("household")
    )
    #: why this member was chosen as the main client (주요 클라이언트), a strategic choice
    main_client_reason: Mapped[str | None] = mapped_column(sa.Text, info=_pii("household"))

    members: Mapped[list[Client]] = relationship(back_populates="household", order_by="Client.id")

    @property
    def main_client(self) -> Client | None:
        """Return the household's main client, if one was chosen."""
        return next((member for member in self.members if member.is_main_client), None)


class Client(TimestampMixin, SoftDeleteMixin, Model):
    """A person served (대상자); personal columns are read only through ``consents.gate.view_client``."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    #: the agency that collected this record and answers for it
    owning_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    # 기본정보
    name: Mapped[str] = mapped_column(sa.String(100), info=_pii("basic"))
    sex: Mapped[str | None] = mapped_column(sa.String(10), info=_pii("basic"))
    birth_date: Mapped[date | None] = mapped_column(info=_pii("basic"))
    phone: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("basic"))
    address: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("basic"))
    #: 비상연락처 (name, relationship, phone in one line)
    emergency_contact: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("basic"))
    # 고유식별정보
    #: 주민등록번호, Fernet-encrypted; stored only with ``rrn_legal_basis`` by a public agency
    rrn_encrypted: Mapped[str | None] = mapped_column(sa.Text, info=_pii("unique_id", encrypted=True))
    #: the statute that allows a public agency to process the number, e.g. 사회보장급여법 제37조
    rrn_legal_basis: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("unique_id"))
    #: keyed fingerprints for the cross-agency 중복 서비스 확인 (``cases.models.fingerprints``): one-way,
    #: never shown, derived on every write and cleared with the record; no personal value can be read back
    rrn_match_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    identity_match_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # 가구정보
    #: relationship to the head of household (본인, 배우자, 자녀, …)
    relationship_to_head: Mapped[str | None] = mapped_column(sa.String(30), info=_pii("household"))
    #: lives in the household (동거) or not
    lives_together: Mapped[bool] = mapped_column(
        default=True, server_default=sa.true(), info=_pii("household")
    )
    #: the main client (주요 클라이언트) chosen for the household
    is_main_client: Mapped[bool] = mapped_column(default=False)
    # 경제상황
    #: 보장구분 / 수급 category, e.g. 조건부수급자(생계급여), 차상위
    benefit_category: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("economic"))
    #: monthly household-earned income, 만원
    monthly_income: Mapped[int | None] = mapped_column(info=_pii("economic"))
    #: debts, 만원
    debt_amount: Mapped[int | None] = mapped_column(info=_pii("economic"))
    debt_reason: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("economic"))
    #: 주거형태·점유 in words (월세, 임대 …)
    housing: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("economic"))
    # 건강정보 (sensitive: separate consent)
    physical_health: Mapped[str | None] = mapped_column(sa.Text, info=_pii("health"))
    mental_health: Mapped[str | None] = mapped_column(sa.Text, info=_pii("health"))
    disability: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("health"))
    addiction: Mapped[str | None] = mapped_column(sa.Text, info=_pii("health"))
    # 가족관계
    #: relationships with family members, including the "invisible family" outside the household
    family_relations: Mapped[str | None] = mapped_column(sa.Text, info=_pii("family"))

    household: Mapped[Household] = relationship(back_populates="members")
