"""No answer is lost: not to a crash after the ack, an outage, or invisible characters.

The bot is the real app against the Slack double; a crash is the bot stopped with work
still in hand, an outage is the bot's HTTP server gone while officers reply in Slack.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import catchup as catchup_module
from bot import inbox as inbox_module
from bot import runtime as runtime_module
from bot.catchup import catch_up
from bot.core.clock import FixedClock
from bot.core.models import AnswerPart, QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from storage.repositories import Repositories
from storage.store import open_store, store_location
from tests.conftest import CLERK, DCSC_OFFICER, MEMBER, STRANGER, bot_settings, start_bot
from tests.handlers.support import (
    clerk_approves,
    eventually,
    services,
    set_up_commission,
    submit_question,
)
from tests.handlers.test_answers import REF, sent_question

OFFLINE = "received while the bot was offline"


async def parts_of(bot: Runtime) -> list[AnswerPart]:
    return await services(bot).repos.answers.parts(1)


def clerk_notices(slack: SlackDouble, needle: str) -> list[Any]:
    return [m for m in slack.dm_messages(CLERK) if needle in m.all_text()]


async def restart(slack: SlackDouble, tmp_path: Path, clock: FixedClock) -> Runtime:
    return await start_bot(slack, bot_settings(slack, tmp_path), clock)


async def test_acknowledged_replies_survive_a_crash_before_they_are_recorded(
    slack: SlackDouble,
    bot: Runtime,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = await sent_question(slack, bot)
    stuck = asyncio.Event()

    async def never_finishes(*_: Any) -> str:
        await stuck.wait()
        return "never"

    monkeypatch.setattr(inbox_module.answers, "record_incoming", never_finishes)
    replies = []
    for n in range(12):
        reply = await slack.post_user_message(
            parent.channel, DCSC_OFFICER, f"Part {n} of the answer.", thread_ts=parent.ts
        )
        assert reply.status == 200  # acknowledged: Slack will not send it again
        replies.append(reply)
    # The bot dies with every reply acknowledged and none recorded.
    monkeypatch.setattr(runtime_module, "LISTENER_GRACE", 0.01)
    await bot.stop()
    monkeypatch.undo()
    db = await open_store(store_location(bot.settings.database_url, bot.settings.database_path))
    try:
        repos = Repositories.on(db)
        assert await repos.answers.parts(1) == []
        assert len(await repos.inbox.pending()) == 12
    finally:
        await db.close()

    again = await restart(slack, tmp_path, clock)
    try:
        parts = await eventually(lambda: parts_of(again), lambda p: len(p) == 12)
        assert [p.text for p in parts] == [f"Part {n} of the answer." for n in range(12)]
        for reply in replies:
            reactions = slack.reactions(parent.channel, reply.ts)
            assert reactions.get("white_check_mark") == [slack.bot_user_id]
        await again.caught_up()
        assert len(await parts_of(again)) == 12
        # The stopped bot gave up its claims: the new one finishes every stored event at
        # once, without waiting for the claims to run out.
        await eventually(services(again).repos.inbox.pending, lambda pending: pending == [])
    finally:
        await again.stop()


async def test_replies_edits_and_deletions_during_an_outage_are_caught_up(
    slack: SlackDouble, bot: Runtime, clock: FixedClock, tmp_path: Path
) -> None:
    parent = await sent_question(slack, bot)
    first = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "78 care leavers live outside Hackney.", thread_ts=parent.ts
    )
    second = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "A note to be taken back.", thread_ts=parent.ts
    )
    await eventually(lambda: parts_of(bot), lambda p: len(p) == 2)
    await bot.stop()

    # Two hours without the bot: Slack cannot deliver any of this.
    clock.set(clock() + timedelta(hours=2))
    late = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "Of these, 12 are in Essex.", thread_ts=parent.ts
    )
    chat = await slack.post_user_message(
        parent.channel, STRANGER, "Thanks, that is helpful.", thread_ts=parent.ts
    )
    edited = await slack.edit_user_message(
        parent.channel, first.ts, "79 care leavers live outside Hackney."
    )
    deleted = await slack.delete_user_message(parent.channel, second.ts)
    assert {r.status for r in (late, chat, edited, deleted)} == {None}

    again = await restart(slack, tmp_path, clock)
    try:
        await again.caught_up()
        parts = await parts_of(again)
        live = [(p.message.ts, p.text) for p in parts if not p.deleted]
        assert live == [
            (first.ts, "79 care leavers live outside Hackney."),
            (late.ts, "Of these, 12 are in Essex."),
        ]
        assert [p.message.ts for p in parts if p.deleted] == [second.ts]
        assert slack.reactions(parent.channel, late.ts).get("white_check_mark")
        question = await services(again).repos.questions.get(1)
        assert question.state is QuestionState.ANSWERED
        [notice] = clerk_notices(slack, OFFLINE)
        assert f"1 answer {OFFLINE} was recorded ({REF})" in notice.all_text()

        # Nothing new: a second catch-up records nothing and tells nobody.
        before = len(slack.calls_to("chat.postMessage"))
        report = await catch_up(services(again), again.app.client, again.inbox, pace=0)  # type: ignore[union-attr, arg-type]
        assert (report.found, report.answered) == (0, [])
        assert len(slack.calls_to("chat.postMessage")) == before
        assert len(await parts_of(again)) == 3
    finally:
        await again.stop()


async def test_a_late_event_after_the_catch_up_records_nothing_twice(
    slack: SlackDouble, bot: Runtime, clock: FixedClock, tmp_path: Path
) -> None:
    parent = await sent_question(slack, bot)
    await bot.stop()
    reply = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "Given while the bot was down.", thread_ts=parent.ts
    )
    again = await restart(slack, tmp_path, clock)
    try:
        await again.caught_up()
        assert len(await parts_of(again)) == 1
        retried = await slack.redeliver(reply)  # Slack's own retry arrives after all
        assert retried.status == 200
        await again.inbox.drain()  # type: ignore[union-attr]
        assert len(await parts_of(again)) == 1
        recorded = [
            m for m in slack.thread(parent.channel, parent.ts) if "Recorded" in m.all_text()
        ]
        assert len(recorded) == 1
    finally:
        await again.stop()


INVISIBLE = ["\u200b", "\u00ad", "\ufeff", "\u200e", "\u2060", "\x07"]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
async def test_answers_with_invisible_characters_are_recorded_without_them(
    slack: SlackDouble, bot: Runtime, char: str
) -> None:
    parent = await sent_question(slack, bot)
    await slack.post_user_message(
        parent.channel,
        DCSC_OFFICER,
        f"{char}Seventy{char}-eight care leav{char}ers.{char}",
        thread_ts=parent.ts,
    )
    [part] = await eventually(lambda: parts_of(bot), lambda p: len(p) == 1)
    assert part.text == "Seventy-eight care leavers."


async def test_a_reply_that_cannot_be_recorded_is_explained_in_the_thread_and_to_the_clerk(
    slack: SlackDouble, bot: Runtime
) -> None:
    parent = await sent_question(slack, bot)
    await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "\u200b\u00ad\u2060", thread_ts=parent.ts
    )
    note = await slack.wait_for(
        lambda: [
            m
            for m in slack.thread(parent.channel, parent.ts)
            if "could not be recorded" in m.all_text()
        ]
    )
    assert "The answer is empty." in note[0].all_text()
    assert "reply again" in note[0].all_text()
    [told] = await slack.wait_for(lambda: clerk_notices(slack, "could not be recorded"))
    assert REF in told.all_text()
    assert await parts_of(bot) == []
    question = await services(bot).repos.questions.get(1)
    assert question.state is QuestionState.SENT


async def test_a_catch_up_that_stopped_half_way_starts_with_the_threads_it_missed(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    for n in range(3):
        await submit_question(slack, MEMBER, f"Question {n} on care leavers?")
        await clerk_approves(slack, f"CYP-2023-12-18-Q0{n + 1}")
    questions = await eventually(
        lambda: services(bot).repos.questions.search(),
        lambda qs: len(qs) == 3 and all(q.thread for q in qs),
    )
    assert bot.app is not None and bot.inbox is not None

    def threads_read() -> list[str]:
        return [c.args["ts"] for c in slack.calls_to("conversations.replies")]

    await bot.caught_up()
    already = len(threads_read())
    # The first thread cannot be read this time (a Slack error): the others are.
    slack.fail_next("conversations.replies", status=200, error="internal_error", times=1)
    first = await catch_up(services(bot), bot.app.client, bot.inbox, pace=0)
    assert (first.threads, first.unreadable) == (2, 1)
    order = threads_read()[already:]
    missed_ts = order[0]
    # Next time, the thread that was not read goes first.
    await catch_up(services(bot), bot.app.client, bot.inbox, pace=0)
    assert threads_read()[already + 3] == missed_ts
    assert {q.thread.ts for q in questions if q.thread} == set(order)


async def test_answers_a_stopped_catch_up_recorded_are_told_by_the_next_one(
    slack: SlackDouble,
    bot: Runtime,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = await sent_question(slack, bot)
    await bot.stop()
    await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "Given while the bot was down.", thread_ts=parent.ts
    )

    async def dies_before_telling(*_: Any) -> None:
        raise asyncio.CancelledError  # the process is killed before the clerks hear

    monkeypatch.setattr(catchup_module, "_tell_clerks", dies_before_telling)
    again = await restart(slack, tmp_path, clock)
    await again.caught_up()
    assert len(await parts_of(again)) == 1
    assert clerk_notices(slack, OFFLINE) == []
    await again.stop()
    monkeypatch.undo()

    third = await restart(slack, tmp_path, clock)
    try:
        await third.caught_up()
        [notice] = clerk_notices(slack, OFFLINE)
        assert f"1 answer {OFFLINE} was recorded ({REF})" in notice.all_text()
        assert third.app is not None and third.inbox is not None
        await catch_up(services(third), third.app.client, third.inbox, pace=0)
        assert len(clerk_notices(slack, OFFLINE)) == 1  # told once, not again
    finally:
        await third.stop()
