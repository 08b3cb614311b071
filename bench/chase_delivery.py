"""Chase delivery: one sweep over many outstanding questions, at Slack's pace and latency.

The questions are sent on Monday (through the repositories, with their parent message in the
officer's DM in the double) and the sweep runs on Thursday morning, when every one is due its
"2 working days before" reminder: each officer gets one digest in their DM and one nudge in
each question's thread, which is in that same DM. The Slack double runs in its own process
(``python -m bot.sandbox serve``): it answers every Web API call 100 ms late and 429 +
``Retry-After`` to more than one message a second in a channel (burst 1), as Slack does. The
sweep is the bot's (``bot.chasing.sweep``, with the running bot's Web API client: one
connection pool, its retry handlers), in this process, which does nothing else meanwhile.
The figure is the sweep's wall time against the least time those limits allow: the busiest
channel's messages, one a second, plus one call's latency.

Each officer gets an equal share of the questions, in a random (seeded) order, as questions
from several meetings arrive. A full run repeats the sweep with Slack's per-method tiers on
as well (``conversations.open`` is Tier 3, about 50 a minute), which a bot meets on the first
sweep after it starts. The bot keeps each officer's DM channel when it sends them a question
(as here), so that sweep needs no ``conversations.open`` for them.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.fixtures import (
    CLERK,
    MEMBER,
    SIGNING_SECRET,
    SWEEP_AT,
    create_sent_questions,
    officer_id,
    set_up_commission,
    shuffled_assignments,
)
from bench.processes import pin
from bench.report import Emit, count, duration, figure, note, ratio, ratio_goal
from bot.app import create_web_client
from bot.chasing import SLACK_PACE, sweep
from bot.config import Settings
from bot.core.chasing import ReminderDue, group_digests, plan_reminders, thread_nudges
from bot.core.clock import FixedClock
from bot.core.models import MessageRef
from bot.runtime import WEB_API_TIMEOUT
from bot.sandbox.remote import RemoteDouble, ServeOptions, served_double
from bot.services import Services
from storage.db import Database

RATE = 1.0
"""Messages a second per channel the double allows (Slack: about one)."""
BURST = 1
LATENCY = 0.1
"""Seconds the double takes to answer each Web API call."""
RATIO_GOAL = 1.1
DIGEST_MARK = ":alarm_clock:"
NUDGE_MARK = "Reminder:"


@dataclass(frozen=True)
class Sizes:
    questions: int
    officers: int
    timeout: float


FULL = Sizes(questions=1_000, officers=100, timeout=600.0)
QUICK = Sizes(questions=40, officers=20, timeout=120.0)


@dataclass(frozen=True)
class Plan:
    """What the sweep should send: digests, nudges, and messages per channel."""

    due: list[ReminderDue]
    digests: int
    nudges: int
    per_channel: Counter[str]

    @property
    def minimum_seconds(self) -> float:
        """The busiest channel's messages at ``RATE`` a second, after the first ``BURST``,
        and the last one's answer."""
        busiest = max(self.per_channel.values(), default=0)
        return max(0.0, (busiest - BURST) / RATE) + LATENCY


@dataclass(frozen=True)
class Outcome:
    seconds: float | None
    sent: int
    rate_limited: int
    reminders: Counter[str]
    digests: int
    nudges: int


def settings_for(slack: RemoteDouble, database: Path) -> Settings:
    return Settings(
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_path=str(database),
        clerk_user_ids=frozenset({CLERK}),
    )


async def plan(services: Services, slack: RemoteDouble) -> Plan:
    """The reminders due, planned as the sweep plans them (nothing is claimed)."""
    calendar = await services.repos.closure_days.calendar()
    items = await services.repos.reminders.inputs_for_sweep()
    due = plan_reminders(items, SWEEP_AT, calendar, services.settings.chase)
    digests = group_digests(due)
    users = [
        user
        for digest in digests
        for user in ([digest.user] if digest.user else sorted(services.settings.clerk_user_ids))
    ]
    channels = (await slack.call("dm_channels", users=users))["channels"]
    per_channel: Counter[str] = Counter(channels)
    nudges = thread_nudges(due)
    per_channel.update(nudge.thread.channel for nudge in nudges)
    return Plan(due, len(digests), len(nudges), per_channel)


async def timed_sweep(
    services: Services, slack: RemoteDouble, pace: float, limit: float
) -> Outcome:
    """The sweep as the running bot's scheduler makes it: one pooled client."""
    seconds: float | None = None
    timeout = aiohttp.ClientTimeout(total=WEB_API_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = create_web_client(services.settings, session)
        started = time.perf_counter()
        try:
            await asyncio.wait_for(sweep(services, client, SWEEP_AT, pace=pace), limit)
            seconds = time.perf_counter() - started
        except TimeoutError:
            note(f"chase: the sweep did not finish within {limit:.0f} s")
    counts = await slack.call("counts", startswith={"digests": DIGEST_MARK, "nudges": NUDGE_MARK})
    posts = counts["calls"].get("chat.postMessage", {})
    return Outcome(
        seconds=seconds,
        sent=int(posts.get("ok", 0)),
        rate_limited=sum(int(by.get("429", 0)) for by in counts["calls"].values()),
        reminders=await reminder_statuses(services.db),
        digests=int(counts["matching"]["digests"]),
        nudges=int(counts["matching"]["nudges"]),
    )


async def reminder_statuses(db: Database) -> Counter[str]:
    rows = await db.fetchall("SELECT status, COUNT(*) AS n FROM reminders GROUP BY status")
    return Counter({str(row["status"]): int(row["n"]) for row in rows})


async def threads_in_double(
    slack: RemoteDouble, officers: int, order: list[int]
) -> list[MessageRef]:
    """Each question's parent message, stored in its officer's DM in the double."""
    people = [[officer_id(n), f"officer{n}", f"Officer {n}"] for n in range(1, officers + 1)]
    await slack.call("add_users", users=[[CLERK, "clerk", "Casey Clerk"], *people])
    stored = await slack.call(
        "seed_messages",
        messages=[
            {"channel": "@" + officer_id(o + 1), "user": slack.bot_user_id, "text": f"Q{n + 1}"}
            for n, o in enumerate(order)
        ],
    )
    return [MessageRef(m["channel"], m["ts"]) for m in stored["messages"]]


async def measure(sizes: Sizes, pace: float, tiers: bool) -> tuple[Plan, Outcome]:
    options = ServeOptions(
        latency=LATENCY,
        channel_rate=RATE,
        channel_burst=BURST,
        tiers=1.0 if tiers else None,
        signing_secret=SIGNING_SECRET,
        users=((MEMBER, "cllr.mirza", "Cllr Sam Mirza"),),
    )
    with tempfile.TemporaryDirectory(prefix="bench-chase-") as folder:
        pin(0, "app")  # the sweep runs here, as in the bot
        async with served_double(options) as slack:
            pin(slack.pid, "slack")
            database = Path(folder) / "scrutiny.db"
            db = await Database.open(database)
            try:
                services = Services(
                    settings=settings_for(slack, database), db=db, clock=FixedClock(SWEEP_AT)
                )
                commission = await set_up_commission(services.repos, sizes.officers)
                order = shuffled_assignments(sizes.questions, sizes.officers)
                threads = await threads_in_double(slack, sizes.officers, order)
                refs = iter(threads)
                await create_sent_questions(
                    services.repos,
                    commission,
                    sizes.questions,
                    lambda _question: next(refs),
                    assignments=order,
                )
                # The bot keeps each officer's DM channel when it sends them a question.
                await services.repos.people.remember_dm_channels(
                    {officer_id(o + 1): ref.channel for ref, o in zip(threads, order, strict=True)},
                    SWEEP_AT,
                )
                planned = await plan(services, slack)
                note(
                    f"chase: {sizes.questions} questions sent to {sizes.officers} officers; "
                    f"sweeping with pace {pace} s (at least {planned.minimum_seconds:.0f} s)"
                    + (", Slack's tiers on" if tiers else "")
                )
                outcome = await timed_sweep(services, slack, pace, sizes.timeout)
            finally:
                await db.close()
    return planned, outcome


def lost(planned: Plan, outcome: Outcome) -> int:
    """Reminders neither marked sent nor failed (failed ones go again at the next sweep)."""
    settled = outcome.reminders["sent"] + outcome.reminders["failed"]
    return max(0, len(planned.due) - settled)


def problems(planned: Plan, outcome: Outcome) -> int:
    """Reminders lost, and digests or nudges that never arrived."""
    missing = max(0, planned.digests - outcome.digests) + max(0, planned.nudges - outcome.nudges)
    return lost(planned, outcome) + missing


def delivery_text(planned: Plan, outcome: Outcome) -> str:
    minimum = planned.minimum_seconds
    if outcome.seconds is None:
        return "NOT FINISHED within the time limit  MISSED"
    seconds = outcome.seconds
    ratio_ok = seconds <= minimum * RATIO_GOAL
    verdict = "OK" if ratio_ok and problems(planned, outcome) == 0 else "MISSED"
    text = ratio_goal(seconds, minimum, RATIO_GOAL).rsplit("  ", 1)[0]
    return f"in {duration(seconds)} vs minimum {duration(minimum)} {text}, 0 lost  {verdict}"


def delivery_line(planned: Plan, outcome: Outcome, pace: float) -> str:
    messages = planned.digests + planned.nudges
    channels = len(planned.per_channel)
    return figure(
        "chase delivery",
        f"{count(messages)} messages ({planned.digests} digests, {count(planned.nudges)} nudges)"
        f" to {channels} channels, Slack at {RATE:g}/s/channel + {LATENCY * 1000:.0f} ms a "
        f"call, pace {pace:g} s: {delivery_text(planned, outcome)}",
    )


def outcome_line(label: str, planned: Plan, outcome: Outcome) -> str:
    missing_digests = max(0, planned.digests - outcome.digests)
    missing_nudges = max(0, planned.nudges - outcome.nudges)
    failed = outcome.reminders["failed"]
    return figure(
        label,
        f"sent {count(outcome.sent)}  429s {outcome.rate_limited}  "
        f"reminders sent {count(outcome.reminders['sent'])}/{count(len(planned.due))} "
        f"(failed, due again: {failed})  lost {lost(planned, outcome)}  "
        f"digests missing {missing_digests}  nudges missing {missing_nudges}  "
        + ("OK" if problems(planned, outcome) == 0 else "LOST MESSAGES"),
    )


def tiers_line(planned: Plan, outcome: Outcome) -> str:
    minimum = planned.minimum_seconds
    took = "NOT FINISHED" if outcome.seconds is None else duration(outcome.seconds)
    shown = "" if outcome.seconds is None else " " + ratio(outcome.seconds, minimum)
    return figure(
        "chase tiers",
        f"the same with Slack's per-method tiers on too: in {took} vs minimum "
        f"{duration(minimum)}{shown}  429s {outcome.rate_limited}  digests sent "
        f"{outcome.digests}/{planned.digests}  reminders sent "
        f"{count(outcome.reminders['sent'])}/{count(len(planned.due))} (failed, due again: "
        f"{outcome.reminders['failed']})  lost {lost(planned, outcome)}  (no goal)",
    )


def run(quick: bool, emit: Emit, pace: float = SLACK_PACE) -> None:
    """The sweep under per-channel pacing and latency; in a full run, also with the tiers."""
    sizes = QUICK if quick else FULL
    planned, outcome = asyncio.run(measure(sizes, pace, tiers=False))
    emit(delivery_line(planned, outcome, pace))
    emit(outcome_line("chase outcome", planned, outcome))
    if not quick:
        emit(tiers_line(*asyncio.run(measure(sizes, pace, tiers=True))))
