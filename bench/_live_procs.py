"""Child processes of the live and worker benchmarks: environment, start/stop, readiness and memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.harness import BenchEnv

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


#: the database pool of each benchmark web process: far fewer than its hundreds of threads (most hold
#: an idle WebSocket), and two processes together stay under the benchmark PostgreSQL's 200 connections
WEB_DB_POOL = {"HAMKKE_DB_POOL_SIZE": "20", "HAMKKE_DB_MAX_OVERFLOW": "60"}


def child_environment(env: BenchEnv, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a Hamkke child process: this run's PostgreSQL and Redis, its own instance folder.

    The harness's keys (``env.secret_key``, ``env.field_encryption_key``) are passed on, and settings in
    ``env.options["hamkke_environment"]`` win over everything.
    """
    settings = {key: value for key, value in os.environ.items() if not key.startswith("HAMKKE_")}
    instance.mkdir(parents=True, exist_ok=True)
    settings.update(
        {
            "HAMKKE_DATABASE_URL": env.database_url,
            "HAMKKE_REDIS_URL": env.redis_url,
            "HAMKKE_INSTANCE_PATH": str(instance),
            "HAMKKE_BASE_URL": "http://127.0.0.1",
            "HAMKKE_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(env.repo_root),
        }
    )
    # The keys the generator encrypted with: every process of the run must sign and decrypt alike.
    if env.secret_key:
        settings["HAMKKE_SECRET_KEY"] = env.secret_key
    if env.field_encryption_key:
        settings["HAMKKE_FIELD_ENCRYPTION_KEY"] = env.field_encryption_key
    settings.update({str(k): str(v) for k, v in env.options.get("hamkke_environment", {}).items()})
    settings.update(extra)
    return settings


def redis_database(url: str, number: int) -> str:
    """The same Redis server with another logical database (keeps a benchmark's queue to itself)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, parts.fragment))


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 90.0) -> None:
    """Wait until something accepts connections on ``port``; fail with the log's tail if the child died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.name} exited with {process.returncode}:\n{tail(log)}")
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"port {port} not open after {timeout}s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    """The last lines of a log file (for error messages)."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_python(
    module_args: list[str], env: Mapping[str, str], cwd: Path, log: Path, timeout: float
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m <module_args>`` to completion; raise with the log's tail if it fails."""
    with log.open("wb") as output:
        completed = subprocess.run(  # noqa: S603 -- our own interpreter and module
            [sys.executable, "-m", *module_args],
            cwd=cwd,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(module_args[:2])} failed ({completed.returncode}):\n{tail(log)}")
    return completed


@contextmanager
def running(
    command: list[str], env: Mapping[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group for the block; stop the whole group afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 -- commands built from our own interpreter
            command,
            cwd=cwd,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not stopped in time."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def gunicorn_command(app: str, port: int, threads: int) -> list[str]:
    """gunicorn as the web containers run it (deploy/gunicorn.conf.py, one gthread worker) on ``port``.

    The thread count is the one setting that differs from docker-compose.yml: every open WebSocket
    holds a gthread thread, so a process serving N participants needs more than N threads.
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "deploy/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
        "-w",
        "1",
        "--threads",
        str(threads),
        "-k",
        "gthread",
        app,
    ]


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    found: list[int] = []
    task_root = Path(f"/proc/{pid}/task")
    try:
        for task in task_root.iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(value) for value in text)
    except OSError:
        return found
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of one process in bytes (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_SIZE


class MemoryWatch:
    """Sample the RSS of named processes (and their children) every ``interval`` seconds; keep the peaks."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.roots: dict[str, int] = {}
        self.peak_each: dict[str, int] = {}  # the largest single process under the root
        self.peak_total: dict[str, int] = {}  # the largest sum over the root and its children
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)

    def watch(self, name: str, pid: int) -> None:
        """Add a process tree to sample."""
        self.roots[name] = pid
        self.peak_each.setdefault(name, 0)
        self.peak_total.setdefault(name, 0)

    def sample(self) -> None:
        """Take one sample of every watched tree now."""
        for name, root in list(self.roots.items()):
            pids = [root, *children(root)]
            for pid in list(pids):
                pids.extend(children(pid))
            sizes = [rss_bytes(pid) for pid in set(pids)]
            self.peak_each[name] = max(self.peak_each[name], max(sizes, default=0))
            self.peak_total[name] = max(self.peak_total[name], sum(sizes))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()


def megabytes(value: int) -> float:
    """Bytes as MB (10^6, as memory goals are stated)."""
    return round(value / 1_000_000, 1)


#: leaf frames of a thread that waits for work rather than doing it (left out of a profile's summary)
IDLE_LEAVES = ("wait (threading", "select (", "sleep", "poll (", "accept (", "_recv", "recv_into", "readinto")


def profiler_requested(env: BenchEnv) -> bool:
    """Whether to record py-spy profiles (``env.options["profile"]`` or ``BENCH_PROFILE=1``)."""
    return bool(env.options.get("profile")) or os.environ.get("BENCH_PROFILE") == "1"


#: py-spy's sampling of a web or worker process tree: 40 Hz, raw stacks, without pausing the target
PY_SPY_RECORD = [
    str(Path(sys.executable).with_name("py-spy")),
    "record",
    "--subprocesses",
    "--nonblocking",
    "-r",
    "40",
    "-f",
    "raw",
]


@contextmanager
def profiled(pid: int, output: Path, enabled: bool) -> Iterator[None]:
    """Record a py-spy profile (raw, with subprocesses) of ``pid`` while the block runs, if enabled."""
    if not enabled or not Path(PY_SPY_RECORD[0]).exists():
        yield
        return
    with (output.with_suffix(".log")).open("wb") as log:
        recorder = subprocess.Popen(  # noqa: S603 -- py-spy from our own virtualenv
            [*PY_SPY_RECORD, "-p", str(pid), "-o", str(output)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield
        finally:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            try:
                recorder.wait(timeout=60)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()


def _frame_name(frame: str) -> str:
    """ "func (/long/path/pkg/module.py:12)" → "func (pkg/module.py)"."""
    function, _, location = frame.partition(" (")
    path = location.rsplit(":", 1)[0]
    return f"{function} ({'/'.join(path.split('/')[-2:])})"


def profile_summary(raw: Path, top: int = 25) -> list[str]:
    """The frames with the most busy samples (inclusive) in a py-spy raw profile: "share% function (file)"."""
    if not raw.exists():
        return []
    inclusive: dict[str, int] = {}
    busy = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        if any(leaf in frames[-1] for leaf in IDLE_LEAVES):
            continue
        count = int(count_text)
        busy += count
        for name in {_frame_name(frame) for frame in frames}:
            inclusive[name] = inclusive.get(name, 0) + count
    ranked = sorted(inclusive.items(), key=lambda pair: pair[1], reverse=True)
    return [f"{100 * count / busy:.0f}% {name}" for name, count in ranked[:top] if busy]
