"""Every blinker signal of the product, declared in one place.

A lower layer tells a higher one that something happened without importing it: the sender sends,
and the higher domain connects its receivers in its ``init_app``. Each signal's docstring names its
sender and keyword arguments.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

consent_changed = _signals.signal(
    "consent-changed",
    doc="""Sent after commit when a client's consents changed (given, withdrawn, expired, edited).

    Sender: the client id (``int``); no keyword arguments. Receivers re-read what they show through
    the disclosure gate (conferences redact open panels at once).
    """,
)
