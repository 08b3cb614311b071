"""Sweep cost against history: finding the due reminders with 1,000 and with 100,000 stored.

The same 1,000 questions are open (sent through the repositories, all due a reminder at the
sweep); the rest are closed questions of earlier meetings (published or withdrawn, with their
audit trail, answers and publications), written with ``executemany`` straight into the tables
to keep the set-up to seconds. Finding what is due (``inputs_for_sweep`` + ``plan_reminders``)
should cost the same with or without that history, as long as the query finds the open
questions through an index on their state (its EXPLAIN QUERY PLAN is printed). Two other reads
the clerk triggers every day, the Home tab's status and compiling the next meeting, are timed
the same way.

Status is timed four ways, each against the same read with 1,000 stored: ``/agenda status``
and the clerk's Home tab, with an upcoming meeting (the clock on the Thursday of the sweep)
and without one (the clock after the last meeting, as between the last meeting of a year and
the first of the next). Then the bot is started on the large database as people start it
(``python -m bot run``, in its own process, against the Slack double in another; the real
clock, so there is no upcoming meeting), the clerk types ``/agenda status``, and the bot's
peak resident memory (VmHWM) is read from ``/proc``.

The 1,000 open questions are written once, then the database file is copied and the history
added to the copy; the two are timed in turn (small, large, small ...) so that a passing load
on a shared machine hits both alike.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bench.fixtures import (
    CLERK,
    CLERK_ACTOR,
    LONDON,
    SIGNING_SECRET,
    SWEEP_AT,
    Commission,
    add_closed_history,
    create_sent_questions,
    paired_medians,
    set_up_commission,
)
from bench.processes import bot_process, pin, run_json
from bench.report import Emit, count, duration, figure, megabytes, note, ratio, value_goal
from bot.compiling import compile_meeting
from bot.config import Settings
from bot.core.chasing import plan_reminders
from bot.core.clock import FixedClock
from bot.flows import status
from bot.sandbox import GENERAL_CHANNEL_ID
from bot.sandbox.remote import ServeOptions, served_double
from bot.services import Services
from handlers.home import home_view, status_command
from storage.db import Database
from storage.reminders import SWEEP_INPUTS_SQL

GROWTH_LIMIT = 1.5
"""Above this ratio a figure is flagged as growing with history."""
AFTER_LAST_MEETING = datetime(2026, 6, 1, 10, 0, tzinfo=LONDON)
"""A clock with no upcoming meeting (the bench's last meeting is on 11 May 2026)."""
WORKSPACE_URL = "https://sandbox.slack.com/"
PEAK_GOAL = 150 * 1024 * 1024
STATUS_TIMEOUT = 120.0


@dataclass(frozen=True)
class Sizes:
    open_questions: int
    stored: int
    officers: int
    repeats: int


FULL = Sizes(open_questions=1_000, stored=100_000, officers=100, repeats=7)
QUICK = Sizes(open_questions=300, stored=10_000, officers=100, repeats=5)


@dataclass(frozen=True)
class Pair:
    """Median seconds with the open questions alone, and among all the history."""

    small: float
    large: float


@dataclass(frozen=True)
class Timings:
    sweep: Pair
    home: Pair
    status_next: Pair
    status_none: Pair
    clerk_home_next: Pair
    clerk_home_none: Pair
    compile: Pair
    due: int


@dataclass(frozen=True)
class Peak:
    """The bot's memory on the large database: after start, and its peak after a status."""

    started: int
    peak: int
    status_seconds: float | None


def services_on(db: Database, at: datetime = SWEEP_AT) -> Services:
    settings = Settings(
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SIGNING_SECRET,
        database_path=db.path,
        clerk_user_ids=frozenset({CLERK}),
    )
    services = Services(settings=settings, db=db, clock=FixedClock(at))
    services.workspace_url = WORKSPACE_URL  # what auth.test told a running bot, once
    return services


UNUSED_CLIENT = AsyncWebClient(token="xoxb-bench", base_url="http://127.0.0.1:9/api/")
"""Status and Home need a client only for the workspace URL, which is already known."""


async def agenda_status(services: Services) -> object:
    """What ``/agenda status`` reads and builds."""
    return await status_command(services, UNUSED_CLIENT, None)


async def clerk_home(services: Services) -> object:
    """The clerk's whole Home tab."""
    return await home_view(services, UNUSED_CLIENT, CLERK)


async def due_count(services: Services) -> int:
    """What a sweep does before sending: read the open questions, plan their reminders."""
    repos = services.repos
    calendar = await repos.closure_days.calendar()
    items = await repos.reminders.inputs_for_sweep()
    return len(plan_reminders(items, SWEEP_AT, calendar, services.settings.chase))


async def clerk_status(services: Services) -> object:
    """What the clerk's Home tab reads: the next meeting's report."""
    return await status.meeting_report(services, await status.next_meeting(services))


async def compile_next(services: Services, commission: Commission) -> object:
    return await compile_meeting(services.repos, commission.target, CLERK_ACTOR)


async def pair(
    probe: Callable[[Services], Awaitable[object]], small: Services, large: Services, repeats: int
) -> Pair:
    return Pair(*await paired_medians(lambda: probe(small), lambda: probe(large), repeats))


async def timings(
    small_db: Database, large_db: Database, commission: Commission, repeats: int
) -> Timings:
    small, large = services_on(small_db), services_on(large_db)
    small_after = services_on(small_db, AFTER_LAST_MEETING)
    large_after = services_on(large_db, AFTER_LAST_MEETING)
    for services in (small, large):
        await services.seed()  # the clerk from the settings, as the running bot does
        if not (await services.actor(CLERK)).is_clerk:
            raise RuntimeError("the clerk is not a clerk: the Home timings would be a member's")
    turns = repeats * 2 + 1  # reads of a few milliseconds: more turns against the noise
    return Timings(
        sweep=await pair(due_count, small, large, repeats),
        home=await pair(clerk_status, small, large, repeats),
        status_next=await pair(agenda_status, small, large, turns),
        status_none=await pair(agenda_status, small_after, large_after, turns),
        clerk_home_next=await pair(clerk_home, small, large, turns),
        clerk_home_none=await pair(clerk_home, small_after, large_after, turns),
        compile=await pair(
            lambda services: compile_next(services, commission), small, large, repeats // 2
        ),
        due=await due_count(large),
    )


async def query_plan(db: Database) -> list[str]:
    rows = await db.fetchall("EXPLAIN QUERY PLAN " + SWEEP_INPUTS_SQL)
    return [str(row["detail"]) for row in rows]


async def with_open_questions(path: Path, sizes: Sizes) -> Commission:
    """A database holding only the open questions (closed again, so it can be copied)."""
    db = await Database.open(path)
    try:
        repos = services_on(db).repos
        commission = await set_up_commission(repos, sizes.officers)
        await create_sent_questions(repos, commission, sizes.open_questions)
        return commission
    finally:
        await db.close()


async def status_peak(database: Path) -> Peak:
    """``python -m bot run`` on ``database``; the clerk types ``/agenda status``."""
    pin(0, "slack")  # this process only sends the command and waits
    async with served_double(ServeOptions(signing_secret=SIGNING_SECRET)) as slack:
        pin(slack.pid, "slack")
        await slack.call("add_users", users=[[CLERK, "clerk", "Casey Clerk"]])
        async with bot_process(slack, database) as bot:
            started = bot.memory()
            spec = {
                "target": bot.events_url,
                "control": slack.url,
                "secret": SIGNING_SECRET,
                "identity": slack.identity,
                "threads": [],
                "commands": 1,
                "concurrency": 1,
                "warm_up": 0,
                "seed": False,
                "people": [CLERK],
                "general": GENERAL_CHANNEL_ID,
                "command_text": "status",
            }
            sent = time.perf_counter()
            await run_json("bench.ack_load", spec)
            answered: float | None = None
            while time.perf_counter() - sent < STATUS_TIMEOUT:
                counts = await slack.call("counts", calls=False)
                if counts["responses"] >= 1:
                    answered = time.perf_counter() - sent
                    break
                await asyncio.sleep(0.05)
            return Peak(started, bot.memory("VmHWM"), answered)


async def measure(sizes: Sizes) -> tuple[Timings, list[str], Peak]:
    """Two databases with the same open questions, one with the history added; timed in
    turn; then the bot's memory on the large one."""
    pin(0, "app")  # the reads are timed here, as in the bot
    with tempfile.TemporaryDirectory(prefix="bench-history-") as folder:
        small_path, large_path = Path(folder) / "open.db", Path(folder) / "history.db"
        commission = await with_open_questions(small_path, sizes)
        shutil.copyfile(small_path, large_path)
        small, large = await Database.open(small_path), await Database.open(large_path)
        try:
            history = sizes.stored - sizes.open_questions
            seconds = await add_closed_history(large, history, commission.officers)
            note(f"history: {history:,} closed questions written in {seconds:.1f} s")
            found = await timings(small, large, commission, sizes.repeats)
            plan = await query_plan(large)
        finally:
            await small.close()
            await large.close()
        note("history: the bot started on the large database, the clerk asks for status")
        return found, plan, await status_peak(large_path)


def verdict(times: Pair) -> str:
    ok = times.large <= times.small * GROWTH_LIMIT
    return f"goal ≤ x{GROWTH_LIMIT:g}  " + ("OK" if ok else "MISSED")


def comparison(label: str, what: str, times: Pair, sizes: Sizes) -> str:
    return figure(
        label,
        f"{what} with {count(sizes.open_questions)} stored {duration(times.small)} vs "
        f"{count(sizes.stored)} stored {duration(times.large)} {ratio(times.large, times.small)}"
        f"  {verdict(times)}",
    )


def plan_lines(details: list[str]) -> list[str]:
    """The plan's table accesses (SEARCH/SCAN), each saying which index it uses."""
    lines = []
    for detail in details:
        if not detail.startswith(("SEARCH", "SCAN")):
            continue
        flag = ""
        if detail.startswith(("SEARCH q ", "SCAN q ")):
            indexed = "USING INDEX" in detail or "USING COVERING INDEX" in detail
            flag = "  <- the open questions, by index" if indexed else "  <- FULL SCAN"
        lines.append(figure("sweep query plan", detail + flag))
    return lines


def peak_line(peak: Peak, sizes: Sizes) -> str:
    answered = (
        f"answered in {duration(peak.status_seconds)}"
        if peak.status_seconds is not None
        else f"NOT ANSWERED within {STATUS_TIMEOUT:.0f} s"
    )
    return figure(
        "memory status",
        f"the bot's peak with {count(sizes.stored)} stored after /agenda status with no "
        f"upcoming meeting ({answered}) {value_goal(peak.peak, PEAK_GOAL, megabytes)}  "
        f"(after start {megabytes(peak.started)})",
    )


def run(quick: bool, emit: Emit) -> None:
    sizes = QUICK if quick else FULL
    found, plan, peak = asyncio.run(measure(sizes))
    due = f"find {count(found.due)} due reminders"
    emit(comparison("sweep planning", due, found.sweep, sizes))
    for line in plan_lines(plan):
        emit(line)
    emit(comparison("clerk home", "status of the next meeting", found.home, sizes))
    emit(comparison("status", "/agenda status, next meeting", found.status_next, sizes))
    emit(comparison("status", "/agenda status, no upcoming meeting", found.status_none, sizes))
    emit(comparison("clerk home", "whole Home tab, next meeting", found.clerk_home_next, sizes))
    emit(
        comparison(
            "clerk home", "whole Home tab, no upcoming meeting", found.clerk_home_none, sizes
        )
    )
    awaited = f"compile the next meeting ({count(sizes.open_questions)} awaited)"
    emit(comparison("compile history", awaited, found.compile, sizes))
    emit(peak_line(peak, sizes))
