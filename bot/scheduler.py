"""The scheduler only ticks: jobs call domain code with ``now=clock()``.

Work to be done lives in the database, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.backups import NIGHTLY_AT, nightly_backup
from bot.catchup import PACE, catch_up
from bot.chasing import clerk_daily_digest, sweep
from bot.core.calendar import use_workspace_zone
from bot.core.redaction import months_before
from bot.inbox import Inbox
from bot.services import Services
from storage.retention import RetentionReport

logger = logging.getLogger(__name__)

EVENTS_KEPT = timedelta(days=7)
SWEEP_EVERY_MINUTES = 5
INBOX_RETRY_MINUTES = 5
RETENTION_GRACE = 12 * 3600
"""Seconds after 02:45 that a missed retention run still runs (the bot was stopped)."""


async def prune_event_inbox(services: Services) -> int:
    """Forget recorded events older than Slack's retry window (kept a week to be safe)."""
    removed = await services.repos.inbox.forget_done(services.clock() - EVENTS_KEPT)
    if removed:
        logger.info("forgot %d recorded events", removed)
    return removed


async def retention_tick(services: Services) -> RetentionReport | None:
    """Pseudonymise and delete what ended ``RETENTION_MONTHS`` ago (storage/retention.py);
    None when the setting is 0 (keep everything) or the run failed."""
    months = services.settings.retention_months
    if not months:
        return None
    now = services.clock()
    cutoff = months_before(now.astimezone(services.settings.tz), months)
    try:
        report = await services.repos.retention.apply(cutoff, now)
    except Exception:
        logger.exception("the retention run failed; tomorrow's run tries again")
        return None
    if report.changed:
        logger.info("retention (%d months): %s", months, report.summary())
    return report


async def inbox_retry_tick(inbox: Inbox, client: AsyncWebClient) -> None:
    """Try again to record events whose earlier attempt failed."""
    try:
        await inbox.resume(client)
    except Exception:
        logger.exception("could not read the event inbox; the next tick tries again")


async def catch_up_tick(
    services: Services, client: AsyncWebClient, inbox: Inbox, pace: float = PACE
) -> None:
    """Re-read open questions' threads on working days (the start-up catch-up runs always)."""
    calendar = await services.repos.closure_days.calendar()
    if not calendar.is_working_day(services.clock().astimezone(services.settings.tz).date()):
        return
    try:
        await catch_up(services, client, inbox, pace=pace)
    except Exception:
        logger.exception("catch-up failed; the next tick tries again")


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


async def run_once(
    services: Services, job: str, work: Callable[..., Awaitable[object]], *args: Any
) -> None:
    """``work(*args)`` in one process only, of all the bot's replicas on one database: the
    others skip this run (on SQLite there is only ever one). It works in the time zone of
    the council it serves."""
    use_workspace_zone(services.settings.tz)
    async with services.db.exclusive(job) as mine:
        if mine:
            await work(*args)
        else:
            logger.debug("%s: another replica is running it", job)


def create_scheduler(
    services: Services, client: AsyncWebClient, inbox: Inbox, catch_up_pace: float = PACE
) -> AsyncIOScheduler:
    """Build the scheduler with stable job ids; the caller starts it inside the loop."""
    scheduler = AsyncIOScheduler(timezone=services.settings.tz)
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    hours = services.settings.chase.working_hours
    scheduler.add_job(
        run_once,
        "cron",
        day_of_week="mon-fri",
        hour=f"{hours.start.hour}-{hours.end.hour}",
        minute=f"*/{SWEEP_EVERY_MINUTES}",
        args=[services, "chase_sweep", chase_tick, services, client],
        id="chase_sweep",
        misfire_grace_time=SWEEP_EVERY_MINUTES * 60,
        **common,
    )
    scheduler.add_job(
        run_once,
        "cron",
        day_of_week="mon-fri",
        hour=f"{hours.start.hour}-{hours.end.hour}",
        minute="*/15",
        args=[services, "clerk_daily_digest", clerk_digest_tick, services, client],
        id="clerk_daily_digest",
        misfire_grace_time=900,
        **common,
    )
    scheduler.add_job(
        run_once,
        "cron",
        hour=3,
        minute=15,
        args=[services, "prune_event_inbox", prune_event_inbox, services],
        id="prune_event_inbox",
        misfire_grace_time=3600,
        **common,
    )
    scheduler.add_job(
        run_once,
        "cron",
        hour=2,
        minute=45,
        args=[services, "retention", retention_tick, services],
        id="retention",
        misfire_grace_time=RETENTION_GRACE,
        **common,
    )
    scheduler.add_job(
        run_once,
        "interval",
        minutes=INBOX_RETRY_MINUTES,
        args=[services, "inbox_retry", inbox_retry_tick, inbox, client],
        id="inbox_retry",
        **common,
    )
    if services.settings.backup_dir is not None:
        scheduler.add_job(
            run_once,
            "cron",
            hour=NIGHTLY_AT.hour,
            minute=NIGHTLY_AT.minute,
            args=[services, "nightly_backup", nightly_backup, services, client],
            id="nightly_backup",
            misfire_grace_time=6 * 3600,
            **common,
        )
    every = services.settings.catch_up_every_minutes
    if every:
        scheduler.add_job(
            run_once,
            "interval",
            minutes=every,
            args=[services, "catch_up", catch_up_tick, services, client, inbox, catch_up_pace],
            id="catch_up",
            misfire_grace_time=every * 60,
            **common,
        )
    return scheduler
