"""One place where errors become messages: domain errors are explained, the rest logged.

Listeners acknowledge first and then do their work inside ``async with guarded(...)``. An
exception that escaped a listener after its ack would make Bolt drop the ack it already
sent (slack_bolt's asyncio runner resets it), so Slack would see a timeout and retry;
``guarded`` turns it into a private message instead. ``@app.error`` covers the rest.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import DomainError
from bot.core.mrkdwn import esc
from handlers.payload import MalformedPayload

logger = logging.getLogger(__name__)

STALE_REFERENCES = frozenset(
    {
        "invalid_trigger_id",
        "expired_trigger_id",
        "exchanged_trigger_id",
        "user_not_found",
        "channel_not_found",
        "message_not_found",
        "thread_not_found",
    }
)
"""Slack's answers when a request named something it does not know: not a fault of the bot."""

UNEXPECTED = (
    "Sorry, something went wrong on our side and nothing was changed. "
    "Please try again; if it keeps happening, tell the clerk."
)


def register(app: AsyncApp) -> None:
    @app.error
    async def handle_error(
        error: Exception,
        body: dict[str, Any],
        respond: AsyncRespond | None,
        client: AsyncWebClient,
        response: BoltResponse | None,
    ) -> BoltResponse | None:
        await explain(error, body, respond, client)
        if isinstance(error, MalformedPayload) and response is not None:
            return BoltResponse(status=400, body="malformed request")  # not yet acknowledged
        return None


@asynccontextmanager
async def guarded(
    body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> AsyncIterator[None]:
    """Run a listener's work after its ack; any error is explained to the person who acted."""
    try:
        yield
    except Exception as error:
        await explain(error, body, respond, client)


async def explain(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> None:
    if isinstance(error, MalformedPayload):
        # Not something a person did in Slack: nobody to tell, and no traceback to keep.
        logger.warning("ignored a malformed %s: %s", _kind(body), error)
        return
    if isinstance(error, SlackApiError) and error.response.get("error") in STALE_REFERENCES:
        # The request named a trigger, person or message Slack does not know (or no longer).
        logger.warning("Slack refused %s: %s", _kind(body), error.response.get("error"))
        text = UNEXPECTED
    elif isinstance(error, aiohttp.ClientError):
        # Slack (or the response URL it gave) could not be reached: not a fault in the bot.
        logger.warning("could not reach Slack handling %s: %r", _kind(body), error)
        text = UNEXPECTED
    elif isinstance(error, DomainError):
        text = str(error)
        logger.info("refused %s: %s", _kind(body), text)
    else:
        text = UNEXPECTED
        logger.error("unexpected error handling %s", _kind(body), exc_info=error)
    await tell_user(text, body, respond, client)


def _kind(body: dict[str, Any]) -> str:
    kind = body.get("command") or body.get("type")
    return kind[:40] if isinstance(kind, str) else "request"


def acting_user(body: dict[str, Any]) -> str | None:
    user = body.get("user_id") or body.get("user")
    if isinstance(user, dict):
        user = user.get("id")
    return str(user) if user else None


async def tell_user(
    text: str, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> None:
    """Answer the person who acted, privately; events have nobody to answer."""
    if body.get("type") == "event_callback":
        return
    user = acting_user(body)
    try:
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            await respond(text=esc(text), response_type="ephemeral", replace_original=False)
            return
        if user:
            dm = await client.conversations_open(users=user)
            await client.chat_postMessage(channel=dm["channel"]["id"], text=esc(text))
    except SlackApiError as error:
        logger.warning("could not tell %s about an error: %s", user, error.response.get("error"))
    except (aiohttp.ClientError, ValueError) as error:  # a response URL that does not answer
        logger.warning("could not tell %s about an error: %r", user, error)
