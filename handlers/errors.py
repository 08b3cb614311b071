"""One place where errors become messages: domain errors are explained, the rest logged."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import DomainError

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
        if isinstance(error, DomainError):
            text = str(error)
            logger.info("refused %s: %s", _kind(body), text)
        else:
            text = UNEXPECTED
            logger.exception("unexpected error handling %s", _kind(body), exc_info=error)
        await _tell_user(text, body, respond, client)


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("command") or body.get("type") or "request")


async def _tell_user(
    text: str, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> None:
    """Answer the person who acted, privately; events have nobody to answer."""
    if body.get("type") == "event_callback":
        return
    try:
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
        user = body.get("user_id") or (body.get("user") or {}).get("id")
        if user:
            dm = await client.conversations_open(users=user)
            await client.chat_postMessage(channel=dm["channel"]["id"], text=text)
    except Exception:
        logger.exception("could not tell the user about an error")
