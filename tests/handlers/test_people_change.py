"""A role changes hands: live questions go to the new holder, whose replies are the answer."""

from __future__ import annotations

from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, MEMBER
from tests.handlers.support import (
    clerk_approves,
    dm_containing,
    ephemeral_containing,
    eventually,
    officer_parent,
    services,
    set_up_commission,
    submit_question,
)

REF = "CYP-2023-12-18-Q01"
NEW = "UNEWDCSC1"


async def test_a_new_holder_takes_over_live_questions_and_answers_them(
    slack: SlackDouble, bot: Runtime
) -> None:
    slack.add_user(NEW, "new.dcsc", "Noor New")
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, REF)
    old_parent = await officer_parent(slack, DCSC_OFFICER, REF, bot)

    await slack.send_command(
        "/agenda", f"officer set DCSC <@{NEW}|noor> Director of Children's Social Care", CLERK
    )
    # (set_up_commission's own "DCSC is now ..." came earlier: wait for this one.)
    reply = await ephemeral_containing(slack, CLERK, "live question moved")
    assert f"1 live question moved from <@{DCSC_OFFICER}> to <@{NEW}>: {REF}" in reply
    told = await dm_containing(slack, NEW, "You now answer for DCSC")
    assert REF in told and f"from <@{DCSC_OFFICER}>" in told
    await dm_containing(slack, DCSC_OFFICER, "is now with")
    question = await eventually(
        lambda: services(bot).repos.questions.by_reference(REF),
        lambda q: q.thread is not None and q.thread.ts != old_parent.ts,
    )
    assert question.assigned_officer == NEW
    assert question.thread is not None
    events = await services(bot).repos.audit.for_subject("question", REF)
    assert "officer_reassigned" in [e.action for e in events]

    # The new holder's reply in their thread is the answer.
    await slack.post_user_message(
        question.thread.channel,
        NEW,
        "78 care leavers live outside Hackney.",
        thread_ts=question.thread.ts,
    )
    answered = await eventually(
        lambda: services(bot).repos.questions.by_reference(REF),
        lambda q: q.state is QuestionState.ANSWERED,
    )
    assert answered.assigned_officer == NEW


async def test_a_role_with_live_questions_cannot_be_removed(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, REF)
    await officer_parent(slack, DCSC_OFFICER, REF, bot)
    await slack.send_command("/agenda", "officer remove DCSC", CLERK)
    refusal = await ephemeral_containing(slack, CLERK, "still has 1 live question")
    assert REF in refusal and "/agenda officer set DCSC" in refusal
    assert await services(bot).repos.officers.find_role("DCSC") is not None
    await slack.send_command("/agenda", "officer remove DoE", CLERK)
    await ephemeral_containing(slack, CLERK, "Removed DoE")
    assert await services(bot).repos.officers.find_role("DoE") is None
    assert await services(bot).repos.officers.find_role("HoS") is not None


async def test_an_agenda_item_can_be_removed(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "item add 2023-12-18 5 Budget monitoring", CLERK)
    await ephemeral_containing(slack, CLERK, "Added CYP-2023-12-18 item 5")
    await slack.send_command("/agenda", "item remove 2023-12-18 5", CLERK)
    await ephemeral_containing(slack, CLERK, "Removed CYP-2023-12-18 item 5: Budget monitoring")
    await slack.send_command("/agenda", "item remove CYP-2023-12-18 5", CLERK)
    await ephemeral_containing(slack, CLERK, "has no item 5")
