"""The inbox: a person's notifications, marking them read, and e-mail preferences."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.access import active_memberships
from agencies.models import Agency
from agencies.sessions import current_person, current_session, login_required
from hamkke.db import db
from hamkke.edge import invalid_form_status, see_other
from hamkke.errors import NotFound
from hamkke.paging import Page, clamp, paginate
from hamkke.web import page_arg
from notifications import queries, services
from notifications.forms import PreferencesForm
from notifications.models import DeliveryChannel, Notification
from notifications.queries import NOTIFICATION_KINDS, notifications_of, unread_count

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PAGE_SIZE = 30


def _own_notification(notification_id: int) -> Notification:
    person = current_person()
    notification = db.session.get(Notification, notification_id)
    # Someone else's notification answers 404 like a missing one: existence must not leak.
    if notification is None or person is None or notification.person_id != person.id:
        raise NotFound("알림을 찾을 수 없습니다.", english="Notification not found.")
    return notification


@bp.get("/")
@login_required
def inbox() -> ResponseReturnValue:
    """Show the signed-in person's notifications, newest first."""
    person = current_person()
    assert person is not None  # guaranteed by login_required  # noqa: S101
    listing: Page[Notification] = paginate(notifications_of(person), page=page_arg(), per_page=PAGE_SIZE)
    user_session = current_session()
    return render_template(
        "notifications/inbox.html",
        notifications=listing.items,
        listing=listing,
        unread=unread_count(person),
        acting_agency_id=user_session.acting_agency_id if user_session is not None else None,
    )


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read and follow its link."""
    notification = _own_notification(notification_id)
    person = current_person()
    assert person is not None  # noqa: S101
    services.mark_read(notification, actor=person)
    return redirect(notification.link or url_for("notifications.inbox"))


@bp.post("/read-all")
@login_required
def read_all() -> ResponseReturnValue:
    """Mark every notification read."""
    person = current_person()
    assert person is not None  # noqa: S101
    count = services.mark_all_read(actor=person)
    flash(_("알림 %(count)d건을 읽음으로 표시했습니다.", count=count), "success")
    return redirect(url_for("notifications.inbox"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> ResponseReturnValue:
    """Let a person choose which kinds of notification also come by e-mail."""
    person = current_person()
    assert person is not None  # noqa: S101
    form = PreferencesForm()
    status = 200
    if form.validate_on_submit():
        chosen = set(form.email.data or ())
        for kind in NOTIFICATION_KINDS:
            services.set_email_preference(person, kind, kind in chosen, actor=person)
        flash(_("알림 설정을 저장했습니다."), "success")
        return see_other("notifications.preferences")
    if request.method == "POST":
        status = invalid_form_status(form)
    else:
        form.email.data = [kind for kind in NOTIFICATION_KINDS if services.wants_email(person, kind)]
    return render_template("notifications/preferences.html", form=form), status


def _own_agency(agency_id: int) -> Agency:
    """Return the agency if the signed-in person is an active member of it; otherwise 404."""
    person = current_person()
    for membership in active_memberships(person):
        if membership.agency_id == agency_id:
            return membership.agency
    # Another agency's deliveries answer 404 like a missing agency: its traffic must not leak.
    raise NotFound("기관을 찾을 수 없습니다.", english="Agency not found.")


@bp.get("/agencies/<int:agency_id>/deliveries")
@login_required
def deliveries(agency_id: int) -> ResponseReturnValue:
    """Show an agency's e-mails and webhooks with their delivery status, to its own members only."""
    agency = _own_agency(agency_id)
    status = request.args.get("status") or None
    if status not in queries.DELIVERY_FILTERS:
        status = None
    channel_arg = request.args.get("channel") or None
    channel = DeliveryChannel(channel_arg) if channel_arg in {c.value for c in DeliveryChannel} else None
    total = queries.count_deliveries_for_agency(agency.id, status=status, channel=channel)
    page = clamp(page_arg(), total, PAGE_SIZE)
    items = queries.list_deliveries_for_agency(
        agency.id, status=status, channel=channel, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "notifications/deliveries.html",
        agency=agency,
        deliveries=items,
        state=queries.delivery_state,
        filters=queries.DELIVERY_FILTERS,
        status=status,
        channel=channel.value if channel is not None else None,
        listing=Page(items, total, page, PAGE_SIZE),
    )


def unread_badge() -> dict[str, int]:
    """Template context: how many unread notifications the signed-in person has."""
    person = current_person()
    return {"unread_notifications": unread_count(person) if person is not None else 0}
