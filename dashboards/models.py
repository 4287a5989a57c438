"""Indexes the dashboard aggregates rely on (period filters over other domains' tables).

The dashboards keep no tables of their own: every figure is counted from the domain tables. These
composite indexes let the period filters (접수일, 의뢰 발송, 과제 기한, 구청 의뢰일) use an index
instead of scanning, next to the scope columns they are combined with.
"""

from __future__ import annotations

import sqlalchemy as sa

from cases.models import Case, Escalation
from conference.models import ActionItem
from referrals.models import Referral

#: Attached to their tables' metadata on import, so Alembic and ``create_all`` see them.
INDEXES = (
    sa.Index("ix_dashboards_cases_owner_opened", Case.owning_agency_id, Case.opened_on),
    sa.Index("ix_dashboards_cases_dong_opened", Case.dong_id, Case.opened_on),
    sa.Index("ix_dashboards_escalations_submitted", Escalation.submitted_on),
    sa.Index("ix_dashboards_action_items_due", ActionItem.due_on),
    sa.Index("ix_dashboards_referrals_district_sent", Referral.district_id, Referral.sent_at),
)
