"""Pages: p50/p95 of five pages over a real gunicorn server and a real session, at two data scales.

Each page is requested one after another (a worker's clicks, not a load test) by a signed-in staff
member: the caseload list, a case page, an agency directory search and the conference room's first
load as a 종합사회복지관 case worker; the district dashboard as the district coordinator. The baseline
is a bare Flask app (``bench.baseline_app``) under the same gunicorn settings rendering a page of the
same size with no database. Both scales run in the same run: the cost of a page must not grow with
the data (p95 at full scale at most 1.5 × p95 at a tenth).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.generate import Manifest, app_config, load_manifest
from bench.harness import BenchEnv, Figure, ratio, summary_ms
from bench.server import gunicorn, signed_in_cookie, timed_get

BENCHMARK = "pages"
REQUESTS = 200
QUICK_REQUESTS = 5
WARMUP = 5
#: a page that is slow still gets measured, but never for longer than this per page and scale
TIME_CAP_SECONDS = 60.0
P95_GOAL_MS = 150.0
GROWTH_GOAL = 1.5


@dataclass
class PageSpec:
    """One page: a name, who opens it, and the paths one "load" of it requests."""

    name: str
    who: str  # "worker" or "coordinator"
    paths: list[str]


@dataclass
class PageResult:
    """Timings of one page at one scale."""

    name: str
    samples: list[float] = field(default_factory=list)
    body_bytes: int = 0
    capped: bool = False


def dashboard_path(app: Any) -> str | None:
    """The district dashboard's URL if the app has one (a GET route of the dashboards blueprint)."""
    candidates = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0].startswith("dashboard")
        and "GET" in (rule.methods or set())
        and not rule.arguments
    ]
    if not candidates:
        return None
    candidates.sort(
        key=lambda rule: ("district" not in rule.rule and "district" not in rule.endpoint, len(rule.rule))
    )
    return str(candidates[0].rule)


def page_specs(manifest: Manifest, dashboard: str | None) -> list[PageSpec]:
    """The pages measured, with the generated district's ids filled in."""
    specs = [
        PageSpec("caseload", "worker", ["/cases/"]),
        PageSpec("case page", "worker", [f"/cases/{manifest.worker_case_id}"]),
        PageSpec("agency directory search", "worker", ["/agencies/?q=복지"]),
        PageSpec(
            "conference room first load",
            "worker",
            [
                f"/conferences/{manifest.live_conference_id}",
                f"/conferences/{manifest.live_conference_id}/state.json",
            ],
        ),
    ]
    if dashboard is not None:
        specs.append(PageSpec("district dashboard", "coordinator", [dashboard]))
    return specs


def _measure(
    http: requests.Session, base_url: str, spec: PageSpec, count: int, *, cap: float = TIME_CAP_SECONDS
) -> PageResult:
    result = PageResult(spec.name)
    spec = PageSpec(spec.name, spec.who, [_resolve(http, base_url, path) for path in spec.paths])
    for _ in range(WARMUP):
        for path in spec.paths:
            timed_get(http, base_url + path)
    began = time.monotonic()
    for _ in range(count):
        total, size = 0.0, 0
        for path in spec.paths:
            seconds, length = timed_get(http, base_url + path)
            total += seconds
            size += length
        result.samples.append(total)
        result.body_bytes = size
        if time.monotonic() - began > cap:
            result.capped = True
            break
    return result


def _resolve(http: requests.Session, base_url: str, path: str) -> str:
    """Follow a page's redirect once (``/dashboards/`` → the person's district), so it is timed itself."""
    response = http.get(base_url + path, timeout=60, allow_redirects=False)
    if response.status_code in {301, 302, 303, 307, 308} and response.headers.get("Location"):
        location = response.headers["Location"]
        return location[len(base_url) :] if location.startswith(base_url) else location
    return path


def _in_process_app(env: BenchEnv, database_url: str) -> Any:
    from hamkke.app import create_app

    return create_app(
        app_config(
            database_url,
            secret_key=env.secret_key,
            field_encryption_key=env.field_encryption_key,
            redis_url=env.redis_url,
        )
    )


def measure_scale(
    env: BenchEnv, database_url: str, label: str, count: int, log: Callable[[str], None]
) -> tuple[dict[str, PageResult], list[str]]:
    """Serve the app over one database and time every page; return results and notes."""
    app = _in_process_app(env, database_url)
    manifest = load_manifest(database_url)
    dashboard = dashboard_path(app)
    notes = (
        []
        if dashboard
        else [
            "district dashboard: no dashboards route in this app yet (hamkke/dashboards/views.py); left out"
        ]
    )
    with app.app_context():
        cookies = {
            "worker": signed_in_cookie(app, manifest.worker_id, manifest.worker_agency_id),
            "coordinator": signed_in_cookie(app, manifest.coordinator_id, manifest.coordinator_agency_id),
        }
    results: dict[str, PageResult] = {}
    with gunicorn(env, "hamkke.wsgi:app", name=f"pages-{label}", database_url=database_url) as server:
        for spec in page_specs(manifest, dashboard):
            http = requests.Session()
            http.cookies.update(cookies[spec.who])
            results[spec.name] = _measure(http, server.base_url, spec, count)
            stats = summary_ms(results[spec.name].samples)
            log(
                f"    {label} {spec.name}: p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms"
                f" ({len(results[spec.name].samples)} requests)"
            )
    return results, notes


def measure_baseline(env: BenchEnv, sizes: dict[str, int], count: int) -> dict[str, PageResult]:
    """Time the bare Flask route at each page's size, under the same gunicorn settings."""
    results: dict[str, PageResult] = {}
    with gunicorn(env, "bench.baseline_app:app", name="pages-baseline") as server:
        http = requests.Session()
        for name, size in sizes.items():
            spec = PageSpec(name, "nobody", [f"/render?bytes={size}"])
            results[name] = _measure(http, server.base_url, spec, count)
    return results


def profile_page(env: BenchEnv, database_url: str, spec_name: str, out_dir: Path) -> Path | None:
    """Profile one request of a page in-process with pyinstrument; write the text report."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    app = _in_process_app(env, database_url)
    manifest = load_manifest(database_url)
    specs = {spec.name: spec for spec in page_specs(manifest, dashboard_path(app))}
    spec = specs[spec_name]
    with app.app_context():
        person, agency = (
            (manifest.worker_id, manifest.worker_agency_id)
            if spec.who == "worker"
            else (manifest.coordinator_id, manifest.coordinator_agency_id)
        )
        cookie = signed_in_cookie(app, person, agency)
    client = app.test_client()
    for name, value in cookie.items():
        client.set_cookie(name, value, domain="localhost")
    warm = client.get(spec.paths[0])  # warm caches and imports outside the profile
    # Profile the page itself, not the redirect to it (``/dashboards/`` → the person's district), as
    # the timing does.
    paths = [warm.location] if warm.status_code in (301, 302, 303, 307, 308) and warm.location else spec.paths
    client.get(paths[0])
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for path in paths:
        client.get(path)
    profiler.stop()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"profile-pages-{spec_name.replace(' ', '-')}.txt"
    target.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    return target


def run(env: BenchEnv, log: Callable[[str], None] = print) -> list[Figure]:
    """Measure every page at full scale and at a tenth, and the same-size baseline."""
    count = QUICK_REQUESTS if env.quick else REQUESTS
    full, notes = measure_scale(env, env.database_url, f"scale {env.scale:g}", count, log)
    small: dict[str, PageResult] = {}
    if env.small_database_url:
        small, _ = measure_scale(env, env.small_database_url, f"scale {env.small_scale:g}", count, log)
    baseline = measure_baseline(env, {name: result.body_bytes for name, result in full.items()}, count)
    figures: list[Figure] = []
    for name, result in full.items():
        stats = summary_ms(result.samples)
        base = summary_ms(baseline[name].samples)
        note = f"{len(result.samples)} requests, {result.body_bytes} bytes"
        if result.capped:
            note += f" (stopped at the {TIME_CAP_SECONDS:.0f} s cap)"
        figures.append(Figure(BENCHMARK, f"{name} p50", stats["p50"], "ms", baseline=base["p50"], note=note))
        figures.append(
            Figure(
                BENCHMARK,
                f"{name} p95",
                stats["p95"],
                "ms",
                baseline=base["p95"],
                goal=f"<= {P95_GOAL_MS:.0f} ms",
                met=stats["p95"] <= P95_GOAL_MS,
                note=note,
            )
        )
        figures.append(
            Figure(BENCHMARK, f"{name} p95 / baseline p95", ratio(stats["p95"], base["p95"]), "ratio")
        )
        if name in small:
            small_stats = summary_ms(small[name].samples)
            figures.append(
                Figure(
                    BENCHMARK,
                    f"{name} p95 at scale {env.small_scale:g}",
                    small_stats["p95"],
                    "ms",
                    note=f"{len(small[name].samples)} requests, {small[name].body_bytes} bytes",
                )
            )
            growth = ratio(stats["p95"], small_stats["p95"])
            figures.append(
                Figure(
                    BENCHMARK,
                    f"{name} p95 growth (scale {env.scale:g} / {env.small_scale:g})",
                    growth,
                    "ratio",
                    goal=f"<= {GROWTH_GOAL}",
                    met=growth <= GROWTH_GOAL,
                )
            )
    for note in notes:
        log(f"    {note}")
        figures.append(Figure(BENCHMARK, "district dashboard", float("nan"), "ms", note=note))
    if not env.quick:
        missed = sorted(
            {figure.name.split(" p95")[0] for figure in figures if figure.met is False},
        )
        for name in missed:
            path = profile_page(env, env.database_url, name, env.repo_root / "bench" / "results")
            if path is not None:
                log(f"    profile of {name}: {path.relative_to(env.repo_root)}")
    return figures
