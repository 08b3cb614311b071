"""Every request body Slack's own repositories record is answered, and nothing raises.

The bodies are fed as Slack sends them, signed, to the real app over HTTP. Links that point
at Slack's servers (``response_url``) are redirected to the double, since tests have no network.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.paths import SLACK_PAYLOADS

PAYLOADS = sorted(SLACK_PAYLOADS.iterdir())
SLACK_HOOK = re.compile(r"https://hooks\.slack\.com/[^\"&\s]*")
INTERACTIVE = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}


def redirect_hooks(text: str, slack: SlackDouble) -> str:
    return SLACK_HOOK.sub(lambda _: slack.new_response_url("W111", "C111"), text)


def request_for(path: Path, slack: SlackDouble) -> tuple[str, str]:
    """The body and content type Slack would send over HTTP for this recorded payload."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".txt":
        fields = [(k, redirect_hooks(v, slack)) for k, v in parse_qsl(raw)]
        return urlencode(fields), "application/x-www-form-urlencoded"
    data = json.loads(redirect_hooks(raw, slack))
    if "envelope_id" in data:  # a Socket Mode envelope: HTTP carries its payload
        data = data["payload"]
    if data.get("type") in INTERACTIVE:
        return urlencode({"payload": json.dumps(data)}), "application/x-www-form-urlencoded"
    if "command" in data and "type" not in data:
        return urlencode(data), "application/x-www-form-urlencoded"
    return json.dumps(data), "application/json"


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.name for p in PAYLOADS])
async def test_each_sample_gets_2xx_and_nothing_raises(
    path: Path, slack: SlackDouble, bot: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = request_for(path, slack)
    with caplog.at_level(logging.WARNING):
        result = await slack.send_raw(body, content_type=content_type)
        assert result.status is not None and 200 <= result.status < 300, result.body
        # Listeners go on after the ack; give them a moment before reading the log.
        await asyncio.sleep(0.05)
    problems = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR or "nhandled request" in r.getMessage()
    ]
    assert problems == [], [r.getMessage() for r in problems]


async def test_unknown_sample_command_is_answered_through_the_double(
    slack: SlackDouble, bot: Runtime
) -> None:
    body, content_type = request_for(
        SLACK_PAYLOADS / "test_slash_command__slash_command_body.txt", slack
    )
    await slack.send_raw(body, content_type=content_type)
    replies = await slack.wait_for(lambda: [r for r in slack.responses if "/hello-world" in str(r)])
    assert replies


async def test_samples_with_a_wrong_signature_get_401(slack: SlackDouble, bot: Runtime) -> None:
    for path in PAYLOADS:
        body, content_type = request_for(path, slack)
        result = await slack.send_raw(body, content_type=content_type, bad_signature=True)
        assert result.status == 401, path.name


def test_there_are_samples_of_every_kind() -> None:
    names = " ".join(p.name for p in PAYLOADS)
    kinds = ("slash_command", "block_actions", "view_submission", "message_changed")
    kinds += ("message_deleted", "thread_broadcast", "shortcut", "app_home_opened")
    for kind in kinds:
        assert kind in names
