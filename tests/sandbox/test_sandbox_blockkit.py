"""Block Kit checks the double applies, with no server involved."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.blockkit import (
    block_problems,
    element_state,
    find_element,
    message_problems,
    view_problems,
)


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def select(*options: dict[str, Any]) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "meeting", "options": list(options)}


@pytest.mark.parametrize(
    "block",
    [
        {"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}},
        {"type": "header", "text": plain("h" * 151)},
        {"type": "actions", "elements": [{"type": "button", "text": plain("b" * 76)}]},
        {"type": "actions", "elements": [select(option("o" * 76, "v"))]},
        {"type": "actions", "elements": [select(option("o", "v" * 151))]},
        {"type": "actions", "elements": [select(*[option("o", str(i)) for i in range(101)])]},
        {
            "type": "input",
            "label": plain("Question"),
            "element": {"type": "plain_text_input", "action_id": "q", "max_length": 3001},
        },
        {"type": "section"},
        {"type": "no_such_block"},
        "not a block",
    ],
)
def test_blocks_beyond_slack_limits_are_reported(block: Any) -> None:
    assert block_problems([block], 50)


def test_well_formed_blocks_pass() -> None:
    blocks = [
        {"type": "header", "text": plain("Scrutiny commission, 4 March")},
        {"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3000}},
        {"type": "actions", "elements": [select(option("4 March", "m1"))]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Due in 5 working days"}]},
    ]

    assert block_problems(blocks, 50) == []


def test_message_checks_follow_chat_post_message() -> None:
    too_many = [{"type": "divider"}] * 51

    assert message_problems("x", too_many, None) is not None
    assert message_problems("x" * 40_001, None, None) == (
        "msg_too_long",
        ["text is 40001 characters; the limit is 40000"],
    )
    assert message_problems("", [], None) == (
        "no_text",
        ["a message needs text, blocks or attachments"],
    )
    assert message_problems("fine", None, None) is None


def test_view_checks() -> None:
    input_block = {
        "type": "input",
        "label": plain("Question"),
        "element": {"type": "plain_text_input", "action_id": "q"},
    }
    good = {
        "type": "modal",
        "title": plain("Ask"),
        "submit": plain("Send"),
        "blocks": [input_block],
    }

    assert view_problems(good) == []
    assert view_problems({**good, "title": plain("t" * 25)})
    assert view_problems({**good, "submit": None}) == [
        "a modal with input blocks needs a submit button"
    ]
    assert view_problems({**good, "blocks": [{"type": "divider"}] * 101})
    assert view_problems({"type": "home", "blocks": [{"type": "divider"}]}) == []


def test_element_state_is_shaped_like_slacks() -> None:
    meeting = select(option("4 March", "m1"), option("1 April", "m2"))

    assert element_state(meeting, "m2") == {
        "type": "static_select",
        "selected_option": option("1 April", "m2"),
    }
    assert element_state({"type": "users_select", "action_id": "u"}, "U1") == {
        "type": "users_select",
        "selected_user": "U1",
    }
    assert element_state(
        {"type": "plain_text_input", "action_id": "t", "initial_value": "draft"}, None
    ) == {"type": "plain_text_input", "value": "draft"}
    with pytest.raises(ValueError, match="not one of the options"):
        element_state(meeting, "m3")


def test_find_element_finds_what_a_person_can_click() -> None:
    button = {"type": "button", "action_id": "answer", "value": "q1", "text": plain("Answer")}
    blocks = [{"type": "actions", "block_id": "b1", "elements": [button]}]

    assert find_element(blocks, "answer", value="q1") == (blocks[0], button)
    with pytest.raises(ValueError, match="no element"):
        find_element(blocks, "answer", value="q2")
