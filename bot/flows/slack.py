"""Small helpers for the Slack calls the flows make."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.models import MessageRef
from bot.core.mrkdwn import Mrkdwn
from bot.services import Services

logger = logging.getLogger(__name__)


DM_CHANNELS_KEPT = 10_000

_dm_channels: weakref.WeakKeyDictionary[object, dict[str | None, dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)
"""Direct-message channel ids by connection pool (or client), then token, then user: a
person's DM with the bot never changes, so ``conversations.open`` is called once per person,
not once per message. Not by client alone: Bolt gives each request a client of its own, all
on the app client's connection pool."""


def _known(client: AsyncWebClient) -> dict[str, str]:
    owner: object = client.session if client.session is not None else client
    return _dm_channels.setdefault(owner, {}).setdefault(client.token, {})


def remember_dm_channels(client: AsyncWebClient, channels: Mapping[str, str]) -> None:
    """DM channels known already (kept in the database), so none is opened again."""
    known = _known(client)
    if len(known) + len(channels) > DM_CHANNELS_KEPT:
        known.clear()
    known.update(channels)


def known_dm_channels(client: AsyncWebClient, user_ids: Iterable[str]) -> dict[str, str]:
    """The DM channels this client has opened or been told of, for ``user_ids``."""
    known = _known(client)
    return {user: known[user] for user in user_ids if user in known}


async def dm_channel(client: AsyncWebClient, user_id: str) -> str:
    known = _known(client)
    channel = known.get(user_id)
    if channel is None:
        response = await client.conversations_open(users=user_id)
        channel = str(response["channel"]["id"])
        if len(known) >= DM_CHANNELS_KEPT:
            known.clear()
        known[user_id] = channel
    return channel


async def post(
    client: AsyncWebClient,
    channel: str,
    text: Mrkdwn,
    blocks: list[dict[str, Any]] | None = None,
    *,
    thread_ts: str | None = None,
) -> MessageRef:
    response = await client.chat_postMessage(
        channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False
    )
    return MessageRef(str(response["channel"]), str(response["ts"]))


async def dm(
    client: AsyncWebClient, user_id: str, text: Mrkdwn, blocks: list[dict[str, Any]] | None = None
) -> MessageRef:
    return await post(client, await dm_channel(client, user_id), text, blocks)


async def permalink(client: AsyncWebClient, message: MessageRef) -> str | None:
    try:
        response = await client.chat_getPermalink(channel=message.channel, message_ts=message.ts)
    except SlackApiError:
        logger.warning("no permalink for %s/%s", message.channel, message.ts)
        return None
    return str(response["permalink"])


async def react(client: AsyncWebClient, message: MessageRef, name: str) -> None:
    try:
        await client.reactions_add(channel=message.channel, timestamp=message.ts, name=name)
    except SlackApiError as error:
        if error.response.get("error") != "already_reacted":
            raise


async def workspace_url(client: AsyncWebClient) -> str:
    """'https://example.slack.com/' (auth.test), for building links to messages."""
    response = await client.auth_test()
    return str(response.get("url") or "https://slack.com/")


def message_link(base_url: str, message: MessageRef) -> str:
    """A link to a message in Slack's permalink form, without an API call per message."""
    return f"{base_url.rstrip('/')}/archives/{message.channel}/p{message.ts.replace('.', '')}"


async def slack_names(client: AsyncWebClient, user_ids: Iterable[str]) -> dict[str, str]:
    """Display names for mentioned people, through users.info."""
    names: dict[str, str] = {}
    for user_id in sorted(user_ids):
        try:
            info = await client.users_info(user=user_id)
        except SlackApiError:
            logger.warning("users.info failed for %s; they are not named", user_id)
            continue
        user = info["user"]
        profile = user.get("profile", {})
        names[user_id] = str(profile.get("real_name") or user.get("real_name") or user["name"])
    return names


async def names_seen(
    services: Services, client: AsyncWebClient, user_ids: Iterable[str]
) -> dict[str, str]:
    """``slack_names``, kept in the store: the command-line compile, which has no Slack,
    then names people exactly as the Slack compile did."""
    names = await slack_names(client, user_ids)
    await services.repos.people.remember_names(names, services.clock())
    return names
