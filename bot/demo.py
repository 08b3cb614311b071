"""``python -m bot demo``: the whole workflow, locally, against the built-in Slack double.

No Slack account is needed: the bot runs for real (HTTP mode, real Web API client) against
the loopback Slack double, with a simulated clock. The story: the clerk sets up the
Children and Young People Scrutiny Commission, imports the questions not reached on
18 December 2023, sends them to officers, officers answer in threads (one edited, one
holding reply), reminders and an escalation go out over simulated days, and the clerk
compiles the answers into demo-output/.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.chasing import sweep
from bot.compiling import export_meeting
from bot.config import Settings
from bot.core import export
from bot.core.calendar import short_date
from bot.core.clock import FixedClock
from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble, StoredMessage, StoredView
from bot.services import Services

LONDON = ZoneInfo("Europe/London")
T = TypeVar("T")

CLERK = "UCLERK01"
MEMBER = "UMEMBER1"
DCSC = "UDCSC001"
HOS = "UHOS0001"
DOE = "UDOE0001"
DEPUTY = "UDEPUTY1"
PEOPLE = {
    CLERK: "Casey (clerk)",
    MEMBER: "Cllr Mirza",
    DCSC: "Dana (Director of Children's Social Care)",
    HOS: "Harper (Head of Service)",
    DOE: "Drew (Director of Education)",
    DEPUTY: "Dev (deputy to the DCSC)",
}
COMMITTEE = "Children and Young People Scrutiny Commission"


@dataclass
class Demo:
    slack: SlackDouble
    runtime: Runtime
    clock: FixedClock
    out: Callable[[str], None]

    @property
    def services(self) -> Services:
        assert self.runtime.services is not None
        return self.runtime.services

    def say(self, text: str) -> None:
        stamp = self.clock().astimezone(LONDON)
        self.out(f"[{short_date(stamp.date())} {stamp:%H:%M}] {text}")

    def heading(self, text: str) -> None:
        self.out(f"\n== {text} ==")

    async def wait(self, condition: Callable[[], T | None], what: str) -> T:
        return await self.slack.wait_for(condition, timeout=10, description=what)

    async def command(self, user: str, text: str) -> str:
        """Run a slash command as ``user`` and return the bot's private reply."""
        command, _, words = text.partition(" ")
        before = len(self.slack.ephemerals(user))
        self.say(f"{PEOPLE[user]}: {text}")
        await self.slack.send_command(command, words, user)
        replies = await self.wait(
            lambda: self.slack.ephemerals(user)[before:] or None, f"a reply to {text}"
        )
        blocks = [b["text"]["text"] for b in replies[-1].blocks if b.get("type") == "section"]
        reply = " ".join(blocks[:2] or [replies[-1].text]).replace("\n", " ")
        self.say(f"  bot (only to {PEOPLE[user].split(' ')[0]}): {reply[:150]}")
        return reply

    async def modal(self, user: str, callback_id: str) -> StoredView:
        views = await self.wait(
            lambda: [v for v in self.slack.open_views(user) if v.callback_id == callback_id],
            f"the {callback_id} form",
        )
        return views[-1]

    def newest_dm_with(self, user: str, needle: str) -> StoredMessage | None:
        for message in reversed(self.slack.dm_messages(user)):
            if needle in message.all_text() or needle in json.dumps(message.blocks):
                return message
        return None

    async def parent_message(self, officer: str, reference: str) -> StoredMessage:
        """The message the officer answers ``reference`` under."""
        return await self.wait(
            lambda: self.newest_dm_with(officer, reference), f"{reference} sent to {officer}"
        )

    async def state_of(self, reference: str, wanted: QuestionState) -> None:
        repos = self.services.repos
        for _ in range(500):
            if (await repos.questions.by_reference(reference)).state is wanted:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError(f"{reference} did not become {wanted}")


def demo_questions() -> str:
    return resources.files("bot").joinpath("demo_questions.txt").read_text(encoding="utf-8")


async def set_up(demo: Demo) -> None:
    demo.heading("The clerk sets up the commission")
    await demo.command(CLERK, f"/agenda meeting add 2023-12-18 19:00 CYP {COMMITTEE}")
    await demo.command(
        CLERK, "/agenda item add CYP-2023-12-18 4 Children's Social Care Annual Report (2022/23)"
    )
    await demo.command(CLERK, "/agenda meeting add 2026-05-11 19:00 CYP")
    for role, user, title in (
        ("DCSC", DCSC, "Director of Children's Social Care"),
        ("HoS", HOS, "Head of Service, Children's Social Care"),
        ("DoE", DOE, "Director of Education"),
    ):
        await demo.command(CLERK, f"/agenda officer set {role} <@{user}> {title}")
    await demo.command(CLERK, f"/agenda officer deputy DCSC <@{DEPUTY}>")


async def import_questions(demo: Demo) -> None:
    demo.heading("The clerk imports the questions not reached on 18 December 2023")
    slack = demo.slack
    dm = slack.dm_channel_for(CLERK)
    pasted = slack.seed_message(dm, CLERK, demo_questions())
    demo.say(f"{PEOPLE[CLERK]} pastes the list into a message and uses 'Log as scrutiny question'")
    await slack.message_shortcut(CLERK, "log_scrutiny_question", dm, pasted.ts)
    review = await demo.modal(CLERK, "import_review")
    shown = [b["text"]["text"] for b in review.blocks if b.get("type") == "section"]
    demo.say(f"  bot shows the review: {shown[0]}")
    for line in shown[1:3]:
        demo.say(f"    {line[:110]}…")
    await slack.submit_view(CLERK, review.id, {"item": "4"})
    confirmation = await demo.wait(
        lambda: demo.newest_dm_with(CLERK, "send_imported"), "the import confirmation"
    )
    demo.say(f"  bot: {confirmation.blocks[0]['text']['text']}")
    demo.say(f"{PEOPLE[CLERK]} clicks 'Approve & send' on all of them")
    await slack.click_button(CLERK, confirmation, "send_imported")
    await demo.wait(
        lambda: [r for r in slack.responses if "Sent 21 questions" in str(r)] or None,
        "all questions sent",
    )
    demo.say("  bot: Sent 21 questions to officers, each due Mon 27 Apr for the 11 May agenda.")
    parent = await demo.parent_message(DCSC, "CYP-2023-12-18-Q02")
    due = next(b for b in parent.blocks if b.get("type") == "context")["elements"][0]["text"]
    demo.say(f"  {PEOPLE[DCSC]} gets each question as a DM to answer in its thread, e.g. Q02:")
    demo.say(f"    {due}")


async def officer_answers(demo: Demo) -> None:
    demo.heading("Officers answer in the threads")
    slack = demo.slack
    answers = [
        (
            DCSC,
            "Q02",
            "We are ready for Ofsted: *Annex A* is complete and 200 documents "
            "cleared.\n• audits for the last 6 months are done\n• morale is good",
        ),
        (HOS, "Q05", "The consultation line had 1,240 calls last year; referrals fell by 8%."),
        (
            DCSC,
            "Q11",
            "Care leavers get advice from personal advisers &amp; the leaving care "
            "team; see <@UDCSC001>'s briefing.",
        ),
        (HOS, "Q15", "Placements are analysed monthly; breakdowns feed the fostering plan."),
    ]
    for officer, short, text in answers:
        reference = f"CYP-2023-12-18-{short}"
        parent = await demo.parent_message(officer, reference)
        reply = await slack.post_user_message(parent.channel, officer, text, thread_ts=parent.ts)
        demo.say(f"{PEOPLE[officer]} replies in the thread of {reference}")
        await demo.state_of(reference, QuestionState.ANSWERED)
        demo.say(
            f"  bot reacts ✅, notes it in the thread, tells {PEOPLE[MEMBER].split()[0]}"
            " and the clerk"
        )
        if short == "Q05":
            await slack.edit_user_message(parent.channel, reply.ts, text.replace("1,240", "1,420"))
            demo.say(f"{PEOPLE[officer]} edits the reply (1,240 → 1,420); the earlier text is kept")
    parent = await demo.parent_message(DCSC, "CYP-2023-12-18-Q17")
    await slack.click_button(DCSC, parent, "holding_reply")
    holding = await demo.modal(DCSC, "holding_reply_submit")
    await slack.submit_view(
        DCSC,
        holding.id,
        {
            "note": "The housing figures come from the new supported housing strategy.",
            "promised": "2026-04-30",
        },
    )
    await demo.state_of("CYP-2023-12-18-Q17", QuestionState.HOLDING)
    demo.say(f"{PEOPLE[DCSC]} gives a holding reply on Q17, promising the answer by Thu 30 Apr")
    review = await demo.wait(lambda: demo.newest_dm_with(CLERK, "answer_approve"), "a review")
    await slack.click_button(CLERK, review, "answer_approve")
    demo.say(f"{PEOPLE[CLERK]} approves an answer from the review card")


async def simulated_days(demo: Demo) -> None:
    demo.heading("Reminders over simulated working days")
    assert demo.runtime.app is not None
    day = date(2026, 4, 21)
    while day <= date(2026, 5, 6):
        moment = datetime(day.year, day.month, day.day, 9, 35, tzinfo=LONDON)
        demo.clock.set(moment)
        before = {user: len(demo.slack.dm_messages(user)) for user in PEOPLE}
        report = await sweep(demo.services, demo.runtime.app.client, moment, pace=0)
        if report.sent or report.claimed:
            told = [
                PEOPLE[user].split(" ")[0]
                for user in PEOPLE
                if any(
                    ":alarm_clock:" in m.all_text()
                    for m in demo.slack.dm_messages(user)[before[user] :]
                )
            ]
            demo.say(f"chase sweep: {report.sent} reminder(s) in digests to {', '.join(told)}")
        elif day.weekday() < 5:
            calendar = await demo.services.repos.closure_days.calendar()
            why = "bank holiday" if not calendar.is_working_day(day) else "nothing due"
            demo.say(f"chase sweep: {why}")
        day += timedelta(days=1)
    clerk = demo.newest_dm_with(CLERK, "overdue scrutiny question")
    if clerk is not None:
        demo.say(f"  the clerk's escalation reads: {clerk.blocks[0]['text']['text']}")
    deputy = demo.newest_dm_with(DEPUTY, ":alarm_clock:")
    if deputy is not None:
        demo.say(f"  very overdue: {PEOPLE[DEPUTY]} is now chased too")


async def compile_agenda(demo: Demo, out_dir: Path) -> list[Path]:
    demo.heading("The clerk compiles the answers for the 11 May agenda")
    demo.clock.set(datetime(2026, 5, 7, 10, 0, tzinfo=LONDON))
    await demo.command(CLERK, "/agenda status")
    await demo.command(CLERK, "/agenda compile CYP-2026-05-11")
    files = await demo.wait(
        lambda: [f for f in demo.slack.files if f.completed][:2] or None, "the uploaded files"
    )
    written = []
    for stored in files:
        path = out_dir / stored.name
        await asyncio.to_thread(path.write_bytes, stored.content)
        written.append(path)
    summary = await demo.wait(
        lambda: (
            [e for e in demo.slack.ephemerals(CLERK) if "Still missing" in e.all_text()] or None
        ),
        "the summary",
    )
    demo.say(f"  bot: {summary[-1].text}")
    markdown = next(p for p in written if p.suffix == ".md").read_text(encoding="utf-8")
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#### Question 2 "))
    demo.out("\nAn answered question in the compiled Markdown:\n")
    for line in lines[start : start + 20]:
        if line.startswith("#### Question 3 "):
            break
        demo.out(f"    {line[:110]}")
    return written + await export_open_data(demo, out_dir)


async def export_open_data(demo: Demo, out_dir: Path) -> list[Path]:
    """The same meeting as open data (CSV and JSON), as `python -m bot export` writes it."""
    services = demo.runtime.services
    assert services is not None
    meeting = await services.repos.meetings.by_reference("CYP-2026-05-11")
    target, table = await export_meeting(services.repos, meeting, await services.actor(CLERK))
    written = []
    for name, data in (
        (f"{target.reference}-questions.csv", export.to_csv(table)),
        (f"{target.reference}-questions.json", export.to_json(target, table)),
    ):
        path = out_dir / name
        await asyncio.to_thread(path.write_bytes, data)
        written.append(path)
    return written


class OutputFolderUnusable(Exception):
    """``--out`` cannot take the demo's files: one line saying why."""


def fresh_folder(out_dir: Path) -> None:
    """An empty ``out_dir``. Only a folder an earlier demo wrote (it holds ``demo.db``) or an
    empty one is cleared: anything else is refused, never deleted."""
    try:
        if out_dir.exists():
            earlier = (out_dir / "demo.db").exists()
            if not out_dir.is_dir() or (not earlier and any(out_dir.iterdir())):
                raise OutputFolderUnusable(
                    f"--out {out_dir}: not an earlier demo's folder; give a new or empty folder"
                )
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
    except OSError as error:
        raise OutputFolderUnusable(f"--out {out_dir}: {error.strerror or error}") from None


async def run_demo(out_dir: Path, out: Callable[[str], None] = print) -> list[Path]:
    """Run the story; returns the files written to ``out_dir``."""
    started = time.monotonic()
    fresh_folder(out_dir)
    clock = FixedClock(datetime(2026, 4, 20, 9, 0, tzinfo=LONDON))
    async with SlackDouble(signing_secret="demo-signing-secret") as slack:
        for user, name in PEOPLE.items():
            slack.add_user(user, name.split(" ")[0].lower(), name.split(" (")[0])
        settings = Settings(
            slack_bot_token=slack.bot_token,
            slack_signing_secret="demo-signing-secret",
            slack_api_url=slack.api_url,
            port=0,
            database_path=str(out_dir / "demo.db"),
            clerk_user_ids=frozenset({CLERK}),
        )
        runtime = Runtime(settings, clock=clock, host="127.0.0.1", start_scheduler=False)
        await runtime.start()
        slack.connect_http(runtime.events_url)
        demo = Demo(slack, runtime, clock, out)
        try:
            out("Scrutiny questions bot: a local run against the built-in Slack double")
            out("(simulated clock; nothing leaves this machine)")
            await set_up(demo)
            await import_questions(demo)
            await officer_answers(demo)
            await simulated_days(demo)
            written = await compile_agenda(demo, out_dir)
        finally:
            await runtime.stop()
    out("\nWritten:")
    for path in written:
        out(f"  {path}")
    out(f"  {out_dir / 'demo.db'} (the demo's database)")
    out(f"Finished in {time.monotonic() - started:.1f} s.")
    return written


def main(out_dir: str = "demo-output") -> int:
    logging.getLogger().setLevel(logging.WARNING)
    asyncio.run(run_demo(Path(out_dir)))
    return 0
