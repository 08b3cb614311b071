"""Chasing through the real stack: a whole cycle with an injected clock, faults, restarts."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.chasing import SENDS_AT_ONCE, clerk_daily_digest, sweep
from bot.config import Settings
from bot.core.clock import FixedClock
from bot.core.models import MessageRef, QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, DEPUTY, LONDON, MEMBER
from tests.handlers.support import (
    clerk_approves,
    dm_containing,
    eventually,
    officer_parent,
    open_modal,
    services,
    set_up_commission,
    store_of,
    submit_question,
)
from tests.paths import ROOT

REF = "CYP-2023-12-18-Q01"


def at(day: date, hour: int = 9, minute: int = 35) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def reminders_to(slack: SlackDouble, user: str) -> list[str]:
    return [m.all_text() for m in slack.dm_messages(user) if ":alarm_clock:" in m.all_text()]


async def sent_on_monday_20_april(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, REF)
    await officer_parent(slack, DCSC_OFFICER, REF, bot)


async def sweep_at(bot: Runtime, clock: FixedClock, moment: datetime) -> int:
    clock.set(moment)
    assert bot.app is not None
    report = await sweep(services(bot), bot.app.client, moment, pace=0)
    return report.sent


async def test_a_whole_cycle_in_working_days(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await sent_on_monday_20_april(slack, bot)  # due Mon 27 Apr, for the 11 May meeting
    sent_per_day = {}
    day = date(2026, 4, 20)
    while day <= date(2026, 5, 6):
        sent_per_day[day] = await sweep_at(bot, clock, at(day))
        # A second sweep the same day sends nothing again.
        assert await sweep_at(bot, clock, at(day, 14, 0)) == 0
        day += timedelta(days=1)
    reminder_days = [d for d, n in sent_per_day.items() if n]
    assert reminder_days == [
        date(2026, 4, 20),  # when sent
        date(2026, 4, 23),  # 2 working days before due
        date(2026, 4, 27),  # on the due day
        date(2026, 4, 28),  # overdue: officer and clerk
        date(2026, 4, 30),  # every 2 working days while overdue
        date(2026, 5, 5),  # 4 May is a bank holiday, the weekend is skipped
        date(2026, 5, 6),  # very overdue: the deputy too
    ]
    officer = reminders_to(slack, DCSC_OFFICER)
    assert len(officer) == 7
    assert REF in officer[0] and "/archives/" in officer[0]
    clerk = reminders_to(slack, CLERK)
    assert len(clerk) == 4  # from the first overdue day on
    assert "overdue" in clerk[0]
    assert len(reminders_to(slack, DEPUTY)) == 1
    parent = await officer_parent(slack, DCSC_OFFICER, REF)
    nudges = [m for m in slack.thread(parent.channel, parent.ts) if "Reminder:" in m.all_text()]
    assert len(nudges) == 6  # one per reminder after the first, in the question's thread

    # The answer stops the chase at once.
    await slack.post_user_message(parent.channel, DCSC_OFFICER, "78.", thread_ts=parent.ts)

    async def state() -> QuestionState:
        return (await services(bot).repos.questions.get(1)).state

    await eventually(state, lambda s: s is QuestionState.ANSWERED)
    for later in (date(2026, 5, 7), date(2026, 5, 8), date(2026, 5, 11)):
        assert await sweep_at(bot, clock, at(later)) == 0


async def test_nothing_outside_working_hours_or_on_holidays(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await sent_on_monday_20_april(slack, bot)
    assert await sweep_at(bot, clock, at(date(2026, 4, 20), 8, 0)) == 0
    assert await sweep_at(bot, clock, at(date(2026, 4, 20), 17, 30)) == 0
    assert await sweep_at(bot, clock, at(date(2026, 4, 25), 11, 0)) == 0  # Saturday
    assert await sweep_at(bot, clock, at(date(2026, 4, 20), 9, 30)) == 1


async def test_429_and_500_are_retried_and_a_failure_stays_due(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await sent_on_monday_20_april(slack, bot)
    slack.fail_next("chat.postMessage", status=429, retry_after=1, times=1)
    slack.fail_next("conversations.open", status=500, times=1)
    assert await sweep_at(bot, clock, at(date(2026, 4, 20))) == 1
    assert len(reminders_to(slack, DCSC_OFFICER)) == 1

    # Slack keeps failing beyond the client's retries: the reminder is not lost.
    slack.fail_next("chat.postMessage", status=500, times=10)
    clock.set(at(date(2026, 4, 23)))
    assert bot.app is not None
    report = await sweep(services(bot), bot.app.client, clock(), pace=0)
    assert (report.sent, report.failed) == (0, 1)
    slack.clear_faults()
    assert await sweep_at(bot, clock, at(date(2026, 4, 23), 11, 0)) == 1
    assert await sweep_at(bot, clock, at(date(2026, 4, 23), 12, 0)) == 0
    assert len(reminders_to(slack, DCSC_OFFICER)) == 2


async def chase_process(
    slack: SlackDouble, settings: Settings, now: str
) -> asyncio.subprocess.Process:
    """``python -m bot chase --now ...`` against the double and the bot's store (its SQLite
    file, or its PostgreSQL database), as cron would run it."""
    env_file = Path(settings.database_path).with_name("chase.env")
    env_file.touch()
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        **store_of(settings),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": "unused-by-chase",
        "SLACK_API_URL": slack.api_url,
        "CLERK_USER_IDS": CLERK,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        str(env_file),
        "chase",
        "--now",
        now,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def nudges_in(slack: SlackDouble, thread: MessageRef) -> int:
    return len([m for m in slack.thread(thread.channel, thread.ts) if "Reminder:" in m.text])


async def test_a_sweep_killed_mid_way_is_finished_by_the_rerun_at_once(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]]
) -> None:
    """kill -9 of ``python -m bot chase`` while it sends; the rerun at the same --now sends
    what is missing straight away, repeats at most what was in flight, strands nothing."""
    bot = await make_bot(triage_required=False)
    await set_up_commission(slack)
    for n in range(4):
        await submit_question(slack, MEMBER, f"Question {n} about care leavers?")
    questions = await eventually(
        lambda: services(bot).repos.questions.search(),
        lambda qs: len(qs) == 4 and all(q.thread for q in qs),
    )
    threads = [q.thread for q in questions if q.thread]
    posts_before = len(slack.calls_to("chat.postMessage"))
    slack.delay("chat.postMessage", 0.3)
    first = await chase_process(slack, bot.settings, "2026-04-23T09:35")
    try:
        await slack.wait_for(
            lambda: len(slack.calls_to("chat.postMessage")) >= posts_before + 2,
            timeout=60,
        )
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        await first.wait()
    slack.clear_faults()
    posted_before_rerun = len(slack.calls_to("chat.postMessage")) - posts_before
    assert 0 < posted_before_rerun < 4 + 1, "the crash came mid-sweep"

    second = await chase_process(slack, bot.settings, "2026-04-23T09:35")
    _, err = await asyncio.wait_for(second.communicate(), timeout=60)
    assert second.returncode == 0, err.decode()
    assert "0 still due" in err.decode()

    # Nothing lost: every thread nudged, the officer and deputy told; nothing stranded.
    assert all(nudges_in(slack, thread) >= 1 for thread in threads)
    assert len(reminders_to(slack, DCSC_OFFICER)) >= 1
    history = [r for q in questions for r in await services(bot).repos.reminders.history(q.id)]
    assert history and all(r.status == "sent" for r in history)
    # Repeats: at most the messages in flight when the process died.
    repeats = (
        sum(nudges_in(slack, t) - 1 for t in threads) + len(reminders_to(slack, DCSC_OFFICER)) - 1
    )
    assert repeats <= SENDS_AT_ONCE

    third = await chase_process(slack, bot.settings, "2026-04-23T09:40")
    _, err = await asyncio.wait_for(third.communicate(), timeout=60)
    assert third.returncode == 0 and "0 reminder(s) sent" in err.decode()


async def test_a_nudge_that_fails_goes_out_on_the_next_sweep(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]], clock: FixedClock
) -> None:
    slack.add_channel("C0ANSWERS", "scrutiny-answers")
    bot = await make_bot(responses_channel="C0ANSWERS")
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, REF)
    [question] = await eventually(
        lambda: services(bot).repos.questions.search(), lambda qs: qs[0].thread is not None
    )
    assert question.thread is not None and question.thread.channel == "C0ANSWERS"
    assert await sweep_at(bot, clock, at(date(2026, 4, 20))) == 1
    # Thursday: the digest goes, the thread nudge fails beyond the client's retries.
    thread = question.thread
    slack.fail_next("chat.postMessage", status=500, times=3, channel=thread.channel)
    clock.set(at(date(2026, 4, 23)))
    assert bot.app is not None
    report = await sweep(services(bot), bot.app.client, clock(), pace=0)
    assert (report.sent, report.failed) == (0, 1)
    assert nudges_in(slack, thread) == 0
    slack.clear_faults()
    assert await sweep_at(bot, clock, at(date(2026, 4, 23), 9, 40)) == 1
    assert nudges_in(slack, thread) == 1
    assert len(reminders_to(slack, DCSC_OFFICER)) == 2  # the digest was not sent again


async def test_snooze_and_holding_reply_move_reminders(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await sent_on_monday_20_april(slack, bot)
    assert await sweep_at(bot, clock, at(date(2026, 4, 20))) == 1
    # Thursday: the officer snoozes until tomorrow; the due date does not move.
    clock.set(at(date(2026, 4, 23), 9, 0))
    parent = await officer_parent(slack, DCSC_OFFICER, REF)
    await slack.click_button(DCSC_OFFICER, parent, "snooze_reminder")
    view = await open_modal(slack, DCSC_OFFICER, "snooze_submit")
    await slack.submit_view(DCSC_OFFICER, view.id, {"choice": "tomorrow"})
    await dm_containing(slack, DCSC_OFFICER, "paused until Fri 24 Apr")
    assert await sweep_at(bot, clock, at(date(2026, 4, 23))) == 0
    assert await sweep_at(bot, clock, at(date(2026, 4, 24))) == 1
    assert (await services(bot).repos.questions.get(1)).due_date == date(2026, 4, 27)

    # A holding reply promising Fri 1 May: nothing until then, then the ladder resumes.
    clock.set(at(date(2026, 4, 24), 10, 0))
    await slack.click_button(DCSC_OFFICER, parent, "holding_reply")
    holding = await open_modal(slack, DCSC_OFFICER, "holding_reply_submit")
    await slack.submit_view(
        DCSC_OFFICER, holding.id, {"note": "Waiting for figures.", "promised": "2026-05-01"}
    )

    async def state() -> QuestionState:
        return (await services(bot).repos.questions.get(1)).state

    await eventually(state, lambda s: s is QuestionState.HOLDING)
    for quiet in (date(2026, 4, 27), date(2026, 4, 28), date(2026, 4, 30)):
        assert await sweep_at(bot, clock, at(quiet)) == 0
    assert await sweep_at(bot, clock, at(date(2026, 5, 1))) == 1
    # The promised date passes with no answer: the officer and the clerk are both told.
    assert await sweep_at(bot, clock, at(date(2026, 5, 5))) == 1
    lapsed = [t for t in reminders_to(slack, DCSC_OFFICER) if "Fri 1 May" in t]
    assert lapsed and "overdue" in lapsed[-1]
    told = [t for t in reminders_to(slack, CLERK) if REF in t]
    assert told and "promised" in told[-1]


async def test_chase_command_dry_run(
    slack: SlackDouble, bot: Runtime, clock: FixedClock, tmp_path: Path
) -> None:
    await sent_on_monday_20_april(slack, bot)
    env = {"PATH": "/usr/bin:/bin", **store_of(bot.settings)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        os.devnull,
        "chase",
        "--now",
        "2026-04-23T09:30",
        "--dry-run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert f"{REF} [before_due_2] to {DCSC_OFFICER}" in out.decode()
    assert "1 reminder(s) would be sent" in err.decode()
    assert len(reminders_to(slack, DCSC_OFFICER)) == 0  # nothing was sent


async def test_clerk_daily_digest_once_a_day(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await sent_on_monday_20_april(slack, bot)
    assert bot.app is not None
    tuesday = at(date(2026, 4, 28), 10, 0)
    clock.set(tuesday)
    digest = await clerk_daily_digest(services(bot), bot.app.client, tuesday)
    assert digest is not None and not digest.is_empty
    text = await dm_containing(slack, CLERK, "Overdue with <@UDCSC001>")
    assert "Blocking the agenda for CYP-2026-05-11" in text
    assert await clerk_daily_digest(services(bot), bot.app.client, tuesday) is None
    digests = [m for m in slack.dm_messages(CLERK) if "daily digest" in m.text]
    assert len(digests) == 1
    # Nothing on a bank holiday.
    holiday = at(date(2026, 5, 4), 10, 0)
    assert await clerk_daily_digest(services(bot), bot.app.client, holiday) is None


async def test_digests_name_each_questions_topic_and_speak_to_their_reader(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await sent_on_monday_20_april(slack, bot)
    assert await sweep_at(bot, clock, at(date(2026, 4, 23))) == 1
    [officers] = [m for m in reminders_to(slack, DCSC_OFFICER)]
    assert "How many care leavers live out of borough?" in officers
    # The date comes with its reason.
    assert "3 working days before the agenda goes out on Thu 30 Apr" in officers
    assert "Answer by replying in each question's thread." in officers
    # Overdue on Tuesday 28 April: the clerks are told too, in their own words.
    assert await sweep_at(bot, clock, at(date(2026, 4, 28))) == 1
    clerks = [t for t in reminders_to(slack, CLERK) if "overdue scrutiny question" in t]
    assert clerks
    assert "(as clerks)" not in clerks[-1] and "Answer by replying" not in clerks[-1]
    assert f"<@{DCSC_OFFICER}>" in clerks[-1]


async def test_the_clerk_is_told_to_compile_on_the_last_working_day_before_the_agenda(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await sent_on_monday_20_april(slack, bot)
    assert bot.app is not None
    tuesday = at(date(2026, 4, 28), 10, 0)
    clock.set(tuesday)
    digest = await clerk_daily_digest(services(bot), bot.app.client, tuesday)
    assert digest is not None and digest.compile_now == ()
    wednesday = at(date(2026, 4, 29), 10, 0)  # the agenda goes out on Thursday 30 April
    clock.set(wednesday)
    digest = await clerk_daily_digest(services(bot), bot.app.client, wednesday)
    assert digest is not None
    text = await dm_containing(slack, CLERK, "Compile now for CYP-2026-05-11")
    assert "the agenda goes out Thu 30 Apr. 0 answered, 1 awaited" in text
    assert f"(by officer: <@{DCSC_OFFICER}> 1)" in text
    # The digest's news starts where the previous digest ended.
    assert digest.since == tuesday


async def test_working_days_and_hours_follow_the_councils_time_zone(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]], clock: FixedClock
) -> None:
    """A council in Auckland: 10:00 on Monday there is 22:00 on Sunday in London."""
    auckland = ZoneInfo("Pacific/Auckland")
    bot = await make_bot(timezone="Pacific/Auckland", triage_required=False)
    clock.set(datetime(2026, 4, 20, 10, 0, tzinfo=auckland))
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await officer_parent(slack, DCSC_OFFICER, REF, bot)
    question = await services(bot).repos.questions.by_reference(REF)
    assert question.due_date == date(2026, 4, 27)
    # Sunday night in London is Monday morning in Auckland: working hours there.
    assert await sweep_at(bot, clock, datetime(2026, 4, 20, 10, 5, tzinfo=auckland)) == 1
    # 10:00 Monday in London is 21:00 in Auckland: outside its working hours.
    assert await sweep_at(bot, clock, at(date(2026, 4, 23), 10, 0)) == 0
    assert await sweep_at(bot, clock, datetime(2026, 4, 23, 9, 35, tzinfo=auckland)) == 1


async def test_a_sweep_just_started_opens_no_dm_it_has_opened_before(
    slack: SlackDouble, bot: Runtime
) -> None:
    """conversations.open allows about 50 a minute: the DM a question went to is kept, so a
    freshly started sweep (here its own process, with nothing in memory) reuses it."""
    await sent_on_monday_20_april(slack, bot)
    kept = await services(bot).repos.people.dm_channels([DCSC_OFFICER])
    assert kept == {DCSC_OFFICER: slack.dm_channel_for(DCSC_OFFICER)}

    def opened_for(user: str) -> int:
        return len([c for c in slack.calls_to("conversations.open") if c.args.get("users") == user])

    opened_before = opened_for(DCSC_OFFICER)
    chase = await chase_process(slack, bot.settings, "2026-04-23T09:35")
    _, err = await asyncio.wait_for(chase.communicate(), timeout=60)
    assert chase.returncode == 0, err.decode()
    assert len(reminders_to(slack, DCSC_OFFICER)) == 1
    assert opened_for(DCSC_OFFICER) == opened_before


async def test_two_sweeps_at_once_on_one_store_send_each_reminder_once(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]]
) -> None:
    """Two processes sweeping at the same moment (two replicas' ticks, or cron and a bot):
    each reminder and each of its messages goes once, whichever process sends it. On
    PostgreSQL (``make test-postgresql``) they are two replicas on one database."""
    bot = await make_bot(triage_required=False)
    await set_up_commission(slack)
    for n in range(6):
        await submit_question(slack, MEMBER, f"Question {n} about care leavers?")
    questions = await eventually(
        lambda: services(bot).repos.questions.search(),
        lambda qs: len(qs) == 6 and all(q.thread for q in qs),
    )
    threads = [q.thread for q in questions if q.thread]
    slack.delay("chat.postMessage", 0.05)  # long enough for the two to overlap
    sweeps = [await chase_process(slack, bot.settings, "2026-04-23T09:35") for _ in range(2)]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in sweeps)), 90)
    for process, (_, err) in zip(sweeps, outputs, strict=True):
        assert process.returncode == 0, err.decode()
    assert [nudges_in(slack, thread) for thread in threads] == [1] * 6
    assert len(reminders_to(slack, DCSC_OFFICER)) == 1
    history = [r for q in questions for r in await services(bot).repos.reminders.history(q.id)]
    assert len(history) == 6 and all(r.status == "sent" for r in history)
