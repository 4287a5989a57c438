"""Consent operations: record, revoke, announce changes, data-subject requests, exports and reports.

Services validate, add rows, flush and audit; they never commit (the view, task or command does).
The package re-exports its public names so callers elsewhere keep ``from consents import services``;
code inside the package imports from the submodules:

- ``recording``: the consent form's input, recording a consent and withdrawing it
- ``changes``: announcing a client's changed consents (socket push, after-commit signal, expiry)
- ``requests``: data-subject requests (열람·정정·삭제·처리정지), their deadlines and reminders
- ``fulfilment``: applying 정정 (correction) and 삭제 (erasure) requests
- ``suspension``: applying and lifting 처리정지 (suspension)
- ``export``: the client's own data for a 열람 request
- ``review``: the monthly access-log review
- ``messages``: e-mail about a client, re-checked against the consent at send time
"""

from __future__ import annotations

from consents.services.changes import announce_expired_consents, consent_changed, consent_changed_signal
from consents.services.export import export_client_data
from consents.services.fulfilment import (
    CORRECTABLE_COLUMNS,
    ERASED_ALWAYS,
    ERASED_MARK,
    KEPT_UNDER_RETENTION,
    ErasurePlan,
    erasure_plan,
    fulfil_correction,
    fulfil_deletion,
)
from consents.services.messages import queue_client_email
from consents.services.recording import (
    ATTACHMENT_TYPES,
    CAPACITY_LABELS,
    MAX_ATTACHMENT_BYTES,
    Attachment,
    ConsentInput,
    GrantInput,
    attachment_folder,
    record_consent,
    revoke_consent,
)
from consents.services.requests import (
    APPLIED_KINDS,
    REQUEST_DEADLINE_DAYS,
    close_request,
    record_request,
    remind_overdue_requests,
)
from consents.services.review import (
    DEFAULT_UNUSUAL_THRESHOLD,
    UnusualAccess,
    month_bounds,
    review_last_month,
    unusual_access_report,
)
from consents.services.suspension import fulfil_suspension, lift_suspension

__all__ = [
    "APPLIED_KINDS",
    "ATTACHMENT_TYPES",
    "CAPACITY_LABELS",
    "CORRECTABLE_COLUMNS",
    "DEFAULT_UNUSUAL_THRESHOLD",
    "ERASED_ALWAYS",
    "ERASED_MARK",
    "KEPT_UNDER_RETENTION",
    "MAX_ATTACHMENT_BYTES",
    "REQUEST_DEADLINE_DAYS",
    "Attachment",
    "ConsentInput",
    "ErasurePlan",
    "GrantInput",
    "UnusualAccess",
    "announce_expired_consents",
    "attachment_folder",
    "close_request",
    "consent_changed",
    "consent_changed_signal",
    "erasure_plan",
    "export_client_data",
    "fulfil_correction",
    "fulfil_deletion",
    "fulfil_suspension",
    "lift_suspension",
    "month_bounds",
    "queue_client_email",
    "record_consent",
    "record_request",
    "remind_overdue_requests",
    "review_last_month",
    "revoke_consent",
    "unusual_access_report",
]
