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

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import DomainError
from bot.core.mrkdwn import esc

logger = logging.getLogger(__name__)

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
    ) -> None:
        await explain(error, body, respond, client)


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
    if isinstance(error, DomainError):
        text = str(error)
        logger.info("refused %s: %s", _kind(body), text)
    else:
        text = UNEXPECTED
        logger.error("unexpected error handling %s", _kind(body), exc_info=error)
    await tell_user(text, body, respond, client)


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("command") or body.get("type") or "request")


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
    try:
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            await respond(text=esc(text), response_type="ephemeral", replace_original=False)
            return
        user = acting_user(body)
        if user:
            dm = await client.conversations_open(users=user)
            await client.chat_postMessage(channel=dm["channel"]["id"], text=esc(text))
    except Exception:
        logger.exception("could not tell the user about an error")
