"""Events: replies in a question's thread are the answer; edits and deletes follow them."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows import answers
from handlers import payload
from handlers.errors import guarded
from handlers.middleware import first_delivery, services_of

logger = logging.getLogger(__name__)


def is_thread_reply(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return bool(thread_ts) and thread_ts != message.get("ts") and bool(message.get("user"))


def register(app: AsyncApp) -> None:
    @app.event({"type": "message", "subtype": [None, "thread_broadcast", "file_share"]})
    async def thread_reply(
        body: dict[str, Any],
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        if not is_thread_reply(event) or not await first_delivery(services_of(context), body):
            return
        async with guarded(body, None, client):
            reply = answers.ThreadReply(
                channel=payload.text(event, "channel"),
                ts=payload.text(event, "ts"),
                thread_ts=payload.text(event, "thread_ts"),
                user=payload.text(event, "user"),
                text=payload.message_text(event),
                parent_by_bot=bool(context.bot_user_id)
                and event.get("parent_user_id") == context.bot_user_id,
            )
            await answers.record_reply(services_of(context), client, reply)

    @app.event({"type": "message", "subtype": "message_changed"})
    async def reply_edited(
        body: dict[str, Any],
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        message = event.get("message") or {}
        previous = event.get("previous_message") or {}
        # Slack also sends message_changed for a parent whose reply count changed: ignore it.
        if not is_thread_reply(message) or message.get("text") == previous.get("text"):
            return
        if not await first_delivery(services_of(context), body):
            return
        async with guarded(body, None, client):
            await answers.record_edit(
                services_of(context),
                payload.text(event, "channel"),
                payload.text(message, "ts"),
                payload.text(message, "user"),
                payload.message_text(message),
            )

    @app.event({"type": "message", "subtype": "message_deleted"})
    async def reply_deleted(
        body: dict[str, Any],
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        previous = event.get("previous_message") or {}
        if not event.get("deleted_ts") or not await first_delivery(services_of(context), body):
            return
        async with guarded(body, None, client):
            await answers.record_delete(
                services_of(context),
                payload.text(event, "channel"),
                payload.text(event, "deleted_ts"),
                payload.optional_text(previous, "user"),
            )
