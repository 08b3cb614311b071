"""Cross-cutting concerns: services and the acting user for every listener; events once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

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
        return await next()

    app.middleware(attach_services)


def services_of(context: AsyncBoltContext | dict[str, Any]) -> Services:
    services: Services = context["services"]
    return services


def inbox_of(context: AsyncBoltContext | dict[str, Any]) -> Inbox:
    inbox: Inbox = context["inbox"]
    return inbox
