"""Meetings move, closure days come and go: open questions' due dates follow, officers are told."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.models import Question
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, MEMBER
from tests.handlers.support import (
    clerk_approves,
    ephemeral_containing,
    eventually,
    officer_parent,
    services,
    set_up_commission,
    submit_question,
)

REF = "CYP-2023-12-18-Q01"


async def sent(slack: SlackDouble, bot: Runtime) -> Question:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, REF)
    await officer_parent(slack, DCSC_OFFICER, REF, bot)
    question = await services(bot).repos.questions.by_reference(REF)
    assert question.due_date == date(2026, 4, 27)  # for the 11 May meeting
    return question


def notices(slack: SlackDouble) -> list[Any]:
    return [m for m in slack.dm_messages(DCSC_OFFICER) if ":calendar:" in m.all_text()]


async def due_date(bot: Runtime) -> date | None:
    return (await services(bot).repos.questions.by_reference(REF)).due_date


async def test_a_closure_day_added_and_removed_moves_due_dates_and_tells_the_officer(
    slack: SlackDouble, bot: Runtime
) -> None:
    await sent(slack, bot)
    await slack.send_command("/agenda", "closure add 2026-04-28 Staff training day", CLERK)
    reply = await ephemeral_containing(slack, CLERK, "Added a council closure day")
    assert "1 open question got a new due date; 1 officer(s) told: " + REF in reply
    assert await due_date(bot) == date(2026, 4, 24)
    [notice] = await slack.wait_for(lambda: notices(slack))
    text = notice.all_text()
    assert "Tue 28 Apr 2026 is now a closure day" in text
    assert "now due *Fri 24 Apr* (was Mon 27 Apr)" in text
    assert REF in text

    await slack.send_command("/agenda", "closure list", CLERK)
    assert "Staff training day" in await ephemeral_containing(slack, CLERK, "closure days ahead")
    await slack.send_command("/agenda", "closure remove 2026-04-28", CLERK)
    await ephemeral_containing(slack, CLERK, "counts as a working day again")
    assert await due_date(bot) == date(2026, 4, 27)
    await slack.wait_for(lambda: len(notices(slack)) == 2)


async def test_moving_a_meeting_moves_its_questions_due_dates(
    slack: SlackDouble, bot: Runtime
) -> None:
    await sent(slack, bot)
    await slack.send_command("/agenda", "meeting move CYP-2026-05-11 2026-05-18 18:30", CLERK)
    reply = await ephemeral_containing(slack, CLERK, "moved to Mon 18 May 2026")
    assert "CYP-2026-05-18" in reply
    assert await due_date(bot) == date(2026, 5, 5)
    [notice] = await slack.wait_for(lambda: notices(slack))
    assert "now due *Tue 5 May* (was Mon 27 Apr)" in notice.all_text()
    meetings = await services(bot).repos.meetings.all(from_date=date(2026, 5, 1))
    assert [(m.date, m.time and m.time.isoformat("minutes")) for m in meetings] == [
        (date(2026, 5, 18), "18:30")
    ]
    # A date names the meeting as well as its reference does.
    await slack.send_command("/agenda", "meeting move 2026-05-18 2026-05-11", CLERK)
    await ephemeral_containing(slack, CLERK, "moved to Mon 11 May 2026")
    assert await due_date(bot) == date(2026, 4, 27)


async def test_a_bad_move_is_explained_and_changes_nothing(
    slack: SlackDouble, bot: Runtime
) -> None:
    await sent(slack, bot)
    for words, needle in (
        ("meeting move CYP-2026-05-11 next-week", "is not a date written YYYY-MM-DD"),
        ("meeting move CYP-2026-05-11 2026-05-18 25:00", "is not a time written HH:MM"),
        ("meeting move CYP-2026-05-11", "Say the meeting and its new date"),
        ("meeting move CYP-2026-05-11 2026-01-05", "has passed"),
        ("meeting move CYP-2030-01-01 2026-05-18", "CYP-2030-01-01"),
    ):
        await slack.send_command("/agenda", words, CLERK)
        await ephemeral_containing(slack, CLERK, needle)
    assert await due_date(bot) == date(2026, 4, 27)
    assert notices(slack) == []
    await slack.send_command("/agenda", "meeting move CYP-2026-05-11 2026-05-18", DCSC_OFFICER)
    await ephemeral_containing(slack, DCSC_OFFICER, "clerk")
    assert await due_date(bot) == date(2026, 4, 27)


async def test_a_cancelled_meetings_questions_move_to_the_next_one_once_confirmed(
    slack: SlackDouble, bot: Runtime
) -> None:
    await sent(slack, bot)
    await slack.send_command("/agenda", "meeting cancel CYP-2026-05-11 Purdah", CLERK)
    await ephemeral_containing(slack, CLERK, "add it with `/agenda meeting add` first")
    await slack.send_command("/agenda", "meeting add 2026-06-22 19:00 CYP", CLERK)
    await ephemeral_containing(slack, CLERK, "CYP-2026-06-22")
    await slack.send_command("/agenda", "meeting cancel 2026-05-11 Purdah", CLERK)
    await ephemeral_containing(slack, CLERK, "will move to CYP-2026-06-22")
    # Nothing changes until the clerk confirms.
    question = await services(bot).repos.questions.by_reference(REF)
    assert question.due_date == date(2026, 4, 27)
    [card] = await slack.wait_for(
        lambda: [e for e in slack.ephemerals(CLERK) if "meeting_cancel_confirm" in str(e.blocks)]
    )
    await slack.click_button(CLERK, card, "meeting_cancel_confirm")
    moved = await eventually(
        lambda: services(bot).repos.questions.by_reference(REF),
        lambda q: q.due_date != date(2026, 4, 27),
    )
    june = await services(bot).repos.meetings.by_reference("CYP-2026-06-22")
    assert moved.target_meeting_id == june.id
    assert moved.due_date == date(2026, 6, 9)
    [notice] = await slack.wait_for(lambda: notices(slack))
    assert "CYP-2026-05-11 meeting was cancelled" in notice.all_text()
    upcoming = await services(bot).repos.meetings.all(from_date=date(2026, 5, 1))
    assert [m.reference for m in upcoming] == ["CYP-2026-06-22"]
