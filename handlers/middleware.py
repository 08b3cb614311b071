"""Cross-cutting concerns: services and the acting user for every listener; events once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_bolt.response import BoltResponse
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.inbox import Inbox
from bot.services import Services
from bot.workspaces import Workspaces

logger = logging.getLogger(__name__)


def register(app: AsyncApp, workspaces: Workspaces) -> None:
    async def attach_services(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        # The workspace Slack signed the request for: its record, settings and time zone.
        workspace = await workspaces.for_team(context.team_id)
        if workspace is None:
            logger.warning(
                "a request from workspace %s, where the bot is not installed", context.team_id
            )
            return BoltResponse(status=200, body="")
        workspace.enter()
        services = workspace.services
        context["services"] = services
        context["inbox"] = workspace.inbox
        context["is_clerk"] = context.user_id in await services.clerk_ids()
        session = context.client.session if context.client is not None else None
        if context.response_url and session is not None:
            context["respond"] = PooledRespond(context.response_url, session)
        return await next()

    app.middleware(attach_services)


class PooledRespond(AsyncRespond):
    """Bolt's ``respond()``, posting to the ``response_url`` through the app's connection pool:
    Bolt's own opens a new connection (a new TCP and TLS handshake) for every reply."""

    def __init__(self, response_url: str, session: aiohttp.ClientSession) -> None:
        super().__init__(response_url=response_url)
        self.session = session

    async def __call__(  # type: ignore[override]
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        **fields: Any,
    ) -> WebhookResponse:
        assert self.response_url is not None
        if isinstance(text, dict):
            message = _build_message(**text)
        else:
            message = _build_message(text=text, blocks=blocks, **fields)
        client = AsyncWebhookClient(url=self.response_url, session=self.session)
        return await client.send_dict(message)


def services_of(context: AsyncBoltContext | dict[str, Any]) -> Services:
    services: Services = context["services"]
    return services


def inbox_of(context: AsyncBoltContext | dict[str, Any]) -> Inbox:
    inbox: Inbox = context["inbox"]
    return inbox
