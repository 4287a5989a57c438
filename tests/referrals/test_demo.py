"""Demo referrals load on top of the demo district and show every step of the loop."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from demo.referrals import load_demo_referrals
from referrals.models import Referral, ReferralStatus


def test_demo_referrals_cover_the_loop_on_the_demo_district(app: Flask, db: Any) -> None:
    from demo.district import load_demo

    load_demo()
    made = load_demo_referrals()
    assert made == 6
    statuses = {referral.status for referral in db.session.scalars(sa.select(Referral))}
    assert statuses == {
        ReferralStatus.requested,
        ReferralStatus.received,
        ReferralStatus.accepted,
        ReferralStatus.in_progress,
        ReferralStatus.completed,
        ReferralStatus.rejected,
    }
