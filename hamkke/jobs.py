"""Beat's periodic jobs on demand: list them, run one now (`hamkke jobs`, the development mail page).

Reminders, digests and escalations are computed from data and deduplicated, so running a job early
sends only what is due and running it twice sends nothing twice; this lets a person trying the
product see a reminder without waiting for beat's next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from hamkke.schedule import beat_schedule

#: what each job does, in words a person trying the product understands
JOB_LABELS: dict[str, Any] = {
    "notifications-sweep-outbox": _l("보내지 못한 알림·메일 다시 보내기"),
    "referrals-deadline-reminders": _l("서비스 의뢰 회신 기한 알림"),
    "notifications-weekly-digest": _l("주간 '확인 필요' 요약 메일"),
    "referrals-sweep-letters": _l("빠진 의뢰서·회신서 만들기"),
    "consents-announce-expired": _l("만료된 동의 알리기"),
    "consents-remind-request-deadlines": _l("열람·정정 요청 처리 기한 알림"),
    "consents-purge-access-log": _l("보존 기간이 지난 접속기록 지우기"),
    "consents-review-access-log": _l("접속기록 월간 점검"),
    "consents-verify-access-log": _l("접속기록 위·변조 확인"),
    "consents-anchor-access-log": _l("접속기록 기준점 남기기"),
    "conference-send-reminders": _l("통합사례회의 D-7·D-1 알림"),
    "conference-sweep-minutes": _l("회의록 발송·잠금"),
    "conference-generate-regular": _l("정기 회의 다음 일정 만들기"),
    "conference-action-reminders": _l("조치 항목 기한 알림"),
    "cases-purge-expired-records": _l("보존 기간이 지난 사례 기록 지우기"),
    "worker-heartbeat": _l("작업자 동작 확인"),
}


class UnknownJob(LookupError):
    """No beat job has this name."""


@dataclass(frozen=True)
class Job:
    """One entry of beat's schedule."""

    name: str
    task: str
    every: timedelta
    kwargs: dict[str, Any]

    @property
    def label(self) -> str:
        """What the job does, for people."""
        return str(JOB_LABELS.get(self.name, self.name))


def jobs() -> list[Job]:
    """Return every beat job in schedule order."""
    return [
        Job(
            name=name,
            task=entry["task"],
            every=entry["schedule"],
            kwargs=dict(entry.get("kwargs") or {}),
        )
        for name, entry in beat_schedule().items()
    ]


def find_job(name: str) -> Job:
    """Return the job called ``name`` (its schedule name or its task name)."""
    for job in jobs():
        if name in (job.name, job.task):
            return job
    raise UnknownJob(name)


def every_text(every: timedelta) -> str:
    """Return how often a job runs, e.g. "30초마다", "6시간마다"."""
    seconds = int(every.total_seconds())
    if seconds % 86400 == 0:
        return str(_l("%(n)d일마다", n=seconds // 86400))
    if seconds % 3600 == 0:
        return str(_l("%(n)d시간마다", n=seconds // 3600))
    if seconds % 60 == 0:
        return str(_l("%(n)d분마다", n=seconds // 60))
    return str(_l("%(n)d초마다", n=seconds))


def run_job(name: str, app: Flask | None = None) -> Any:
    """Run one beat job now, in this process, as beat's worker would; return what the task returned."""
    job = find_job(name)
    celery_app = (app or current_app).extensions["celery"]
    # A command or a web request has not imported the task modules a worker imports at start.
    celery_app.loader.import_default_modules()
    return celery_app.tasks[job.task](**job.kwargs)


jobs_cli = AppGroup("jobs", help="Beat의 주기 작업을 보거나 지금 실행합니다 / list or run beat's jobs now.")


@jobs_cli.command("list")
def list_command() -> None:
    """List every periodic job with how often beat runs it."""
    with force_locale("ko"):  # no request to take a language from; the names are bilingual
        for job in jobs():
            click.echo(f"{job.name:36} {every_text(job.every):10} {job.label}")


@jobs_cli.command("run")
@click.argument("name")
def run_command(name: str) -> None:
    """Run one periodic job now (reminders, digests, escalations): what is due is sent, nothing twice."""
    try:
        result = run_job(name)
    except UnknownJob:
        raise click.ClickException(
            f"'{name}': 그런 작업이 없습니다 / no such job (hamkke jobs list)"
        ) from None
    with force_locale("ko"):
        click.echo(f"{name}: {find_job(name).label} → {result}")


def init_app(app: Flask) -> None:
    """Register the ``hamkke jobs`` commands."""
    app.cli.add_command(jobs_cli)
