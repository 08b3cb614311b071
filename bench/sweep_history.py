"""Sweep cost against history: finding the due reminders with 1,000 and with 100,000 stored.

The same 1,000 questions are open (sent through the repositories, all due a reminder at the
sweep); the rest are closed questions of earlier meetings (published or withdrawn, with their
audit trail, answers and publications), written with ``executemany`` straight into the tables
to keep the set-up to seconds. Finding what is due (``inputs_for_sweep`` + ``plan_reminders``)
should cost the same with or without that history, as long as the query finds the open
questions through an index on their state (its EXPLAIN QUERY PLAN is printed). Two other reads
the clerk triggers every day, the Home tab's status and compiling the next meeting, are timed
the same way.

The 1,000 open questions are written once, then the database file is copied and the history
added to the copy; the two are timed in turn (small, large, small ...) so that a passing load
on a shared machine hits both alike.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.fixtures import (
    CLERK,
    CLERK_ACTOR,
    SIGNING_SECRET,
    SWEEP_AT,
    Commission,
    add_closed_history,
    create_sent_questions,
    paired_medians,
    set_up_commission,
)
from bench.report import Emit, count, duration, figure, note, ratio
from bot.compiling import compile_meeting
from bot.config import Settings
from bot.core.chasing import plan_reminders
from bot.core.clock import FixedClock
from bot.flows import status
from bot.services import Services
from storage.db import Database
from storage.reminders import SWEEP_INPUTS_SQL

GROWTH_LIMIT = 1.5
"""Above this ratio a figure is flagged as growing with history."""


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
    compile: Pair
    due: int


def services_on(db: Database) -> Services:
    settings = Settings(
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SIGNING_SECRET,
        database_path=db.path,
        clerk_user_ids=frozenset({CLERK}),
    )
    return Services(settings=settings, db=db, clock=FixedClock(SWEEP_AT))


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
    small: Services, large: Services, commission: Commission, repeats: int
) -> Timings:
    return Timings(
        sweep=await pair(due_count, small, large, repeats),
        home=await pair(clerk_status, small, large, repeats),
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


async def measure(sizes: Sizes) -> tuple[Timings, list[str]]:
    """Two databases with the same open questions, one with the history added; timed in turn."""
    with tempfile.TemporaryDirectory(prefix="bench-history-") as folder:
        small_path, large_path = Path(folder) / "open.db", Path(folder) / "history.db"
        commission = await with_open_questions(small_path, sizes)
        shutil.copyfile(small_path, large_path)
        small, large = await Database.open(small_path), await Database.open(large_path)
        try:
            history = sizes.stored - sizes.open_questions
            seconds = await add_closed_history(large, history, commission.officers)
            note(f"history: {history:,} closed questions written in {seconds:.1f} s")
            found = await timings(services_on(small), services_on(large), commission, sizes.repeats)
            return found, await query_plan(large)
        finally:
            await small.close()
            await large.close()


def verdict(times: Pair) -> str:
    return "OK" if times.large <= times.small * GROWTH_LIMIT else "GROWS WITH HISTORY"


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


def run(quick: bool, emit: Emit) -> None:
    sizes = QUICK if quick else FULL
    found, plan = asyncio.run(measure(sizes))
    due = f"find {count(found.due)} due reminders"
    emit(comparison("sweep planning", due, found.sweep, sizes))
    for line in plan_lines(plan):
        emit(line)
    emit(comparison("clerk home", "status of the next meeting", found.home, sizes))
    awaited = f"compile the next meeting ({count(sizes.open_questions)} awaited)"
    emit(comparison("compile history", awaited, found.compile, sizes))
