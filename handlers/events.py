"""Events: replies in a question's thread are the answer; edits and deletes follow them.

A thread reply, edit or deletion is stored in the event inbox **before** Slack gets its
acknowledgement, then recorded in the background (bot/inbox.py). A crash after the ack
therefore loses nothing: the stored event is recorded when the bot starts again. A retry of
an event already stored is acknowledged and goes no further.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbox import REPLY_SUBTYPES, shared_files
from handlers.middleware import inbox_of
from storage.inbox import Incoming

logger = logging.getLogger(__name__)

ID_LIMIT = 64
"""Channel and user ids and message timestamps are short; anything longer is not Slack's."""


def _id(value: Any) -> str | None:
    """A Slack id or ts as a string, or None when it is missing or not one."""
    if not isinstance(value, str) or not 0 < len(value) <= ID_LIMIT:
        return None
    if not value.isascii() or not value.replace(".", "").replace("_", "").isalnum():
        return None
    return value


def _text(value: Any) -> str:
    """Message text as storable text: lone surrogates (which no encoder writes) replaced."""
    if not isinstance(value, str):
        return ""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_thread_reply(message: dict[str, Any]) -> bool:
    thread_ts, ts = _id(message.get("thread_ts")), _id(message.get("ts"))
    return (
        thread_ts is not None
        and ts is not None
        and thread_ts != ts
        and bool(_id(message.get("user")))
    )


def incoming_event(
    body: dict[str, Any], bot_user_id: str | None, received_at: datetime
) -> Incoming | None:
    """The thread reply, edit or deletion in an Events API body, or None if it is not one."""
    if body.get("type") != "event_callback":
        return None
    event = _dict(body.get("event"))
    channel = _id(event.get("channel"))
    if event.get("type") != "message" or channel is None:
        return None
    subtype = event.get("subtype")
    event_id = _id(body.get("event_id"))

    def key(kind: str, ts: str) -> str:
        return event_id or f"event:{kind}:{channel}:{ts}"

    if subtype in REPLY_SUBTYPES:
        if not is_thread_reply(event):
            return None
        ts = str(event["ts"])
        return Incoming(
            key=key("reply", ts),
            kind="reply",
            channel=channel,
            ts=ts,
            thread_ts=_id(event.get("thread_ts")),
            user=_id(event.get("user")),
            text=_text(event.get("text")),
            received_at=received_at,
            has_files=bool(event.get("files")),
            parent_by_bot=bool(bot_user_id) and event.get("parent_user_id") == bot_user_id,
            files=shared_files(event.get("files")),
        )
    if subtype == "message_changed":
        message, previous = _dict(event.get("message")), _dict(event.get("previous_message"))
        # Slack also sends message_changed for a parent whose reply count changed: ignore it.
        # A reply whose text is the same but whose files changed (one deleted) is an edit.
        files = shared_files(message.get("files"))
        if not is_thread_reply(message) or (
            message.get("text") == previous.get("text")
            and files == shared_files(previous.get("files"))
        ):
            return None
        ts = str(message["ts"])
        return Incoming(
            key=key("edit", ts),
            kind="edit",
            channel=channel,
            ts=ts,
            thread_ts=_id(message.get("thread_ts")),
            user=_id(message.get("user")),
            text=_text(message.get("text")),
            received_at=received_at,
            has_files=bool(files),
            files=files,
        )
    if subtype == "message_deleted":
        deleted_ts = _id(event.get("deleted_ts"))
        if deleted_ts is None:
            return None
        previous = _dict(event.get("previous_message"))
        return Incoming(
            key=key("delete", deleted_ts),
            kind="delete",
            channel=channel,
            ts=deleted_ts,
            thread_ts=_id(previous.get("thread_ts")),
            user=_id(previous.get("user")),
            text="",
            received_at=received_at,
        )
    return None


def register(app: AsyncApp) -> None:
    async def store_thread_events(
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        inbox = inbox_of(context)
        incoming = incoming_event(body, context.bot_user_id, inbox.services.clock())
        if incoming is None:
            return await next()
        await inbox.receive(incoming, client)
        return BoltResponse(status=200, body="")

    app.middleware(store_thread_events)
