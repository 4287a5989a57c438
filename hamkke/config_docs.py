"""Documents derived from ``SETTINGS``: the README configuration table and ``.env.example``.

``python -m hamkke.config_docs write`` regenerates both; tests/test_config.py fails when either
drifts from ``hamkke.config.SETTINGS``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from hamkke.config import REPO_ROOT, SETTINGS, Setting

README_PATH = REPO_ROOT / "README.md"
ENV_EXAMPLE_PATH = REPO_ROOT / ".env.example"
TABLE_START = "<!-- settings-table:start (generated: python -m hamkke.config_docs write) -->"
TABLE_END = "<!-- settings-table:end -->"
#: a sample that is an instruction, not a value: .env.example leaves such a variable empty
INSTRUCTION_PREFIX = "generate-with:"
#: variables docker-compose.yml sets itself on every app container (tests/test_compose.py checks it)
COMPOSE_SETS = ("HAMKKE_ENV", "HAMKKE_TRUSTED_PROXIES", "HAMKKE_DATABASE_URL", "HAMKKE_REDIS_URL")
#: variables only docker-compose.yml reads (interpolation), never the app: name, sample, help
COMPOSE_VARIABLES: tuple[tuple[str, str, str], ...] = (
    (
        "POSTGRES_PASSWORD",
        "",
        "password of the PostgreSQL user hamkke; URL-safe, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
    ),
    (
        "REDIS_PASSWORD",
        "",
        "password Redis requires (broker, Socket.IO queue, rate limits); URL-safe, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
    ),
    ("HTTP_PORT", "80", "host port nginx publishes for http (redirects to https)"),
    ("HTTPS_PORT", "443", "host port nginx publishes for https"),
)


def format_default(value: Any) -> str:
    """Render a default value the way an operator would type it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_instruction(setting: Setting) -> bool:
    """Tell whether the setting's sample is an instruction to generate a secret."""
    return setting.example.startswith(INSTRUCTION_PREFIX)


def sample_value(setting: Setting) -> str:
    """Return the value .env.example assigns: the sample, or empty when the sample is an instruction."""
    return "" if is_instruction(setting) else setting.example


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text else "—"


def settings_markdown_table() -> str:
    """Return the README's configuration table, one row per setting in ``SETTINGS`` order."""
    rows = [
        "| 변수 / Variable | 기본값 / Default | 운영 예 / Production example | 설명 / Meaning |",
        "|---|---|---|---|",
    ]
    for setting in SETTINGS:
        if is_instruction(setting):
            example = "generate: " + _code(setting.example.removeprefix(INSTRUCTION_PREFIX).strip())
        else:
            example = _code(setting.example)
        default = _code(format_default(setting.default))
        rows.append(f"| `{setting.env_var}` | {default} | {example} | {_cell(setting.help)} |")
    return "\n".join(rows) + "\n"


def env_example() -> str:
    """Return the text of ``.env.example``: every setting with its sample and help, then compose's own."""
    lines = [
        "# Hamkke (함께) production settings for docker compose.",
        "# cp .env.example .env, fill in every empty secret, then: docker compose up -d",
        "# Generated from hamkke.config.SETTINGS: python -m hamkke.config_docs write (do not edit by hand).",
        "# No value here is a real secret: production refuses to start until the secrets are filled in.",
        "",
        "# ---- read by docker-compose.yml only (interpolation) ----",
    ]
    for name, sample, help_text in COMPOSE_VARIABLES:
        lines += [f"# {help_text}", f"{name}={sample}"]
    lines += ["", "# ---- read by the app (web, worker, beat, migrate): hamkke.config.SETTINGS ----"]
    for setting in SETTINGS:
        lines.append(f"# {setting.help}")
        default = format_default(setting.default)
        notes = [f"default: {default}"] if default else []
        if is_instruction(setting):
            notes.append(
                "required in production; generate with: "
                + setting.example.removeprefix(INSTRUCTION_PREFIX).strip()
            )
        if setting.env_var in COMPOSE_SETS:
            notes.append("docker-compose.yml sets this itself; the line here serves runs outside compose")
        lines += [f"# ({note})" for note in notes]
        lines.append(f"{setting.env_var}={sample_value(setting)}")
    return "\n".join(lines) + "\n"


def parse_env_file(text: str) -> dict[str, str]:
    """Read ``NAME=value`` lines the way docker compose reads an unquoted env file; skip comments."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = stripped.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"line {number}: expected NAME=value")
        if name.strip() in values:
            raise ValueError(f"line {number}: {name.strip()} appears twice")
        values[name.strip()] = value.strip()
    return values


def replace_readme_table(readme: str) -> str:
    """Return ``readme`` with the text between the table markers replaced by the current table."""
    start = readme.index(TABLE_START) + len(TABLE_START)
    end = readme.index(TABLE_END, start)
    return readme[:start] + "\n" + settings_markdown_table() + readme[end:]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table or .env.example, or rewrite both files in place."""
    parser = argparse.ArgumentParser(prog="python -m hamkke.config_docs", description=main.__doc__)
    parser.add_argument("what", choices=("table", "env-example", "write"))
    what = parser.parse_args(argv).what
    if what == "table":
        sys.stdout.write(settings_markdown_table())
    elif what == "env-example":
        sys.stdout.write(env_example())
    else:
        ENV_EXAMPLE_PATH.write_text(env_example(), encoding="utf-8")
        README_PATH.write_text(
            replace_readme_table(README_PATH.read_text(encoding="utf-8")), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
