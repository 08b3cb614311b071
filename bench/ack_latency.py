"""Ack latency: signed requests at concurrency 50 to the real bot, and to a bare Bolt app.

Four processes: the Slack double (``python -m bot.sandbox serve``, answering every Web API
call 50 ms late), the bot as people run it (``python -m bot run``, pointed at the double), a
bare Bolt app with no-op listeners served the same way (``python -m bench.bare_bolt``), and
for each round a load generator (``python -m bench.ack_load``). Each round sends the same mix,
officers' thread replies (``message`` events: for the bot, each is the answer to a question it
sent and not yet answered) and ``/agenda help`` commands, to one of the two apps; the rounds
alternate, bare, bot, bare, bot ..., so that whatever else the machine does hits both alike.
After each bot round the work behind its acks (answers recorded, confirmed in their threads,
clerk and member told; command replies posted) is waited for, so the next round starts idle.

The bot's resident memory is read from ``/proc/<pid>/status`` after its warm-up (idle) and
after all the rounds.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.fixtures import (
    CLERK,
    LONDON,
    MEMBER,
    SIGNING_SECRET,
    create_sent_question,
    officer_id,
    set_up_commission,
    shuffled_assignments,
)
from bench.processes import Served, bare_process, bot_process, pin, run_json
from bench.report import (
    Emit,
    count,
    duration,
    figure,
    megabytes,
    note,
    percentile,
    ratio,
    value_goal,
    verdict,
)
from bot.core.models import MessageRef
from bot.sandbox import GENERAL_CHANNEL_ID
from bot.sandbox.remote import RemoteDouble, ServeOptions, served_double
from storage.db import Database
from storage.repositories import Repositories

SLACK_ACK_LIMIT = 3.0
SLACK_LATENCY = 0.05
"""Seconds the double takes to answer each Web API call."""
RATIO_GOAL = 1.3
IDLE_GOAL = 80 * 1024 * 1024
TRAFFIC_GOAL = 100 * 1024 * 1024
OFFICERS = 50
WARM_UP = 20
BACKGROUND_TIMEOUT = 120.0
ANNOUNCED = "has been answered"


@dataclass(frozen=True)
class Sizes:
    requests: int
    concurrency: int
    rounds: int

    @property
    def events(self) -> int:
        return self.requests // 2


FULL = Sizes(requests=500, concurrency=50, rounds=4)
QUICK = Sizes(requests=150, concurrency=50, rounds=2)

Thread = tuple[str, str, str, str]
"""(officer, channel, thread ts, channel type) of a question sent."""


@dataclass(frozen=True)
class Latencies:
    """Sorted latencies of the requests answered 200, and how many were not."""

    seconds: tuple[float, ...]
    failures: int

    @classmethod
    def of(cls, seconds: Sequence[float], failures: int) -> Latencies:
        return cls(tuple(sorted(seconds)), failures)

    @property
    def p50(self) -> float:
        return percentile(self.seconds, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.seconds, 0.99)

    @property
    def max(self) -> float:
        return self.seconds[-1] if self.seconds else 0.0

    @property
    def over_limit(self) -> int:
        return sum(1 for s in self.seconds if s > SLACK_ACK_LIMIT)


@dataclass
class Side:
    """Every round's results for one app, pooled."""

    times: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    rounds: list[Latencies] = field(default_factory=list)

    def add(self, result: dict[str, Any]) -> None:
        every: list[float] = []
        for kind, seconds in result["times"].items():
            self.times.setdefault(kind, []).extend(seconds)
            every += seconds
        for kind, failed in result["failures"].items():
            self.failures[kind] = self.failures.get(kind, 0) + int(failed)
        self.rounds.append(Latencies.of(every, sum(result["failures"].values())))

    def kind(self, kind: str) -> Latencies:
        return Latencies.of(self.times.get(kind, []), self.failures.get(kind, 0))

    @property
    def all(self) -> Latencies:
        every = [s for seconds in self.times.values() for s in seconds]
        return Latencies.of(every, sum(self.failures.values()))


@dataclass
class Measured:
    bare: Side
    bot: Side
    drained: list[float | None]
    idle_memory: int
    bare_memory: int
    traffic_memory: int
    peak_memory: int
    requests_to_bot: int


# --- set-up ---------------------------------------------------------------------------------


async def prepare(database: Path, slack: RemoteDouble, questions: int) -> list[Thread]:
    """The commission and ``questions`` questions sent to its officers, each with its parent
    message in the officer's DM in the double; sent now and due in eight weeks, so that no
    reminder falls due while the bot is measured."""
    people = [[CLERK, "clerk", "Casey Clerk"], [MEMBER, "cllr.mirza", "Cllr Sam Mirza"]]
    officers = [[officer_id(n), f"officer{n}", f"Officer {n}"] for n in range(1, OFFICERS + 1)]
    await slack.call("add_users", users=people + officers)
    order = shuffled_assignments(questions, OFFICERS)
    parents = await slack.call(
        "seed_messages",
        messages=[
            {"channel": "@" + officer_id(o + 1), "user": slack.bot_user_id, "text": f"Q{n + 1}?"}
            for n, o in enumerate(order)
        ],
    )
    stored = parents["messages"]
    refs = iter(MessageRef(m["channel"], m["ts"]) for m in stored)
    now = datetime.now(LONDON)
    due = (now + timedelta(weeks=8)).date()
    db = await Database.open(database)
    try:
        repos = Repositories.on(db)
        commission = await set_up_commission(repos, OFFICERS)
        for n, officer in enumerate(order):
            await create_sent_question(
                repos,
                commission,
                officer + 1,
                lambda _question: next(refs),
                text=f"Question {n + 1}: how many care leavers live out of borough?",
                sent_at=now,
                due_date=due,
            )
    finally:
        await db.close()
    return [
        (officer_id(o + 1), m["channel"], m["ts"], m["channel_type"])
        for o, m in zip(order, stored, strict=True)
    ]


# --- rounds ---------------------------------------------------------------------------------


def load_spec(
    slack: RemoteDouble,
    app: Served,
    threads: Sequence[Thread],
    commands: int,
    concurrency: int,
    *,
    seed: bool,
    warm_up: int = 0,
) -> dict[str, object]:
    return {
        "target": app.events_url,
        "control": slack.url,
        "secret": SIGNING_SECRET,
        "identity": slack.identity,
        "threads": [list(t) for t in threads],
        "commands": commands,
        "concurrency": concurrency,
        "warm_up": warm_up,
        "seed": seed,
        "people": [CLERK, MEMBER],
        "general": GENERAL_CHANNEL_ID,
    }


async def background_done(
    slack: RemoteDouble, answers: int, replies: int, within: float
) -> float | None:
    """Wait until ``answers`` answers have been announced to the member and ``replies``
    command replies posted; the moment it was all done, or None if not ``within`` seconds."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        counts = await slack.call(
            "counts", calls=False, dm_user=MEMBER, contains={"answered": ANNOUNCED}
        )
        if counts["matching"]["answered"] >= answers and counts["responses"] >= replies:
            return time.perf_counter()
        await asyncio.sleep(0.05)
    return None


async def measure(sizes: Sizes) -> Measured:
    events = sizes.events
    commands = sizes.requests - events
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as folder:
        options = ServeOptions(latency=SLACK_LATENCY, signing_secret=SIGNING_SECRET)
        pin(0, "slack")  # this process only sets up and waits: Slack's side
        async with served_double(options) as slack:
            pin(slack.pid, "slack")
            database = Path(folder) / "scrutiny.db"
            started = time.perf_counter()
            threads = await prepare(database, slack, events * sizes.rounds)
            note(f"ack: {len(threads)} questions sent in {time.perf_counter() - started:.1f} s")
            async with bot_process(slack, database) as bot, bare_process(slack) as bare:
                for app in (bare, bot):
                    warm = load_spec(slack, app, [], 0, 1, seed=False, warm_up=WARM_UP)
                    await run_json("bench.ack_load", warm)
                replies = WARM_UP
                if await background_done(slack, 0, replies, BACKGROUND_TIMEOUT) is None:
                    raise RuntimeError("the bot did not answer its warm-up commands")
                idle, bare_idle = bot.memory(), bare.memory()
                sides = Measured(Side(), Side(), [], idle, bare_idle, 0, 0, WARM_UP)
                for number in range(sizes.rounds):
                    mine = threads[number * events : (number + 1) * events]
                    note(f"ack: round {number + 1} of {sizes.rounds}, bare Bolt then the bot")
                    spec = load_spec(slack, bare, mine, commands, sizes.concurrency, seed=False)
                    sides.bare.add(await run_json("bench.ack_load", spec))
                    spec = load_spec(slack, bot, mine, commands, sizes.concurrency, seed=True)
                    sides.bot.add(await run_json("bench.ack_load", spec))
                    acked = time.perf_counter()
                    replies += commands
                    sides.requests_to_bot += sizes.requests
                    answers = (number + 1) * events
                    done = await background_done(slack, answers, replies, BACKGROUND_TIMEOUT)
                    sides.drained.append(None if done is None else done - acked)
                sides.traffic_memory = bot.memory()
                sides.peak_memory = bot.memory("VmHWM")
    return sides


# --- figures --------------------------------------------------------------------------------


def latency_line(label: str, bot: Latencies, bare: Latencies, prefix: str = "") -> str:
    over = bot.over_limit + bot.failures
    ok = over == 0 and bare.p99 > 0 and bot.p99 <= bare.p99 * RATIO_GOAL
    return figure(
        label,
        f"{prefix}p50 {duration(bot.p50)} vs bare {duration(bare.p50)} {ratio(bot.p50, bare.p50)}"
        f"  p99 {duration(bot.p99)} vs bare {duration(bare.p99)} {ratio(bot.p99, bare.p99)}"
        f"  max {duration(bot.max)}  over 3 s or failed {over}"
        f"  goal p99 ≤ x{RATIO_GOAL:g}, none > 3 s  {verdict(ok)}",
    )


def lines(sizes: Sizes, m: Measured) -> list[str]:
    out = [
        latency_line(
            "ack latency",
            m.bot.all,
            m.bare.all,
            f"{count(sizes.requests)} requests x {sizes.rounds} rounds each, concurrency "
            f"{sizes.concurrency}, Slack API {SLACK_LATENCY * 1000:.0f} ms: ",
        )
    ]
    out += [latency_line(f"ack {k}", m.bot.kind(k), m.bare.kind(k)) for k in sorted(m.bot.times)]
    by_round = "  ".join(
        f"{duration(b.p99)}/{duration(a.p99)} {ratio(b.p99, a.p99)}"
        for b, a in zip(m.bot.rounds, m.bare.rounds, strict=True)
    )
    out.append(figure("ack rounds", f"p99 bot/bare in each round (bare first): {by_round}"))
    drained = [d for d in m.drained if d is not None]
    unfinished = len(m.drained) - len(drained)
    done = (
        f"done {duration(statistics.median(drained))} after the last ack (median of rounds;"
        f" slowest {duration(max(drained))})"
        if drained
        else "never"
    )
    if unfinished:
        done += f"  NOT FINISHED within {BACKGROUND_TIMEOUT:.0f} s in {unfinished} round(s)"
    out.append(
        figure(
            "ack background",
            f"each round's {sizes.events} answers recorded, confirmed in their threads and "
            f"announced, {sizes.requests - sizes.events} command replies posted: {done}",
        )
    )
    out.append(
        figure(
            "memory idle",
            f"the bot after start and {WARM_UP} commands "
            f"{value_goal(m.idle_memory, IDLE_GOAL, megabytes)}  (bare Bolt "
            f"{megabytes(m.bare_memory)})",
        )
    )
    out.append(
        figure(
            "memory traffic",
            f"the bot after {count(m.requests_to_bot)} mixed requests "
            f"{value_goal(m.traffic_memory, TRAFFIC_GOAL, megabytes)}  "
            f"(peak so far {megabytes(m.peak_memory)})",
        )
    )
    return out


def run(quick: bool, emit: Emit) -> None:
    sizes = QUICK if quick else FULL
    for line in lines(sizes, asyncio.run(measure(sizes))):
        emit(line)
