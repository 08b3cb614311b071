"""The double's Web API, exercised with slack_sdk's real AsyncWebClient."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import GENERAL_CHANNEL_ID, SlackDouble

ALICE = "U0ALICE"
GENERAL = GENERAL_CHANNEL_ID


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def modal(title: str = "Ask a question", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "ask",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "question",
                "label": {"type": "plain_text", "text": "Question"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
        **extra,
    }


async def raw_call(double: SlackDouble, method: str, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(double.api_url + method, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_auth_test_describes_the_bot(client: AsyncWebClient, double: SlackDouble) -> None:
    response = await client.auth_test()

    assert response["user_id"] == double.bot_user_id
    assert response["team_id"] == "T111"
    assert response["bot_id"] == "B111"


async def test_tokens_are_checked_and_unknown_methods_refused(double: SlackDouble) -> None:
    assert await raw_call(double, "auth.test", None) == (200, {"ok": False, "error": "not_authed"})
    assert await raw_call(double, "auth.test", "xoxb-wrong") == (
        200,
        {"ok": False, "error": "invalid_auth"},
    )
    assert await raw_call(double, "chat.nothing", double.bot_token) == (
        404,
        {"ok": False, "error": "unknown_method"},
    )


async def test_messages_and_thread_replies_form_a_workspace(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    parent = await client.chat_postMessage(
        channel=GENERAL, text="Question 1", blocks=[section("Q1")]
    )
    reply = await client.chat_postMessage(channel=GENERAL, text="Answer", thread_ts=parent["ts"])
    replies = await client.conversations_replies(channel=GENERAL, ts=parent["ts"])

    assert parent["ts"] == "1700000001.000100"
    assert float(reply["ts"]) > float(parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["Question 1", "Answer"]
    assert replies["messages"][0]["reply_count"] == 1
    assert replies["messages"][1]["parent_user_id"] == double.bot_user_id
    assert [m.text for m in double.thread(GENERAL, parent["ts"])] == ["Question 1", "Answer"]
    assert double.messages(GENERAL, include_replies=False)[0].blocks[0]["block_id"]


async def test_a_persons_reply_is_visible_to_conversations_replies(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    parent = await client.chat_postMessage(channel=GENERAL, text="Any questions?")
    double.seed_message(GENERAL, ALICE, "Yes: the budget", thread_ts=parent["ts"])

    replies = await client.conversations_replies(channel=GENERAL, ts=parent["ts"], limit=1)
    rest = await client.conversations_replies(
        channel=GENERAL, ts=parent["ts"], cursor=replies["response_metadata"]["next_cursor"]
    )

    assert replies["has_more"] is True
    assert rest["messages"][0]["user"] == ALICE
    assert rest["messages"][0]["text"] == "Yes: the budget"


async def test_conversations_open_gives_a_stable_dm(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    first = await client.conversations_open(users=ALICE)
    second = await client.conversations_open(users=[ALICE])
    await client.chat_postMessage(channel=first["channel"]["id"], text="Your question is due")

    assert first["channel"]["id"] == second["channel"]["id"] == double.dm_channel_for(ALICE)
    assert first["channel"]["id"].startswith("D")
    assert second["already_open"] is True
    assert [m.text for m in double.dm_messages(ALICE)] == ["Your question is due"]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"text": "x", "blocks": [section("a" * 4000)]}, "invalid_blocks"),
        ({"text": "x", "blocks": [section("ok")] * 51}, "invalid_blocks"),
        ({"text": "x", "blocks": [header("h" * 151)]}, "invalid_blocks"),
        ({"text": "x", "blocks": [section("a", "same"), section("b", "same")]}, "invalid_blocks"),
        ({"text": "x" * 40_001}, "msg_too_long"),
        ({}, "no_text"),
    ],
)
async def test_messages_slack_refuses_are_refused_and_not_stored(
    client: AsyncWebClient, double: SlackDouble, arguments: dict[str, Any], error: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.api_call("chat.postMessage", json={"channel": GENERAL, **arguments})

    assert raised.value.response["error"] == error
    assert double.messages(GENERAL) == []
    assert double.calls_to("chat.postMessage", ok=False)[0].error == error


async def test_update_permalink_reaction_and_ephemeral(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    posted = await client.chat_postMessage(channel=GENERAL, text="Draft")
    await client.chat_update(channel=GENERAL, ts=posted["ts"], text="Final", blocks=[section("F")])
    link = await client.chat_getPermalink(channel=GENERAL, message_ts=posted["ts"])
    await client.reactions_add(channel=GENERAL, timestamp=posted["ts"], name="white_check_mark")
    await client.chat_postEphemeral(channel=GENERAL, user=ALICE, text="Only you can see this")

    message = double.message(GENERAL, posted["ts"])
    assert (message.text, message.edited is not None) == ("Final", True)
    assert link["permalink"].endswith(f"/archives/{GENERAL}/p{posted['ts'].replace('.', '')}")
    assert double.reactions(GENERAL, posted["ts"]) == {"white_check_mark": [double.bot_user_id]}
    assert [e.text for e in double.ephemerals(ALICE)] == ["Only you can see this"]


async def test_users_info_reads_the_directory(client: AsyncWebClient) -> None:
    alice = await client.users_info(user=ALICE)

    assert alice["user"]["real_name"] == "Alice Archer"
    assert alice["user"]["profile"]["email"] == "alice@example.org"
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="U0NOBODY")


async def test_views_open_needs_a_fresh_trigger_id(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    trigger_id = double.new_trigger_id(ALICE)

    opened = await client.views_open(trigger_id=trigger_id, view=modal())
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await client.views_open(trigger_id=trigger_id, view=modal())
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id="123.456.unknown", view=modal())

    view = double.views_opened[0]
    assert opened["view"]["id"] == view.id
    assert (view.user_id, view.callback_id, view.title) == (ALICE, "ask", "Ask a question")
    assert double.open_views(ALICE) == [view]


async def test_invalid_views_are_refused(client: AsyncWebClient, double: SlackDouble) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=double.new_trigger_id(ALICE), view=modal("t" * 25))

    assert raised.value.response["error"] == "invalid_arguments"
    assert double.views_opened == []


async def test_views_update_checks_the_hash_and_publish_sets_the_home_tab(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    opened = await client.views_open(trigger_id=double.new_trigger_id(ALICE), view=modal())
    view_id, view_hash = opened["view"]["id"], opened["view"]["hash"]

    await client.views_update(view_id=view_id, hash=view_hash, view=modal("Step 2"))
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=view_id, hash=view_hash, view=modal("Step 3"))
    home = {"type": "home", "blocks": [section("Your open questions: 2")]}
    await client.views_publish(user_id=ALICE, view=home)

    assert double.view(view_id).title == "Step 2"
    home_view = double.home_view(ALICE)
    assert home_view is not None
    assert "Your open questions: 2" in home_view.all_text()


async def test_rate_limited_calls_are_retried_by_slack_sdk(double: SlackDouble) -> None:
    client = AsyncWebClient(
        token=double.bot_token,
        base_url=double.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    double.fail_next("chat.postMessage", status=429, retry_after=0, times=2)

    await client.chat_postMessage(channel=GENERAL, text="Reminder")

    statuses = [c.status for c in double.calls_to("chat.postMessage")]
    assert statuses == [429, 429, 200]
    assert [m.text for m in double.messages(GENERAL)] == ["Reminder"]


async def test_server_errors_are_retried_by_slack_sdk(double: SlackDouble) -> None:
    handler = AsyncServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )
    client = AsyncWebClient(
        token=double.bot_token, base_url=double.api_url, retry_handlers=[handler]
    )
    double.fail_next("chat.postMessage", status=500)

    await client.chat_postMessage(channel=GENERAL, text="Reminder")

    assert [c.status for c in double.calls_to("chat.postMessage")] == [500, 200]
    assert len(double.messages(GENERAL)) == 1


async def post_raw(double: SlackDouble, channel: str) -> tuple[int, str | None, Any]:
    headers = {"Authorization": f"Bearer {double.bot_token}"}
    data = {"channel": channel, "text": "Reminder"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(double.api_url + "chat.postMessage", json=data) as response,
    ):
        return response.status, response.headers.get("Retry-After"), await response.json()


async def test_per_channel_rate_limit_answers_429_with_retry_after(double: SlackDouble) -> None:
    double.rate_limit_per_channel(messages_per_second=0.5, burst=1)

    first = await post_raw(double, GENERAL)
    second = await post_raw(double, GENERAL)
    elsewhere = await post_raw(double, double.dm_channel_for(ALICE))

    assert first[0] == elsewhere[0] == 200
    assert second == (429, "2", {"ok": False, "error": "ratelimited"})
    assert len(double.messages(GENERAL)) == 1


async def random_statuses(double: SlackDouble, calls: int) -> list[int]:
    return [(await post_raw(double, GENERAL))[0] for _ in range(calls)]


async def test_random_failures_come_at_their_rates_and_repeat_with_the_seed(
    double: SlackDouble,
) -> None:
    double.fail_randomly("chat.postMessage", 0.2, status=429, seed=7)
    double.fail_randomly("chat.postMessage", 0.05, status=500)
    first = await random_statuses(double, 400)
    assert set(first) == {200, 429, 500}
    assert 40 <= first.count(429) <= 120 and 5 <= first.count(500) <= 40
    assert len(double.messages(GENERAL)) == first.count(200)  # a refused call posts nothing
    limited = [c for c in double.calls_to("chat.postMessage") if c.status == 429]
    assert limited[0].response == {"ok": False, "error": "ratelimited"}

    double.clear_faults()
    assert set(await random_statuses(double, 20)) == {200}
    double.fail_randomly("chat.postMessage", 0.2, status=429, seed=7)
    double.fail_randomly("chat.postMessage", 0.05, status=500)
    assert await random_statuses(double, 400) == first
    with pytest.raises(ValueError, match="more than 1"):
        double.fail_randomly("chat.postMessage", 0.9, status=500)


async def test_files_upload_v2_reaches_the_double_with_the_bytes(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    await client.files_upload_v2(
        channel=GENERAL,
        content=b"Agenda item 4: questions and answers",
        filename="agenda.txt",
        title="Agenda",
        initial_comment="The agenda",
    )

    (stored,) = double.files
    assert stored.content == b"Agenda item 4: questions and answers"
    assert (stored.name, stored.title, stored.channels) == ("agenda.txt", "Agenda", [GENERAL])
    last = double.last_message(GENERAL)
    assert last is not None
    assert (last.text, last.file_ids) == ("The agenda", [stored.id])


async def test_apps_connections_open_needs_an_app_token(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    opened = await client.apps_connections_open(app_token="xapp-1-test")

    assert opened["url"].startswith(f"ws://127.0.0.1:{double.port}/socket-mode/")
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await client.apps_connections_open(app_token=double.bot_token)


async def test_a_delayed_answer_lets_a_later_call_overtake_it(
    client: AsyncWebClient, double: SlackDouble
) -> None:
    double.delay("chat.postMessage", 0.2, times=1)

    await asyncio.gather(
        client.chat_postMessage(channel=GENERAL, text="slow"),
        client.chat_postMessage(channel=GENERAL, text="fast"),
    )

    assert [m.text for m in double.messages(GENERAL)] == ["fast", "slow"]


async def test_answers_say_the_tokens_scopes_as_slack_does(
    double: SlackDouble, client: AsyncWebClient
) -> None:
    """``x-oauth-scopes``: by default what manifest.json asks for; ``grant_scopes`` changes it."""
    from bot.manifest import bot_scopes

    response = await client.auth_test()
    assert set(response.headers["x-oauth-scopes"].split(",")) == bot_scopes()
    double.grant_scopes({"chat:write", "commands"})
    response = await client.auth_test()
    assert response.headers["x-oauth-scopes"] == "chat:write,commands"
    app = await client.apps_connections_open(app_token="xapp-1-test")
    assert app.headers["x-oauth-scopes"] == "connections:write"
    with pytest.raises(SlackApiError) as refused:
        await client.auth_test(token="xoxb-not-this-workspace")
    assert refused.value.response["error"] == "invalid_auth"
    assert "x-oauth-scopes" not in refused.value.response.headers
