"""사례관리 욕구조사지 (활용서식2): one survey of a case's household, answers kept as the form asked them."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin


class NeedsSurvey(TimestampMixin, Model):
    """A 욕구조사지: a 0–3 (or 0/3) answer per question, domain sums computed, the support grid."""

    __tablename__ = "case_needs_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    surveyed_on: Mapped[date]
    #: whether the children's questions (초·중·고 자녀) were asked
    has_school_children: Mapped[bool] = mapped_column(default=False)
    #: question code → score (see `cases.needs_survey.SURVEY_ITEMS`); health and thoughts of dying: sensitive
    answers: Mapped[dict[str, int]] = mapped_column(sa.JSON, info=_pii("health"))
    #: question code → the illness's name (질환명) where the question asks it
    illness_names: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict, info=_pii("health"))
    #: person kind → {"count": "없다"|"1명"…, "kinds": ["counsel", "goods", …]}
    support: Mapped[dict[str, dict[str, object]]] = mapped_column(sa.JSON, default=dict, info=_pii("health"))
    #: 기타 요청사항 (the children's part)
    other_requests: Mapped[str | None] = mapped_column(sa.Text, info=_pii("health"))
    #: domain code → sum of its answers
    domain_totals: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    #: an answer about giving up a family member or about suicide: the worker must rate the crisis
    risk_flag: Mapped[bool] = mapped_column(default=False)
    surveyed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class SatisfactionSurvey(TimestampMixin, Model):
    """A 만족도 평가지 (seed 000 §3.5): the participant's 1–4 answers, their sum and average."""

    __tablename__ = "case_satisfaction_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: which sheet (`cases.satisfaction.SatisfactionKind`): about the worker, or about the service
    kind: Mapped[str] = mapped_column(sa.String(20))
    answered_on: Mapped[date]
    #: a family member answered for the participant (who could not)
    answered_by_family: Mapped[bool] = mapped_column(default=False)
    #: the scores in statement order
    scores: Mapped[list[int]] = mapped_column(sa.JSON, info=_pii("service_history"))
    total: Mapped[int]
    average: Mapped[float]
    #: 기타 의견 in the participant's words
    comment: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: the worker who handed out the sheet and entered it
    entered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
