"""cases: closed_on dates the closure (종결) for cases in 사후관리 too

Revision ID: 9c3d5e7f1a24
Revises: 7b79a91d34d1
Create Date: 2026-12-07 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9c3d5e7f1a24"
down_revision = "7b79a91d34d1"
branch_labels = None
depends_on = None

#: the Seoul calendar day of the latest transition into 사후관리, per dialect (events are stored in UTC)
_ENTERED_FOLLOW_UP = {
    "postgresql": "CAST(timezone('Asia/Seoul', e.at) AS DATE)",
    "sqlite": "date(e.at, '+9 hours')",
}


def upgrade():
    # Cases already in 사후관리 were closed (종결) the day they entered it: the case timeline holds
    # that transition (case_events, kind 'transition', to_stage 'follow_up'); the latest one counts,
    # since a 재개입 may have sent the case round again. A case without such an event keeps NULL.
    bind = op.get_bind()
    day = _ENTERED_FOLLOW_UP.get(bind.dialect.name, _ENTERED_FOLLOW_UP["sqlite"])
    bind.execute(
        sa.text(
            f"""
            UPDATE cases SET closed_on = (
                SELECT {day} FROM case_events e
                WHERE e.case_id = cases.id AND e.kind = 'transition' AND e.to_stage = 'follow_up'
                ORDER BY e.at DESC, e.id DESC LIMIT 1
            )
            WHERE stage = 'follow_up' AND closed_on IS NULL
            """  # noqa: S608 -- the interpolated text is one of two fixed expressions above
        )
    )


def downgrade():
    # Before this revision a case in 사후관리 had no closure date.
    op.get_bind().execute(sa.text("UPDATE cases SET closed_on = NULL WHERE stage = 'follow_up'"))
