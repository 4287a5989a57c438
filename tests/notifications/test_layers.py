"""Notifications sit below referrals: referrals notify through them, they never import referrals."""

from __future__ import annotations

import ast

from hamkke.config import REPO_ROOT

#: the send-time consent check of outside e-mails still names referrals here (being turned into a
#: registry of checks that referrals registers into); nothing else in notifications may
STILL_ALLOWED = frozenset({"notifications/delivery.py"})


def _imported_modules(source: str) -> set[str]:
    """Every module an import statement names, anywhere in the source (functions and TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_notifications_do_not_import_referrals() -> None:
    offending = {
        str(path.relative_to(REPO_ROOT)): sorted(
            name for name in _imported_modules(path.read_text("utf-8")) if name.split(".")[0] == "referrals"
        )
        for path in sorted((REPO_ROOT / "notifications").rglob("*.py"))
    }
    offending = {
        name: modules for name, modules in offending.items() if modules and name not in STILL_ALLOWED
    }
    assert offending == {}


def test_the_scanner_sees_imports_inside_functions() -> None:
    source = "def f():\n    from referrals.models import Referral\n"
    assert "referrals.models" in _imported_modules(source)
