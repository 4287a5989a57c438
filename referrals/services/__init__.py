"""Referral life cycle: create from a case, send within consent, answer, close the loop, re-route.

The package re-exports its public names so callers elsewhere keep ``from referrals import services``;
code inside the package imports from the submodules:

- ``rules``: the life-cycle table, the sender's content and an outside recipient
- ``creation``: creating a referral (from a case, an ISP item, an action item) and sending it
- ``answering``: the receiver's answers, closing by the sender, re-routing, recorded outside replies
- ``steps``: the common step of every transition and the people it tells
- ``reissue``: queueing letters and re-issuing them
- ``reminders``: deadline reminders and escalation
"""

from __future__ import annotations

from referrals.services.answering import (
    OUTSIDE_REPLIES,
    accept,
    cancel,
    complete,
    mark_received,
    record_outside_reply,
    reject,
    reroute,
    revoke,
    start,
)
from referrals.services.creation import (
    check_consent,
    check_outside_consent,
    create_from_action_item,
    create_from_plan_service,
    create_referral,
    eligibility_warnings,
    next_document_number,
    send_referral,
)
from referrals.services.reissue import REISSUE_REASON_LIMIT, reissue_letter
from referrals.services.reminders import run_deadline_reminders
from referrals.services.rules import (
    EMAIL_PATTERN,
    REROUTABLE,
    TEXT_LIMIT,
    TRANSITIONS,
    EligibilityWarning,
    OutsideRecipient,
    ReferralContent,
    allowed_transition,
    awaiting,
    clean_outside_recipient,
)
from referrals.services.steps import agency_staff, agency_staff_with, district_coordinators, owing_people

__all__ = [
    "EMAIL_PATTERN",
    "OUTSIDE_REPLIES",
    "REISSUE_REASON_LIMIT",
    "REROUTABLE",
    "TEXT_LIMIT",
    "TRANSITIONS",
    "EligibilityWarning",
    "OutsideRecipient",
    "ReferralContent",
    "accept",
    "agency_staff",
    "agency_staff_with",
    "allowed_transition",
    "awaiting",
    "cancel",
    "check_consent",
    "check_outside_consent",
    "clean_outside_recipient",
    "complete",
    "create_from_action_item",
    "create_from_plan_service",
    "create_referral",
    "district_coordinators",
    "eligibility_warnings",
    "mark_received",
    "next_document_number",
    "owing_people",
    "record_outside_reply",
    "reissue_letter",
    "reject",
    "reroute",
    "revoke",
    "run_deadline_reminders",
    "send_referral",
    "start",
]
