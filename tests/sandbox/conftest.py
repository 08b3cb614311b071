"""Fixtures for the Slack double's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import SlackDouble


@pytest.fixture
async def double() -> AsyncIterator[SlackDouble]:
    async with SlackDouble(signing_secret="sandbox-test-signing-secret") as slack:
        slack.add_user("U0ALICE", "alice", "Alice Archer", email="alice@example.org")
        yield slack


@pytest.fixture
def client(double: SlackDouble) -> AsyncWebClient:
    """A real Web API client whose base URL is the double."""
    return AsyncWebClient(token=double.bot_token, base_url=double.api_url)
