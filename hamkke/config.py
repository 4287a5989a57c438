"""Configuration: defaults, then ``instance/config.py``, then ``HAMKKE_*`` variables, then overrides.

Every setting the product reads is declared once in ``SETTINGS``; `.env.example`, the README table,
the docker-compose test and the unknown-variable check are all derived from or checked against it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "HAMKKE_"
#: secret keys that must never reach production (the development default and obvious samples)
WEAK_SECRETS = frozenset({"", "dev", "change-me", "changeme", "secret", "development-only-secret"})
MIN_SECRET_LENGTH = 32
#: the installed packages, lowest layer first (like Django's INSTALLED_APPS): the app factory imports each
#: by name and calls its ``init_app(app)``; their ``models`` and ``tasks`` modules are found from here.
#: The shell imports no domain statically (the import contract in pyproject.toml checks it), so a
#: domain is added to the product by adding its name here.
PACKAGES = (
    "agencies",
    "cases",
    "consents",
    "conference",
    "referrals",
    "funds",
    "notifications",
    "dashboards",
    "home",
    "demo",
)
#: the development provider's client: `hamkke up` starts devidp with it and the demo registers it
DEV_CLIENT_ID = "hamkke-dev"
DEV_CLIENT_SECRET = "hamkke-dev-secret"  # noqa: S105 -- the development provider's demo client only


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable in one line."""


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true/false")


@dataclass(frozen=True)
class Setting:
    """One configuration key, its type, default and meaning (shown in the README and .env.example)."""

    #: Flask config key; the environment variable is ``HAMKKE_<env_name or key>``
    key: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    env_name: str | None = None
    #: shown in .env.example as the sample value (never a real secret)
    example: str = ""

    @property
    def env_var(self) -> str:
        """Name of the environment variable that sets this key."""
        return ENV_PREFIX + (self.env_name or self.key)


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError("expected one of " + ", ".join(allowed))
        return raw

    return parse


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected a whole number, 0 or more")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ENV",
        _choice("development", "production"),
        "development",
        "development (embedded default) or production (refuses unsafe settings)",
        example="production",
    ),
    Setting(
        "SECRET_KEY",
        str,
        None,
        "session and CSRF signing key, at least 32 random characters",
        example="generate-with: python -c 'import secrets; print(secrets.token_urlsafe(48))'",
    ),
    Setting(
        "SQLALCHEMY_DATABASE_URI",
        str,
        None,
        "database URL: postgresql+psycopg://user:pass@host/db in production; SQLite in instance/ by default",
        env_name="DATABASE_URL",
        example="postgresql+psycopg://hamkke:hamkke@db:5432/hamkke",
    ),
    Setting(
        "DB_POOL_SIZE",
        _positive_int,
        20,
        "PostgreSQL connections kept open per process; with DB_MAX_OVERFLOW, match the web worker's "
        "thread count (docker-compose.yml: 100; the sum over all processes must stay under PostgreSQL's "
        "max_connections)",
        example="20",
    ),
    Setting(
        "DB_MAX_OVERFLOW",
        _non_negative_int,
        80,
        "extra PostgreSQL connections a busy process may open beyond DB_POOL_SIZE; match the web worker's "
        "thread count together with DB_POOL_SIZE",
        example="80",
    ),
    Setting(
        "REDIS_URL",
        str,
        None,
        "Redis URL for the Celery broker, the Socket.IO message queue and rate limits",
        example="redis://redis:6379/0",
    ),
    Setting(
        "BROKER_URL",
        str,
        None,
        "Celery broker URL; defaults to REDIS_URL, or a filesystem transport under instance/",
        example="",
    ),
    Setting(
        "BROKER_VISIBILITY_TIMEOUT",
        _positive_int,
        3600,
        "seconds before Redis redelivers an unacknowledged task (longer than the longest task)",
        example="3600",
    ),
    Setting(
        "SOCKETIO_MESSAGE_QUEUE", str, None, "Socket.IO message queue URL; defaults to REDIS_URL", example=""
    ),
    Setting(
        "BASE_URL",
        str,
        "http://127.0.0.1:5000",
        "public URL of the web app, used in e-mails and OIDC redirects",
        example="https://hamkke.example.go.kr",
    ),
    Setting(
        "TIMEZONE", str, "Asia/Seoul", "time zone dates are shown in (stored in UTC)", example="Asia/Seoul"
    ),
    Setting(
        "DEFAULT_LOCALE",
        _choice("ko", "en"),
        "ko",
        "UI language when the browser states no preference",
        example="ko",
    ),
    Setting("MAIL_SERVER", str, "localhost", "SMTP host", example="smtp.example.go.kr"),
    Setting("MAIL_PORT", _positive_int, 25, "SMTP port", example="587"),
    Setting("MAIL_USE_TLS", _parse_bool, False, "STARTTLS to the SMTP server", example="true"),
    Setting("MAIL_USERNAME", str, None, "SMTP user (optional)", example=""),
    Setting("MAIL_PASSWORD", str, None, "SMTP password (optional)", example=""),
    Setting(
        "MAIL_DEFAULT_SENDER",
        str,
        "hamkke@localhost",
        "From address of e-mails",
        example="hamkke@example.go.kr",
    ),
    Setting(
        "DEVIDP_URL",
        str,
        "http://127.0.0.1:5001",
        "issuer URL of the development OIDC provider (development only)",
        example="",
    ),
    Setting(
        "FIELD_ENCRYPTION_KEY",
        str,
        None,
        "key for encrypted columns (client secrets, 주민등록번호); 32+ characters",
        example="generate-with: python -c 'import secrets; print(secrets.token_urlsafe(48))'",
    ),
    Setting("SESSION_IDLE_MINUTES", _positive_int, 30, "sign-out after this many idle minutes", example="30"),
    Setting(
        "SESSION_ABSOLUTE_HOURS",
        _positive_int,
        12,
        "sign-out after this many hours in any case",
        example="12",
    ),
    Setting(
        "TRUSTED_PROXIES",
        int,
        0,
        "how many reverse proxies stand in front (nginx: 1); their X-Forwarded-* headers are then trusted",
        example="1",
    ),
    Setting(
        "API_TOKEN_LIFETIME_SECONDS",
        _positive_int,
        None,
        "lifetime of agency API access tokens in seconds (default 900, at most 3600)",
        example="900",
    ),
    Setting(
        "API_TOKEN_RATE_LIMIT",
        str,
        None,
        "rate limit of the API token endpoint (default 30 per minute)",
        example="30 per minute",
    ),
    Setting(
        "INVITATION_RATE_LIMIT",
        str,
        None,
        "rate limit of the invitation pages (default 30 per minute)",
        example="30 per minute",
    ),
    Setting(
        "CONSENTS_ACCESS_LOG_RETENTION_DAYS",
        _positive_int,
        None,
        "days the disclosure access log is kept (default 1825; never fewer than 730)",
        example="1825",
    ),
    Setting(
        "CONSENTS_UNUSUAL_ACCESS_THRESHOLD",
        _positive_int,
        None,
        "clients opened outside one's cases in a month before the access review flags it (default 20)",
        example="20",
    ),
    Setting(
        "CONSENTS_ACCESS_LOG_ANCHOR_FILE",
        str,
        None,
        "file outside the database that access-log anchors are appended to "
        "(default instance/consent_access_log_anchors.jsonl; off: none)",
        example="/var/log/hamkke/access-log-anchors.jsonl",
    ),
    Setting(
        "FONT_CACHE_DIR",
        str,
        None,
        "folder for the reduced Korean PDF font built on first use "
        "(default: the user cache, ~/.cache/hamkke/fonts)",
        example="/var/cache/hamkke/fonts",
    ),
    Setting("LOG_LEVEL", _choice("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", "log level", example="INFO"),
)

SETTINGS_BY_ENV = {setting.env_var: setting for setting in SETTINGS}
# Variables read by tooling around the app, not by the app itself; allowed so the unknown-variable
# check does not refuse them.
TOOLING_ENV_VARS = frozenset(
    {
        "HAMKKE_TEST_DATABASE_URL",
        "HAMKKE_TEST_REDIS_URL",
        "HAMKKE_INSTANCE_PATH",
        "HAMKKE_DEVIDP_CLIENT_ID",
        "HAMKKE_DEVIDP_CLIENT_SECRET",
        "HAMKKE_DEVIDP_REDIRECT_URI",
        "HAMKKE_DEVIDP_POST_LOGOUT_REDIRECT_URI",
        "HAMKKE_DEVIDP_HOST",
        "HAMKKE_DEVIDP_PORT",
        "HAMKKE_PORT",
        "HAMKKE_HOST",
    }
)


def instance_path() -> Path:
    """Return the folder for the SQLite file, the filesystem broker and local config."""
    override = os.environ.get("HAMKKE_INSTANCE_PATH")
    return Path(override).resolve() if override else REPO_ROOT / "instance"


def defaults() -> dict[str, Any]:
    """Return the built-in defaults of every declared setting plus fixed Flask settings."""
    values: dict[str, Any] = {setting.key: setting.default for setting in SETTINGS}
    values.update(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="hamkke_session",
        WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds the token
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        BABEL_TRANSLATION_DIRECTORIES=str(REPO_ROOT / "translations"),
        JSON_SORT_KEYS=False,
        TESTING=False,
        CELERY_TASK_ALWAYS_EAGER=False,
    )
    return values


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Parse every ``HAMKKE_*`` variable; raise `ConfigError` on an unknown or malformed one."""
    values: dict[str, Any] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name in TOOLING_ENV_VARS:
            continue
        setting = SETTINGS_BY_ENV.get(name)
        if setting is None:
            raise ConfigError(f"{name}: 알 수 없는 설정입니다 / unknown setting (see .env.example)")
        if raw == "":
            continue
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}: 값이 올바르지 않습니다 / invalid value ({exc})") from exc
    return values


def load_config(
    override: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the final configuration mapping in the documented order and fill derived values."""
    config = defaults()
    instance_file = instance_path() / "config.py"
    if instance_file.is_file():
        namespace: dict[str, Any] = {}
        exec(compile(instance_file.read_text(encoding="utf-8"), str(instance_file), "exec"), namespace)  # noqa: S102 -- operator-owned config file, like Flask's from_pyfile
        config.update({key: value for key, value in namespace.items() if key.isupper()})
    config.update(read_environment(os.environ if environ is None else environ))
    if override:
        config.update(override)
    _fill_derived(config)
    return config


def _fill_derived(config: dict[str, Any]) -> None:
    inst = instance_path()
    if config["ENV"] == "development":
        # The embedded default: a fixed development secret is acceptable only here, and
        # production refuses it (see validate_config).
        config["SECRET_KEY"] = config["SECRET_KEY"] or "development-only-secret"
        config["FIELD_ENCRYPTION_KEY"] = (
            config["FIELD_ENCRYPTION_KEY"] or "development-only-field-encryption-key!"
        )
        config["SQLALCHEMY_DATABASE_URI"] = (
            config["SQLALCHEMY_DATABASE_URI"] or f"sqlite:///{inst / 'hamkke.db'}"
        )
    if not config.get("BROKER_URL"):
        config["BROKER_URL"] = config["REDIS_URL"] or "filesystem://"
    if config.get("SOCKETIO_MESSAGE_QUEUE") is None and config["REDIS_URL"]:
        config["SOCKETIO_MESSAGE_QUEUE"] = config["REDIS_URL"]
    config.setdefault("BROKER_FOLDER", str(inst / "broker"))
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"] or "memory://")
    config["SESSION_COOKIE_SECURE"] = config["BASE_URL"].startswith("https://")
    uri = config["SQLALCHEMY_DATABASE_URI"] or ""
    if uri.startswith("sqlite"):
        # SQLite serialises writers; waiting beats failing with "database is locked" when the
        # web app and the worker write at the same moment.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    elif uri.startswith("postgresql") and "poolclass" not in config["SQLALCHEMY_ENGINE_OPTIONS"]:
        # Every thread may hold one connection; a pool smaller than the threads times out under load.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **config["SQLALCHEMY_ENGINE_OPTIONS"],
            "pool_size": config["DB_POOL_SIZE"],
            "max_overflow": config["DB_MAX_OVERFLOW"],
        }


def is_production(config: Mapping[str, Any]) -> bool:
    """Tell whether the configuration runs in production mode."""
    return config["ENV"] == "production"


def validate_config(config: Mapping[str, Any]) -> None:
    """Refuse configurations that are unsafe or incomplete; each error names one variable."""
    uri = config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        raise ConfigError("HAMKKE_DATABASE_URL: 데이터베이스 주소가 없습니다 / database URL is required")
    try:
        from sqlalchemy.engine import make_url

        url = make_url(uri)
    except Exception as exc:  # sqlalchemy raises ArgumentError, but a bad URL must never become a traceback
        raise ConfigError(
            "HAMKKE_DATABASE_URL: 데이터베이스 주소 형식이 잘못되었습니다 / malformed database URL"
        ) from exc
    if not is_production(config):
        return
    secret = config.get("SECRET_KEY") or ""
    if secret in WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"HAMKKE_SECRET_KEY: 운영 모드에는 {MIN_SECRET_LENGTH}자 이상의 임의 비밀키가 필요합니다 "
            f"/ production needs a random secret of at least {MIN_SECRET_LENGTH} characters"
        )
    key = config.get("FIELD_ENCRYPTION_KEY") or ""
    if len(key) < MIN_SECRET_LENGTH or key.startswith("development-only"):
        raise ConfigError(
            "HAMKKE_FIELD_ENCRYPTION_KEY: 운영 모드에는 32자 이상의 암호화 키가 필요합니다 "
            "/ production needs an encryption key of at least 32 characters"
        )
    if url.get_backend_name() == "sqlite":
        raise ConfigError(
            "HAMKKE_DATABASE_URL: 운영 모드에서는 SQLite를 쓸 수 없습니다 / production needs PostgreSQL"
        )
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            "HAMKKE_DATABASE_URL: 운영 모드는 PostgreSQL만 지원합니다 / production supports PostgreSQL only"
        )
    if not config.get("REDIS_URL"):
        raise ConfigError("HAMKKE_REDIS_URL: 운영 모드에는 Redis가 필요합니다 / production needs Redis")
    if not str(config["REDIS_URL"]).startswith(("redis://", "rediss://")):
        raise ConfigError("HAMKKE_REDIS_URL: redis:// 주소여야 합니다 / must be a redis:// URL")
    if not 0 <= int(config["TRUSTED_PROXIES"]) <= 5:
        raise ConfigError("HAMKKE_TRUSTED_PROXIES: 0에서 5 사이여야 합니다 / must be between 0 and 5")
    if not str(config["BASE_URL"]).startswith("https://"):
        raise ConfigError(
            "HAMKKE_BASE_URL: 운영 모드에서는 https 주소여야 합니다 / production needs an https URL"
        )


def check_services(config: Mapping[str, Any]) -> None:
    """Connect once to the database and Redis so a production start fails early with a named variable."""
    import redis
    import sqlalchemy as sa

    engine = sa.create_engine(config["SQLALCHEMY_DATABASE_URI"], pool_pre_ping=True)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver error means the same thing to the operator
        raise ConfigError(
            f"HAMKKE_DATABASE_URL: 데이터베이스에 연결할 수 없습니다 / cannot connect ({type(exc).__name__})"
        ) from exc
    finally:
        engine.dispose()
    try:
        client = redis.Redis.from_url(config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        raise ConfigError(
            f"HAMKKE_REDIS_URL: Redis에 연결할 수 없습니다 / cannot connect ({type(exc).__name__})"
        ) from exc
