"""The contract every benchmark module follows, and small measuring helpers they share."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
#: the fewest alternating rounds a ratio may be the median of in a full run
MIN_ROUNDS = 5


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
    #: how many alternating rounds the value is the median of (None: a single measurement)
    rounds: int | None = None
    #: the lowest and highest per-round value behind a median of rounds
    spread: tuple[float, float] | None = None

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


@dataclass(frozen=True)
class Rounds:
    """Per-round values and their median and spread (lowest, highest)."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median of the rounds (the figure's value)."""
        return statistics.median(self.values) if self.values else math.nan

    @property
    def spread(self) -> tuple[float, float]:
        """The lowest and the highest round."""
        return (min(self.values), max(self.values)) if self.values else (math.nan, math.nan)

    def __len__(self) -> int:
        return len(self.values)


def per_round_ratios(values: Sequence[float], baselines: Sequence[float]) -> Rounds:
    """The ratio of each round's value to the same round's baseline (a round is one pair)."""
    if len(values) != len(baselines):
        raise ValueError(f"{len(values)} rounds against {len(baselines)} baseline rounds")
    return Rounds(tuple(ratio(value, base) for value, base in zip(values, baselines, strict=True)))


def alternate(rounds: int, sides: Mapping[str, Callable[[], T]]) -> dict[str, list[T]]:
    """Run every side once per round, alternating, and reverse the order every other round.

    A B, B A, A B, …: a machine that slows down or speeds up during the run affects both sides alike,
    and neither side always runs first (warm caches) or last.
    """
    names = list(sides)
    results: dict[str, list[T]] = {name: [] for name in names}
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            results[name].append(sides[name]())
    return results


def ratio_figure(
    benchmark: str, name: str, rounds: Rounds, *, goal: str = "", met: bool | None = None, note: str = ""
) -> Figure:
    """A ratio reported as the median of its rounds, with the rounds' spread."""
    low, high = rounds.spread
    return Figure(
        benchmark,
        name,
        rounds.median,
        "ratio",
        goal=goal,
        met=met,
        note=note,
        rounds=len(rounds),
        spread=(low, high),
    )
