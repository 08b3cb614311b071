"""Several ``python -m bot run`` processes (replicas) on one PostgreSQL database, driven by
the Slack double with signed requests: each reply recorded once whichever replica Slack sends
it to (and when it sends it to both), a pending reply left to the replica recording it, and
each reminder sent once when two sweeps run at the same moment.

The replicas keep the real clock (``run`` has no other), so everything here is placed
relative to today, and the chase that depends on the calendar runs as ``python -m bot chase
--now`` at the question's due date, twice at once, while both replicas run. Their own timers
stay quiet: the ladder is only ``due`` (weeks away) and the scheduled catch-up is off.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from bot.core.calendar import WorkingCalendar
from bot.core.models import Question
from bot.sandbox import SlackDouble
from storage.repositories import Repositories
from storage.store import open_store
from tests.conftest import CLERK, DCSC_OFFICER, MEMBER, SIGNING_SECRET
from tests.handlers.support import submit_question
from tests.paths import ROOT
from tests.test_cli_run import free_port

T = TypeVar("T")

RUNNING = "scrutiny questions bot running"
"""What ``run`` logs once started: after it has taken up the replies left pending."""


def settings_env(slack: SlackDouble, database_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "CLERK_USER_IDS": CLERK,
        "TRIAGE_REQUIRED": "false",
        "CHASE_LADDER": "due",
        "CATCH_UP_EVERY_MINUTES": "0",
    }


class Replica:
    """``python -m bot run`` in HTTP mode on a port of its own, logging to a file."""

    def __init__(self, slack: SlackDouble, database_url: str, log: Path) -> None:
        self.env = {**settings_env(slack, database_url), "PORT": str(free_port())}
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.env['PORT']}/slack/events"

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--env-file",
                os.devnull,
                "run",
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        await until(self.started, lambda up: up, f"{self.log.name} to start", self.output)

    async def started(self) -> bool:
        if self.process is None or self.process.returncode is not None:
            raise AssertionError(f"the replica exited:\n{self.output()}")
        return RUNNING in self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    async def stop(self) -> int | None:
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGCONT)
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            return None


async def until(
    read: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    what: str,
    detail: Callable[[], str] = str,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> T:
    """Poll ``read`` until ``done`` holds (work after an ack goes on in another process)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await read()
        if done(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not after {timeout:.0f} s ({value!r})\n{detail()}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def record(empty_postgresql: str) -> AsyncIterator[Repositories]:
    """The test's own view of the replicas' database."""
    db = await open_store(empty_postgresql)
    yield Repositories.on(db)
    await db.close()


@pytest.fixture
async def replicas(
    slack: SlackDouble, empty_postgresql: str, tmp_path: Path
) -> AsyncIterator[Callable[[], Awaitable[Replica]]]:
    started: list[Replica] = []

    async def start() -> Replica:
        replica = Replica(slack, empty_postgresql, tmp_path / f"replica-{len(started) + 1}.log")
        started.append(replica)
        await replica.start()
        return replica

    yield start
    codes = [await replica.stop() for replica in started]
    assert codes == [0] * len(started), "\n".join(r.output() for r in started)


def weekday_around(day: date, step: int) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


async def set_up_through(slack: SlackDouble) -> None:
    """A meeting held a fortnight ago, the next one in ten weeks, and the DCSC officer."""
    held = weekday_around(date.today() - timedelta(days=14), -1)
    upcoming = weekday_around(date.today() + timedelta(days=70), 1)
    for words in (
        f"meeting add {held.isoformat()} 19:00 CYP Children and Young People Scrutiny Commission",
        f"meeting add {upcoming.isoformat()} 19:00 CYP",
        f"officer set DCSC <@{DCSC_OFFICER}> Director of Children's Social Care",
    ):
        told = len(slack.ephemerals(CLERK)) + len(slack.responses)
        assert (await slack.send_command("/agenda", words, CLERK)).status == 200
        await slack.wait_for(
            lambda told=told: len(slack.ephemerals(CLERK)) + len(slack.responses) > told,
            timeout=30,
            description=f"the reply to /agenda {words}",
        )


def chase(slack: SlackDouble, database_url: str, now: str) -> Awaitable[asyncio.subprocess.Process]:
    return asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        os.devnull,
        "chase",
        "--now",
        now,
        cwd=ROOT,
        env=settings_env(slack, database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_replicas_on_one_database_record_each_reply_once_and_send_each_reminder_once(
    slack: SlackDouble,
    empty_postgresql: str,
    record: Repositories,
    replicas: Callable[[], Awaitable[Replica]],
) -> None:
    first = await replicas()
    slack.connect_http(first.events_url)
    await set_up_through(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await submit_question(slack, MEMBER, "How many foster carers were recruited this year?")
    questions = await until(
        lambda: record.questions.search(),
        lambda qs: len(qs) == 2 and all(q.thread for q in qs),
        "the questions sent to their officer",
    )
    question, unanswered = sorted(questions, key=lambda q: q.id)
    assert question.thread is not None and unanswered.thread is not None
    parent = slack.message(question.thread.channel, question.thread.ts)
    read_before = len(slack.calls_to("conversations.replies"))
    second = await replicas()
    # Its catch-up at start-up reads both threads; a reply arriving while it reads would be
    # stored twice over (once as the event, once as found, and recorded once).
    await slack.wait_for(
        lambda: len(slack.calls_to("conversations.replies")) >= read_before + 2, timeout=30
    )

    # Replies go to either replica, as a load balancer sends them; Slack retries one of
    # them, and its retry reaches the other replica.
    sent = []
    for n in range(6):
        slack.connect_http((first, second)[n % 2].events_url)
        reply = await slack.post_user_message(
            parent.channel, DCSC_OFFICER, f"Part {n} of the answer.", thread_ts=parent.ts
        )
        assert reply.status == 200
        sent.append(reply)
    slack.connect_http(second.events_url)
    assert (await slack.redeliver(sent[0])).status == 200
    slack.connect_http(first.events_url)
    assert (await slack.redeliver(sent[3], retry_num=2)).status == 200

    await until(
        lambda: inbox_rows(record),
        lambda rows: len(rows) == len(sent) and all(row["done_at"] for row in rows),
        "the six replies finished",
    )

    # A reply the first replica is recording when a third one starts: the third leaves it.
    slack.delay("reactions.add", 3.0, times=1)
    held = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "Part 6, recorded slowly.", thread_ts=parent.ts
    )
    assert held.status == 200
    await until(lambda: parts_ts(record, question), lambda ts: held.ts in ts, "part 6 stored")
    # Stopped mid-way, waiting for Slack's answer to reactions.add (no transaction open).
    first.signal(signal.SIGSTOP)
    try:
        await replicas()  # started: it has taken up whatever it may of the pending replies
    finally:
        first.signal(signal.SIGCONT)
    sent.append(held)

    entries = await until(
        lambda: inbox_rows(record),
        lambda rows: len(rows) == len(sent) and all(row["done_at"] for row in rows),
        "every reply finished",
    )
    assert sorted(row["ts"] for row in entries) == sorted(reply.ts for reply in sent)
    assert {(row["attempts"], row["outcome"]) for row in entries} == {(1, "recorded")}
    assert sorted(await parts_ts(record, question)) == sorted(reply.ts for reply in sent)
    for reply in sent:
        assert slack.reactions(parent.channel, reply.ts) == {
            "white_check_mark": [slack.bot_user_id]
        }
    notes = [m for m in slack.thread(parent.channel, parent.ts) if "Recorded as the" in m.text]
    assert len(notes) == len(sent)

    # Two sweeps at the same moment, on the due day, while both replicas run: the question
    # still unanswered is chased once.
    due = unanswered.due_date
    assert due is not None and WorkingCalendar().is_working_day(due)
    slack.delay("chat.postMessage", 0.05)  # long enough for the two to overlap
    sweeps = [await chase(slack, empty_postgresql, f"{due.isoformat()}T09:35") for _ in range(2)]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in sweeps)), 60)
    for process, (_, err) in zip(sweeps, outputs, strict=True):
        assert process.returncode == 0, err.decode()
    thread = unanswered.thread
    nudges = [m for m in slack.thread(thread.channel, thread.ts) if "Reminder:" in m.text]
    digests = [m for m in slack.dm_messages(DCSC_OFFICER) if ":alarm_clock:" in m.all_text()]
    assert (len(nudges), len(digests)) == (1, 1)
    assert unanswered.reference in digests[0].all_text()
    assert question.reference not in digests[0].all_text()  # answered: not chased
    history = await record.reminders.history(unanswered.id)
    assert [(r.key.rung, r.key.day, r.status) for r in history] == [("due_today", due, "sent")]
    assert await record.reminders.history(question.id) == []


async def parts_ts(record: Repositories, question: Question) -> list[str]:
    return [part.message.ts for part in await record.answers.parts(question.id)]


async def inbox_rows(record: Repositories) -> list[dict[str, object]]:
    rows = await record.inbox.db.fetchall(
        "SELECT ts, attempts, outcome, done_at FROM event_inbox ORDER BY id"
    )
    return [{key: row[key] for key in ("ts", "attempts", "outcome", "done_at")} for row in rows]
