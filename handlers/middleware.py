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
        context["is_clerk"] = context.user_id in services.settings.clerk_user_ids
        return await next()

    async def each_event_once(
        body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        """Slack retries events it thinks were missed; Bolt does not deduplicate them."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await claim_event(services, str(event_id)):
            logger.info("event %s already handled (retry %s)", event_id, body.get("retry_attempt"))
            return BoltResponse(status=200, body="")
        return await next()

    app.middleware(attach_services)
    app.middleware(each_event_once)


async def claim_event(services: Services, event_id: str) -> bool:
    """Record the event id; False when it was seen before."""
    async with services.db.transaction() as tx:
        cursor = await tx.execute(
            "INSERT OR IGNORE INTO processed_events (event_id, received_at) VALUES (?, ?)",
            (event_id, services.clock().isoformat()),
        )
        return cursor.rowcount == 1


def services_of(context: AsyncBoltContext | dict[str, Any]) -> Services:
    services: Services = context["services"]
    return services
