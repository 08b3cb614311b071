"""/agenda search, and earlier questions like a new one on its confirmation and triage card."""

from __future__ import annotations

from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, MEMBER
from tests.handlers.support import (
    clerk_approves,
    dm_containing,
    dm_with_button,
    ephemeral_containing,
    eventually,
    officer_parent,
    services,
    set_up_commission,
    submit_question,
)

Q01, Q02 = "CYP-2023-12-18-Q01", "CYP-2023-12-18-Q02"
MOVES = "Why do children in care move placements so often?"


async def answered(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, MOVES)
    await clerk_approves(slack, Q01)
    parent = await officer_parent(slack, DCSC_OFFICER, Q01, bot)
    await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "Most moves were *planned* <!channel>.", thread_ts=parent.ts
    )
    await eventually(
        lambda: services(bot).repos.questions.by_reference(Q01),
        lambda q: q.state is QuestionState.ANSWERED,
    )


async def test_search_finds_questions_and_answers(slack: SlackDouble, bot: Runtime) -> None:
    await answered(slack, bot)
    await slack.send_command("/agenda", "search moving", CLERK)
    found = await ephemeral_containing(slack, CLERK, "question found for")
    assert f"*{Q01}* (answered)" in found
    assert "Children and Young People Scrutiny Commission, Mon 18 Dec 2023" in found
    assert "/archives/" in found  # a link to the thread, for the clerk
    # The clerk searches the answer as it stands; the extract is text, matched words in bold.
    await slack.send_command("/agenda", "search planned", CLERK)
    extract = await ephemeral_containing(slack, CLERK, "*planned*")
    assert "<!channel>" not in extract and "@channel" in extract
    # A member sees only published answers: the draft is not found yet.
    await slack.send_command("/agenda", "search planned", MEMBER)
    await ephemeral_containing(slack, MEMBER, "Nothing found for _planned_.")
    await slack.send_command("/agenda", "compile --final", CLERK)
    await eventually(
        lambda: services(bot).repos.questions.by_reference(Q01),
        lambda q: q.state is QuestionState.PUBLISHED,
    )
    await slack.send_command("/agenda", "search planned", MEMBER)
    published = await ephemeral_containing(slack, MEMBER, "question found for")
    assert f"*{Q01}* (published)" in published and "published for CYP-2026-05-11" in published
    assert "/archives/" not in published


async def test_search_filters_and_mistakes(slack: SlackDouble, bot: Runtime) -> None:
    await answered(slack, bot)
    await slack.send_command("/agenda", "search placements in:cyp since:2026-04-01", CLERK)
    await ephemeral_containing(slack, CLERK, f"*{Q01}*")
    await slack.send_command("/agenda", "search placements since:2026-05-01", CLERK)
    await ephemeral_containing(slack, CLERK, "Nothing found for _placements_.")
    await slack.send_command("/agenda", "search placements since:yesterday", CLERK)
    await ephemeral_containing(slack, CLERK, "give the date as since:2025-09-01")
    await slack.send_command("/agenda", "search placements in:XYZ", CLERK)
    await ephemeral_containing(slack, CLERK, "XYZ")
    await slack.send_command("/agenda", "search", CLERK)
    await ephemeral_containing(slack, CLERK, "Say what to look for.")


async def test_a_question_like_an_earlier_one_is_flagged(slack: SlackDouble, bot: Runtime) -> None:
    await answered(slack, bot)
    await submit_question(slack, MEMBER, "Why are children in care moving placement so often?")
    confirmation = await dm_containing(slack, MEMBER, f"your question *{Q02}* is recorded")
    assert "Asked before?" in confirmation
    assert f":warning: possible duplicate of *{Q01}* (answered): {MOVES}" in confirmation
    card = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "triage_approve", Q02))
    assert f"possible duplicate of *{Q01}*" in card.all_text()
    # Something new has nothing listed.
    await submit_question(slack, MEMBER, "What is the budget for school meals next year?")
    fresh = await dm_containing(slack, MEMBER, "CYP-2023-12-18-Q03* is recorded")
    assert "Asked before?" not in fresh
