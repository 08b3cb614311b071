"""A small real Bolt app driven by the double, over HTTP and over Socket Mode."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import (
    GENERAL_CHANNEL_ID,
    SlackDouble,
    connected_socket_mode,
    serving_http,
)

ALICE = "U0ALICE"
GENERAL = GENERAL_CHANNEL_ID
QUESTION_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "ask",
    "title": {"type": "plain_text", "text": "Ask a question"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "question",
            "label": {"type": "plain_text", "text": "Question"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}
APPROVE_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Question 1: budget"}},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "value": "q1",
                "text": {"type": "plain_text", "text": "Approve"},
            }
        ],
    },
]


@dataclass
class EchoBot:
    """A Bolt app with one listener per kind of request, remembering what it was given."""

    app: AsyncApp
    events: list[dict[str, Any]] = field(default_factory=list)
    retry_headers: list[str | None] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)


def build_bot(double: SlackDouble) -> EchoBot:
    client = AsyncWebClient(token=double.bot_token, base_url=double.api_url)
    bot = EchoBot(AsyncApp(client=client, signing_secret=double.signing_secret))
    app = bot.app

    @app.command("/echo")
    async def echo(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack(f"Working on {command['text']}")
        await respond(f"echo: {command['text']}")

    @app.command("/approve")
    async def post_buttons(ack: AsyncAck, say: AsyncSay) -> None:
        await ack()
        await say(text="Question 1: budget", blocks=APPROVE_BLOCKS)

    @app.action("approve")
    async def approve(ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"Approved {action['value']}", replace_original=True)

    @app.command("/ask")
    async def open_modal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=QUESTION_MODAL)

    @app.view("ask")
    async def receive(ack: AsyncAck, view: dict[str, Any], client: AsyncWebClient) -> None:
        text = view["state"]["values"]["question"]["text"]["value"]
        if len(text) < 5:
            await ack(response_action="errors", errors={"question": "Too short"})
            return
        await ack()
        await client.chat_postMessage(channel=GENERAL, text=f"New question: {text}")

    @app.message()
    async def heard(message: dict[str, Any], say: AsyncSay, request: AsyncBoltRequest) -> None:
        bot.events.append(message)
        retry_num = request.headers.get("x-slack-retry-num") or []
        bot.retry_headers.append(retry_num[0] if retry_num else None)
        await say(
            text=f"heard: {message['text']}", thread_ts=message.get("thread_ts") or message["ts"]
        )

    @app.event({"type": "message", "subtype": "message_changed"})
    async def edited(event: dict[str, Any]) -> None:
        bot.edits.append(event)

    return bot


@pytest.fixture(params=["http", "socket"])
async def bot(request: pytest.FixtureRequest, double: SlackDouble) -> AsyncIterator[EchoBot]:
    echo_bot = build_bot(double)
    if request.param == "http":
        async with serving_http(echo_bot.app, double):
            yield echo_bot
    else:
        async with connected_socket_mode(echo_bot.app, double, "xapp-1-test"):
            yield echo_bot


@pytest.fixture
async def http_bot(double: SlackDouble) -> AsyncIterator[EchoBot]:
    echo_bot = build_bot(double)
    async with serving_http(echo_bot.app, double):
        yield echo_bot


async def test_a_command_is_acknowledged_and_answered(bot: EchoBot, double: SlackDouble) -> None:
    result = await double.send_command("/echo", "budget", ALICE)

    await double.wait_for(lambda: len(double.ephemerals(ALICE)) == 2)
    assert result.ok
    assert "Working on budget" in result.body
    shown = {(e.text, e.source) for e in double.ephemerals(ALICE)}
    assert shown == {("Working on budget", "command_ack"), ("echo: budget", "response_url")}
    assert double.responses[0].response_type == "ephemeral"


async def test_a_message_event_reaches_the_app_and_it_replies_in_thread(
    bot: EchoBot, double: SlackDouble
) -> None:
    posted = await double.post_user_message(GENERAL, ALICE, "When is the next meeting?")

    reply = await double.wait_for(lambda: double.thread(GENERAL, posted.ts)[1:])
    assert posted.ok
    assert reply[0].text == "heard: When is the next meeting?"
    assert bot.events[0]["channel_type"] == "channel"
    assert double.message(GENERAL, posted.ts).reply_count == 1


async def test_a_retried_event_carries_the_retry_number(bot: EchoBot, double: SlackDouble) -> None:
    first = await double.post_user_message(double.dm_channel_for(ALICE), ALICE, "Hello")
    again = await double.redeliver(first, retry_num=1)

    await double.wait_for(lambda: len(bot.events) == 2)
    assert again.event_id == first.event_id
    assert bot.events[0]["channel_type"] == "im"
    assert bot.retry_headers[-1] == "1"


async def test_a_button_click_replaces_the_message(bot: EchoBot, double: SlackDouble) -> None:
    await double.send_command("/approve", "", ALICE)
    message = await double.wait_for(lambda: double.last_message(GENERAL))

    result = await double.click_button(ALICE, message, "approve", "q1")

    await double.wait_for(lambda: double.message(GENERAL, message.ts).text == "Approved q1")
    assert result.ok
    assert result.payload["container"]["message_ts"] == message.ts


async def test_a_modal_is_opened_and_submitted(bot: EchoBot, double: SlackDouble) -> None:
    await double.send_command("/ask", "", ALICE)
    view = (await double.wait_for(lambda: double.open_views(ALICE)))[0]

    refused = await double.submit_view(ALICE, view.id, {"text": "Hm"})
    accepted = await double.submit_view(ALICE, view.id, {"text": "What is the budget?"})

    assert refused.json == {"response_action": "errors", "errors": {"question": "Too short"}}
    assert accepted.ok
    assert double.open_views(ALICE) == []
    posted = await double.wait_for(lambda: double.last_message(GENERAL))
    assert posted.text == "New question: What is the budget?"


async def test_an_edit_arrives_as_message_changed(bot: EchoBot, double: SlackDouble) -> None:
    posted = await double.post_user_message(GENERAL, ALICE, "Question about parks")
    await double.edit_user_message(GENERAL, posted.ts, "Question about parks and libraries")

    edit = (await double.wait_for(lambda: bot.edits))[0]
    assert edit["message"]["ts"] == posted.ts
    assert edit["message"]["text"] == "Question about parks and libraries"
    assert edit["previous_message"]["text"] == "Question about parks"


async def test_a_bad_signature_or_stale_timestamp_gets_401(
    http_bot: EchoBot, double: SlackDouble
) -> None:
    body = urlencode({"command": "/echo", "text": "x", "user_id": ALICE, "channel_id": GENERAL})
    form = "application/x-www-form-urlencoded"

    forged = await double.send_raw(body, form, bad_signature=True)
    stale = await double.send_raw(body, form, timestamp=str(int(time.time()) - 600))
    unsigned = await double.send_raw(body, form, signed=False)

    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)
    assert double.calls == []


async def test_socket_mode_reconnects_after_disconnect(double: SlackDouble) -> None:
    echo_bot = build_bot(double)
    async with connected_socket_mode(echo_bot.app, double, "xapp-1-test"):
        await double.disconnect_socket()
        await double.wait_for(lambda: double.socket_connection_count == 2)
        await double.wait_socket_connected()

        result = await double.send_command("/echo", "again", ALICE)

    assert result.mode == "socket"
    assert result.json == {"text": "Working on again"}
    assert len(double.calls_to("apps.connections.open")) == 2
