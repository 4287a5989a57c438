"""Case files: uploading a genogram, eco-map or scan, and serving it through the gate."""

from __future__ import annotations

from flask import flash, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.sessions import login_required, signed_in_person
from cases import access, forms, services
from cases.models import AttachmentKind
from cases.views import common
from cases.views.common import actor_args, bp
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound


@bp.route("/<int:case_id>/attachments", methods=["GET", "POST"])
@login_required
def attachments(case_id: int) -> ResponseReturnValue:
    """Upload a genogram, eco-map or scanned form."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    form = forms.AttachmentForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if upload is None or not getattr(upload, "filename", ""):
                raise services.ValidationFailed("올릴 파일을 골라 주세요.", field="file")
            services.add_attachment(
                case,
                kind=AttachmentKind(form.kind.data),
                filename=upload.filename,
                content_type=upload.mimetype or "",
                data=upload.read(services.MAX_ATTACHMENT_BYTES + 1),
                **actor_args(person),
            )
        except DomainError as error:
            db.session.rollback()
            case = access.get_case_for(person, case_id, "edit")
            attach_error(form, error)
            status = error.status_code
        else:
            flash(_("파일을 올렸습니다."), "success")
            return see_other("cases.show_case", case_id=case.id)
    elif request.method == "POST":
        status = invalid_form_status(form)
    return render_template("cases/attachment_form.html", form=form, case=case), status


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def download_attachment(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """Serve a stored file only to those the gate lets see the case's needs records."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "view")
    view = common.client_view(case, person)
    # The file's record comes from the gate's view (needs group): outside it the file does not exist.
    records = view.records("case_attachments") if view is not None and view.can_see("needs") else ()
    attachment = next((row for row in records if row["id"] == attachment_id), None)
    if attachment is None:
        raise NotFound("파일을 찾을 수 없습니다.")
    path = services.attachment_folder() / attachment["storage_key"]
    if not path.is_file():
        raise NotFound("파일을 찾을 수 없습니다.")
    return send_file(
        path,
        mimetype=attachment["content_type"],
        as_attachment=True,
        download_name=attachment["filename"],
        max_age=0,
    )
