"""A refused action-item referral form comes back as typed (issue 16, point 5: forms keep the input).

The form used to come back with the first agency chosen, the action's text as the reason, the
services empty and no field group ticked, whatever the person had entered.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conference.test_planning import _finished_meeting_with_action, _post
from tests.fixtures.conferences import Meeting

pytestmark = pytest.mark.embedded


def test_a_refused_action_referral_keeps_agency_reason_services_and_groups(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    action = _finished_meeting_with_action(db, meeting)
    url = f"/conferences/actions/{action.id}/referral"
    login_as(meeting.recorder)

    refused = _post(
        client,
        url,
        url,
        receiving_agency_id=meeting.partner.id,
        reason="월세 체납으로 주거 상담이 급합니다",
        requested_services="주거 상담과 긴급 주거비",
        field_groups=["basic", "needs"],
    )

    assert refused.status_code == 403
    html = refused.get_data(as_text=True)
    form = html[html.index('id="action-referral-form"') :]
    # The reason sits inside the form the inline swap replaces.
    assert form.index('id="form-errors"') < form.index("</form>")
    assert f'<option value="{meeting.partner.id}" selected>' in html
    assert ">월세 체납으로 주거 상담이 급합니다</textarea>" in html
    assert ">주거 상담과 긴급 주거비</textarea>" in html
    assert re.search(r'id="ref-group-basic"[^>]*checked', html)
    assert re.search(r'id="ref-group-needs"[^>]*checked', html)
    assert not re.search(r'id="ref-group-health"[^>]*checked', html)
