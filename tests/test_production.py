"""Production topology on one machine, following docs/deploy.md from an empty database.

PostgreSQL, Redis, ``hamkke db upgrade``, the ``hamkke setup`` command of docs/deploy.md, two
gunicorn processes started with docker-compose.yml's web command, Celery worker and beat, and
Debian's nginx with deploy/nginx.conf and a throwaway certificate in front. Over https through
nginx: the coordinator signs in through the development provider registered by setup, accepts the
invitation and the 업무협약, invites an agency, schedules a meeting and opens its live room over
nginx's WebSocket proxy. Then the web process holding the room is killed (the room continues on the
other), Redis is stopped and PostgreSQL is stopped (503 with Retry-After, nothing saved).
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
import socketio

from devidp.accounts import DEMO_ACCOUNTS
from devidp.app import IdpClient, IdpSettings
from devidp.server import IdpServer
from hamkke.config import REPO_ROOT
from hamkke.time import SEOUL, now_utc
from tests.fixtures.live import ProviderBrowser
from tests.fixtures.nginx import NginxServer, render_nginx_conf
from tests.fixtures.processes import clean_environment, running, stop_group, wait_until
from tests.fixtures.services import PostgresServer, RedisServer, free_port
from tests.test_wsgi import compose_web_command

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

HAMKKE = str(Path(sys.executable).with_name("hamkke"))
DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"
CLIENT_ID = "hamkke-production-test"
COORDINATOR = next(account for account in DEMO_ACCOUNTS if account.subject == "demo-coordinator")
UNAVAILABLE = "잠시 후 다시 시도"


def doc_block(name: str) -> str:
    """The fenced block between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in docs/deploy.md."""
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:begin -->\s*```\w*\n(.*?)```\s*<!-- {name}:end -->", text, re.DOTALL)
    assert match, f"docs/deploy.md has no block {name}"
    return match.group(1)


def documented_setup_arguments(overrides: dict[str, str]) -> list[str]:
    """The arguments after ``hamkke`` of the documented setup command, with this machine's values."""
    words = shlex.split(doc_block("setup").replace("\\\n", " "))
    arguments = words[words.index("hamkke") + 1 :]
    assert arguments[:2] == ["setup", "--no-input"]
    for index, word in enumerate(arguments):
        if word in overrides:
            arguments[index + 1] = overrides[word]
    missing = set(overrides) - set(arguments)
    assert not missing, f"docs/deploy.md's setup command lacks {missing}"
    return arguments


@dataclass
class Topology:
    """The running processes and how to reach them."""

    url: str
    http_url: str
    cert: Path
    env: dict[str, str]
    idp: IdpServer
    postgres: PostgresServer
    redis: RedisServer
    database: str
    logs: Path
    webs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    setup_output: str = ""
    #: the coordinator's browser once signed in, and the meeting they opened (later steps use both)
    coordinator: Browser | None = None
    conference_id: int = 0

    def browser(self) -> Browser:
        """A new browser (its own cookies) that trusts the throwaway certificate."""
        return Browser(self)

    def sql(self, query: str) -> Any:
        """One value from PostgreSQL through a separate connection."""
        with psycopg.connect(self.database, autocommit=True) as connection:
            row = connection.execute(query).fetchone()
            return row[0] if row else None


class Browser:
    """requests with a cookie jar, the Referer a browser sends and the page's CSRF token."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = str(topology.cert)
        self.last_url = topology.url + "/"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET a page through nginx."""
        url = path if path.startswith("http") else self.topology.url + path
        response = self.http.get(url, timeout=30, **kwargs)
        self.last_url = response.url
        return response

    def post_form(self, page: requests.Response, path: str, data: dict[str, Any]) -> requests.Response:
        """Post a form of ``page`` with its CSRF token, from that page (Referer), as a browser does."""
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert token, page.text[:500]
        url = self.topology.url + path
        response = self.http.post(
            url, data={"csrf_token": token.group(1), **data}, headers={"Referer": page.url}, timeout=30
        )
        self.last_url = response.url
        return response


def _healthy(topology_url: str, cert: Path) -> bool:
    try:
        return requests.get(topology_url + "/healthz", verify=str(cert), timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _start_services(root: Path) -> tuple[PostgresServer, RedisServer, str]:
    postgres = PostgresServer(root / "postgres")
    postgres.start()
    database = postgres.create_database("hamkke")
    redis = RedisServer(root / "redis")
    redis.start()
    return postgres, redis, database


def _environment(root: Path, database: str, redis: RedisServer, https_port: int) -> dict[str, str]:
    (root / "instance").mkdir()
    return clean_environment(
        {
            "HAMKKE_ENV": "production",
            "HAMKKE_SECRET_KEY": secrets.token_urlsafe(48),
            "HAMKKE_FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
            "HAMKKE_DATABASE_URL": database,
            "HAMKKE_REDIS_URL": redis.url,
            "HAMKKE_BASE_URL": f"https://127.0.0.1:{https_port}",
            "HAMKKE_TRUSTED_PROXIES": "1",
            "HAMKKE_INSTANCE_PATH": str(root / "instance"),
            "HAMKKE_CONSENTS_ACCESS_LOG_ANCHOR_FILE": str(root / "log" / "access-log-anchors.jsonl"),
            "HAMKKE_FONT_CACHE_DIR": str(root / "cache" / "fonts"),
            "HAMKKE_MAIL_SERVER": "127.0.0.1",
            "HAMKKE_MAIL_PORT": str(free_port()),
            # Small pools: six processes share one test PostgreSQL.
            "HAMKKE_DB_POOL_SIZE": "5",
            "HAMKKE_DB_MAX_OVERFLOW": "10",
        }
    )


def _run_setup(env: dict[str, str], root: Path, idp: IdpServer) -> str:
    (root / "dongs.csv").write_text(doc_block("dongs-csv"), encoding="utf-8")
    (root / "client-secret").write_text(idp.settings.clients[0].client_secret + "\n", encoding="utf-8")
    arguments = documented_setup_arguments(
        {
            "--dongs-csv": str(root / "dongs.csv"),
            "--client-secret-file": str(root / "client-secret"),
            "--issuer": idp.url,
            "--client-id": CLIENT_ID,
            "--allowed-domain": COORDINATOR.email.rpartition("@")[2],
            "--coordinator-email": COORDINATOR.email,
        }
    )
    result = subprocess.run(
        [HAMKKE, *arguments], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """Everything docker-compose.yml runs, as plain processes, set up as docs/deploy.md says."""
    logs = tmp_path_factory.mktemp("production-logs")
    # The postgres user and nginx's workers must reach their folders: not under pytest's private tmp.
    root = Path(tempfile.mkdtemp(prefix="hamkke-production-"))
    os.chmod(root, 0o755)  # noqa: S103 -- throwaway servers of this test only
    ports = {name: free_port() for name in ("web1", "web2", "https", "http", "health")}
    base = f"https://127.0.0.1:{ports['https']}"
    idp = IdpServer(
        IdpSettings(
            issuer="",
            clients=(
                IdpClient(
                    client_id=CLIENT_ID,
                    client_secret=secrets.token_urlsafe(24),
                    redirect_uris=(base + "/auth/callback",),
                    post_logout_redirect_uris=(base + "/",),
                ),
            ),
        )
    ).start()
    postgres, redis, database = _start_services(root)
    env = _environment(root, database, redis, ports["https"])
    topology = Topology(
        url=base,
        http_url=f"http://127.0.0.1:{ports['http']}",
        cert=root / "nginx" / "certs" / "fullchain.pem",
        env=env,
        idp=idp,
        postgres=postgres,
        redis=redis,
        database=database.replace("postgresql+psycopg://", "postgresql://"),
        logs=logs,
    )
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, True)
        stack.callback(idp.stop)
        stack.callback(postgres.stop)
        stack.callback(redis.stop)
        migrate = subprocess.run(
            [HAMKKE, "db", "upgrade"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
        )
        assert migrate.returncode == 0, migrate.stderr
        topology.setup_output = _run_setup(env, root, idp)
        for name in ("web1", "web2"):
            command = [sys.executable, "-m", *compose_web_command(), "--bind", f"127.0.0.1:{ports[name]}"]
            topology.webs[name] = stack.enter_context(running(command, env, logs / f"{name}.log"))
        worker = [sys.executable, "-m", "celery", "-A", "worker.main", "worker", "--loglevel", "INFO"]
        stack.enter_context(running([*worker, "--concurrency", "1"], env, logs / "worker.log"))
        beat = [sys.executable, "-m", "celery", "-A", "worker.main", "beat", "--loglevel", "INFO"]
        stack.enter_context(
            running([*beat, "--schedule", str(root / "beat-schedule")], env, logs / "beat.log")
        )
        (root / "nginx").mkdir()
        conf = render_nginx_conf(
            root / "nginx",
            upstreams=[ports["web1"], ports["web2"]],
            http_port=ports["http"],
            https_port=ports["https"],
            health_port=ports["health"],
        )
        nginx = NginxServer(conf, https_port=ports["https"], http_port=ports["http"])
        nginx.start()
        stack.callback(lambda: shutil.copy(root / "nginx" / "error.log", logs / "nginx-error.log"))
        stack.callback(nginx.stop)
        wait_until(lambda: _healthy(base, topology.cert), timeout=120, message="/healthz through nginx")
        yield topology


def setup_link(topology: Topology) -> str:
    """The one-time link ``hamkke setup`` printed."""
    links = re.findall(r"https://\S+/agencies/join/\S+", topology.setup_output)
    assert len(links) == 1, topology.setup_output
    return links[0]


def sign_in_coordinator(topology: Topology, browser: Browser) -> None:
    """Open the setup link, sign in at the development provider, accept, agree to the 업무협약."""
    link = setup_link(topology)
    assert link.startswith(topology.url + "/agencies/join/")
    sign_in_page = browser.get(link)
    assert sign_in_page.status_code == 200
    provider_path = re.search(r'href="(/auth/login/\d+[^"]*)"', sign_in_page.text)
    assert provider_path, sign_in_page.text[:1000]
    start = browser.http.get(
        topology.url + provider_path.group(1).replace("&amp;", "&"), allow_redirects=False
    )
    assert start.status_code == 302, start.text
    authorize = start.headers["Location"]
    assert authorize.startswith(topology.idp.url + "/authorize?")
    provider = ProviderBrowser(topology.idp)
    callback = provider.sign_in(authorize, subject=COORDINATOR.subject)
    assert callback.startswith(topology.url + "/auth/callback?")
    landed = browser.get(callback)
    assert landed.status_code == 200, landed.text[:500]
    join = browser.get(link)
    assert "수락" in join.text, join.text[:1000]
    accepted = browser.post_form(join, urlpath(link), {})
    assert accepted.status_code == 200, accepted.text[:1000]
    assert "/agreement" in accepted.url, accepted.url
    version = re.search(r'name="version"[^>]*value="([^"]+)"', accepted.text)
    assert version, accepted.text[:1000]
    agreed = browser.post_form(accepted, urlpath(accepted.url), {"version": version.group(1), "agree": "y"})
    assert agreed.status_code == 200, agreed.text[:1000]


def urlpath(url: str) -> str:
    """The path of an absolute URL."""
    return "/" + url.split("/", 3)[3]


def invite_agency(topology: Topology, browser: Browser) -> str:
    """The coordinator invites an agency through the form; return the one-time link shown."""
    page = browser.get("/agencies/network/invite")
    assert page.status_code == 200, page.text[:500]
    region = re.search(r'name="regions"[^>]*value="(\d+)"', page.text)
    provider = re.search(r'name="identity_provider"[^>]*value="(\d+)"', page.text)
    assert region, page.text[:2000]
    assert provider, page.text[:2000]
    created = browser.post_form(
        page,
        "/agencies/network/invite",
        {
            "name": "강남종합사회복지관",
            "code": "gangnam-welfare",
            "type": "community_welfare_centre",
            "sector": "private",
            "regions": region.group(1),
            "email": "head@" + COORDINATOR.email.rpartition("@")[2],
            "identity_provider": provider.group(1),
        },
    )
    assert created.status_code == 200, created.text[:2000]
    link = re.search(r'<code class="secret">(https://[^<]+/agencies/join/[^<]+)</code>', created.text)
    assert link, created.text[:2000]
    return link.group(1)


def open_meeting(topology: Topology, browser: Browser) -> int:
    """Schedule a meeting hosted by the team, check in and accept the pledge; return its ID."""
    page = browser.get("/conferences/new")
    assert page.status_code == 200, page.text[:500]
    starts = (now_utc() + timedelta(days=1)).astimezone(SEOUL)
    created = browser.post_form(
        page,
        "/conferences/new",
        {
            "kind": "expanded",
            "title": "운영 점검 회의",
            "place": "구청 3층 회의실",
            "date": starts.date().isoformat(),
            "time": "14:00",
            "briefing_days": "3",
        },
    )
    assert created.status_code == 200, created.text[:1000]
    match = re.search(r"/conferences/(\d+)/plan", created.url)
    assert match, created.url
    conference_id = int(match.group(1))
    room = browser.get(f"/conferences/{conference_id}")
    checked_in = browser.post_form(room, f"/conferences/{conference_id}/check-in", {})
    version = re.search(r'name="version" value="([^"]+)"', checked_in.text)
    assert version, checked_in.text[:1000]
    pledged = browser.post_form(
        checked_in, f"/conferences/{conference_id}/pledge", {"version": version.group(1), "agree": "yes"}
    )
    assert 'id="conference-room"' in pledged.text, pledged.text[:1000]
    return conference_id


class RoomClient:
    """A python-socketio client of /conference over WebSocket only, through nginx."""

    def __init__(self, topology: Topology, browser: Browser | None, conference_id: int) -> None:
        self.connects = 0
        self.refusals: list[Any] = []
        self._lock = threading.Lock()
        # The cookies ride in the session's jar, not in ``headers``: engine.io's client removes a Cookie
        # header from the dict it is given, so a reconnect would arrive signed out.
        http = browser.http if browser else topology.browser().http
        self.client = socketio.Client(http_session=http, reconnection_delay=0.2, reconnection_delay_max=1)
        self.client.on("connect", self._connected, namespace="/conference")
        self.client.on("connect_error", self._refused, namespace="/conference")
        self.url = topology.url
        self.conference_id = conference_id

    def _connected(self) -> None:
        with self._lock:
            self.connects += 1

    def _refused(self, data: Any = None) -> None:
        with self._lock:
            self.refusals.append(data)

    def connect(self) -> None:
        """Connect over WebSocket only (no long-polling), as through nginx's upgrade."""
        self.client.connect(
            self.url,
            namespaces=["/conference"],
            auth={"conference_id": self.conference_id},
            transports=["websocket"],
            wait_timeout=30,
        )

    def call(self, event: str, data: dict[str, Any]) -> Any:
        """Emit an event and return its acknowledgement."""
        payload = {"conference_id": self.conference_id, **data}
        return self.client.call(event, payload, namespace="/conference", timeout=30)


def holder_of_room(topology: Topology) -> str:
    """Which web process logged the room's socket (ip_hash sends every loopback client to one)."""
    holders = [
        name
        for name in topology.webs
        if "Socket connected: namespace /conference" in (topology.logs / f"{name}.log").read_text("utf-8")
    ]
    assert len(holders) == 1, holders
    return holders[0]


def assert_unavailable_page(response: requests.Response) -> None:
    """503, Retry-After, the Korean page (the navigation needs no database)."""
    assert response.status_code == 503, response.text[:500]
    assert int(response.headers["Retry-After"]) > 0
    assert UNAVAILABLE in response.text
    assert "Traceback" not in response.text


def assert_unavailable_json(response: requests.Response) -> None:
    """503, Retry-After and the same words as JSON for htmx and the API."""
    assert response.status_code == 503, response.text[:500]
    assert int(response.headers["Retry-After"]) > 0
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert UNAVAILABLE in error["message"]


def test_day_one_from_an_empty_database_behind_nginx(topology: Topology) -> None:
    # http keeps the published https port in its redirect
    redirect = requests.get(topology.http_url + "/agencies/network?x=1", allow_redirects=False, timeout=10)
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == topology.url + "/agencies/network?x=1"
    # nothing but setup's district exists; its coordinator signs in and invites an agency
    assert topology.sql("SELECT count(*) FROM districts") == 1
    browser = topology.browser()
    sign_in_coordinator(topology, browser)
    link = invite_agency(topology, browser)
    assert link.startswith(topology.url + "/agencies/join/")
    assert topology.sql("SELECT status FROM agencies WHERE code = 'gangnam-welfare'") == "invited"
    assert topology.sql("SELECT count(*) FROM membership_roles WHERE role = 'coordinator'") == 1
    ping = subprocess.run(
        [HAMKKE, "ping-worker", "--timeout", "120"],
        env=topology.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ping.returncode == 0, ping.stdout + ping.stderr
    topology.coordinator = browser


def test_a_socket_refusal_carries_its_reason(topology: Topology) -> None:
    anonymous = RoomClient(topology, None, 1)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect()
    assert anonymous.refusals, "no connect_error"
    refusal = anonymous.refusals[0]
    assert refusal["message"] == "not_signed_in"
    assert "로그인" in refusal["data"]["message"]


def test_the_live_room_continues_on_the_other_web_process(topology: Topology) -> None:
    browser = topology.coordinator
    assert browser is not None, "the journey test signs the coordinator in"
    conference_id = open_meeting(topology, browser)
    room = RoomClient(topology, browser, conference_id)
    room.connect()
    try:
        assert room.client.transport() == "websocket"
        assert room.call("raise_hand", {"raised": True}) == {"ok": True}
        holder = holder_of_room(topology)
        stop_group(topology.webs[holder], sig=signal.SIGKILL)
        try:
            wait_until(lambda: room.connects >= 2, timeout=60, message="reconnected to the other web process")
        except TimeoutError as error:
            raise AssertionError(f"refused: {room.refusals[:3]}") from error
        other = next(name for name in topology.webs if name != holder)
        assert "Socket connected: namespace /conference" in (topology.logs / f"{other}.log").read_text(
            "utf-8"
        )
        state = room.call("sync", {})
        assert state["ok"] is True
        mine = [a for a in state["state"]["attendees"] if a["hand_raised_at"]]
        assert len(mine) == 1  # the hand raised before the kill is still there
        assert room.call("raise_hand", {"raised": False}) == {"ok": True}
    finally:
        room.client.disconnect()
    topology.conference_id = conference_id


def test_a_redis_outage_is_answered_as_an_outage(topology: Topology) -> None:
    browser = topology.browser()
    topology.redis.stop()
    try:
        # sign-in needs the rate limiter's Redis: a page, and JSON for htmx
        assert_unavailable_page(browser.get("/auth/login/1"))
        assert_unavailable_json(browser.get("/auth/login/1", headers={"HX-Request": "true"}))
        health = browser.get("/healthz")
        assert health.status_code == 503
        assert health.json()["checks"]["broker"]["status"] == "down"
    finally:
        topology.redis.start()
    wait_until(lambda: _healthy(topology.url, topology.cert), timeout=60, message="healthy after Redis")


def test_a_database_outage_is_answered_as_an_outage_and_saves_nothing(topology: Topology) -> None:
    conference_id = topology.conference_id
    browser = topology.coordinator
    assert browser is not None, "the journey test signs the coordinator in"
    page = browser.get("/conferences/new")
    assert page.status_code == 200
    before = topology.sql("SELECT count(*) FROM conferences")
    # The browser's /live channel, open before the outage, asks for its session's time left during it.
    live = socketio.Client(http_session=browser.http, reconnection=False)
    live.connect(topology.url, namespaces=["/live"], transports=["websocket"], wait_timeout=30)
    topology.postgres.stop()
    try:
        ack = live.call("check_session", {}, namespace="/live", timeout=30)
        assert ack["ok"] is False, ack
        assert ack["code"] == "unavailable", ack
        assert UNAVAILABLE in ack["message"]
        live.disconnect()
        assert_unavailable_page(browser.get("/"))
        assert_unavailable_json(browser.get("/", headers={"HX-Request": "true"}))
        assert_unavailable_json(browser.get("/api/v1/agencies", headers={"Authorization": "Bearer x"}))
        starts = (now_utc() + timedelta(days=2)).astimezone(SEOUL)
        posted = browser.post_form(
            page,
            "/conferences/new",
            {
                "kind": "expanded",
                "title": "장애 중 회의",
                "place": "구청",
                "date": starts.date().isoformat(),
                "time": "10:00",
            },
        )
        assert_unavailable_page(posted)
        room = RoomClient(topology, browser, conference_id)
        room.client.reconnection = False
        with pytest.raises(socketio.exceptions.ConnectionError):
            room.connect()
        assert room.refusals, "no connect_error"
        assert room.refusals[0]["message"] == "unavailable"
        assert UNAVAILABLE in room.refusals[0]["data"]["message"]
    finally:
        topology.postgres.start()
    wait_until(lambda: _healthy(topology.url, topology.cert), timeout=60, message="healthy after PostgreSQL")
    assert topology.sql("SELECT count(*) FROM conferences") == before
    assert topology.sql("SELECT count(*) FROM conferences WHERE title = '장애 중 회의'") == 0
    assert browser.get("/").status_code == 200
