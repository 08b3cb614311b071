"""The scheduler only ticks: jobs call domain code with ``now=clock()``.

Work to be done lives in the database, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services import Services

logger = logging.getLogger(__name__)

PROCESSED_EVENTS_KEPT = timedelta(days=7)


async def prune_processed_events(services: Services) -> int:
    """Forget event ids older than Slack's retry window (kept a week to be safe)."""
    cutoff = (services.clock() - PROCESSED_EVENTS_KEPT).isoformat()
    async with services.db.transaction() as tx:
        cursor = await tx.execute("DELETE FROM processed_events WHERE received_at < ?", (cutoff,))
        removed = cursor.rowcount
    if removed:
        logger.info("forgot %d processed event ids", removed)
    return removed


def create_scheduler(services: Services) -> AsyncIOScheduler:
    """Build the scheduler with stable job ids; the caller starts it inside the loop."""
    scheduler = AsyncIOScheduler(timezone=services.settings.tz)
    scheduler.add_job(
        prune_processed_events,
        "cron",
        hour=3,
        minute=15,
        args=[services],
        id="prune_processed_events",
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=3600,
    )
    return scheduler
