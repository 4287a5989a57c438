"""Configuration: .env.example and the README table agree with SETTINGS; production refuses, in one line."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hamkke.app import create_app
from hamkke.config import (
    SETTINGS,
    SETTINGS_BY_ENV,
    ConfigError,
    check_services,
    load_config,
    read_environment,
    validate_config,
)
from hamkke.config_docs import (
    ENV_EXAMPLE_PATH,
    README_PATH,
    TABLE_END,
    TABLE_START,
    env_example,
    parse_env_file,
    sample_value,
    settings_markdown_table,
)
from tests.fixtures.processes import clean_environment
from tests.fixtures.services import free_port

HAMKKE_COMMAND = str(Path(sys.executable).with_name("hamkke"))


def strong() -> str:
    """A fresh secret that production accepts."""
    return secrets.token_urlsafe(48)


def closed_port() -> int:
    """A loopback port nobody listens on (it was free a moment ago)."""
    return free_port()


def production_environ(**overrides: str | None) -> dict[str, str]:
    """A production environment that passes validate_config; ``None`` removes a variable."""
    environ = {
        "HAMKKE_ENV": "production",
        "HAMKKE_SECRET_KEY": strong(),
        "HAMKKE_FIELD_ENCRYPTION_KEY": strong(),
        "HAMKKE_DATABASE_URL": f"postgresql+psycopg://hamkke:pw@127.0.0.1:{closed_port()}/hamkke",
        "HAMKKE_REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0",
        "HAMKKE_BASE_URL": "https://hamkke.example.go.kr",
    }
    for name, value in overrides.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return environ


@pytest.fixture(autouse=True)
def _isolated_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the repository's instance/config.py out of these tests."""
    monkeypatch.setenv("HAMKKE_INSTANCE_PATH", str(tmp_path / "instance"))


def refusal(environ: dict[str, str]) -> ConfigError:
    """Load and validate ``environ``; return the ConfigError (fail when there is none)."""
    with pytest.raises(ConfigError) as caught:
        validate_config(load_config(environ=environ))
    return caught.value


def assert_one_line_naming(message: str, variable: str) -> None:
    """The message is a single line that starts with the variable's name."""
    assert "\n" not in message.strip(), message
    assert message.startswith(variable + ":"), message


# ---- validate_config / read_environment, in process ----


def test_a_complete_production_environment_is_accepted() -> None:
    config = load_config(environ=production_environ())
    validate_config(config)
    assert config["ENV"] == "production"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_development_defaults_are_accepted_but_not_in_production() -> None:
    validate_config(load_config(environ={}))
    message = str(refusal({"HAMKKE_ENV": "production"}))
    assert message.startswith("HAMKKE_"), message


REFUSALS: list[tuple[str, dict[str, str | None], str]] = [
    ("missing secret", {"HAMKKE_SECRET_KEY": None}, "HAMKKE_SECRET_KEY"),
    ("empty secret", {"HAMKKE_SECRET_KEY": ""}, "HAMKKE_SECRET_KEY"),
    ("development secret", {"HAMKKE_SECRET_KEY": "development-only-secret"}, "HAMKKE_SECRET_KEY"),
    ("sample secret", {"HAMKKE_SECRET_KEY": "change-me"}, "HAMKKE_SECRET_KEY"),
    ("short secret", {"HAMKKE_SECRET_KEY": "x" * 31}, "HAMKKE_SECRET_KEY"),
    ("missing encryption key", {"HAMKKE_FIELD_ENCRYPTION_KEY": None}, "HAMKKE_FIELD_ENCRYPTION_KEY"),
    ("short encryption key", {"HAMKKE_FIELD_ENCRYPTION_KEY": "k" * 20}, "HAMKKE_FIELD_ENCRYPTION_KEY"),
    ("sqlite", {"HAMKKE_DATABASE_URL": "sqlite:////var/lib/hamkke/hamkke.db"}, "HAMKKE_DATABASE_URL"),
    ("missing database", {"HAMKKE_DATABASE_URL": None}, "HAMKKE_DATABASE_URL"),
    ("malformed database URL", {"HAMKKE_DATABASE_URL": "not a url"}, "HAMKKE_DATABASE_URL"),
    (
        "bad database port",
        {"HAMKKE_DATABASE_URL": "postgresql+psycopg://u:p@db:port/x"},
        "HAMKKE_DATABASE_URL",
    ),
    ("not PostgreSQL", {"HAMKKE_DATABASE_URL": "mysql://u:p@db/hamkke"}, "HAMKKE_DATABASE_URL"),
    ("missing Redis", {"HAMKKE_REDIS_URL": None}, "HAMKKE_REDIS_URL"),
    ("Redis URL of another scheme", {"HAMKKE_REDIS_URL": "http://redis:6379/0"}, "HAMKKE_REDIS_URL"),
    ("http base URL", {"HAMKKE_BASE_URL": "http://hamkke.example.go.kr"}, "HAMKKE_BASE_URL"),
    ("default base URL", {"HAMKKE_BASE_URL": None}, "HAMKKE_BASE_URL"),
]


@pytest.mark.parametrize(
    ("change", "variable"), [(c, v) for _, c, v in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_production_refuses_unsafe_settings_naming_the_variable(
    change: dict[str, str | None], variable: str
) -> None:
    assert_one_line_naming(str(refusal(production_environ(**change))), variable)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("HAMKKE_FOO", "1"),
        ("HAMKKE_MAIL_PORT", "abc"),
        ("HAMKKE_MAIL_PORT", "0"),
        ("HAMKKE_MAIL_USE_TLS", "maybe"),
        ("HAMKKE_ENV", "staging"),
        ("HAMKKE_LOG_LEVEL", "LOUD"),
        ("HAMKKE_SESSION_IDLE_MINUTES", "-5"),
    ],
)
def test_read_environment_refuses_unknown_or_malformed_variables(name: str, raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_environment({"HAMKKE_ENV": "development", name: raw})
    assert_one_line_naming(str(caught.value), name)


def test_read_environment_parses_values_and_ignores_other_variables() -> None:
    values = read_environment(
        {
            "HAMKKE_MAIL_PORT": "587",
            "HAMKKE_MAIL_USE_TLS": "yes",
            "HAMKKE_INSTANCE_PATH": "/x",
            "PATH": "/bin",
        }
    )
    assert values == {"MAIL_PORT": 587, "MAIL_USE_TLS": True}


# ---- check_services ----


def test_check_services_names_an_unreachable_database() -> None:
    config = load_config(environ=production_environ())
    with pytest.raises(ConfigError) as caught:
        check_services(config)
    assert_one_line_naming(str(caught.value), "HAMKKE_DATABASE_URL")
    assert "pw" not in str(caught.value)  # the password never reaches the log


def test_check_services_names_an_unreachable_redis(postgres_url: str) -> None:
    config = load_config(environ=production_environ(HAMKKE_DATABASE_URL=postgres_url))
    with pytest.raises(ConfigError) as caught:
        check_services(config)
    assert_one_line_naming(str(caught.value), "HAMKKE_REDIS_URL")


def test_check_services_accepts_reachable_services(postgres_url: str, redis_url: str) -> None:
    check_services(
        load_config(environ=production_environ(HAMKKE_DATABASE_URL=postgres_url, HAMKKE_REDIS_URL=redis_url))
    )


def test_create_app_checks_services_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in production_environ().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert_one_line_naming(str(caught.value), "HAMKKE_DATABASE_URL")


# ---- the real command, as an operator runs it ----


def run_hamkke(environ: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``hamkke`` script with only ``environ``'s HAMKKE_* variables."""
    env = clean_environment({"HAMKKE_INSTANCE_PATH": str(cwd / "instance"), **environ})
    return subprocess.run(
        [HAMKKE_COMMAND, *(args or ("routes",))],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], variable: str) -> None:
    """Non-zero exit, exactly one line on stderr naming the variable, and no traceback anywhere."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0], lines[0]


COMMAND_REFUSALS: list[tuple[str, Callable[[], dict[str, str]], str]] = [
    ("missing secret", lambda: production_environ(HAMKKE_SECRET_KEY=None), "HAMKKE_SECRET_KEY"),
    (
        "default secret",
        lambda: production_environ(HAMKKE_SECRET_KEY="development-only-secret"),
        "HAMKKE_SECRET_KEY",
    ),
    ("short secret", lambda: production_environ(HAMKKE_SECRET_KEY="s3cret"), "HAMKKE_SECRET_KEY"),
    ("sqlite", lambda: production_environ(HAMKKE_DATABASE_URL="sqlite:///hamkke.db"), "HAMKKE_DATABASE_URL"),
    ("no Redis", lambda: production_environ(HAMKKE_REDIS_URL=None), "HAMKKE_REDIS_URL"),
    (
        "malformed database URL",
        lambda: production_environ(HAMKKE_DATABASE_URL="::nope::"),
        "HAMKKE_DATABASE_URL",
    ),
    ("http base URL", lambda: production_environ(HAMKKE_BASE_URL="http://hamkke.example"), "HAMKKE_BASE_URL"),
    ("unknown variable", lambda: production_environ(HAMKKE_FOO="bar"), "HAMKKE_FOO"),
    ("invalid value", lambda: production_environ(HAMKKE_MAIL_PORT="abc"), "HAMKKE_MAIL_PORT"),
    ("unreachable database", production_environ, "HAMKKE_DATABASE_URL"),
]


@pytest.mark.parametrize(
    ("make_environ", "variable"),
    [(m, v) for _, m, v in COMMAND_REFUSALS],
    ids=[r[0] for r in COMMAND_REFUSALS],
)
def test_hamkke_command_refuses_in_one_line(
    make_environ: Callable[[], dict[str, str]], variable: str, tmp_path: Path
) -> None:
    assert_refused(run_hamkke(make_environ(), tmp_path), variable)


def test_hamkke_command_refuses_unreachable_redis(postgres_url: str, tmp_path: Path) -> None:
    assert_refused(
        run_hamkke(production_environ(HAMKKE_DATABASE_URL=postgres_url), tmp_path), "HAMKKE_REDIS_URL"
    )


def test_hamkke_command_starts_in_production_with_reachable_services(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    environ = production_environ(HAMKKE_DATABASE_URL=postgres_url, HAMKKE_REDIS_URL=redis_url)
    result = run_hamkke(environ, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "/healthz" in result.stdout


def test_hamkke_command_ignores_a_dotenv_file(tmp_path: Path) -> None:
    # The .env for docker compose sits in the repository; `make run` must not pick it up.
    (tmp_path / ".env").write_text("HAMKKE_ENV=production\nHAMKKE_FOO=1\n", encoding="utf-8")
    result = run_hamkke({}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "/healthz" in result.stdout


# ---- .env.example and the README table ----


def env_example_values() -> dict[str, str]:
    """The assignments of .env.example."""
    return parse_env_file(ENV_EXAMPLE_PATH.read_text(encoding="utf-8"))


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    listed = {name for name in env_example_values() if name.startswith("HAMKKE_")}
    declared = set(SETTINGS_BY_ENV)
    assert declared - listed == set(), "missing from .env.example"
    assert listed - declared == set(), "unknown in .env.example"


def test_env_example_gives_each_sample_with_its_help_above() -> None:
    lines = ENV_EXAMPLE_PATH.read_text(encoding="utf-8").splitlines()
    values = env_example_values()
    for setting in SETTINGS:
        assert values[setting.env_var] == sample_value(setting), setting.env_var
        index = lines.index(f"{setting.env_var}={values[setting.env_var]}")
        comments = []
        for line in reversed(lines[:index]):
            if not line.startswith("#"):
                break
            comments.append(line)
        assert f"# {setting.help}" in comments, setting.env_var


def test_env_example_samples_are_valid_values() -> None:
    values = {name: raw for name, raw in env_example_values().items() if name.startswith("HAMKKE_")}
    parsed = read_environment(values)
    assert parsed["MAIL_PORT"] == 587


def test_env_example_is_generated_from_settings() -> None:
    assert ENV_EXAMPLE_PATH.read_text(encoding="utf-8") == env_example(), (
        "regenerate: python -m hamkke.config_docs write"
    )


def test_env_example_holds_no_secret_and_is_refused_until_filled() -> None:
    values = env_example_values()
    for name in ("HAMKKE_SECRET_KEY", "HAMKKE_FIELD_ENCRYPTION_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert values[name] == "", name
    hamkke_values = {name: raw for name, raw in values.items() if name.startswith("HAMKKE_")}
    assert_one_line_naming(str(refusal(hamkke_values)), "HAMKKE_SECRET_KEY")
    filled = {**hamkke_values, "HAMKKE_SECRET_KEY": strong(), "HAMKKE_FIELD_ENCRYPTION_KEY": strong()}
    validate_config(load_config(environ=filled))


def readme_table() -> str:
    """The text between the README's table markers."""
    readme = README_PATH.read_text(encoding="utf-8")
    match = re.search(re.escape(TABLE_START) + r"\n(.*?)" + re.escape(TABLE_END), readme, re.DOTALL)
    assert match, "README.md lacks the settings table markers"
    return match.group(1)


def test_readme_table_is_generated_from_settings() -> None:
    assert readme_table() == settings_markdown_table(), "regenerate: python -m hamkke.config_docs write"


def test_readme_table_has_one_row_per_setting_in_order() -> None:
    rows = [line for line in readme_table().splitlines() if line.startswith("| `HAMKKE_")]
    assert [row.split("`")[1] for row in rows] == [setting.env_var for setting in SETTINGS]
