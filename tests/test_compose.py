"""docker-compose.yml, deploy/ and the Dockerfile describe production (Docker cannot run on our machines)."""

from __future__ import annotations

import re
import runpy
import secrets
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from hamkke.config import (
    SETTINGS_BY_ENV,
    TOOLING_ENV_VARS,
    ConfigError,
    load_config,
    read_environment,
    validate_config,
)
from hamkke.config_docs import COMPOSE_SETS, ENV_EXAMPLE_PATH, parse_env_file

REPO = Path(__file__).resolve().parent.parent
COMPOSE_PATH = REPO / "docker-compose.yml"
NGINX_PATH = REPO / "deploy" / "nginx.conf"
GUNICORN_CONF_PATH = REPO / "deploy" / "gunicorn.conf.py"
DOCKERFILE_PATH = REPO / "Dockerfile"

SERVICES = {"db", "redis", "migrate", "web1", "web2", "nginx", "worker", "beat"}
WEB_SERVICES = ("web1", "web2")
#: services that run the Hamkke image with the .env file
APP_SERVICES = ("migrate", "web1", "web2", "worker", "beat")
LONG_RUNNING = SERVICES - {"migrate"}
SECRETS_TO_FILL = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "HAMKKE_SECRET_KEY", "HAMKKE_FIELD_ENCRYPTION_KEY")


class InterpolationError(Exception):
    """docker compose would refuse the file: a required variable is unset or empty."""


_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|-|:\?|\?)(?P<arg>.*))?$", re.DOTALL)


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Substitute ``$VAR``, ``${VAR}``, ``${VAR:-x}``, ``${VAR-x}``, ``${VAR:?e}``, ``${VAR?e}``, ``$$``."""

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("plain"):
            return variables.get(match.group("plain"), "")
        braced = _BRACED.match(match.group("braced"))
        if braced is None:
            raise InterpolationError(f"invalid interpolation: {match.group(0)}")
        name, op, arg = braced.group("name"), braced.group("op"), braced.group("arg")
        value = variables.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        if op in {":?", "?"} and (value is None or (op == ":?" and value == "")):
            raise InterpolationError(f"{name}: {arg}")
        return value or ""

    return _VARIABLE.sub(substitute, text)


def interpolate_tree(node: Any, variables: Mapping[str, str]) -> Any:
    """Interpolate every string in a parsed compose document (compose interpolates values, not keys)."""
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [interpolate_tree(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, variables) for key, value in node.items()}
    return node


def load_compose() -> dict[str, Any]:
    """docker-compose.yml as YAML (anchors and merge keys resolved), not yet interpolated."""
    document = yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The raw compose document."""
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services of the compose document."""
    return dict(compose["services"])


def env_example() -> dict[str, str]:
    """The assignments of .env.example."""
    return parse_env_file(ENV_EXAMPLE_PATH.read_text(encoding="utf-8"))


def filled_env_example() -> dict[str, str]:
    """.env.example with every empty secret filled in, as an operator does."""
    values = env_example()
    for name in SECRETS_TO_FILL:
        assert values[name] == "", f"{name} must be empty in .env.example"
        values[name] = secrets.token_urlsafe(32)
    return values


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's ``environment:`` as a mapping (compose accepts a mapping or a list of NAME=value)."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {str(key): "" if value is None else str(value) for key, value in environment.items()}


def command_of(service: Mapping[str, Any]) -> list[str]:
    """A service's command as a list of arguments."""
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def option(args: list[str], *names: str) -> str | None:
    """The value of a command-line option given as ``-x v``, ``--long v`` or ``--long=v``."""
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def healthcheck_text(service: Mapping[str, Any]) -> str:
    """The health check command as one string."""
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(str(part) for part in test)


# ---- services and commands ----


def test_the_services_of_the_topology(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == SERVICES


def test_web_runs_gunicorn_with_one_threaded_worker(services: dict[str, dict[str, Any]]) -> None:
    for name in WEB_SERVICES:
        args = command_of(services[name])
        assert args[0] == "gunicorn", name
        assert args[-1] == "hamkke.wsgi:app", name
        assert option(args, "-k", "--worker-class") == "gthread", name
        assert option(args, "-w", "--workers") == "1", name  # Socket.IO sessions live in one process
        threads = option(args, "--threads")
        assert threads is not None, name
        assert int(threads) >= 50, name  # one thread per open WebSocket
        assert option(args, "-c", "--config") == "deploy/gunicorn.conf.py", name


def test_the_two_web_services_are_the_same_but_for_their_name(services: dict[str, dict[str, Any]]) -> None:
    assert services["web1"] == services["web2"]


def test_worker_beat_and_migrate_commands(services: dict[str, dict[str, Any]]) -> None:
    assert command_of(services["worker"])[:4] == ["celery", "-A", "worker.main", "worker"]
    assert command_of(services["beat"])[:4] == ["celery", "-A", "worker.main", "beat"]
    assert command_of(services["migrate"]) == ["hamkke", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_images(services: dict[str, dict[str, Any]]) -> None:
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["nginx"]["image"].startswith("nginx")
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1, images
    assert all(services[name]["build"]["context"] == "." for name in APP_SERVICES)


# ---- health checks and start order ----


def test_every_long_running_service_has_a_health_check(services: dict[str, dict[str, Any]]) -> None:
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], name
    assert "healthcheck" not in services["migrate"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("db", "pg_isready"),
        ("redis", "redis-cli ping"),
        ("web1", "http://127.0.0.1:8000/healthz"),
        ("web2", "http://127.0.0.1:8000/healthz"),
        ("worker", "celery -A worker.main inspect ping"),
        ("nginx", "http://127.0.0.1:8081/nginx-health"),
        ("beat", "celerybeat-schedule"),
    ],
)
def test_health_check_commands(services: dict[str, dict[str, Any]], name: str, expected: str) -> None:
    assert expected in healthcheck_text(services[name])


def test_worker_pings_itself_by_node_name(services: dict[str, dict[str, Any]]) -> None:
    # $$ reaches the shell as $HOSTNAME, the container's name, which is Celery's default node name.
    assert interpolate(healthcheck_text(services["worker"]), {}).endswith(
        "--destination celery@$HOSTNAME --timeout 10"
    )


def test_beat_health_check_watches_the_schedule_file_on_its_volume(
    services: dict[str, dict[str, Any]],
) -> None:
    schedule = option(command_of(services["beat"]), "--schedule", "-s")
    assert schedule is not None
    assert schedule + "*" in healthcheck_text(services["beat"])
    mounts = [volume.split(":")[1] for volume in services["beat"]["volumes"]]
    assert str(Path(schedule).parent) in mounts


EXPECTED_DEPENDENCIES = {
    "migrate": {"db": "service_healthy", "redis": "service_healthy"},
    "web1": {
        "db": "service_healthy",
        "redis": "service_healthy",
        "migrate": "service_completed_successfully",
    },
    "web2": {
        "db": "service_healthy",
        "redis": "service_healthy",
        "migrate": "service_completed_successfully",
    },
    "worker": {"redis": "service_healthy", "migrate": "service_completed_successfully"},
    "beat": {"redis": "service_healthy", "migrate": "service_completed_successfully"},
    "nginx": {"web1": "service_healthy", "web2": "service_healthy"},
}


def test_start_order_waits_for_health_and_migrations(services: dict[str, dict[str, Any]]) -> None:
    for name, expected in EXPECTED_DEPENDENCIES.items():
        depends = services[name]["depends_on"]
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        assert {dep: spec["condition"] for dep, spec in depends.items()} == expected, name
    for name in {"db", "redis"}:
        assert "depends_on" not in services[name]


def test_service_healthy_only_on_services_with_a_health_check(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}"


# ---- networks and volumes ----


def networks_of(service: Mapping[str, Any]) -> list[str]:
    """Names of the networks a service joins."""
    networks = service.get("networks", ["default"])
    return list(networks) if isinstance(networks, (list, dict)) else [networks]


def test_db_and_redis_only_on_an_internal_network(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = compose["networks"]
    for name in ("db", "redis"):
        networks = networks_of(services[name])
        assert networks, name
        for network in networks:
            assert (declared.get(network) or {}).get("internal") is True, f"{name} on {network}"
        assert "ports" not in services[name], name


def test_only_nginx_publishes_ports(services: dict[str, dict[str, Any]]) -> None:
    assert [name for name, service in services.items() if "ports" in service] == ["nginx"]


def test_nginx_reaches_the_web_services_and_they_reach_the_database(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in WEB_SERVICES:
        assert set(networks_of(services[name])) & set(networks_of(services["nginx"])), name
        assert set(networks_of(services[name])) & set(networks_of(services["db"])), name
    for name in ("worker", "beat", "migrate"):
        assert set(networks_of(services[name])) & set(networks_of(services["redis"])), name


def test_data_lives_on_named_volumes(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    volumes = set(compose["volumes"])
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in services["db"]["volumes"])
    assert any(v.startswith("redisdata:/data") for v in services["redis"]["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith("./") or source in volumes, volume
            if source.startswith("./"):
                assert (REPO / source).exists(), volume


# ---- environment ----


def test_every_hamkke_variable_set_anywhere_is_declared(services: dict[str, dict[str, Any]]) -> None:
    names: set[str] = set()
    for service in services.values():
        names |= {name for name in environment_of(service) if name.startswith("HAMKKE_")}
    names |= {name for name in env_example() if name.startswith("HAMKKE_")}
    names |= set(re.findall(r"\b(HAMKKE_[A-Z0-9_]+)=", DOCKERFILE_PATH.read_text(encoding="utf-8")))
    assert names, "no HAMKKE_* variable found"
    unknown = names - set(SETTINGS_BY_ENV) - TOOLING_ENV_VARS
    assert unknown == set()


def test_app_services_read_env_file_and_set_what_config_docs_says(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        assert services[name]["env_file"] in (".env", [".env"]), name
        hamkke = {key for key in environment_of(services[name]) if key.startswith("HAMKKE_")}
        assert hamkke == set(COMPOSE_SETS), name
    for name in ("db", "redis", "nginx"):
        assert "env_file" not in services[name], name  # the app's secrets stay in the app's containers


def production_environment(service: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, str]:
    """The environment compose gives an app container: the .env file, then ``environment:`` interpolated."""
    environment = {key: interpolate(value, variables) for key, value in environment_of(service).items()}
    return {**variables, **environment}


@pytest.fixture
def isolated_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the repository's instance/config.py out of load_config."""
    monkeypatch.setenv("HAMKKE_INSTANCE_PATH", str(tmp_path))


@pytest.mark.usefixtures("isolated_instance")
def test_the_production_environment_passes_validation(services: dict[str, dict[str, Any]]) -> None:
    variables = filled_env_example()
    for name in APP_SERVICES:
        environ = production_environment(services[name], variables)
        config = load_config(environ=environ)
        validate_config(config)
        assert config["ENV"] == "production", name
        database = urlsplit(config["SQLALCHEMY_DATABASE_URI"])
        db_env = environment_of(services["db"])
        assert database.scheme == "postgresql+psycopg"
        assert (database.hostname, database.port) == ("db", 5432)
        assert database.username == db_env["POSTGRES_USER"]
        assert database.path == "/" + db_env["POSTGRES_DB"]
        assert database.password == variables["POSTGRES_PASSWORD"]
        redis = urlsplit(config["REDIS_URL"])
        assert (redis.hostname, redis.port) == ("redis", 6379)
        assert redis.password == variables["REDIS_PASSWORD"]
        assert config["BROKER_URL"] == config["REDIS_URL"] == config["SOCKETIO_MESSAGE_QUEUE"]


def test_redis_requires_the_password_the_app_uses(services: dict[str, dict[str, Any]]) -> None:
    variables = filled_env_example()
    redis = interpolate_tree(services["redis"], variables)
    command = command_of(redis)
    assert option(command, "--requirepass") == variables["REDIS_PASSWORD"]
    assert environment_of(redis)["REDISCLI_AUTH"] == variables["REDIS_PASSWORD"]
    db = interpolate_tree(services["db"], variables)
    assert environment_of(db)["POSTGRES_PASSWORD"] == variables["POSTGRES_PASSWORD"]


@pytest.mark.usefixtures("isolated_instance")
def test_an_unfilled_env_file_is_refused(services: dict[str, dict[str, Any]]) -> None:
    # docker compose itself stops on the empty database password ...
    with pytest.raises(InterpolationError, match="POSTGRES_PASSWORD"):
        interpolate_tree(services["db"], env_example())
    # ... and with the passwords but no secret key, the app refuses naming the variable.
    variables = {**env_example(), "POSTGRES_PASSWORD": "pw", "REDIS_PASSWORD": "pw"}
    with pytest.raises(ConfigError, match=r"^HAMKKE_SECRET_KEY:"):
        validate_config(load_config(environ=production_environment(services["web1"], variables)))


def test_the_whole_file_interpolates_with_a_filled_env_file(compose: dict[str, Any]) -> None:
    resolved = interpolate_tree(compose, filled_env_example())
    assert "${" not in yaml.safe_dump(resolved)
    read_environment(environment_of(resolved["services"]["web1"]))


def test_interpolate_follows_compose_rules() -> None:
    assert interpolate("a${X}b$Y$$Z", {"X": "1", "Y": "2"}) == "a1b2$Z"
    assert interpolate("${X:-d}/${X-d}", {"X": ""}) == "d/"
    with pytest.raises(InterpolationError, match="X: needed"):
        interpolate("${X:?needed}", {"X": ""})


# ---- nginx ----


def nginx_text() -> str:
    """deploy/nginx.conf without comments."""
    return re.sub(r"#[^\n]*", "", NGINX_PATH.read_text(encoding="utf-8"))


def block(text: str, header: str) -> str:
    """The body of the first ``header { ... }`` block (header is a regular expression)."""
    match = re.search(header + r"\s*\{", text)
    assert match, f"no block {header!r}"
    depth, start = 1, match.end()
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start:index]
    raise AssertionError(f"unclosed block {header!r}")


def directives(body: str) -> list[str]:
    """The top-level directives of a block body, whitespace normalised."""
    flat = re.sub(r"\{[^{}]*\}", "", body)
    while re.search(r"\{[^{}]*\}", flat):
        flat = re.sub(r"\{[^{}]*\}", "", flat)
    return [" ".join(part.split()) for part in flat.split(";") if part.strip()]


def test_nginx_upstream_is_sticky_over_both_web_services() -> None:
    upstream = block(nginx_text(), r"upstream\s+hamkke_web")
    lines = directives(upstream)
    assert "ip_hash" in lines
    servers = [line.split()[1] for line in lines if line.startswith("server ")]
    assert servers == [f"{name}:8000" for name in WEB_SERVICES]


def test_gunicorn_listens_where_nginx_and_the_health_check_look() -> None:
    settings = runpy.run_path(str(GUNICORN_CONF_PATH))
    assert settings["bind"].endswith(":8000")
    assert settings["preload_app"] is True  # a configuration error stops the master with exit code 2


def https_server() -> str:
    """The body of the server block that listens on 443."""
    text = nginx_text()
    servers = [block(text[match.start() :], r"server") for match in re.finditer(r"\bserver\s*\{", text)]
    matching = [body for body in servers if re.search(r"listen\s+443\s+ssl", body)]
    assert len(matching) == 1
    return matching[0]


def test_nginx_upgrades_websockets_for_socketio() -> None:
    location = directives(block(https_server(), r"location\s+/socket\.io/"))
    assert "proxy_pass http://hamkke_web" in location
    assert "proxy_http_version 1.1" in location
    assert "proxy_set_header Upgrade $http_upgrade" in location
    assert 'proxy_set_header Connection "upgrade"' in location
    assert "proxy_buffering off" in location


def test_nginx_passes_the_client_and_scheme_on_every_location() -> None:
    text = https_server()
    for header in (r"location\s+/socket\.io/", r"location\s+/\s"):
        location = directives(block(text, header))
        # $http_host keeps the port: with $host, forms on a port other than 443 fail the CSRF referrer check.
        assert "proxy_set_header Host $http_host" in location, header
        assert "proxy_set_header X-Forwarded-Host $http_host" in location, header
        assert not any(line.endswith(" $host") for line in location if "proxy_set_header" in line), header
        assert "proxy_set_header X-Forwarded-Proto $scheme" in location, header
        assert "proxy_set_header X-Forwarded-For $remote_addr" in location, header


def test_nginx_serves_its_health_check_and_terminates_tls() -> None:
    text = nginx_text()
    assert re.search(r"listen\s+127\.0\.0\.1:8081\s*;", text)
    assert "return 200" in block(text, r"location\s+=\s+/nginx-health")
    assert re.search(r"listen\s+443\s+ssl", text)
    # The redirect names the published https port (filled in by the image's envsubst templates).
    assert "return 301 https://$host:${HTTPS_PORT}$request_uri" in text


def test_nginx_config_is_rendered_with_the_published_https_port(services: dict[str, dict[str, Any]]) -> None:
    nginx = services["nginx"]
    assert "./deploy/nginx.conf:/etc/nginx/templates/nginx.conf.template:ro" in nginx["volumes"]
    environment = interpolate_tree(environment_of(nginx), {"HTTPS_PORT": "8443"})
    assert environment["HTTPS_PORT"] == "8443"
    assert environment["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"
    # Only HTTPS_PORT is substituted: nginx's own $host, $http_host, ... must stay.
    assert environment["NGINX_ENVSUBST_FILTER"] == "^HTTPS_PORT$"
    published = interpolate_tree(nginx["ports"], {"HTTPS_PORT": "8443"})
    assert "8443:443" in published


def test_nginx_config_runs_on_debian_bookworms_nginx() -> None:
    # `http2 on;` needs nginx >= 1.25.1; bookworm (make system-deps) ships 1.22.1.
    assert not re.search(r"^\s*http2\s+on\s*;", nginx_text(), re.MULTILINE)
    assert re.search(r"listen\s+443\s+ssl\s+http2\b", nginx_text())


# ---- Dockerfile ----


def dockerfile() -> str:
    """The Dockerfile with line continuations joined."""
    return DOCKERFILE_PATH.read_text(encoding="utf-8").replace("\\\n", " ")


def test_dockerfile_builds_python_and_vendors_browser_libraries() -> None:
    text = dockerfile()
    assert re.search(r"^FROM node:20\S* AS vendor$", text, re.MULTILINE)
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert "npm ci" in text
    assert "node_modules/htmx.org/dist/htmx.min.js" in text
    assert "node_modules/socket.io-client/dist/socket.io.min.js" in text
    assert "COPY --from=vendor /vendor/ static/vendor/" in text
    assert "pip install --no-deps -e ." in text


def test_dockerfile_compiles_translations_only_when_present_and_hides_no_failure() -> None:
    text = dockerfile()
    assert re.search(r"if \[ -d translations \]; then pybabel compile [^;]*-d translations; fi", text)
    assert "|| true" not in text


def test_dockerfile_runs_as_an_unprivileged_user() -> None:
    users = re.findall(r"^USER (\S+)$", dockerfile(), re.MULTILINE)
    assert users, "no USER"
    assert users[-1] not in {"root", "0"}


def test_dockerfile_creates_the_folders_the_settings_point_to() -> None:
    text = dockerfile()
    values = env_example()
    folders = {
        str(Path(values["HAMKKE_CONSENTS_ACCESS_LOG_ANCHOR_FILE"]).parent),
        values["HAMKKE_FONT_CACHE_DIR"],
    }
    created = {folder for match in re.findall(r"mkdir -p ([^&\n]+)", text) for folder in match.split()}
    owned = [
        folder for match in re.findall(r"chown -R hamkke:hamkke ([^&\n]+)", text) for folder in match.split()
    ]
    for folder in folders:
        assert folder in created, folder
        assert any(folder == root or folder.startswith(root + "/") for root in owned), folder


def test_the_anchor_file_survives_upgrades_on_a_volume(services: dict[str, dict[str, Any]]) -> None:
    folder = str(Path(env_example()["HAMKKE_CONSENTS_ACCESS_LOG_ANCHOR_FILE"]).parent)
    for name in APP_SERVICES:
        mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services[name].get("volumes", [])}
        assert mounts.get(folder) == "anchors", name


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for entry in (".env", ".git", ".venv", "node_modules", "instance", "deploy/certs"):
        assert entry in ignored, entry
