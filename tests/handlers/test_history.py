"""A question's history for the clerk: /agenda history and the History button."""

from __future__ import annotations

from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, HOT_REP, MEMBER
from tests.handlers.support import (
    clerk_approves,
    dm_with_button,
    ephemeral_containing,
    eventually,
    officer_parent,
    open_modal,
    services,
    set_up_commission,
    submit_question,
)

REF = "CYP-2023-12-18-Q01"


async def answered_and_returned(slack: SlackDouble, bot: Runtime, note: str) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, REF)
    parent = await officer_parent(slack, DCSC_OFFICER, REF, bot)
    await slack.post_user_message(parent.channel, DCSC_OFFICER, "Some.", thread_ts=parent.ts)
    review = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "answer_return", REF))
    await slack.click_button(CLERK, review, "answer_return")
    view = await open_modal(slack, CLERK, "answer_return_submit")
    await slack.submit_view(CLERK, view.id, {"note": note})
    await eventually(
        lambda: services(bot).repos.questions.by_reference(REF),
        lambda q: q.state is QuestionState.RETURNED,
    )


async def test_history_says_who_did_what_and_when(slack: SlackDouble, bot: Runtime) -> None:
    await answered_and_returned(slack, bot, "Please give the number <!channel> *now*.")
    await slack.send_command("/agenda", f"history {REF.lower()}", CLERK)
    history = await ephemeral_containing(slack, CLERK, f"History of {REF}")
    lines = [line for line in history.splitlines() if line.startswith("• ")]
    assert lines[0] == f"• Mon 20 Apr 2026 10:00: <@{MEMBER}> submitted the question"
    assert any(f"<@{CLERK}> sent it to the officer" in line for line in lines)
    assert any(
        f"<@{DCSC_OFFICER}> replied in the thread (recorded as part of the answer)" in line
        for line in lines
    )
    returned = next(line for line in lines if "returned the answer" in line)
    # What the clerk typed is shown as text: nothing in it pings or formats.
    assert "&lt;!channel&gt;" in returned and "<!channel>" not in returned
    # The record's internals (message timestamps, channels) are not shown.
    parent_ts = (await services(bot).repos.questions.by_reference(REF)).thread
    assert parent_ts is not None and parent_ts.ts not in history


async def test_a_young_persons_name_is_withheld_in_the_history(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await submit_question(slack, HOT_REP, "Why do we move so often?", asker="hackney_of_tomorrow")
    await slack.send_command("/agenda", f"history {REF}", CLERK)
    history = await ephemeral_containing(slack, CLERK, f"History of {REF}")
    assert "a Hackney of Tomorrow member submitted the question" in history
    assert HOT_REP not in history


async def test_the_history_button_on_the_clerks_card(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    card = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "question_history", REF))
    await slack.click_button(CLERK, card, "question_history")
    history = await ephemeral_containing(slack, CLERK, f"History of {REF}")
    assert f"<@{MEMBER}> submitted the question" in history


async def test_history_is_for_clerks_and_real_references(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await slack.send_command("/agenda", f"history {REF}", MEMBER)
    refused = await ephemeral_containing(slack, MEMBER, "clerk")
    assert "submitted the question" not in refused
    await slack.send_command("/agenda", "history Q1", CLERK)
    await ephemeral_containing(slack, CLERK, "is not a question reference")
    await slack.send_command("/agenda", "history CYP-2023-12-18-Q09", CLERK)
    await ephemeral_containing(slack, CLERK, "CYP-2023-12-18-Q09")
    await slack.send_command("/agenda", "history", CLERK)
    await ephemeral_containing(slack, CLERK, "Say which question. Usage: `/agenda history")
