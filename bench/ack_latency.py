"""Ack latency: signed requests at concurrency 50 to the real bot, and to a bare Bolt app.

Both apps are served the same way (Bolt's aiohttp app on 127.0.0.1) and receive the same mix:
officers' thread replies (``message`` events: for the bot, each is the answer to a question it
sent) and ``/agenda help`` commands. Each request is signed as Slack signs it and sent by the
Slack double (``send_raw``), at most ``concurrency`` in flight; its latency is the time from
sending to the HTTP response, which is what Slack's 3-second ack limit measures. The load, the
double and the app share one event loop, so both sides pay the same overhead.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.fixtures import (
    CLERK,
    MEMBER,
    SENT_AT,
    SIGNING_SECRET,
    Commission,
    create_sent_question,
    double_thread,
    new_double,
    repositories,
    running_bot,
    set_up_commission,
    shuffled_assignments,
)
from bench.report import Emit, count, duration, figure, note, percentile, ratio
from bot.core.clock import FixedClock
from bot.core.models import MessageRef
from bot.runtime import Runtime
from bot.sandbox import GENERAL_CHANNEL_ID, SlackDouble
from bot.sandbox.harness import serving_http

SLACK_ACK_LIMIT = 3.0
OFFICERS = 50
WARM_UP = 20
BACKGROUND_TIMEOUT = 120.0
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Sizes:
    requests: int
    concurrency: int


FULL = Sizes(requests=500, concurrency=50)
QUICK = Sizes(requests=150, concurrency=50)


Threads = Sequence[tuple[str, MessageRef]]
"""(officer, thread) of each question sent."""


@dataclass(frozen=True)
class Request:
    kind: str
    body: bytes
    content_type: str


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


@dataclass(frozen=True)
class Run:
    """One load run: latencies over all requests and per kind, and when the last ack came."""

    all: Latencies
    by_kind: dict[str, Latencies]
    finished_at: float


# --- requests as Slack sends them -----------------------------------------------------------


def thread_reply_request(slack: SlackDouble, user: str, thread: MessageRef, n: int) -> Request:
    """A person's reply in a thread: stored in the double, then a ``message`` event for it."""
    reply = slack.seed_message(
        thread.channel, user, f"Answer {n}: 78 care leavers live out of borough.", thread.ts
    )
    event: dict[str, object] = {
        "type": "message",
        "user": user,
        "text": reply.text,
        "ts": reply.ts,
        "thread_ts": thread.ts,
        "parent_user_id": slack.bot_user_id,
        "team": slack.team_id,
        "client_msg_id": reply.client_msg_id,
        "channel": thread.channel,
        "event_ts": reply.ts,
        "channel_type": slack.channel(thread.channel).kind,
    }
    return Request("events", json.dumps(event_callback(slack, event, n)).encode(), JSON)


def event_callback(slack: SlackDouble, event: dict[str, object], n: int) -> dict[str, object]:
    identity = slack.identity
    return {
        "token": "bench-verification-token",
        "team_id": identity.team_id,
        "api_app_id": identity.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns():x}{n:06d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": identity.team_id,
                "user_id": identity.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def agenda_help_request(slack: SlackDouble, user: str) -> Request:
    """``/agenda help`` typed in #general, with a live response_url and trigger_id."""
    identity = slack.identity
    fields = {
        "token": "bench-verification-token",
        "team_id": identity.team_id,
        "team_domain": identity.team_domain,
        "channel_id": GENERAL_CHANNEL_ID,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/agenda",
        "text": "help",
        "api_app_id": identity.app_id,
        "is_enterprise_install": "false",
        "response_url": slack.new_response_url(user, GENERAL_CHANNEL_ID),
        "trigger_id": slack.new_trigger_id(user),
    }
    return Request("commands", urlencode(fields).encode(), FORM)


def request_mix(slack: SlackDouble, threads: Threads, total: int) -> list[Request]:
    """Events and commands alternating: one reply per thread, then ``/agenda help``."""
    events = [thread_reply_request(slack, user, ref, n) for n, (user, ref) in enumerate(threads)]
    people = (CLERK, MEMBER)
    commands = [agenda_help_request(slack, people[n % 2]) for n in range(total - len(events))]
    mixed: list[Request] = []
    for n in range(max(len(events), len(commands))):
        mixed += events[n : n + 1] + commands[n : n + 1]
    return mixed


# --- sending --------------------------------------------------------------------------------


async def fire(slack: SlackDouble, requests: Sequence[Request], concurrency: int) -> Run:
    """Send every request with at most ``concurrency`` in flight; time each to its response."""
    pending = iter(requests)
    times: dict[str, list[float]] = {}
    failures: dict[str, int] = {}

    async def worker() -> None:
        for request in pending:
            started = time.perf_counter()
            result = await slack.send_raw(request.body, request.content_type)
            elapsed = time.perf_counter() - started
            if result.status == 200:
                times.setdefault(request.kind, []).append(elapsed)
            else:
                failures[request.kind] = failures.get(request.kind, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    finished = time.perf_counter()
    kinds = sorted(set(times) | set(failures))
    by_kind = {k: Latencies.of(times.get(k, []), failures.get(k, 0)) for k in kinds}
    every = [s for k in kinds for s in times.get(k, [])]
    return Run(Latencies.of(every, sum(failures.values())), by_kind, finished)


async def warm_up(slack: SlackDouble) -> None:
    """First requests pay for auth.test and imports: keep them out of the figures."""
    for n in range(WARM_UP):
        request = agenda_help_request(slack, (CLERK, MEMBER)[n % 2])
        await slack.send_raw(request.body, request.content_type)


def bare_app(slack: SlackDouble) -> AsyncApp:
    """Bolt with no-op listeners: the floor for an app served this way on this machine."""
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    app = AsyncApp(client=client, signing_secret=SIGNING_SECRET)

    @app.event("message")
    async def message() -> None:
        return None

    @app.command("/agenda")
    async def agenda(ack: AsyncAck) -> None:
        await ack()

    return app


# --- the benchmark --------------------------------------------------------------------------


async def sent_threads(
    runtime: Runtime, slack: SlackDouble, commission: Commission, count: int
) -> list[tuple[str, MessageRef]]:
    """``count`` questions sent to the officers; (officer, thread) for each."""
    repos = repositories(runtime)
    threads = []
    for n, officer in enumerate(shuffled_assignments(count, len(commission.officers))):
        question = await create_sent_question(
            repos, commission, officer + 1, double_thread(slack), text=f"Question {n + 1}?"
        )
        assert question.thread is not None and question.assigned_officer is not None
        threads.append((question.assigned_officer, question.thread))
    return threads


def answers_announced(slack: SlackDouble) -> int:
    """The last step of recording an answer: the member is told in a DM."""
    return sum(1 for m in slack.dm_messages(MEMBER) if "has been answered" in m.text)


async def background_done(
    slack: SlackDouble, answers: int, replies: int, within: float
) -> float | None:
    """Wait for the work done after the acks (each answer recorded, acknowledged in its
    thread, the clerk and the member told; each command's reply posted to its response_url);
    the moment it was all done, or None if it was not ``within`` seconds."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if answers_announced(slack) >= answers and len(slack.responses) >= replies:
            return time.perf_counter()
        await asyncio.sleep(0.02)
    return None


async def bare_run(slack: SlackDouble, threads: Threads, sizes: Sizes) -> Run:
    async with serving_http(bare_app(slack), slack):
        await warm_up(slack)
        return await fire(slack, request_mix(slack, threads, sizes.requests), sizes.concurrency)


async def bot_run(
    slack: SlackDouble, runtime: Runtime, threads: Threads, sizes: Sizes
) -> tuple[Run, float | None]:
    """The load on the bot, and how long after the last ack its background work ended."""
    slack.connect_http(runtime.events_url)
    replies = len(slack.responses) + WARM_UP
    await warm_up(slack)
    await background_done(slack, 0, replies, within=BACKGROUND_TIMEOUT)
    load = request_mix(slack, threads, sizes.requests)
    real = await fire(slack, load, sizes.concurrency)
    replies += sum(1 for request in load if request.kind == "commands")
    done = await background_done(slack, len(threads), replies, within=BACKGROUND_TIMEOUT)
    return real, None if done is None else done - real.finished_at


async def measure(sizes: Sizes) -> tuple[Run, Run, float | None, int]:
    """Bare app run, real bot run, when the bot's background work ended, events sent."""
    events = sizes.requests // 2
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as folder:
        async with new_double(ack_timeout=30.0) as slack:
            clock = FixedClock(SENT_AT)
            async with running_bot(slack, Path(folder), clock) as runtime:
                commission = await set_up_commission(repositories(runtime), OFFICERS, slack)
                threads = await sent_threads(runtime, slack, commission, events)
                note(f"ack: {events} questions sent; bare Bolt app first, then the bot")
                bare = await bare_run(slack, threads, sizes)
                real, drained = await bot_run(slack, runtime, threads, sizes)
    return bare, real, drained, events


def verdict(latencies: Latencies) -> str:
    if latencies.failures:
        return f"FAILED {latencies.failures}"
    if latencies.over_limit:
        return f"OVER 3 s: {latencies.over_limit}"
    return "OK"


def latency_line(label: str, real: Latencies, bare: Latencies, prefix: str = "") -> str:
    return figure(
        label,
        f"{prefix}p50 {duration(real.p50)} vs bare {duration(bare.p50)} "
        f"{ratio(real.p50, bare.p50)}  p99 {duration(real.p99)} vs bare {duration(bare.p99)} "
        f"{ratio(real.p99, bare.p99)}  max {duration(real.max)}  {verdict(real)}",
    )


def run(quick: bool, emit: Emit) -> None:
    sizes = QUICK if quick else FULL
    bare, real, drained, events = asyncio.run(measure(sizes))
    total = len(real.all.seconds) + real.all.failures
    emit(
        latency_line(
            "ack latency",
            real.all,
            bare.all,
            f"{count(total)} requests at concurrency {sizes.concurrency}: ",
        )
    )
    for kind, latencies in real.by_kind.items():
        emit(latency_line(f"ack {kind}", latencies, bare.by_kind.get(kind, latencies)))
    if drained is None:
        done = f"NOT FINISHED {BACKGROUND_TIMEOUT:.0f} s after the last ack"
    else:
        done = f"all done {duration(drained)} after the last ack"
    emit(
        figure(
            "ack background",
            f"{events} answers recorded, acknowledged in their threads and announced, "
            f"{total - events} command replies posted: {done}",
        )
    )
