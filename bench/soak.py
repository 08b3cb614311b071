"""``python -m bench.soak``: drive the real bot as black-box testing would, and print whether
any answer or reminder was lost, repeated or stranded.

    python -m bench.soak             # every figure (about 2 minutes on 2 cores)
    python -m bench.soak --quick     # smaller sizes, a smoke run

The Slack double runs in this process; the bot runs as ``python -m bot run`` (HTTP mode, its
own database in a temporary folder), and the chase and compile commands as the operator runs
them. Questions are submitted with ``/question`` and go straight to the officers
(``TRIAGE_REQUIRED=false``); officers answer in the questions' threads. What was recorded is
read from the bot's SQLite file, what was sent from the double's record. One line per figure
on stdout, ending ``OK`` or ``FAIL``; progress on stderr. Exit status 1 if any figure fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bot.catchup import PACE as CATCH_UP_PACE
from bot.chasing import SENDS_AT_ONCE
from bot.core.calendar import WorkingCalendar
from bot.sandbox import SlackDouble
from bot.sandbox.models import DeliveryResult, StoredMessage

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "soak-signing-secret"
CLERK = "USOAKCLRK"
COMMITTEE = "SOAK"
OFFLINE = "received while the bot was offline"
INVISIBLE = ("\u200b", "\u00ad", "\ufeff", "\u200e", "\u2060", "\x07")
RECOVERY_GOAL = 60.0
"""Seconds after the restart within which every acknowledged reply must be recorded."""


def note(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


@dataclass
class Figures:
    failed: list[str] = field(default_factory=list)

    def line(self, name: str, text: str, ok: bool) -> None:
        print(f"{name:<17}{text}  {'OK' if ok else 'FAIL'}", flush=True)
        if not ok:
            self.failed.append(name)


@dataclass(frozen=True)
class Sizes:
    replies: int
    answered_questions: int
    chased_officers: int
    questions_per_officer: int

    @classmethod
    def pick(cls, quick: bool) -> Sizes:
        return cls(400, 10, 6, 3) if quick else cls(2_000, 40, 30, 5)


def officer(n: int) -> str:
    return f"USOAKO{n:03d}"


def member(n: int) -> str:
    return f"USOAKM{n:03d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def working_day_around(day: date, step: int) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


# --- the bot and its commands, as processes -------------------------------------------------


class BotProcess:
    """``python -m bot run`` in HTTP mode against the double, logging to a file."""

    def __init__(self, slack: SlackDouble, folder: Path) -> None:
        self.slack = slack
        self.folder = folder
        self.database = folder / "scrutiny.db"
        self.log = folder / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": self.slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "DATABASE_PATH": str(self.database),
            "CLERK_USER_IDS": CLERK,
            "TRIAGE_REQUIRED": "false",
            **extra,
        }

    async def start(self) -> None:
        port = free_port()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--env-file",
                os.devnull,
                "run",
                cwd=ROOT,
                env=self.env(PORT=str(port)),
                stdout=log,
                stderr=log,
            )
        self.started_at = time.monotonic()
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                if self.process.returncode is not None:
                    raise RuntimeError(f"the bot exited during start-up; see {self.log}")
                try:
                    async with session.get(f"{url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"the bot never answered /healthz; see {self.log}")
        self.slack.connect_http(f"{url}/slack/events")

    async def kill(self) -> None:
        """``kill -9``: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=60)
        except TimeoutError:
            await self.kill()

    def log_lines(self, *needles: str) -> list[str]:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if any(n in line for n in needles)]

    async def command(self, *args: str) -> asyncio.subprocess.Process:
        """``python -m bot <args>`` on the same database, as an operator (or cron) runs it."""
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--env-file",
            os.devnull,
            "--log-level",
            "WARNING",
            *args,
            cwd=ROOT,
            env=self.env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def run_command(self, *args: str) -> tuple[int, str]:
        process = await self.command(*args)
        _, err = await asyncio.wait_for(process.communicate(), timeout=300)
        return process.returncode or 0, err.decode(errors="replace")

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Read the bot's database (a plain connection that writes nothing)."""

        def read() -> list[sqlite3.Row]:
            conn = sqlite3.connect(self.database, timeout=60, isolation_level=None)
            try:
                conn.row_factory = sqlite3.Row
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()

        return await asyncio.to_thread(read)

    async def rows_if_any(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """As ``rows``, but none when a table it reads is not in this database's schema."""
        try:
            return await self.rows(sql, params)
        except sqlite3.OperationalError as error:
            if "no such table" not in str(error):
                raise
            return []

    async def recorded(self, message_ts: Iterable[str]) -> set[str]:
        """Which of these reply timestamps are recorded as answer parts."""
        wanted = set(message_ts)
        rows = await self.rows("SELECT ts FROM answer_parts")
        return wanted & {str(r["ts"]) for r in rows}


# --- setting up through Slack, as a clerk and members do -------------------------------------


@dataclass(frozen=True)
class SentQuestion:
    id: int
    reference: str
    officer: str
    channel: str
    ts: str
    due: date


async def poll(
    read: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float, what: str
) -> T:
    deadline = time.monotonic() + within
    while True:
        value = await read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not done after {within:.0f} s")
        await asyncio.sleep(0.1)


def people(slack: SlackDouble, officers: int, members: int) -> None:
    slack.add_user(CLERK, "clerk", "Casey Clerk")
    for n in range(officers):
        slack.add_user(officer(n), f"officer{n}", f"Officer {n}")
    for n in range(members):
        slack.add_user(member(n), f"member{n}", f"Cllr Member {n}")


async def set_up(bot: BotProcess, officers: int) -> None:
    """A held meeting, the next one, and a role per officer, with the clerk's commands."""
    slack = bot.slack
    today = date.today()
    held = working_day_around(today - timedelta(days=14), -1)
    upcoming = working_day_around(today + timedelta(days=70), 1)

    async def command(words: str) -> None:
        result = await slack.send_command("/agenda", words, CLERK)
        if result.status != 200:
            raise RuntimeError(f"/agenda {words} was not acknowledged")

    async def count(sql: str) -> int:
        return int((await bot.rows(sql))[0][0])

    first = f"meeting add {held.isoformat()} 19:00 {COMMITTEE} Soak Scrutiny Commission"
    second = f"meeting add {upcoming.isoformat()} 19:00 {COMMITTEE}"
    meetings = "SELECT count(*) FROM meetings"
    await command(first)  # the second needs the committee the first one creates
    await poll(lambda: count(meetings), lambda c: c >= 1, 30, first)
    await command(second)
    await poll(lambda: count(meetings), lambda c: c >= 2, 30, second)
    for n in range(officers):
        await command(f"officer set R{n} <@{officer(n)}> Officer {n} of the council")
    await poll(
        lambda: count("SELECT count(*) FROM officer_roles WHERE officer IS NOT NULL"),
        lambda c: c >= officers,
        60,
        "the officer directory",
    )


async def submit(slack: SlackDouble, who: str, text: str, role: str) -> None:
    """``/question``, the form filled in and submitted, as a member does it."""
    before = {v.id for v in slack.views_opened}
    await slack.send_command("/question", text, who)
    views = await slack.wait_for(
        lambda: [
            v
            for v in slack.open_views(who)
            if v.callback_id == "question_submit" and v.id not in before
        ],
        timeout=30,
    )
    result = await slack.submit_view(
        who, views[-1].id, {"item": "4", "asker": "commission", "role": role}
    )
    if result.status != 200:
        raise RuntimeError(f"the question form of {who} was not acknowledged")


async def send_questions(
    bot: BotProcess, roles: Sequence[int], lanes: int = 6
) -> list[SentQuestion]:
    """One question per entry of ``roles`` (the officer number), sent to the officers."""
    queue = list(enumerate(roles))

    async def lane(n: int) -> None:
        while queue:
            number, role = queue.pop(0)
            await submit(bot.slack, member(n), f"Soak question {number}: how many?", f"R{role}")

    await asyncio.gather(*(lane(n) for n in range(lanes)))
    rows = await poll(
        lambda: bot.rows(
            "SELECT id, reference, assigned_officer, thread_channel, thread_ts, due_date"
            " FROM questions WHERE thread_ts IS NOT NULL ORDER BY id"
        ),
        lambda found: len(found) >= len(roles),
        120,
        "questions sent to the officers",
    )
    return [
        SentQuestion(
            int(r["id"]),
            str(r["reference"]),
            str(r["assigned_officer"]),
            str(r["thread_channel"]),
            str(r["thread_ts"]),
            date.fromisoformat(str(r["due_date"])),
        )
        for r in rows
    ]


async def bot_with_questions(
    folder: Path, officers: int, roles: Sequence[int]
) -> tuple[SlackDouble, BotProcess, list[SentQuestion]]:
    slack = SlackDouble(signing_secret=SIGNING_SECRET)
    await slack.start()
    people(slack, officers, 6)
    bot = BotProcess(slack, folder)
    await bot.start()
    await set_up(bot, officers)
    questions = await send_questions(bot, roles)
    return slack, bot, questions


async def reply_all(
    slack: SlackDouble,
    replies: Sequence[tuple[SentQuestion, str]],
    at_once: int,
) -> list[DeliveryResult]:
    """Officers reply in the questions' threads, ``at_once`` replies in flight."""
    gate = asyncio.Semaphore(at_once)

    async def one(question: SentQuestion, text: str) -> DeliveryResult:
        async with gate:
            return await slack.post_user_message(
                question.channel, question.officer, text, thread_ts=question.ts
            )

    return list(await asyncio.gather(*(one(q, t) for q, t in replies)))


def reply_ts(results: Iterable[DeliveryResult]) -> list[str]:
    return [r.message.ts for r in results if r.message is not None]


async def wait_recorded(
    bot: BotProcess, wanted: Sequence[str], within: float, *, stalled_after: float = 60.0
) -> tuple[set[str], float]:
    """Wait until every reply in ``wanted`` is recorded, or no progress for ``stalled_after``
    seconds, or ``within`` seconds; what was recorded and when (seconds from now)."""
    start = time.monotonic()
    last, last_change = -1, start
    while True:
        found = await bot.recorded(wanted)
        now = time.monotonic()
        if len(found) != last:
            last, last_change = len(found), now
        if (
            len(found) == len(set(wanted))
            or now - start > within
            or now - last_change > stalled_after
        ):
            return found, now - start
        await asyncio.sleep(0.2)


# --- 1. concurrent writers -------------------------------------------------------------------


async def concurrent_writers(folder: Path, sizes: Sizes, figures: Figures) -> None:
    officers = 8
    answered = sizes.answered_questions
    roles = [n % officers for n in range(answered + answered // 2)]
    note(f"concurrent: {len(roles)} questions through /question, {officers} officers")
    slack, bot, questions = await bot_with_questions(folder, officers, roles)
    try:
        targets = questions[:answered]
        per_question = -(-sizes.replies // answered)
        replies = [
            (q, f"Part {n} of the answer to {q.reference}: {n * 7} children.")
            for n in range(per_question)
            for q in targets
        ][: sizes.replies]
        random.Random(13).shuffle(replies)
        stop = asyncio.Event()
        runs: Counter[str] = Counter()
        trouble: list[str] = []
        meeting = (await bot.rows("SELECT date FROM meetings ORDER BY date DESC LIMIT 1"))[0][0]
        due = targets[0].due

        async def chase_loop() -> None:
            day = date.today()
            while not stop.is_set():
                day = working_day_around(day + timedelta(days=1), 1)
                if day > due + timedelta(days=20):
                    day = date.today()
                code, err = await bot.run_command("chase", "--now", f"{day.isoformat()}T10:00")
                runs["chase"] += 1
                if code not in (0, 1) or "Traceback" in err or "locked" in err:
                    trouble.append(f"chase exit {code}: {err.strip().splitlines()[-1:]}")

        async def compile_loop() -> None:
            out = folder / "agenda.md"
            while not stop.is_set():
                code, err = await bot.run_command(
                    "compile",
                    "--meeting",
                    str(meeting),
                    "--format",
                    "md",
                    "--out",
                    str(out),
                    "--force",
                )
                runs["compile"] += 1
                if code != 0:
                    trouble.append(f"compile exit {code}: {err.strip().splitlines()[-1:]}")

        writers = [asyncio.create_task(chase_loop()), asyncio.create_task(compile_loop())]
        note(f"concurrent: {len(replies)} replies, 16 in flight, with chase and compile running")
        started = time.monotonic()
        results = await reply_all(slack, [(q, t) for q, t in replies], 16)
        sending = time.monotonic() - started
        acked = [r.message.ts for r in results if r.ok and r.message is not None]
        note(f"concurrent: {len(acked)} acked in {sending:.0f} s; waiting for the records")
        found, waited = await wait_recorded(bot, acked, 300)
        stop.set()
        await asyncio.gather(*writers)
        lost = len(acked) - len(found)
        locked = bot.log_lines("database is locked", "DatabaseBusy")
        errors = bot.log_lines(" ERROR ")
        figures.line(
            "concurrent",
            f"{len(acked):,} of {len(replies):,} replies acked while {runs['chase']} chase and "
            f"{runs['compile']} compile processes ran; recorded {len(found):,} "
            f"({waited:.0f} s after the last ack)  lost {lost}  "
            f"'database is locked' in the bot's log {len(locked)}, errors {len(errors)}, "
            f"command failures {len(trouble)}",
            lost == 0 and len(acked) >= min(sizes.replies, 2_000) * 0.99 and not trouble,
        )
        for line in [*trouble[:3], *errors[:3]]:
            note(f"concurrent: {line}")
    finally:
        await bot.stop()
        await slack.stop()


# --- 2. kill -9 right after the acks; 3. a long outage; 4. invisible characters ---------------


async def crash_outage_and_characters(folder: Path, figures: Figures) -> None:
    note("crash: 10 questions through /question")
    slack, bot, questions = await bot_with_questions(folder, 5, [n % 5 for n in range(10)])
    try:
        replies = [(q, f"Reply {n} for {q.reference}.") for n in range(6) for q in questions]
        results = await reply_all(slack, replies, 20)
        acked = [r.message.ts for r in results if r.ok and r.message is not None]
        await bot.kill()
        before = await bot.recorded(acked)
        note(f"crash: killed with {len(acked)} acked, {len(before)} recorded; restarting")
        await bot.start()
        found, _ = await wait_recorded(
            bot, acked, RECOVERY_GOAL + 30, stalled_after=RECOVERY_GOAL + 30
        )
        since_restart = time.monotonic() - bot.started_at
        entered = await bot.rows_if_any("SELECT ts, source FROM event_inbox WHERE kind = 'reply'")
        sources = Counter(str(r["source"]) for r in entered if str(r["ts"]) in found)
        # Let the start-up catch-up finish: did it report acked replies as missed?
        await asyncio.sleep(len(questions) * CATCH_UP_PACE + 3)
        offline = clerk_notices(slack, OFFLINE)
        figures.line(
            "crash after ack",
            f"kill -9 right after {len(acked)} acks ({len(before)} recorded at the kill); "
            f"after the restart {len(found)}/{len(acked)} recorded "
            f"within {since_restart:.1f} s of it (stored as events {sources['event']}, "
            f"found by the catch-up {sources['catch-up']}; clerk told of answers received "
            f"while offline {len(offline)} time(s))",
            len(acked) == len(replies)
            and len(found) == len(acked)
            and since_restart <= RECOVERY_GOAL,
        )

        await outage(slack, bot, questions, figures)
        await catch_up_killed(slack, bot, questions, figures)
        await invisible_characters(slack, bot, questions, figures)
    finally:
        await bot.stop()
        await slack.stop()


async def outage(
    slack: SlackDouble, bot: BotProcess, questions: Sequence[SentQuestion], figures: Figures
) -> None:
    await bot.stop()
    # Two hours of officers' replies with nobody listening: each event and Slack's three
    # retries of it (at about 1 minute, 5 minutes and 30 minutes) find the bot gone.
    results: list[DeliveryResult] = []
    for hour in range(2):
        batch = [
            (q, f"Answer given while the bot was down, hour {hour + 1}, for {q.reference}.")
            for q in questions
        ]
        for result in await reply_all(slack, batch, 10):
            for retry in range(1, 4):
                again = await slack.redeliver(result, retry_num=retry)
                assert again.status is None, "the bot is down"
            results.append(result)
    missed = reply_ts(results)
    note(f"outage: {len(missed)} replies in the threads while the bot was stopped; restarting")
    notices_before = len(clerk_notices(slack, OFFLINE))
    await bot.start()
    found, waited = await wait_recorded(bot, missed, 120, stalled_after=120)
    await asyncio.sleep(3)  # the catch-up's message to the clerk comes after its last thread
    # Once: a second restart, whose catch-up finds nothing new, tells nobody again.
    await bot.stop()
    await bot.start()
    await asyncio.sleep(len(questions) * CATCH_UP_PACE + 5)
    notices = clerk_notices(slack, OFFLINE)[notices_before:]
    told = notices[0].all_text() if notices else "nothing"
    figures.line(
        "outage",
        f"bot stopped for 2 hours of replies ({len(missed)} in {len(questions)} threads, "
        f"every event and Slack's retries unanswered); after the restart "
        f"{len(found)}/{len(missed)} recorded in {waited:.1f} s; clerk told "
        f"{len(notices)} time(s) over that restart and one more: {told[:90]!r}",
        len(found) == len(missed) and len(notices) == 1,
    )


async def catch_up_killed(
    slack: SlackDouble, bot: BotProcess, questions: Sequence[SentQuestion], figures: Figures
) -> None:
    """Another outage, with edits and deletions too; the bot is killed while its start-up
    catch-up is recording what it missed, and started again."""
    earlier = await bot.rows(
        "SELECT channel, ts, text FROM answer_parts WHERE deleted_at IS NULL ORDER BY ts"
    )
    await bot.stop()
    results = await reply_all(
        slack, [(q, f"A further answer for {q.reference}, given offline.") for q in questions], 10
    )
    missed = reply_ts(results)
    edited = [(str(r["channel"]), str(r["ts"])) for r in earlier[:3]]
    deleted = [(str(r["channel"]), str(r["ts"])) for r in earlier[3:5]]
    for channel, ts in edited:
        await slack.edit_user_message(channel, ts, f"Corrected while the bot was down ({ts}).")
    for channel, ts in deleted:
        await slack.delete_user_message(channel, ts)
    notices_before = len(clerk_notices(slack, OFFLINE))
    await bot.start()
    # kill -9 as soon as the catch-up has recorded its first missed reply.
    await poll(lambda: bot.recorded(missed), lambda found: len(found) >= 1, 60, "catch-up")
    await bot.kill()
    at_kill = len(await bot.recorded(missed))
    await bot.start()
    await asyncio.sleep(len(questions) * CATCH_UP_PACE + 5)
    found = await bot.recorded(missed)
    parts = {
        (str(r["channel"]), str(r["ts"])): (str(r["text"]), r["deleted_at"])
        for r in await bot.rows("SELECT channel, ts, text, deleted_at FROM answer_parts")
    }
    edits = sum(1 for key in edited if parts[key][0].startswith("Corrected while the bot"))
    deletions = sum(1 for key in deleted if parts[key][1] is not None)
    notices = clerk_notices(slack, OFFLINE)[notices_before:]
    told = " ".join(n.all_text() for n in notices)
    untold = [q.reference for q in questions if q.reference not in told]
    all_recorded = len(found) == len(missed) and edits == len(edited)
    all_recorded = all_recorded and deletions == len(deleted)
    figures.line(
        "outage, kill -9",
        f"{len(missed)} replies, {len(edited)} edits, {len(deleted)} deletions while the bot "
        f"was stopped; kill -9 during the start-up catch-up ({at_kill} recorded), restart: "
        f"replies {len(found)}/{len(missed)}, edits {edits}/{len(edited)}, deletions "
        f"{deletions}/{len(deleted)} recorded; clerk told {len(notices)} time(s), "
        f"answers never mentioned to the clerk {len(untold)}"
        + (f" ({', '.join(untold)})" if untold else ""),
        all_recorded and len(notices) == 1 and not untold,
    )


def clerk_notices(slack: SlackDouble, needle: str) -> list[StoredMessage]:
    return [m for m in slack.dm_messages(CLERK) if needle in m.all_text()]


async def invisible_characters(
    slack: SlackDouble, bot: BotProcess, questions: Sequence[SentQuestion], figures: Figures
) -> None:
    text = "{c}Seventy{c}-eight care leav{c}ers{c} in {n}.{c}"
    sent: list[tuple[str, str, str]] = []
    for n, char in enumerate(INVISIBLE):
        question = questions[n % len(questions)]
        body = text.format(c=char, n=question.reference)
        result = await slack.post_user_message(
            question.channel, question.officer, body, thread_ts=question.ts
        )
        assert result.message is not None
        sent.append(
            (
                f"U+{ord(char):04X}",
                result.message.ts,
                f"Seventy-eight care leavers in {question.reference}.",
            )
        )
    # Nothing visible at all: it cannot be an answer, and the officer and clerk must be told.
    blank = questions[-1]
    empty = await slack.post_user_message(
        blank.channel, blank.officer, "".join(INVISIBLE), thread_ts=blank.ts
    )
    assert empty.message is not None
    await wait_recorded(bot, [ts for _, ts, _ in sent], 30, stalled_after=30)
    await asyncio.sleep(1)
    rows = {
        str(r["ts"]): str(r["text"])
        for r in await bot.rows("SELECT ts, text FROM answer_parts WHERE deleted_at IS NULL")
    }
    normalised = [name for name, ts, want in sent if rows.get(ts) == want]
    kept_raw = [name for name, ts, want in sent if ts in rows and rows[ts] != want]
    dropped = [name for name, ts, _ in sent if ts not in rows]
    explained = any(
        "could not be recorded" in m.all_text() for m in slack.thread(blank.channel, blank.ts)
    ) and bool(clerk_notices(slack, "could not be recorded"))
    silently = len(dropped) + (0 if explained or empty.message.ts in rows else 1)
    detail = f"  not normalised: {', '.join(kept_raw)}" if kept_raw else ""
    detail += f"  dropped: {', '.join(dropped)}" if dropped else ""
    figures.line(
        "invisible chars",
        f"{len(normalised)}/{len(sent)} replies with U+200B U+00AD U+FEFF U+200E U+2060 \\x07 "
        f"recorded as the visible text; a reply of invisible characters only "
        f"{'explained in the thread and to the clerk' if explained else 'NOT explained'}; "
        f"silently dropped {silently}{detail}",
        len(normalised) == len(sent) and silently == 0,
    )


# --- 5. chasing under faults; 6. chase sweeps killed mid-way ---------------------------------


@dataclass
class Sent:
    """What the double holds: reminder digests per DM channel, nudges per question thread."""

    digests: Counter[str]
    nudges: Counter[str]


def sent_so_far(slack: SlackDouble, questions: Sequence[SentQuestion], clerk_dm: str) -> Sent:
    digests: Counter[str] = Counter()
    channels = {q.channel for q in questions} | {clerk_dm}
    for channel in channels:
        for message in slack.messages(channel, include_replies=False):
            if message.is_from_bot and ":alarm_clock:" in message.all_text():
                digests[channel] += 1
    nudges: Counter[str] = Counter()
    for q in questions:
        nudges[q.reference] = sum(
            1 for m in slack.thread(q.channel, q.ts) if m.is_from_bot and "Reminder:" in m.text
        )
    return Sent(digests, nudges)


@dataclass(frozen=True)
class Outcome:
    lost_digests: int
    lost_nudges: int
    repeated: int
    stranded: int

    def text(self) -> str:
        return (
            f"digests lost {self.lost_digests}  nudges lost {self.lost_nudges}  "
            f"repeated {self.repeated}  stranded {self.stranded}"
        )


async def outcome(
    bot: BotProcess,
    before: Sent,
    after: Sent,
    expected_digests: Iterable[str],
    questions: Sequence[SentQuestion],
    day: date,
) -> Outcome:
    lost_digests = repeated = 0
    for channel in expected_digests:
        got = after.digests[channel] - before.digests[channel]
        lost_digests += got == 0
        repeated += max(0, got - 1)
    lost_nudges = 0
    for q in questions:
        got = after.nudges[q.reference] - before.nudges[q.reference]
        lost_nudges += got == 0
        repeated += max(0, got - 1)
    reminders = await bot.rows(
        "SELECT 1 FROM reminders WHERE day = ? AND status != 'sent'", (day.isoformat(),)
    )
    deliveries = await bot.rows_if_any(
        "SELECT 1 FROM deliveries WHERE subject LIKE ? AND status != 'sent'",
        (f"reminder:%:{day.isoformat()}",),
    )
    stranded = len(reminders) + len(deliveries)
    return Outcome(lost_digests, lost_nudges, repeated, stranded)


async def chasing(folder: Path, sizes: Sizes, figures: Figures) -> None:
    officers = sizes.chased_officers
    roles = [n % officers for n in range(officers * sizes.questions_per_officer)]
    note(f"chasing: {len(roles)} questions through /question, {officers} officers")
    slack, bot, questions = await bot_with_questions(folder, officers, roles)
    try:
        await bot.stop()  # the sweeps below are the command line's, not the bot's timers
        clerk_dm = slack.dm_channel_for(CLERK)
        officer_dms = sorted({q.channel for q in questions})
        due = questions[0].due
        calendar = WorkingCalendar()
        days = [
            calendar.subtract_working_days(due, 5),
            calendar.subtract_working_days(due, 2),
            due,
            calendar.add_working_days(due, 1),
        ]

        def expected(day: date) -> list[str]:
            return [*officer_dms, *([clerk_dm] if day > due else [])]

        # 5. 20% 429 and 5% 500 from Slack; reruns until nothing is left due.
        day = days[0]
        moment = f"{day.isoformat()}T09:35"
        before = sent_so_far(slack, questions, clerk_dm)
        for method in ("chat.postMessage", "conversations.open"):
            slack.fail_randomly(method, 0.20, status=429, retry_after=1, seed=13)
            slack.fail_randomly(method, 0.05, status=500)
        sweeps, codes = 0, []
        while sweeps < 6:
            sweeps += 1
            code, err = await bot.run_command("chase", "--now", moment)
            codes.append(code)
            note(f"chasing under faults: sweep {sweeps}: {err.strip().splitlines()[-1:]}")
            if code == 0:
                break
        slack.clear_faults()
        refused = Counter(
            c.status for c in slack.calls if c.method == "chat.postMessage" and c.status != 200
        )
        result = await outcome(
            bot, before, sent_so_far(slack, questions, clerk_dm), expected(day), questions, day
        )
        figures.line(
            "chase faults",
            f"{len(questions)} nudges + {len(expected(day))} digests under 20% 429 + 5% 500 "
            f"({refused[429]} x 429, {refused[500]} x 500 on chat.postMessage), "
            f"{sweeps} sweep(s) (exit {codes}): " + result.text(),
            result == Outcome(0, 0, 0, 0) and codes[-1] == 0,
        )

        # 6. kill -9 mid-sweep at three points, then a rerun at the same --now.
        total = len(questions) + len(officer_dms)
        points = (("first message", 1), ("half-way", total // 2), ("near the end", total - 5))
        for (where, after_posts), day in zip(points, days[1:], strict=True):
            moment = f"{day.isoformat()}T09:35"
            before = sent_so_far(slack, questions, clerk_dm)
            slack.delay("chat.postMessage", 0.05)
            posts = len(slack.calls_to("chat.postMessage"))
            process = await bot.command("chase", "--now", moment)
            try:
                target = posts + after_posts
                await slack.wait_for(
                    lambda: len(slack.calls_to("chat.postMessage")) >= target,  # noqa: B023
                    timeout=120,
                    interval=0.002,
                )
            finally:
                process.send_signal(signal.SIGKILL)
                await process.wait()
            slack.clear_faults()
            at_kill = len(slack.calls_to("chat.postMessage")) - posts
            claimed = len(
                await bot.rows_if_any("SELECT 1 FROM deliveries WHERE status = 'claimed'")
            )
            code, err = await bot.run_command("chase", "--now", moment)
            result = await outcome(
                bot, before, sent_so_far(slack, questions, clerk_dm), expected(day), questions, day
            )
            figures.line(
                f"chase kill -9 {points.index((where, after_posts)) + 1}",
                f"{where} ({at_kill} of {total + (day > due)} posted, {claimed} claims left "
                f"behind); rerun at the same --now (exit {code}, "
                f"{err.strip().splitlines()[-1] if err.strip() else ''}): "
                + result.text()
                + f" (cap {SENDS_AT_ONCE})",
                result.lost_digests == result.lost_nudges == result.stranded == 0
                and result.repeated <= SENDS_AT_ONCE
                and code == 0,
            )
    finally:
        await bot.stop()
        await slack.stop()


# --- the run -----------------------------------------------------------------------------------


SCENARIOS = ("concurrent", "crash", "chase")


async def soak(quick: bool, only: Sequence[str], keep: bool) -> int:
    sizes = Sizes.pick(quick)
    figures = Figures()
    started = time.monotonic()
    print(
        f"soak             {'quick' if quick else 'full'} run, Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} cores, the bot as `python -m bot run`",
        flush=True,
    )
    root = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        steps: dict[str, Callable[[Path], Awaitable[None]]] = {
            "concurrent": lambda f: concurrent_writers(f, sizes, figures),
            "crash": lambda f: crash_outage_and_characters(f, figures),
            "chase": lambda f: chasing(f, sizes, figures),
        }
        for name in SCENARIOS:
            if only and name not in only:
                continue
            folder = root / name
            folder.mkdir()
            try:
                await steps[name](folder)
            except Exception as error:
                figures.line(name, f"could not run: {type(error).__name__}: {error}", False)
    finally:
        if keep:
            note(f"databases and logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"soak             done in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if figures.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description="Drive the real bot with concurrency, crashes, an outage, odd characters "
        "and Slack faults; print whether anything was lost, repeated or stranded.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run")
    parser.add_argument("--only", action="append", choices=SCENARIOS, default=[])
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    args = parser.parse_args(argv)
    return asyncio.run(soak(args.quick, args.only, args.keep))


if __name__ == "__main__":
    sys.exit(main())
