"""The agenda-item transition table on the model: what each status allows, and the refusal people read."""

from __future__ import annotations

import pytest

from conference.models import ITEM_TRANSITIONS, AgendaItem, ItemStatus
from hamkke.errors import InvalidTransition


def _item(status: ItemStatus, case_id: int | None = 1) -> AgendaItem:
    return AgendaItem(title="안건", status=status, case_id=case_id)


@pytest.mark.embedded
def test_every_status_change_of_an_item_is_in_the_table() -> None:
    targets = {transition.target for transition in ITEM_TRANSITIONS.values()} - {None}
    assert targets == {ItemStatus.approved, ItemStatus.open, ItemStatus.closed, ItemStatus.withdrawn}


@pytest.mark.embedded
@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (ItemStatus.draft, {"approve", "edit", "withdraw"}),
        (ItemStatus.approved, {"edit", "withdraw", "open"}),
        (
            ItemStatus.open,
            {"advance_stage", "restart_timer", "close", "decide_lead", "assign_role", "write_minutes"},
        ),
        (ItemStatus.closed, {"open", "write_minutes"}),
        (ItemStatus.withdrawn, set()),
    ],
)
def test_each_status_allows_exactly_its_actions(status: ItemStatus, allowed: set[str]) -> None:
    item = _item(status)
    assert {action for action in ITEM_TRANSITIONS if item.may(action)} == allowed


@pytest.mark.embedded
def test_a_refused_action_is_a_409_with_the_tables_message() -> None:
    with pytest.raises(InvalidTransition) as refused:
        _item(ItemStatus.open).require("withdraw")
    assert refused.value.status_code == 409
    assert refused.value.message == "논의한 안건은 뺄 수 없습니다."
    with pytest.raises(InvalidTransition) as refused:
        _item(ItemStatus.closed).require("edit")
    assert refused.value.english == "The item was discussed already."


@pytest.mark.embedded
def test_case_decisions_need_an_item_about_a_case() -> None:
    item = _item(ItemStatus.open, case_id=None)
    assert not item.may("decide_lead")
    with pytest.raises(InvalidTransition, match="역할"):
        item.require("assign_role")


@pytest.mark.embedded
def test_apply_moves_to_the_target_and_keeps_the_status_when_there_is_none() -> None:
    item = _item(ItemStatus.draft)
    item.apply("approve")
    assert item.status == ItemStatus.approved
    item.apply("edit")
    assert item.status == ItemStatus.approved
    item.apply("open")
    assert item.status == ItemStatus.open
    item.apply("close")
    assert item.status == ItemStatus.closed
