"""중복 서비스 확인: which other agencies of the district serve this household now.

Asked from the case page, and run right after a worker registers a new client (``after_intake``):
the new case is saved first, then the check answers on the next page, so a check refused for want of
a lawful identifier (no 주민등록번호 and no full name, birth date and address) leaves the case as it is.
"""

from __future__ import annotations

from flask import render_template, request
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
    after_intake = request.args.get("after_intake") == "1"
    try:
        found = other_agencies_serving(case.main_client, person, agency.id)
    except ValidationFailed as refusal:
        return render_template(
            "cases/others.html", case=case, view=view, found=None, error=refusal, after_intake=after_intake
        ), refusal.status_code
    return render_template(
        "cases/others.html", case=case, view=view, found=found, error=None, after_intake=after_intake
    )
