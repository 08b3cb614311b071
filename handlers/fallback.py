"""Registered last: anything no other listener claimed is acknowledged, never left to time out.

Slack retries unacknowledged events and shows an error to a person whose click or command
gets no answer, so even requests the bot has no use for get a quick 200.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.core.mrkdwn import md

logger = logging.getLogger(__name__)

ANY = re.compile(".*")


def register(app: AsyncApp) -> None:
    @app.event(ANY)
    async def ignore_event(event: dict[str, Any]) -> None:
        logger.debug("ignored event %s/%s", event.get("type"), event.get("subtype"))

    @app.action(ANY)
    async def ignore_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        logger.debug("ignored action in %s", body.get("type"))

    @app.view(ANY)
    async def ignore_view(ack: AsyncAck, view: dict[str, Any]) -> None:
        await ack()
        logger.debug("ignored view submission %s", view.get("callback_id"))

    @app.view_closed(ANY)
    async def ignore_view_closed(ack: AsyncAck) -> None:
        await ack()

    @app.shortcut(ANY)
    async def unknown_shortcut(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        logger.info("no handler for shortcut %s", shortcut.get("callback_id"))

    @app.command(ANY)
    async def unknown_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        await respond(
            text=md("This app does not handle `{}`.", str(command.get("command"))),
            response_type="ephemeral",
        )
