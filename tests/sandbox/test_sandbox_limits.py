"""The double's latency, Slack's per-method tiers, and the double in a process of its own."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import SlackDouble
from bot.sandbox.remote import ServeOptions, served_double
from bot.sandbox.tiers import calls_per_minute

ALICE = "U0ALICE"


async def test_latency_delays_every_web_api_call(
    double: SlackDouble, client: AsyncWebClient
) -> None:
    await client.auth_test()
    double.set_latency(0.2)
    started = time.perf_counter()
    await client.users_info(user=ALICE)
    assert time.perf_counter() - started >= 0.2
    double.clear_faults()
    started = time.perf_counter()
    await client.users_info(user=ALICE)
    assert time.perf_counter() - started < 0.2


def test_tiers_come_from_slacks_table() -> None:
    assert calls_per_minute("conversations.open") == 50
    assert calls_per_minute("users.info") == 100
    assert calls_per_minute("chat.postMessage") is None


async def test_a_method_over_its_tier_gets_429_with_retry_after(
    double: SlackDouble, client: AsyncWebClient
) -> None:
    double.rate_limit_tiers(burst=0.04)  # two of Tier 3's 50 a minute at once
    await client.conversations_open(users=ALICE)
    await client.conversations_open(users=ALICE)
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_open(users=ALICE)
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "2"  # 50 a minute: 1.2 s each
    # Another method has its own allowance.
    await client.users_info(user=ALICE)


async def test_the_double_serves_from_its_own_process() -> None:
    options = ServeOptions(latency=0.1, users=(("U0BOB", "bob", "Bob Baker"),))
    async with served_double(options) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        started = time.perf_counter()
        opened = await client.conversations_open(users="U0BOB")
        assert time.perf_counter() - started >= 0.1
        channel = opened["channel"]["id"]
        await client.chat_postMessage(channel=channel, text="Reminder: question 1")
        seeded = await slack.call(
            "seed_messages", messages=[{"channel": "@U0BOB", "user": "U0BOB", "text": "Hi"}]
        )
        assert seeded["messages"][0]["channel"] == channel
        counts = await slack.call("counts", startswith={"reminders": "Reminder:"})
        assert counts["matching"] == {"reminders": 1}
        assert counts["calls"]["chat.postMessage"] == {"ok": 1}


async def test_a_served_double_is_configured_from_another_process() -> None:
    async with served_double() as slack:
        await slack.call("configure", channel_rate=1.0, channel_burst=1)
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        await client.chat_postMessage(channel="C0GENERAL", text="first")
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel="C0GENERAL", text="too soon")
        assert refused.value.response.status_code == 429
        await slack.call("configure", channel_rate=None)
        await client.chat_postMessage(channel="C0GENERAL", text="no limit now")
        counts = await slack.call("counts")
        assert counts["calls"]["chat.postMessage"] == {"ok": 2, "429": 1}
