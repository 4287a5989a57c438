"""``python -m bench`` (``make bench``): start PostgreSQL and Redis, generate the district, run everything.

PostgreSQL runs with durable settings (fsync, synchronous_commit and full_page_writes on); every
setting that differs from the server's defaults is recorded with the figures. Prints a table and writes
``bench/results/latest.json`` with the figures, the machine and the git revision; a full run (every
benchmark, not ``--quick``, scale 1 or more) also writes ``bench/results/history/<date>-<revision>.json``
and regenerates the figures section of ``docs/benchmarks.md`` from it.
Options: ``--scale`` (1.0; 0.1 and 10 work), ``--only pages,gate``, ``--quick`` (a tiny
district and a handful of requests: checks the harness, says nothing about speed).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import history, report
from bench.harness import BenchEnv, Figure
from bench.report import format_number, format_spread

REPO_ROOT = Path(__file__).resolve().parent.parent
#: benchmark name (for --only) → module
BENCHMARKS: dict[str, str] = {
    "pages": "bench.pages",
    "gate": "bench.gate",
    "live": "bench.live",
    "worker": "bench.worker_pipeline",
    "embedded_start": "bench.embedded_start",
}
QUICK_SCALE = 0.01
GIT = shutil.which("git") or "git"


def machine_info(database_url: str | None, redis_url: str | None) -> dict[str, Any]:
    """CPU, cores, memory, Python, PostgreSQL and Redis versions, git revision and the date."""
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": list(os.getloadavg()),
    }
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        for line in with_cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    if database_url:
        import sqlalchemy as sa

        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as connection:
                info["postgresql"] = connection.execute(sa.text("SHOW server_version")).scalar_one()
        finally:
            engine.dispose()
    if redis_url:
        import redis

        info["redis"] = redis.Redis.from_url(redis_url).info("server").get("redis_version")
    try:
        revision = subprocess.run(  # noqa: S603 -- git from PATH with fixed arguments
            [GIT, "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603 -- git from PATH with fixed arguments
            [GIT, "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        info["git_revision"] = revision + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        info["git_revision"] = "unknown"
    return info


def table(figures: Sequence[Figure]) -> str:
    """The figures as a plain-text table."""
    headers = ("benchmark", "figure", "value", "unit", "baseline", "rounds", "spread", "goal", "met")
    rows = [
        (
            figure.benchmark,
            figure.name,
            format_number(figure.value),
            figure.unit,
            format_number(figure.baseline),
            figure.rounds or "",
            format_spread(figure.spread),
            figure.goal,
            {True: "yes", False: "NO", None: ""}[figure.met],
        )
        for figure in figures
    ]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
    ]
    return "\n".join(lines)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


#: settings a connection sets for itself, not the server's configuration
SESSION_SOURCES = ("default", "override", "client", "session")
#: where the throwaway server listens (a free port, a temporary folder): different every run, no effect
WHERE_IT_LISTENS = ("port", "unix_socket_directories")


def server_settings(database_url: str) -> dict[str, str]:
    """Every PostgreSQL setting whose value does not come from the built-in default, with its unit."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT name, current_setting(name) FROM pg_settings"
                    " WHERE (source <> ALL(:sources) AND name <> ALL(:where)) OR name = ANY(:always)"
                    " ORDER BY name"
                ),
                {
                    "sources": list(SESSION_SOURCES),
                    "where": list(WHERE_IT_LISTENS),
                    "always": list(report.DURABILITY),
                },
            )
            return {str(name): str(value) for name, value in rows}
    finally:
        engine.dispose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data scale (1.0 = the issue's district)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument(
        "--quick", action="store_true", help="tiny district, few iterations (checks the harness)"
    )
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "latest.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (servers' logs)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.chosen = chosen
    if args.quick:
        args.scale = QUICK_SCALE
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks; return 1 if one failed to run (a missed goal is a figure, not a failure)."""
    args = parse_args(argv)
    # Progress lines must show as they happen, also when the output goes to a file or a pipe.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    from tests.fixtures.services import PostgresServer, RedisServer

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="hamkke-bench-"))
    os.chmod(workdir, 0o755)  # noqa: S103 -- the postgres user must reach its data folder inside
    os.environ["HAMKKE_INSTANCE_PATH"] = str(workdir / "instance")
    postgres = PostgresServer(workdir / "postgres", durable=True)
    redis_server = RedisServer(workdir / "redis")
    figures: list[Figure] = []
    failures: dict[str, str] = {}
    generation: dict[str, Any] = {}
    info: dict[str, Any] = {}
    settings: dict[str, str] = {}
    try:
        print(f"PostgreSQL, Redis → {workdir}", flush=True)
        postgres.start()
        redis_server.start()
        env = BenchEnv(
            database_url=postgres.create_database("bench"),
            redis_url=redis_server.url,
            scale=args.scale,
            workdir=workdir,
            repo_root=REPO_ROOT,
            quick=args.quick,
            secret_key=secrets.token_urlsafe(48),
            field_encryption_key=secrets.token_urlsafe(48),
        )
        from bench.generate import generate

        print(f"district at scale {args.scale:g}:", flush=True)
        manifest = generate(
            env.database_url,
            scale=args.scale,
            field_encryption_key=env.field_encryption_key,
            redis_url=env.redis_url,
        )
        generation[f"{args.scale:g}"] = {"seconds": round(manifest.seconds, 1), "rows": manifest.counts}
        print(f"  generated in {manifest.seconds:.0f}s", flush=True)
        if "pages" in args.chosen:
            env.small_scale = args.scale / 10
            env.small_database_url = postgres.create_database("bench_small")
            print(f"district at scale {env.small_scale:g} (pages compare both):", flush=True)
            small = generate(
                env.small_database_url,
                scale=env.small_scale,
                field_encryption_key=env.field_encryption_key,
                redis_url=env.redis_url,
            )
            generation[f"{env.small_scale:g}"] = {"seconds": round(small.seconds, 1), "rows": small.counts}
        info = machine_info(env.database_url, env.redis_url)
        settings = server_settings(env.database_url)
        print(
            "PostgreSQL settings (not built-in defaults): "
            + ", ".join(f"{name}={value}" for name, value in settings.items()),
            flush=True,
        )
        for name in args.chosen:
            module_name = BENCHMARKS[name]
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name == module_name:
                    failures[name] = f"{module_name} does not exist yet; skipped"
                    print(f"{name}: {failures[name]}", flush=True)
                    continue
                raise
            print(f"{name}:", flush=True)
            began = time.monotonic()
            try:
                produced = list(module.run(env))
            except Exception:
                failures[name] = traceback.format_exc(limit=8)
                print(f"{name} FAILED:\n{failures[name]}", flush=True)
                continue
            figures.extend(produced)
            print(f"  {name} took {time.monotonic() - began:.0f}s", flush=True)
    finally:
        redis_server.stop()
        postgres.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    total = time.monotonic() - started
    print()
    print(table(figures))
    info["load_average_after"] = list(os.getloadavg())
    result = {
        "scale": args.scale,
        "quick": args.quick,
        "benchmarks": args.chosen,
        "total_seconds": round(total, 1),
        "machine": info,
        "postgresql_settings": settings,
        "generation": generation,
        "figures": [_json_safe(asdict(figure)) for figure in figures],
        "failures": failures,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n{len(figures)} figures in {total / 60:.1f} min → {args.output}")
    if history.is_full_run(quick=args.quick, chosen=args.chosen, every=list(BENCHMARKS), scale=args.scale):
        kept = history.write(result)
        report.main([])
        print(f"full run kept in {kept.relative_to(REPO_ROOT)}: commit it with docs/benchmarks.md")
    else:
        print("not a full run (--quick, --only or --scale < 1): nothing added to bench/results/history/")
    crashed = {name: text for name, text in failures.items() if "does not exist yet" not in text}
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
