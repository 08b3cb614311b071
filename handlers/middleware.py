"""Cross-cutting concerns: services and the acting user for every listener; events once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.services import Services

logger = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    async def attach_services(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        context["services"] = services
        context["is_clerk"] = context.user_id in await services.clerk_ids()
        return await next()

    app.middleware(attach_services)


def services_of(context: AsyncBoltContext | dict[str, Any]) -> Services:
    services: Services = context["services"]
    return services
