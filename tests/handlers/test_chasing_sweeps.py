"""Chasing through the real stack: a whole cycle with an injected clock, faults, restarts."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.chasing import clerk_daily_digest, sweep
from bot.core.chasing import ReminderKey
from bot.core.clock import FixedClock
from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, DEPUTY, LONDON, MEMBER, bot_settings, start_bot
from tests.handlers.support import (
    clerk_approves,
    dm_containing,
    eventually,
    officer_parent,
    open_modal,
    services,
    set_up_commission,
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


async def test_restart_mid_sweep_loses_nothing_and_repeats_nothing(
    slack: SlackDouble, clock: FixedClock, tmp_path: Path
) -> None:
    settings = bot_settings(slack, tmp_path)
    first = await start_bot(slack, settings, clock)
    await sent_on_monday_20_april(slack, first)
    assert await sweep_at(first, clock, at(date(2026, 4, 20))) == 1
    # On Thursday the process claims the reminder and dies before sending it.
    thursday = at(date(2026, 4, 23))
    key = ReminderKey(1, "before_due_2", date(2026, 4, 23))
    assert await services(first).repos.reminders.claim([key], thursday) == [key]
    await first.stop()

    second = await start_bot(slack, settings, clock)
    try:
        # Monday's reminder is not sent again; Thursday's goes once the stale claim lapses.
        assert await sweep_at(second, clock, thursday + timedelta(minutes=5)) == 0
        assert await sweep_at(second, clock, thursday + timedelta(minutes=20)) == 1
        assert await sweep_at(second, clock, thursday + timedelta(minutes=40)) == 0
        assert len(reminders_to(slack, DCSC_OFFICER)) == 2
    finally:
        await second.stop()


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


async def test_chase_command_dry_run(
    slack: SlackDouble, bot: Runtime, clock: FixedClock, tmp_path: Path
) -> None:
    await sent_on_monday_20_april(slack, bot)
    env = {"PATH": "/usr/bin:/bin", "DATABASE_PATH": bot.settings.database_path}
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
