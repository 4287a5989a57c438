"""중복 서비스 확인 from the case page: which other agencies of the district serve this household now."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from agencies.sessions import current_actor, login_required
from cases import access
from cases.views import common
from cases.views.common import bp
from consents.others import other_agencies_serving
from hamkke.errors import ValidationFailed


@bp.get("/<int:case_id>/others")
@login_required
def other_services(case_id: int) -> ResponseReturnValue:
    """Check the district for open cases of other agencies in this household (the owning agency only)."""
    person, agency = current_actor()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    try:
        found = other_agencies_serving(case.main_client, person, agency.id)
    except ValidationFailed as refusal:
        return render_template(
            "cases/others.html", case=case, view=view, found=None, error=refusal
        ), refusal.status_code
    return render_template("cases/others.html", case=case, view=view, found=found, error=None)
