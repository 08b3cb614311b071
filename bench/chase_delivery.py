"""Chase delivery: one sweep over many outstanding questions, with Slack's per-channel limit.

The questions are sent on Monday (through the repositories, with their parent message in the
officer's DM in the double) and the sweep runs on Thursday morning, when every one is due its
"2 working days before" reminder: each officer gets one digest in their DM and one nudge in
each question's thread, which is in that same DM. The double answers 429 + ``Retry-After``
to more than ``rate`` messages a second in a channel (burst 1), as Slack does; the bot's real
Web API client (with its retry handlers) sends. The figure is the sweep's wall time against
the least time those limits allow: the busiest channel's messages, one a second.

Each officer gets an equal share of the questions, in a random (seeded) order, as questions
from several meetings arrive. A full run repeats the sweep with the questions alternating
between officers (question i to officer i mod N), the order in which a one-message-at-a-time
sweep loses least to the per-channel pacing.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.fixtures import (
    SENT_AT,
    SWEEP_AT,
    alternating_assignments,
    create_sent_questions,
    double_thread,
    new_double,
    repositories,
    running_bot,
    set_up_commission,
    shuffled_assignments,
)
from bench.report import Emit, count, duration, figure, note, ratio
from bot.chasing import SLACK_PACE, sweep
from bot.core.chasing import ReminderDue, group_digests, plan_reminders, thread_nudges
from bot.core.clock import FixedClock
from bot.runtime import Runtime
from bot.sandbox import SlackDouble

RATE = 1.0
"""Messages a second per channel the double allows (Slack: about one)."""
BURST = 1
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
        """The busiest channel's messages at ``RATE`` a second, after the first ``BURST``."""
        busiest = max(self.per_channel.values(), default=0)
        return max(0.0, (busiest - BURST) / RATE)


@dataclass(frozen=True)
class Outcome:
    seconds: float | None
    sent: int
    rate_limited: int
    reminders: Counter[str]
    digests: int
    nudges: int


async def plan(runtime: Runtime, slack: SlackDouble) -> Plan:
    """The reminders due, planned as the sweep plans them (nothing is claimed)."""
    services = runtime.services
    assert services is not None
    calendar = await services.repos.closure_days.calendar()
    items = await services.repos.reminders.inputs_for_sweep()
    due = plan_reminders(items, SWEEP_AT, calendar, services.settings.chase)
    per_channel: Counter[str] = Counter()
    digests = group_digests(due)
    for digest in digests:
        users = [digest.user] if digest.user else sorted(services.settings.clerk_user_ids)
        per_channel.update(slack.dm_channel_for(user) for user in users)
    nudges = thread_nudges(due)
    per_channel.update(nudge.thread.channel for nudge in nudges)
    return Plan(due, len(digests), len(nudges), per_channel)


async def timed_sweep(runtime: Runtime, slack: SlackDouble, pace: float, limit: float) -> Outcome:
    assert runtime.services is not None and runtime.app is not None
    calls_before = len(slack.calls)
    started = time.perf_counter()
    seconds: float | None = None
    try:
        await asyncio.wait_for(
            sweep(runtime.services, runtime.app.client, SWEEP_AT, pace=pace), limit
        )
        seconds = time.perf_counter() - started
    except TimeoutError:
        note(f"chase: the sweep did not finish within {limit:.0f} s")
    posts = [c for c in slack.calls[calls_before:] if c.method == "chat.postMessage"]
    bot_messages = slack.bot_messages()
    return Outcome(
        seconds=seconds,
        sent=sum(1 for c in posts if c.ok),
        rate_limited=sum(1 for c in posts if c.status == 429),
        reminders=await reminder_statuses(runtime),
        digests=sum(1 for m in bot_messages if m.text.startswith(DIGEST_MARK)),
        nudges=sum(1 for m in bot_messages if m.text.startswith(NUDGE_MARK)),
    )


async def reminder_statuses(runtime: Runtime) -> Counter[str]:
    assert runtime.services is not None
    rows = await runtime.services.db.fetchall(
        "SELECT status, COUNT(*) AS n FROM reminders GROUP BY status"
    )
    return Counter({str(row["status"]): int(row["n"]) for row in rows})


async def measure(sizes: Sizes, pace: float, alternating: bool) -> tuple[Plan, Outcome]:
    with tempfile.TemporaryDirectory(prefix="bench-chase-") as folder:
        async with new_double() as slack:
            clock = FixedClock(SENT_AT)
            async with running_bot(slack, Path(folder), clock) as runtime:
                repos = repositories(runtime)
                commission = await set_up_commission(repos, sizes.officers, slack)
                order = (alternating_assignments if alternating else shuffled_assignments)(
                    sizes.questions, sizes.officers
                )
                await create_sent_questions(
                    repos, commission, sizes.questions, double_thread(slack), assignments=order
                )
                clock.set(SWEEP_AT)
                planned = await plan(runtime, slack)
                note(
                    f"chase: {sizes.questions} questions sent to {sizes.officers} officers "
                    f"({'alternating' if alternating else 'random order'}); "
                    f"sweeping with pace {pace} s (at least {planned.minimum_seconds:.0f} s)"
                )
                slack.rate_limit_per_channel(RATE, BURST)
                outcome = await timed_sweep(runtime, slack, pace, sizes.timeout)
    return planned, outcome


def lost(planned: Plan, outcome: Outcome) -> int:
    """Reminders neither marked sent nor failed (failed ones go again at the next sweep)."""
    settled = outcome.reminders["sent"] + outcome.reminders["failed"]
    return max(0, len(planned.due) - settled)


def delivery_text(planned: Plan, outcome: Outcome) -> str:
    minimum = planned.minimum_seconds
    if outcome.seconds is None:
        return "NOT FINISHED within the time limit"
    return f"in {duration(outcome.seconds)} vs minimum {duration(minimum)} " + ratio(
        outcome.seconds, minimum
    )


def delivery_line(planned: Plan, outcome: Outcome, pace: float) -> str:
    messages = planned.digests + planned.nudges
    channels = len(planned.per_channel)
    return figure(
        "chase delivery",
        f"{count(messages)} messages ({planned.digests} digests, {count(planned.nudges)} nudges)"
        f" to {channels} channels at {RATE:g}/s/channel {delivery_text(planned, outcome)}  "
        f"pace {pace:g} s, questions in random order",
    )


def best_order_line(planned: Plan, outcome: Outcome) -> str:
    lost_any = lost(planned, outcome) + max(0, planned.nudges - outcome.nudges)
    return figure(
        "chase best order",
        f"the same with question i sent to officer i mod {len(planned.per_channel)} "
        f"(channels alternate): {delivery_text(planned, outcome)}  "
        f"429s {outcome.rate_limited}  " + ("OK" if lost_any == 0 else "LOST MESSAGES"),
    )


def outcome_line(planned: Plan, outcome: Outcome) -> str:
    missing_digests = max(0, planned.digests - outcome.digests)
    missing_nudges = max(0, planned.nudges - outcome.nudges)
    lost_reminders = lost(planned, outcome)
    failed = outcome.reminders["failed"]
    problems = lost_reminders + missing_digests + missing_nudges
    return figure(
        "chase outcome",
        f"sent {count(outcome.sent)}  429s {outcome.rate_limited}  "
        f"reminders sent {count(outcome.reminders['sent'])}/{count(len(planned.due))} "
        f"(failed, due again: {failed})  lost {lost_reminders}  "
        f"digests missing {missing_digests}  nudges missing {missing_nudges}  "
        + ("OK" if problems == 0 else "LOST MESSAGES"),
    )


def run(quick: bool, emit: Emit, pace: float = SLACK_PACE) -> None:
    """The sweep over questions in random order; in a full run, also in the best order."""
    sizes = QUICK if quick else FULL
    planned, outcome = asyncio.run(measure(sizes, pace, alternating=False))
    emit(delivery_line(planned, outcome, pace))
    emit(outcome_line(planned, outcome))
    if not quick:
        emit(best_order_line(*asyncio.run(measure(sizes, pace, alternating=True))))
