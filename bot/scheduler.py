"""The scheduler only ticks: jobs call domain code with ``now=clock()``.

Work to be done lives in the database, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.chasing import clerk_daily_digest, sweep
from bot.services import Services

logger = logging.getLogger(__name__)

PROCESSED_EVENTS_KEPT = timedelta(days=7)
SWEEP_EVERY_MINUTES = 5


async def prune_processed_events(services: Services) -> int:
    """Forget event ids older than Slack's retry window (kept a week to be safe)."""
    cutoff = (services.clock() - PROCESSED_EVENTS_KEPT).isoformat()
    async with services.db.transaction() as tx:
        cursor = await tx.execute("DELETE FROM processed_events WHERE received_at < ?", (cutoff,))
        removed = cursor.rowcount
    if removed:
        logger.info("forgot %d processed event ids", removed)
    return removed


async def chase_tick(services: Services, client: AsyncWebClient) -> None:
    """One sweep at the clock's time; it sends nothing outside working days and hours."""
    try:
        report = await sweep(services, client, services.clock())
    except Exception:
        logger.exception("chase sweep failed; the next tick tries again")
        return
    if report.claimed:
        logger.info("chase sweep: %d sent, %d still due", report.sent, report.failed)


async def clerk_digest_tick(services: Services, client: AsyncWebClient) -> None:
    try:
        await clerk_daily_digest(services, client, services.clock())
    except Exception:
        logger.exception("clerk digest failed; it is tried again at the next tick")


def create_scheduler(services: Services, client: AsyncWebClient) -> AsyncIOScheduler:
    """Build the scheduler with stable job ids; the caller starts it inside the loop."""
    scheduler = AsyncIOScheduler(timezone=services.settings.tz)
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    hours = services.settings.chase.working_hours
    scheduler.add_job(
        chase_tick,
        "cron",
        day_of_week="mon-fri",
        hour=f"{hours.start.hour}-{hours.end.hour}",
        minute=f"*/{SWEEP_EVERY_MINUTES}",
        args=[services, client],
        id="chase_sweep",
        misfire_grace_time=SWEEP_EVERY_MINUTES * 60,
        **common,
    )
    scheduler.add_job(
        clerk_digest_tick,
        "cron",
        day_of_week="mon-fri",
        hour=f"{hours.start.hour}-{hours.end.hour}",
        minute="*/15",
        args=[services, client],
        id="clerk_daily_digest",
        misfire_grace_time=900,
        **common,
    )
    scheduler.add_job(
        prune_processed_events,
        "cron",
        hour=3,
        minute=15,
        args=[services],
        id="prune_processed_events",
        misfire_grace_time=3600,
        **common,
    )
    return scheduler
