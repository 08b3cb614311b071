"""Acknowledgements first: a reply is stored and acknowledged at once, and recorded (with
its messages to Slack) once no request is waiting for its acknowledgement."""

from __future__ import annotations

import asyncio
from typing import TypeVar

from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import DCSC_OFFICER
from tests.handlers.support import eventually, services
from tests.handlers.test_answers import sent_question


async def test_a_reply_is_recorded_after_the_acks_in_hand(slack: SlackDouble, bot: Runtime) -> None:
    parent = await sent_question(slack, bot)
    foreground = services(bot).foreground
    foreground.patience = 60.0
    inbox = services(bot).repos.inbox
    # Another request is being acknowledged (held open here) while the reply arrives.
    held = foreground.serving()
    held.__enter__()
    try:
        reply = await slack.post_user_message(
            parent.channel, DCSC_OFFICER, "78 care leavers live outside Hackney.", parent.ts
        )
        assert reply.status == 200  # stored and acknowledged without waiting
        assert len(await inbox.pending()) == 1
        # Its recording waits for its turn behind the ack in hand.
        await eventually(lambda: _value(foreground.waiting), lambda n: n == 1)
        question = await services(bot).repos.questions.get(1)
        assert question.state is QuestionState.SENT
        assert not slack.reactions(parent.channel, reply.ts)
    finally:
        held.__exit__(None, None, None)
    # The ack in hand done, the reply is recorded and confirmed in its thread.
    await eventually(lambda: services(bot).repos.questions.get(1), _answered)
    await eventually(lambda: _value(slack.reactions(parent.channel, reply.ts)), lambda r: bool(r))
    await eventually(inbox.pending, lambda pending: pending == [])


def _answered(question: object) -> bool:
    return getattr(question, "state", None) is QuestionState.ANSWERED


T = TypeVar("T")


async def _value(value: T) -> T:
    return value


async def test_a_reply_arriving_while_the_writer_is_busy_waits_for_it_before_the_ack(
    slack: SlackDouble, bot: Runtime
) -> None:
    """Stored at once when the writer is free; otherwise it waits its (urgent) turn, and is
    acknowledged only once stored."""
    parent = await sent_question(slack, bot)
    inbox = services(bot).repos.inbox
    async with services(bot).db.transaction() as tx:
        await tx.execute("SELECT 1")  # the writer is taken, as by a transaction in progress
        posting = asyncio.create_task(
            slack.post_user_message(
                parent.channel, DCSC_OFFICER, "Of these, 12 are in Essex.", parent.ts
            )
        )
        # The request has reached the bot, which holds it until the reply is stored.
        foreground = services(bot).foreground
        await eventually(lambda: _value(foreground.active), lambda n: n == 1)
        assert not posting.done()  # no ack before it is stored
        assert await inbox.pending() == []
    reply = await posting
    assert reply.status == 200
    await eventually(lambda: services(bot).repos.questions.get(1), _answered)
