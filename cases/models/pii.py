"""The column marker of personal data that the gate, exports and the retention purge look for."""

from __future__ import annotations

from typing import Any


def _pii(group: str, **extra: Any) -> dict[str, Any]:
    return {"pii": True, "field_group": group, **extra}
