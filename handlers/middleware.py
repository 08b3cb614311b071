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

    app.middleware(attach_services)


async def first_delivery(services: Services, body: dict[str, Any]) -> bool:
    """Record the event's id; False when Slack delivered it before (a retry or a double).

    Called by event listeners after Bolt has acknowledged the event, so the write never
    delays the ack. Bolt does not deduplicate events itself.
    """
    event_id = body.get("event_id")
    if not event_id:
        return True
    if await claim_event(services, str(event_id)):
        return True
    logger.info("event %s already handled (retry %s)", event_id, body.get("retry_attempt"))
    return False


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
