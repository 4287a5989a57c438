"""The contract every benchmark module follows, and small measuring helpers they share."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Figure:
    """One measured number, with the same-run baseline and the goal it is judged against."""

    benchmark: str  # e.g. "pages", "gate", "live", "worker", "embedded_start"
    name: str  # e.g. "caseload p95"
    value: float
    unit: str  # "ms", "ratio", "MB", "msg/s", "s"
    baseline: float | None = None  # the same-run baseline figure, when there is one
    goal: str = ""  # e.g. "<= 150 ms", "<= 1.3"
    met: bool | None = None
    #: free text shown with the figure (sample count, what was left out and why)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The figure as a JSON-ready dictionary."""
        return asdict(self)


@dataclass
class BenchEnv:
    """What a benchmark gets: servers with the generated district loaded, and folders."""

    database_url: str  # PostgreSQL with the generated district loaded
    redis_url: str
    scale: float
    workdir: Path  # a temp dir for logs/instance
    repo_root: Path
    # Extra knobs the harness passes along; benchmarks read them with .get() and defaults.
    quick: bool = False
    #: the keys the generator encrypted with and every app process must use (sessions, encrypted columns)
    secret_key: str = ""
    field_encryption_key: str = ""
    small_database_url: str | None = None  # the same district at 1/10 of ``scale`` (pages compare both)
    small_scale: float | None = None
    options: dict[str, Any] = field(default_factory=dict)


def app_environment(env: BenchEnv, *, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for an app process (web, worker) over the benchmark's servers and keys."""
    import os

    variables = {
        key: value
        for key, value in os.environ.items()
        # Drop the caller's own Hamkke settings: the benchmark decides them all.
        if not key.startswith("HAMKKE_")
    }
    instance = env.workdir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    variables.update(
        {
            "HAMKKE_ENV": "development",
            "HAMKKE_DATABASE_URL": database_url or env.database_url,
            "HAMKKE_REDIS_URL": env.redis_url,
            "HAMKKE_SECRET_KEY": env.secret_key,
            "HAMKKE_FIELD_ENCRYPTION_KEY": env.field_encryption_key,
            "HAMKKE_INSTANCE_PATH": str(instance),
            "HAMKKE_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    variables.update(extra)
    return variables


class Benchmark(Protocol):
    """A benchmark module: ``run(env)`` returns its figures."""

    def run(self, env: BenchEnv) -> list[Figure]: ...


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (0..1) of ``samples`` by linear interpolation between ranks."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return ordered[lower]
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def summary_ms(samples_seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and mean of durations given in seconds, in milliseconds."""
    in_ms = [sample * 1000.0 for sample in samples_seconds]
    return {
        "p50": percentile(in_ms, 0.50),
        "p95": percentile(in_ms, 0.95),
        "p99": percentile(in_ms, 0.99),
        "mean": statistics.fmean(in_ms),
    }


def at_most(value: float, limit: float) -> bool:
    """Whether ``value`` meets an upper-bound goal."""
    return value <= limit


def ratio(value: float, baseline: float) -> float:
    """``value / baseline``, guarding a zero baseline (then the ratio is infinite)."""
    return value / baseline if baseline > 0 else math.inf
