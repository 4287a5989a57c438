"""Structural guard: outside the gate and the models, no code reads a client's personal data directly.

Every package (cases/ and consents/ included) obtains client data only as gate objects
(``consents.gate.view_client``, ``consents.sharing``); this test parses all first-party source and
every template and fails on any attribute read of a personal column or of a referral's free text
(의뢰사유, 주호소문제, …, which belong to field groups like any column).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hamkke.config import REPO_ROOT
from hamkke.db import Model, import_all_models

#: the only files allowed to read personal columns: the gate, and the models that declare them
EXEMPT_FILES = frozenset(
    {
        "consents/gate.py",
        "consents/sharing.py",
        "consents/models.py",
        "cases/fields.py",
        "referrals/models.py",
    }
)
#: folders whose modules are all models that declare personal columns (cases' models, one per aggregate)
EXEMPT_FOLDERS = ("cases/models/",)
#: reads of typed input, not of a stored record (a form row parsed into a dataclass), or of a stored
#: value only to check that it is filled in, each by file and expression
INPUT_READS = frozenset(
    {
        # a service-plan goal as typed on the plan form (cases.services.planning.GoalInput)
        ("cases/services/planning.py", "goal.statement"),
        ("cases/services/planning.py", "goal.participant_words"),
        # a 동 사례회의 decision row as typed on the meeting form (services.escalation.MeetingDecisionInput)
        ("cases/services/escalation.py", "item.tried"),
        ("cases/services/escalation.py", "item.alternative_services"),
        # a 상담일지 as typed on the log form (cases.services.counselling.LogEntry), validated into the log
        ("cases/services/counselling.py", "entry.participant_names"),
        ("cases/services/counselling.py", "entry.worker_opinion"),
        ("cases/services/counselling.py", "entry.worker_opinion_2"),
        ("cases/services/counselling.py", "entry.worker_opinion_3"),
        ("cases/services/counselling.py", "entry.remarks"),
        # a workflow guard: is the 대체 서비스 of a 미선정 decision filled in (the value goes nowhere)
        ("cases/workflow.py", "decision.alternative_services"),
        # a page of the caseload (``rows`` is the pagination's, not a case table's JSON column)
        ("cases/views/caseload.py", "listing.rows"),
        # SQLAlchemy's compiled statement (is it a SELECT ... FOR UPDATE?), not a plan goal's text
        ("hamkke/db.py", "compiled.statement"),
    }
)
#: top-level folders that hold no first-party Python of the product
NOT_CODE = frozenset(
    {"tests", "migrations", "node_modules", "docs", "deploy", "instance", "static", "translations"}
)
#: benchmark baselines that read the same columns *without* the gate on purpose, to measure what the gate
#: costs; the bench serves no one and runs only against generated data
GATE_BASELINES = frozenset({"bench/gate.py"})
#: receivers whose attribute reads are treated as a client record when the column name is ambiguous
#: (an API client, ``ApiClient``/``api_client``, is an OAuth client and no person)
CLIENT_LIKE = re.compile(r"(?<!api)(?<!api_)(client|household|member|subject)", re.IGNORECASE)
#: receivers of a referral's free texts (``referral.reason``, ``Referral.main_problem``, ``item.referral``)
REFERRAL_LIKE = re.compile(r"referral", re.IGNORECASE)
#: templates whose ``client`` variable is an API client (OAuth), not a person served
API_CLIENT_TEMPLATES = frozenset(
    {"templates/agencies/api_clients.html", "templates/agencies/api_client_created.html"}
)


@dataclass(frozen=True)
class PersonalColumns:
    """Personal attribute names of the case records, split by whether other models share the name."""

    #: only case records have an attribute of this name: any ``x.<name>`` is a read
    unique: frozenset[str]
    #: other models share the name (``Agency.name``): a read counts only on a client-like receiver
    shared: frozenset[str]
    #: mapped class names of the case records (``Client.name`` in a query is a read)
    classes: frozenset[str]
    #: a referral's free texts (``cases.fields`` puts each in a field group): a read on a referral
    referral_texts: frozenset[str] = frozenset()


def personal_columns() -> PersonalColumns:
    """Collect the ``info={"pii": True}`` columns of cases models and the gated client attributes."""
    import_all_models()
    from cases.fields import FIELD_GROUPS, REFERRAL_TEXT_GROUPS

    pii: set[str] = {column for group in FIELD_GROUPS.values() for column in group.columns}
    classes: set[str] = set()
    others: set[str] = set()
    for mapper in Model.registry.mappers:
        cls = mapper.class_
        names = {attr.key for attr in mapper.column_attrs} | {rel.key for rel in mapper.relationships}
        if cls.__module__.startswith("cases.models."):
            classes.add(cls.__name__)
            pii |= {column.key for column in mapper.columns if column.info.get("pii")}
        else:
            others |= names
    return PersonalColumns(
        unique=frozenset(pii - others),
        shared=frozenset(pii & others),
        classes=frozenset(classes),
        referral_texts=frozenset(REFERRAL_TEXT_GROUPS),
    )


def _receiver_text(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except (ValueError, TypeError):  # pragma: no cover - unparse handles every expression node
        return ""


#: receivers that hold what a person typed or uploaded (a form, its parsed input), never a stored record
INPUT_RECEIVERS = frozenset({"form", "data", "upload"})


def _is_input_or_gate_view(receiver: ast.expr) -> bool:
    """Tell whether an attribute's receiver is request input or a gate view (neither is a record read)."""
    if isinstance(receiver, ast.Name) and receiver.id in INPUT_RECEIVERS:
        return True
    if isinstance(receiver, ast.Attribute) and receiver.attr in INPUT_RECEIVERS:
        return True
    # ``view_client(...).name``: the gate's own view, already narrowed and logged.
    return (
        isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Name | ast.Attribute)
        and (receiver.func.id if isinstance(receiver.func, ast.Name) else receiver.func.attr)
        in {"view_client", "view_clients"}
    )


def violations_in_source(source: str, columns: PersonalColumns, filename: str = "<source>") -> Iterator[str]:
    """Yield ``file:line: receiver.attr`` for each direct read of a personal column in Python source."""
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            name, receiver = node.attr, _receiver_text(node.value)
            if _is_input_or_gate_view(node.value):
                continue
            last = receiver.rsplit(".", 1)[-1]
            # A CamelCase receiver is a class: a case model is a read, any other class (an enum
            # member such as ``LeadMethod.main_complaint``) is not.
            is_other_class = last[:1].isupper() and last not in columns.classes
            if (filename, f"{receiver}.{name}") in INPUT_READS:
                continue
            if name in columns.referral_texts and REFERRAL_LIKE.search(last):
                yield f"{filename}:{node.lineno}: {receiver}.{name}"
                continue
            if not is_other_class and (
                name in columns.unique
                or (name in columns.shared and (CLIENT_LIKE.search(last) or last in columns.classes))
            ):
                yield f"{filename}:{node.lineno}: {receiver}.{name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in columns.unique
            and not _is_input_or_gate_view(node.args[0])
        ):
            yield f"{filename}:{node.lineno}: {node.func.id}(…, {node.args[1].value!r})"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and not isinstance(node.args[1], ast.Constant)
            and CLIENT_LIKE.search(_receiver_text(node.args[0]).rsplit(".", 1)[-1])
        ):
            # A computed attribute name on a client record reads whatever column the loop names.
            yield f"{filename}:{node.lineno}: getattr({_receiver_text(node.args[0])}, …)"


def violations_in_template(text: str, columns: PersonalColumns, filename: str) -> Iterator[str]:
    """Yield Jinja expressions that read a personal column of a client-like variable."""
    names = "|".join(sorted(columns.unique | columns.shared))
    pattern = re.compile(rf"\b(\w*(?:client|household|member)\w*)\.({names})\b", re.IGNORECASE)
    texts = "|".join(sorted(columns.referral_texts))
    referral = re.compile(rf"\b(\w*referral\w*)\.({texts})\b", re.IGNORECASE) if texts else None
    for number, line in enumerate(text.splitlines(), start=1):
        if filename not in API_CLIENT_TEMPLATES:
            for match in pattern.finditer(line):
                yield f"{filename}:{number}: {match.group(0)}"
        if referral is not None:
            for match in referral.finditer(line):
                yield f"{filename}:{number}: {match.group(0)}"


def first_party_python_files() -> Iterator[Path]:
    """Yield every Python file of every first-party package, but the gate's and the models'."""
    for folder in sorted(REPO_ROOT.iterdir()):
        if not folder.is_dir() or folder.name.startswith(".") or folder.name in NOT_CODE:
            continue
        if folder.name.endswith(".egg-info"):
            continue
        yield from (
            path
            for path in sorted(folder.rglob("*.py"))
            if str(path.relative_to(REPO_ROOT)) not in GATE_BASELINES | EXEMPT_FILES
            and not str(path.relative_to(REPO_ROOT)).startswith(EXEMPT_FOLDERS)
        )


def template_files() -> Iterator[Path]:
    """Yield every template (the cases and consents pages too: they render gate views only)."""
    root = REPO_ROOT / "templates"
    yield from sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt"))


@pytest.fixture(scope="module")
def columns() -> PersonalColumns:
    """The personal columns as declared by the cases models."""
    found = personal_columns()
    assert {"name", "phone", "mental_health", "family_relations"} <= found.unique | found.shared
    return found


def test_no_code_outside_the_gate_and_the_models_reads_personal_columns(columns: PersonalColumns) -> None:
    files = list(first_party_python_files())
    packages = {path.relative_to(REPO_ROOT).parts[0] for path in files}
    assert {"agencies", "notifications", "hamkke", "worker", "cases", "consents", "referrals"} <= packages
    scanned = {str(path.relative_to(REPO_ROOT)) for path in files}
    assert {
        "cases/views/caseload.py",
        "cases/services/planning.py",
        "consents/services/recording.py",
        "referrals/letters.py",
    } <= scanned
    found = [
        violation
        for path in files
        for violation in violations_in_source(
            path.read_text("utf-8"), columns, str(path.relative_to(REPO_ROOT))
        )
    ]
    assert found == [], "personal columns read outside the gate:\n" + "\n".join(found)


def test_no_template_reads_personal_columns(columns: PersonalColumns) -> None:
    roots = {path.relative_to(REPO_ROOT / "templates").parts[0] for path in template_files()}
    assert {"cases", "consents", "referrals"} <= roots
    found = [
        violation
        for path in template_files()
        for violation in violations_in_template(
            path.read_text("utf-8"), columns, str(path.relative_to(REPO_ROOT))
        )
    ]
    assert found == [], "personal columns rendered outside the gate:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        "def f(client):\n    return client.mental_health\n",
        "def f(case):\n    return case.main_client.name\n",
        "import sqlalchemy as sa\nq = sa.select(Client.phone)\n",
        "def f(row):\n    return row.family_relations\n",
        "def f(x):\n    return getattr(x, 'debt_reason')\n",
        "def f(member):\n    return member.address\n",
        "def f(client, cols):\n    return [getattr(client, c) for c in cols]\n",
        "def f(referral):\n    return referral.main_problem\n",
        "def f(item):\n    return item.referral.reason\n",
    ],
    ids=[
        "sensitive",
        "via-case",
        "query-column",
        "unique-name-any-receiver",
        "getattr",
        "household-member",
        "loop",
        "referral-text",
        "referral-reason",
    ],
)
def test_the_scanner_catches_direct_reads(columns: PersonalColumns, snippet: str) -> None:
    assert list(violations_in_source(snippet, columns))


@pytest.mark.parametrize(
    "snippet",
    [
        "def f(agency):\n    return agency.name, agency.phone\n",
        "def f(view):\n    return view.name, view.get('phone')\n",
    ],
    ids=["agency-name", "gate-view"],
)
def test_the_scanner_allows_other_models_and_gate_views(columns: PersonalColumns, snippet: str) -> None:
    assert list(violations_in_source(snippet, columns)) == []


def test_the_template_scanner_catches_client_fields(columns: PersonalColumns) -> None:
    assert list(violations_in_template("<p>{{ client.phone }}</p>", columns, "t.html"))
    assert not list(violations_in_template("<p>{{ view.phone }} {{ agency.phone }}</p>", columns, "t.html"))
    assert list(violations_in_template("<dd>{{ referral.reason }}</dd>", columns, "t.html"))
    assert not list(
        violations_in_template("<dd>{{ text.value }} {{ letter.reason }}</dd>", columns, "t.html")
    )
