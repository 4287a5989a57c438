"""Pages: p50/p95 of five pages over a real gunicorn server and a real session, at two data scales.

Each page is requested one after another (a worker's clicks, not a load test) by a signed-in staff
member: the caseload list, a case page, an agency directory search and the conference room's first
load as a 종합사회복지관 case worker; the district dashboard as the district coordinator. The baseline
is a bare Flask app (``bench.baseline_app``) under the same gunicorn settings rendering a page of the
same size with no database. Both scales run in the same run: the cost of a page must not grow with
the data (p95 at full scale at most 1.5 × p95 at a tenth).

The three servers (full scale, a tenth, the baseline) run at the same time, and each page is measured
in alternating rounds (full, tenth, baseline; then the reverse order; …), so a busier minute on the
machine falls on all three alike. Each ratio is the median of the per-round ratios of p95, with the
lowest and highest round; the p50 and p95 themselves are over every sample of every round.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.generate import Manifest, app_config, load_manifest
from bench.harness import (
    MIN_ROUNDS,
    BenchEnv,
    Figure,
    Rounds,
    alternate,
    per_round_ratios,
    percentile,
    ratio_figure,
    summary_ms,
)
from bench.server import gunicorn, signed_in_cookie, timed_get

BENCHMARK = "pages"
#: alternating rounds per page; requests per page, scale and round (200 per page and scale in all)
ROUNDS = MIN_ROUNDS
REQUESTS_PER_ROUND = 40
QUICK_REQUESTS_PER_ROUND = 2
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
    """Timings of one page on one server: every sample, and each round's samples."""

    name: str
    samples: list[float] = field(default_factory=list)
    body_bytes: int = 0
    capped: bool = False
    rounds: list[list[float]] = field(default_factory=list)

    def add_round(self, batch: PageResult) -> None:
        """Keep one round's batch."""
        self.rounds.append(batch.samples)
        self.samples.extend(batch.samples)
        self.body_bytes = batch.body_bytes or self.body_bytes
        self.capped = self.capped or batch.capped

    def round_p95s(self) -> list[float]:
        """The p95 of each round, in ms."""
        return [percentile(samples, 0.95) * 1000 for samples in self.rounds]


@dataclass
class Served:
    """One server being measured: its URL, the pages with their ids filled in, a signed-in session each."""

    label: str
    base_url: str
    specs: dict[str, PageSpec]
    sessions: dict[str, requests.Session]
    notes: list[str] = field(default_factory=list)


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
    """Request the page ``count`` times (stopping after ``cap`` seconds); the spec's paths are resolved."""
    result = PageResult(spec.name)
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


@contextlib.contextmanager
def serve_scale(env: BenchEnv, database_url: str, label: str) -> Iterator[Served]:
    """Serve the app over one database with signed-in sessions for the worker and the coordinator."""
    app = _in_process_app(env, database_url)
    manifest = load_manifest(database_url)
    dashboard = dashboard_path(app)
    notes = (
        []
        if dashboard
        else ["district dashboard: no dashboards route in this app yet (dashboards/views.py); left out"]
    )
    with app.app_context():
        cookies = {
            "worker": signed_in_cookie(app, manifest.worker_id, manifest.worker_agency_id),
            "coordinator": signed_in_cookie(app, manifest.coordinator_id, manifest.coordinator_agency_id),
        }
    with gunicorn(env, "hamkke.wsgi:app", name=f"pages-{label}", database_url=database_url) as server:
        sessions = {}
        for who, cookie in cookies.items():
            sessions[who] = requests.Session()
            sessions[who].cookies.update(cookie)
        specs = {
            spec.name: PageSpec(
                spec.name,
                spec.who,
                [_resolve(sessions[spec.who], server.base_url, path) for path in spec.paths],
            )
            for spec in page_specs(manifest, dashboard)
        }
        yield Served(label, server.base_url, specs, sessions, notes)


def _warm(served: Served, spec: PageSpec) -> int:
    """Request the page ``WARMUP`` times; return its size in bytes."""
    size = 0
    for _ in range(WARMUP):
        size = sum(timed_get(served.sessions[spec.who], served.base_url + path)[1] for path in spec.paths)
    return size


def measure_page(
    name: str, servers: dict[str, Served], baseline: Served, rounds: int, per_round: int
) -> dict[str, PageResult]:
    """Alternating rounds of ``per_round`` requests of one page on every scale's server and the baseline."""
    sizes = {label: _warm(served, served.specs[name]) for label, served in servers.items()}
    first = next(iter(servers))
    baseline_spec = PageSpec(name, "nobody", [f"/render?bytes={sizes[first]}"])
    baseline.specs[name] = baseline_spec
    _warm(baseline, baseline_spec)
    cap = TIME_CAP_SECONDS / rounds

    def side(served: Served) -> Callable[[], PageResult]:
        spec = served.specs[name]
        return lambda: _measure(served.sessions[spec.who], served.base_url, spec, per_round, cap=cap)

    sides = {label: side(served) for label, served in servers.items()}
    sides["baseline"] = side(baseline)
    batches = alternate(rounds, sides)
    results: dict[str, PageResult] = {}
    for label, runs in batches.items():
        results[label] = PageResult(name)
        for batch in runs:
            results[label].add_round(batch)
    return results


@contextlib.contextmanager
def serve_baseline(env: BenchEnv) -> Iterator[Served]:
    """The bare Flask route under the same gunicorn settings (pages are added as they are measured)."""
    with gunicorn(env, "bench.baseline_app:app", name="pages-baseline") as server:
        yield Served("baseline", server.base_url, {}, {"nobody": requests.Session()})


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
    """Measure every page at full scale, at a tenth and on the baseline, in alternating rounds."""
    per_round = QUICK_REQUESTS_PER_ROUND if env.quick else REQUESTS_PER_ROUND
    with contextlib.ExitStack() as stack:
        servers = {"full": stack.enter_context(serve_scale(env, env.database_url, f"{env.scale:g}"))}
        if env.small_database_url:
            servers["small"] = stack.enter_context(
                serve_scale(env, env.small_database_url, f"{env.small_scale:g}")
            )
        baseline = stack.enter_context(serve_baseline(env))
        measured: dict[str, dict[str, PageResult]] = {}
        for name in servers["full"].specs:
            measured[name] = measure_page(name, servers, baseline, ROUNDS, per_round)
            stats = {label: summary_ms(result.samples) for label, result in measured[name].items()}
            log(
                f"    {name}: p95 "
                + ", ".join(f"{label} {value['p95']:.1f} ms" for label, value in stats.items())
                + f" ({ROUNDS} rounds × {per_round} requests)"
            )
    figures: list[Figure] = []
    for name, results in measured.items():
        figures += page_figures(env, name, results, per_round)
    for note in servers["full"].notes:
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


def page_figures(env: BenchEnv, name: str, results: dict[str, PageResult], per_round: int) -> list[Figure]:
    """One page's figures: p50 and p95 over all samples, ratios as medians of per-round ratios."""
    full, base = results["full"], results["baseline"]
    stats, base_stats = summary_ms(full.samples), summary_ms(base.samples)
    rounds = len(full.rounds)
    note = (
        f"{len(full.samples)} requests in {rounds} alternating rounds of {per_round}, {full.body_bytes} bytes"
    )
    if full.capped:
        note += f" (a round stopped at its {TIME_CAP_SECONDS / rounds:.0f} s share of the cap)"
    figures = [
        Figure(BENCHMARK, f"{name} p50", stats["p50"], "ms", baseline=base_stats["p50"], note=note),
        Figure(
            BENCHMARK,
            f"{name} p95",
            stats["p95"],
            "ms",
            baseline=base_stats["p95"],
            goal=f"<= {P95_GOAL_MS:.0f} ms",
            met=stats["p95"] <= P95_GOAL_MS,
            note=note,
        ),
        ratio_figure(
            BENCHMARK,
            f"{name} p95 / baseline p95",
            per_round_ratios(full.round_p95s(), base.round_p95s()),
            note="median of the per-round ratios of p95",
        ),
    ]
    small = results.get("small")
    if small is not None:
        small_p95 = summary_ms(small.samples)["p95"]
        figures.append(
            Figure(
                BENCHMARK,
                f"{name} p95 at scale {env.small_scale:g}",
                small_p95,
                "ms",
                note=f"{len(small.samples)} requests in {len(small.rounds)} rounds, {small.body_bytes} bytes",
            )
        )
        growth: Rounds = per_round_ratios(full.round_p95s(), small.round_p95s())
        figures.append(
            ratio_figure(
                BENCHMARK,
                f"{name} p95 growth (scale {env.scale:g} / {env.small_scale:g})",
                growth,
                goal=f"<= {GROWTH_GOAL}",
                met=growth.median <= GROWTH_GOAL,
                note="median of the per-round ratios of p95; the three servers ran side by side",
            )
        )
    return figures
