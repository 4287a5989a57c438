"""The development mail page: messages caught by the mail catcher, and beat's jobs to run now.

Registered only in development (production has neither the catcher nor these pages), and open
without signing in: a newcomer must be able to read the invitation that lets them sign in.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from hamkke import jobs
from hamkke.config import is_production
from hamkke.devmail import attachment, caught_messages, mail_folder

bp = Blueprint("devmail", __name__, url_prefix="/dev")


class RunJobForm(FlaskForm):
    """The CSRF-protected "run now" button of one job."""


@bp.before_request
def _development_only() -> None:
    # Registered only in development; this guards an app whose mode changed after registration.
    if is_production(current_app.config):
        abort(404)


@bp.get("/mail")
def mail() -> ResponseReturnValue:
    """List the caught e-mails, newest first, with their attachments, and the jobs that can run now."""
    folder = mail_folder(current_app.instance_path)
    return render_template(
        "dev/mail.html",
        messages=caught_messages(folder),
        jobs=jobs.jobs(),
        every_text=jobs.every_text,
        form=RunJobForm(),
    )


@bp.get("/mail/<name>/attachments/<int:index>")
def mail_attachment(name: str, index: int) -> ResponseReturnValue:
    """Download one attachment of a caught e-mail."""
    found = attachment(mail_folder(current_app.instance_path), name, index)
    if found is None:
        abort(404)
    filename, content_type, content = found
    response = current_app.response_class(content, mimetype=content_type)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


@bp.post("/jobs/<name>")
def run_job(name: str) -> ResponseReturnValue:
    """Run one beat job now and say what it did."""
    if not RunJobForm().validate():
        abort(400)
    try:
        job = jobs.find_job(name)
    except jobs.UnknownJob:
        abort(404)
    result = jobs.run_job(job.name)
    # Tasks return counts, dicts or nothing: only a count is worth saying to a person.
    if isinstance(result, int) and not isinstance(result, bool):
        flash(_("'%(job)s' 작업을 실행했습니다 (처리 %(count)d건).", job=job.label, count=result), "success")
    else:
        flash(_("'%(job)s' 작업을 실행했습니다.", job=job.label), "success")
    return redirect(url_for("devmail.mail"))


def init_app(app: Flask) -> None:
    """Register the development pages, in development only."""
    if not is_production(app.config):
        app.register_blueprint(bp)
