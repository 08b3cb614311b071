"""What the double sends to the bot, checked on the wire with a plain recording endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.sandbox import GENERAL_CHANNEL_ID, SlackDouble

ALICE = "U0ALICE"
BOB = "U0BOB"
GENERAL = GENERAL_CHANNEL_ID
SLASH_COMMAND_FIELDS = {
    "token",
    "team_id",
    "team_domain",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "api_app_id",
    "is_enterprise_install",
    "response_url",
    "trigger_id",
}


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    def interaction(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.form()["payload"])
        return payload

    def event(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.body)
        return body


@dataclass
class Receiver:
    """Stands in for the bot's request URL: records requests and answers ``reply``."""

    requests: list[Received] = field(default_factory=list)
    reply: Callable[[Received], web.Response] = lambda _: web.Response(status=200)
    pause: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        received = Received(dict(request.headers), await request.read())
        self.requests.append(received)
        await asyncio.sleep(self.pause)
        return self.reply(received)


@pytest.fixture
async def receiver(double: SlackDouble) -> AsyncIterator[Receiver]:
    recorder = Receiver()
    app = web.Application()
    app.router.add_post("/slack/events", recorder.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    double.connect_http(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events")
    yield recorder
    await runner.cleanup()


def button_blocks(action_id: str, value: str) -> list[dict[str, Any]]:
    button = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": "Go"},
    }
    return [{"type": "actions", "block_id": "acts", "elements": [button]}]


async def post_json(url: str, body: dict[str, Any]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.text()


async def test_slash_commands_are_signed_forms_with_slacks_fields(
    receiver: Receiver, double: SlackDouble
) -> None:
    await double.send_command("/question", "budget 2025", ALICE)

    (request,) = receiver.requests
    verifier = SignatureVerifier(double.signing_secret)
    assert verifier.is_valid_request(request.body, request.headers)
    form = request.form()
    assert set(form) == SLASH_COMMAND_FIELDS
    assert (form["command"], form["text"], form["user_name"]) == (
        "/question",
        "budget 2025",
        "alice",
    )
    assert form["response_url"].startswith(double.url + "response/")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_events_are_wrapped_and_retries_carry_headers(
    receiver: Receiver, double: SlackDouble
) -> None:
    parent = double.seed_message(GENERAL, BOB, "Question 7")
    first = await double.post_user_message(GENERAL, ALICE, "Answer 7", thread_ts=parent.ts)
    await double.redeliver(first, retry_num=2, reason="timeout")

    original, retried = (r.event() for r in receiver.requests)
    assert original == retried
    assert original["type"] == "event_callback"
    assert original["event_id"] == first.event_id
    assert original["authorizations"][0]["user_id"] == double.bot_user_id
    event = original["event"]
    assert (event["thread_ts"], event["parent_user_id"], event["ts"]) == (parent.ts, BOB, first.ts)
    assert "X-Slack-Retry-Num" not in receiver.requests[0].headers
    assert receiver.requests[1].headers["X-Slack-Retry-Num"] == "2"
    assert receiver.requests[1].headers["X-Slack-Retry-Reason"] == "timeout"


async def test_broadcast_replies_carry_the_root(receiver: Receiver, double: SlackDouble) -> None:
    parent = double.seed_message(GENERAL, BOB, "Question 8")
    await double.post_user_message(GENERAL, ALICE, "Also here", parent.ts, broadcast=True)

    event = receiver.requests[0].event()["event"]
    assert event["subtype"] == "thread_broadcast"
    assert event["root"]["ts"] == parent.ts
    assert [m.text for m in double.messages(GENERAL, include_replies=False)] == [
        "Question 8",
        "Also here",
    ]


async def test_deleting_a_reply_sends_message_deleted_and_updates_the_parent(
    receiver: Receiver, double: SlackDouble
) -> None:
    parent = double.seed_message(GENERAL, BOB, "Question 9")
    reply = double.seed_message(GENERAL, ALICE, "Answer 9", thread_ts=parent.ts)

    result = await double.delete_user_message(GENERAL, reply.ts)

    event = receiver.requests[0].event()["event"]
    assert (event["subtype"], event["deleted_ts"]) == ("message_deleted", reply.ts)
    assert event["previous_message"]["text"] == "Answer 9"
    assert result.message is not None
    assert double.message(GENERAL, parent.ts).reply_count == 0


async def test_edits_send_message_changed_with_the_edited_ts(
    receiver: Receiver, double: SlackDouble
) -> None:
    posted = double.seed_message(GENERAL, ALICE, "Draft question")

    await double.edit_user_message(GENERAL, posted.ts, "Final question")

    event = receiver.requests[0].event()["event"]
    assert event["subtype"] == "message_changed"
    assert event["message"]["ts"] == posted.ts != event["ts"]
    assert event["message"]["edited"]["user"] == ALICE
    assert event["previous_message"]["text"] == "Draft question"


async def test_messages_outside_the_bots_channels_are_not_delivered(
    receiver: Receiver, double: SlackDouble
) -> None:
    double.add_channel("C0PRIVATE", "private-chat", private=True, bot_is_member=False)

    result = await double.post_user_message("C0PRIVATE", ALICE, "Not for the bot")

    assert (result.mode, result.status) == ("none", None)
    assert receiver.requests == []


async def test_button_clicks_carry_container_trigger_and_response_url(
    receiver: Receiver, double: SlackDouble
) -> None:
    message = double.seed_message(GENERAL, double.bot_user_id, "Pick")
    message.blocks = button_blocks("answer", "q1")

    await double.click_button(ALICE, message, "answer")

    payload = receiver.requests[0].interaction()
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": GENERAL,
        "is_ephemeral": False,
    }
    assert payload["message"]["ts"] == message.ts
    assert payload["actions"][0]["value"] == "q1"
    assert payload["actions"][0]["block_id"] == "acts"
    with pytest.raises(ValueError, match="no element"):
        await double.click_button(ALICE, message, "missing")


async def test_response_urls_replace_post_in_channel_and_refuse_what_slack_refuses(
    receiver: Receiver, double: SlackDouble
) -> None:
    message = double.seed_message(GENERAL, double.bot_user_id, "Pick")
    url = double.new_response_url(ALICE, GENERAL, message.ts)

    replaced = await post_json(url, {"text": "Picked", "replace_original": True})
    in_channel = await post_json(url, {"text": "Everyone sees", "response_type": "in_channel"})
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "a" * 4000}}
    refused = await post_json(url, {"text": "x", "blocks": [too_long]})

    assert (replaced, in_channel, refused) == ((200, "ok"), (200, "ok"), (400, "invalid_blocks"))
    assert double.message(GENERAL, message.ts).text == "Picked"
    assert [m.text for m in double.messages(GENERAL)] == ["Picked", "Everyone sees"]
    for _ in range(2):
        await post_json(url, {"text": "again"})
    assert await post_json(url, {"text": "sixth"}) == (404, "used_url")


async def test_ephemeral_buttons_and_their_replacement(
    receiver: Receiver, double: SlackDouble
) -> None:
    await double.send_command("/question", "", ALICE)
    hook = receiver.requests[0].form()["response_url"]
    await post_json(hook, {"text": "Confirm?", "blocks": button_blocks("confirm", "yes")})
    (ephemeral,) = double.ephemerals(ALICE)

    await double.click_button(ALICE, ephemeral, "confirm", "yes")
    payload = receiver.requests[1].interaction()
    await post_json(payload["response_url"], {"text": "Done", "replace_original": True})

    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload
    assert [e.text for e in double.ephemerals(ALICE)] == ["Done"]
    with pytest.raises(ValueError, match="only U0ALICE"):
        await double.click_button(BOB, ephemeral, "confirm")


async def test_view_submissions_carry_slack_shaped_state(
    receiver: Receiver, double: SlackDouble
) -> None:
    view = await open_question_modal(double)

    with pytest.raises(ValueError, match="required input question/text is empty"):
        await double.submit_view(ALICE, view.id, {})
    with pytest.raises(ValueError, match="no input for"):
        await double.submit_view(ALICE, view.id, {"text": "Why?", "colour": "red"})
    await double.select(ALICE, view, "meeting", "m2")
    await double.submit_view(ALICE, view.id, {"text": "Why?", "minister": "U0MINISTER"})

    submission = receiver.requests[-1].interaction()
    assert submission["type"] == "view_submission"
    assert submission["view"]["state"]["values"] == {
        "question": {"text": {"type": "plain_text_input", "value": "Why?"}},
        "minister": {"minister": {"type": "users_select", "selected_user": "U0MINISTER"}},
        "when": {"meeting": {"type": "static_select", "selected_option": meeting_option("m2")}},
        "notes": {"notes": {"type": "plain_text_input", "value": "none"}},
    }
    assert receiver.requests[0].interaction()["container"] == {"type": "view", "view_id": view.id}
    assert double.view(view.id).closed


async def test_view_submission_acks_update_the_modal(
    receiver: Receiver, double: SlackDouble
) -> None:
    view = await open_question_modal(double)
    update = {
        "response_action": "update",
        "view": {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Thank you"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Sent"}}],
        },
    }
    receiver.reply = lambda _: web.json_response(update)

    result = await double.submit_view(ALICE, view.id, {"text": "Why?", "minister": "U0M"})

    assert result.ack_problems == ()
    assert double.open_views(ALICE)[0].title == "Thank you"


async def test_closing_a_modal_notifies_only_when_asked(
    receiver: Receiver, double: SlackDouble
) -> None:
    quiet = await open_question_modal(double)
    assert await double.close_view(ALICE, quiet.id) is None
    noisy = await open_question_modal(double, notify_on_close=True)

    await double.close_view(ALICE, noisy.id)

    assert [r.interaction()["type"] for r in receiver.requests] == ["view_closed"]
    assert double.open_views(ALICE) == []


async def test_shortcuts_and_app_home(receiver: Receiver, double: SlackDouble) -> None:
    message = double.seed_message(GENERAL, BOB, "Is the library closing?")

    await double.message_shortcut(ALICE, "log_question", GENERAL, message.ts)
    await double.global_shortcut(ALICE, "new_question")
    await double.open_app_home(ALICE)

    action, shortcut = (r.interaction() for r in receiver.requests[:2])
    assert (action["type"], action["callback_id"]) == ("message_action", "log_question")
    assert action["message"]["text"] == "Is the library closing?"
    assert (shortcut["type"], shortcut["callback_id"]) == ("shortcut", "new_question")
    home = receiver.requests[2].event()["event"]
    assert (home["type"], home["channel"]) == ("app_home_opened", double.dm_channel_for(ALICE))


async def test_recorded_payloads_can_open_modals(receiver: Receiver, double: SlackDouble) -> None:
    recorded: dict[str, Any] = {
        "type": "shortcut",
        "callback_id": "x",
        "trigger_id": "111.222.xxx",
        "user": {"id": ALICE, "username": "alice", "team_id": "T111"},
    }

    await double.send_interaction(recorded)
    url = double.api_url + "views.open"
    body = {"trigger_id": "111.222.xxx", "view": question_modal()}
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {double.bot_token}"}) as session,
        session.post(url, json=body) as response,
    ):
        opened = await response.json()

    assert opened["ok"] is True
    assert double.views_opened[0].user_id == ALICE


async def test_trigger_ids_expire(double: SlackDouble) -> None:
    async with SlackDouble(trigger_ttl=0.0) as strict:
        trigger_id = strict.new_trigger_id(ALICE)
        await asyncio.sleep(0.01)
        body = {"trigger_id": trigger_id, "view": question_modal()}
        headers = {"Authorization": f"Bearer {strict.bot_token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.post(strict.api_url + "views.open", json=body) as response,
        ):
            assert (await response.json())["error"] == "expired_trigger_id"


async def test_a_slow_answer_counts_as_no_answer(double: SlackDouble) -> None:
    async with SlackDouble(ack_timeout=0.1) as impatient:
        recorder = Receiver(pause=1.0)
        app = web.Application()
        app.router.add_post("/slack/events", recorder.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        impatient.connect_http(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events")

        result = await impatient.send_event({"type": "app_mention", "text": "hi"})
        await runner.cleanup()

    assert (result.status, result.acked) == (None, False)


def meeting_option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": f"Meeting {value}"}, "value": value}


def question_modal(**extra: Any) -> dict[str, Any]:
    def text_input(block_id: str, **element: Any) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id},
            "element": {"type": "plain_text_input", **element},
        }

    minister = {
        "type": "input",
        "block_id": "minister",
        "label": {"type": "plain_text", "text": "Minister"},
        "element": {"type": "users_select", "action_id": "minister"},
    }
    meeting = {
        "type": "actions",
        "block_id": "when",
        "elements": [
            {
                "type": "static_select",
                "action_id": "meeting",
                "options": [meeting_option("m1"), meeting_option("m2")],
            }
        ],
    }
    notes = text_input("notes", action_id="notes", initial_value="none")
    return {
        "type": "modal",
        "callback_id": "ask",
        "title": {"type": "plain_text", "text": "Ask"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [text_input("question", action_id="text"), minister, meeting, notes],
        **extra,
    }


async def open_question_modal(double: SlackDouble, **extra: Any) -> Any:
    """Open the modal as the bot would, through the Web API."""
    body = {"trigger_id": double.new_trigger_id(ALICE), "view": question_modal(**extra)}
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {double.bot_token}"}) as session,
        session.post(double.api_url + "views.open", json=body) as response,
    ):
        view_id = (await response.json())["view"]["id"]
    return double.view(view_id)
