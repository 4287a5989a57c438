"""docs/forms.md, the field-by-field table of the seed forms: every row names a real attribute and prints.

The file has one section per form (``## <number> <title> — seed 000|001``), an ``인쇄:`` line naming the
print template, and a table whose rows pair the form's Korean label (as the print template writes it)
with ``module:Class.attribute``. These tests read the table; a new form is covered by adding its section.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from cases.models import Case, CaseStage
from hamkke.config import REPO_ROOT
from tests.fixtures.cases import CaseKit

DOC = REPO_ROOT / "docs" / "forms.md"
HEADING = re.compile(r"^## (?P<title>.+?) — seed (?P<seed>\d{3})\s*$")
PRINT_LINE = re.compile(r"^인쇄:\s*(?P<path>\S+)\s*$")
ROW = re.compile(r"^\|\s*(?P<label>[^|]+?)\s*\|\s*(?P<target>[^|]+?)\s*\|\s*$")
TARGET = re.compile(r"^(?P<module>[\w.]+):(?P<cls>\w+)\.(?P<attr>\w+)$")

#: print routes that take more than the case id: template path -> how to build its URL for a case.
#: A print route of the form ``/cases/<case_id>/…`` with no other argument is found in the URL map.
PRINT_URLS: dict[str, Callable[[Case], str]] = {}


@dataclass
class Section:
    """One form's section of docs/forms.md."""

    title: str
    seed: str
    line: int
    template: str | None = None
    rows: list[tuple[int, str, str]] = field(default_factory=list)


def parse(text: str) -> list[Section]:
    """Split docs/forms.md into its form sections (the table's header and rule rows skipped)."""
    sections: list[Section] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if heading := HEADING.match(line):
            sections.append(Section(heading["title"], heading["seed"], number))
            continue
        if not sections:
            continue
        current = sections[-1]
        if printed := PRINT_LINE.match(line):
            current.template = printed["path"]
        elif row := ROW.match(line):
            if row["label"] == "서식 항목" or set(row["label"]) <= {"-", ":"}:
                continue
            current.rows.append((number, row["label"], row["target"]))
    return sections


def resolve(target: str) -> bool:
    """Tell whether ``module:Class.attribute`` names an attribute (column or relationship) of a class."""
    parts = TARGET.match(target)
    if parts is None:
        return False
    try:
        module = importlib.import_module(parts["module"])
    except ImportError:
        return False
    cls = getattr(module, parts["cls"], None)
    return cls is not None and hasattr(cls, parts["attr"])


SECTIONS = parse(DOC.read_text(encoding="utf-8")) if DOC.exists() else []


def test_the_table_has_sections() -> None:
    assert DOC.exists(), "docs/forms.md is missing"
    assert SECTIONS, "docs/forms.md has no '## <number> <title> — seed NNN' section"


@pytest.mark.parametrize("section", SECTIONS, ids=[s.title for s in SECTIONS])
def test_every_row_names_an_attribute_and_its_label_prints(section: Section) -> None:
    assert section.template, f"docs/forms.md:{section.line}: '{section.title}' has no '인쇄:' line"
    template = REPO_ROOT / section.template
    assert template.is_file(), f"docs/forms.md:{section.line}: {section.template} does not exist"
    source = template.read_text(encoding="utf-8")
    assert section.rows, f"docs/forms.md:{section.line}: '{section.title}' lists no field"
    missing = [f"line {n}: {target}" for n, _label, target in section.rows if not resolve(target)]
    assert not missing, f"'{section.title}': no such attribute: {missing}"
    unprinted = [f"line {n}: {label}" for n, label, _target in section.rows if label not in source]
    assert not unprinted, f"'{section.title}': label not in {section.template}: {unprinted}"


def test_parse_reads_the_documented_format() -> None:
    sections = parse(
        "# 서식\n\n## 필수서식 4 IAP — seed 000\n인쇄: templates/cases/print/iap.html\n\n"
        "| 서식 항목 | 필드 |\n|---|---|\n| 1년 후 목표 | cases.models:Case.number |\n"
    )
    assert [(s.title, s.seed, s.template) for s in sections] == [
        ("필수서식 4 IAP", "000", "templates/cases/print/iap.html")
    ]
    assert sections[0].rows == [(8, "1년 후 목표", "cases.models:Case.number")]
    assert resolve("cases.models:Case.number")
    assert not resolve("cases.models:Case.no_such_column")
    assert not resolve("cases.nowhere:Case.number")
    assert not resolve("not a target")


@pytest.fixture
def rendered(app: Flask) -> Iterator[list[str]]:
    """Collect the names of the templates rendered while the test runs."""
    names: list[str] = []

    def record(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        names.append(str(template.name))

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


def _print_urls(app: Flask, case: Case) -> list[str]:
    """Every GET route under /cases/<case_id>/ whose path says print and needs nothing but the case."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()) and "print" in rule.rule and rule.arguments == {"case_id"}:
            urls.append(rule.rule.replace("<int:case_id>", str(case.id)))
    return urls


@pytest.mark.embedded
def test_every_print_template_renders_for_a_case(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    case_kit: CaseKit,
    create_case: Callable[..., Case],
    rendered: list[str],
) -> None:
    case = create_case(CaseStage.delivery)
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    urls = _print_urls(app, case) + [build(case) for build in PRINT_URLS.values()]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        html = response.get_data(as_text=True)
        assert "None" not in re.sub(r"<[^>]+>", " ", html), f"{url} shows None"
        if rendered and rendered[-1].startswith("cases/print/"):
            # Printed forms extend the A4 layout: the header with the form's number, title and 출력일시.
            assert 'class="a4-header"' in html, f"{url} does not extend cases/print/_a4.html"
            assert "출력일시" in html
    for section in SECTIONS:
        name = (section.template or "").removeprefix("templates/")
        assert name in rendered, f"no print route rendered {name} ('{section.title}')"
