"""How questions get in: /question, the message shortcut and the clerk's import."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.compiling import compile_meeting
from bot.core.models import OnBehalfOf, QuestionState
from bot.core.permissions import Actor
from bot.flows import intake
from bot.flows.intake import FormErrors, SubmittedQuestion
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, HOT_REP, MEMBER
from tests.handlers.support import (
    dm_containing,
    dm_with_button,
    ephemeral_containing,
    eventually,
    open_modal,
    services,
    set_up_commission,
)
from tests.paths import MINUTES


async def test_question_modal_round_trip_with_errors_then_corrected(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await slack.send_command("/question", "", MEMBER)
    view = await open_modal(slack, MEMBER, "question_submit")
    options = [
        o["text"]["text"]
        for b in view.blocks
        if b["block_id"] == "meeting"
        for o in b["element"]["options"]
    ]
    assert any("18 Dec 2023" in o for o in options)

    typed = "How many care leavers are in unsuitable housing ?\u0007"
    first = await slack.submit_view(MEMBER, view.id, {"text": typed, "item": "four"})
    assert first.json["response_action"] == "errors"
    assert set(first.json["errors"]) == {"item"}
    assert await services(bot).repos.questions.search() == []
    # The modal is still open with what was typed: nothing is lost.
    assert slack.view(view.id).state_values["text"]["text"]["value"] == typed

    blank = await slack.submit_view(MEMBER, view.id, {"text": "   ", "item": "4"})
    assert "empty" in blank.json["errors"]["text"]
    minute = await slack.submit_view(
        MEMBER, view.id, {"text": "How many?", "item": "4", "minute": "item four"}
    )
    assert set(minute.json["errors"]) == {"minute"}
    assert "4.21" in minute.json["errors"]["minute"]

    done = await slack.submit_view(
        MEMBER,
        view.id,
        {
            "text": "How many care\u00ad leavers are in unsuitable housing?\u200b\u0007",
            "item": "4",
            "minute": " 4.21 ",
            "asker": "member",
            "role": "DCSC",
        },
    )
    assert done.json in (None, {}) or "response_action" not in done.json
    confirmation = await dm_containing(slack, MEMBER, "CYP-2023-12-18-Q01")
    assert "clerk checks it" in confirmation
    [question] = await services(bot).repos.questions.search()
    assert question.state is QuestionState.SUBMITTED
    assert question.source_minute == "4.21"  # cross-referenced in the compiled document
    # Invisible characters pasted with the text are removed, not refused.
    assert question.text == "How many care leavers are in unsuitable housing?"
    assert question.asker.member_name == "Cllr Sam Mirza"
    assert question.addressed_role == "DCSC"
    assert question.agenda_item == "4"


async def test_question_text_after_the_command_prefills_the_form(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await slack.send_command("/question", "Why are referrals rising faster here?", HOT_REP)
    view = await open_modal(slack, HOT_REP, "question_submit")
    text_block = next(b for b in view.blocks if b["block_id"] == "text")
    assert text_block["element"]["initial_value"] == "Why are referrals rising faster here?"
    await slack.submit_view(HOT_REP, view.id, {"asker": "hackney_of_tomorrow"})
    await dm_containing(slack, HOT_REP, "is recorded")
    [question] = await services(bot).repos.questions.search()
    assert question.asker.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW
    assert question.asker.label == "Hackney of Tomorrow"
    assert question.asker.member_name is None


async def test_no_meetings_yet_says_so(slack: SlackDouble, bot: Runtime) -> None:
    await slack.send_command("/question", "", MEMBER)
    view = await open_modal(slack, MEMBER, "question_submit")
    assert "meeting add" in json.dumps(view.blocks)


async def test_double_clicked_submit_creates_one_question(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await slack.send_command("/question", "Is the housing quota staying?", MEMBER)
    view = await open_modal(slack, MEMBER, "question_submit")
    await asyncio.gather(
        slack.submit_view(MEMBER, view.id, {}), slack.submit_view(MEMBER, view.id, {})
    )
    await dm_containing(slack, MEMBER, "is recorded")
    assert len(await services(bot).repos.questions.search()) == 1
    assert len([m for m in slack.dm_messages(MEMBER) if "is recorded" in m.all_text()]) == 1


async def test_message_shortcut_prefills_from_the_message(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    posted = slack.seed_message("C0GENERAL", MEMBER, "What is morale like before Ofsted?")
    result = await slack.message_shortcut(MEMBER, "log_scrutiny_question", "C0GENERAL", posted.ts)
    assert result.status == 200
    assert result.payload["type"] == "message_action"
    view = await open_modal(slack, MEMBER, "question_submit")
    text_block = next(b for b in view.blocks if b["block_id"] == "text")
    assert text_block["element"]["initial_value"] == "What is morale like before Ofsted?"
    assert json.loads(view.private_metadata) == {"channel": "C0GENERAL", "ts": posted.ts}


async def test_unknown_meeting_and_over_long_text_are_field_errors(
    slack: SlackDouble, bot: Runtime
) -> None:
    """Slack's client caps the input at 3,000 characters; the server checks again."""
    await set_up_commission(slack)
    form = SubmittedQuestion("999", None, "commission", None, "Why? " * 700)
    with pytest.raises(FormErrors) as problems:
        await intake.submit_question(services(bot), MEMBER, "", form, None)
    assert "not known" in problems.value.errors["meeting"]
    assert "3000" in problems.value.errors["text"]
    assert await services(bot).repos.questions.search() == []


async def test_a_long_message_is_cut_to_fit_with_a_warning(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    posted = slack.seed_message("C0GENERAL", MEMBER, "Why? " * 700)
    await slack.message_shortcut(MEMBER, "log_scrutiny_question", "C0GENERAL", posted.ts)
    view = await open_modal(slack, MEMBER, "question_submit")
    assert "3,500 characters" in json.dumps(view.blocks)


async def test_clerk_imports_the_real_minutes_through_the_shortcut(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    dm = slack.dm_channel_for(CLERK)
    posted = slack.seed_message(dm, CLERK, MINUTES.read_text(encoding="utf-8"))
    await slack.message_shortcut(CLERK, "log_scrutiny_question", dm, posted.ts)
    review = await open_modal(slack, CLERK, "import_review")
    shown = json.dumps(review.blocks)
    assert "21 questions to save" in shown
    assert "Hackney of Tomorrow" in shown
    await slack.submit_view(CLERK, review.id, {"item": "4"})
    await dm_containing(slack, CLERK, "Imported *21* questions")
    questions = await services(bot).repos.questions.search()
    assert [q.reference for q in questions] == [f"CYP-2023-12-18-Q{n:02d}" for n in range(1, 22)]
    assert questions[10].asker.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW  # 4.16
    assert questions[10].text.startswith("Care leavers noted")
    assert questions[1].addressed_role == "DCSC"  # 4.7
    assert all(q.state is QuestionState.SUBMITTED for q in questions)


async def test_clerk_pastes_a_list_through_agenda_import(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "import", CLERK)
    paste = await open_modal(slack, CLERK, "import_paste")
    empty = await slack.submit_view(CLERK, paste.id, {"paste": "  \n  "})
    assert empty.json["response_action"] == "errors"
    await slack.submit_view(
        CLERK,
        paste.id,
        {"paste": "• (Hackney of Tomorrow) Why so many moves? (HoS)\n• What about housing?"},
    )
    review = await open_modal(slack, CLERK, "import_review")
    assert review.id == paste.id  # the same modal, updated to the review
    await slack.submit_view(CLERK, review.id, {})
    await dm_containing(slack, CLERK, "Imported *2* questions")
    first, second = await services(bot).repos.questions.search()
    assert first.addressed_role == "HoS"
    assert first.asker.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW
    assert second.addressed_role is None


async def test_import_is_for_clerks_only(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "import", MEMBER)
    await ephemeral_containing(slack, MEMBER, "clerk")
    assert slack.open_views(MEMBER) == []
    # A member's shortcut on a list opens the ordinary one-question form instead.
    posted = slack.seed_message("C0GENERAL", MEMBER, "1. Why? \n2. When?")
    await slack.message_shortcut(MEMBER, "log_scrutiny_question", "C0GENERAL", posted.ts)
    await open_modal(slack, MEMBER, "question_submit")


async def test_the_21_minuted_questions_go_to_one_officer_in_five_clicks(
    slack: SlackDouble, bot: Runtime
) -> None:
    """The minutes are pasted into a message (longer than a form field takes), then: the
    shortcut (1), one role for all (2), Save (3), Approve & send (4)."""
    await set_up_commission(slack)
    dm = slack.dm_channel_for(CLERK)
    posted = slack.seed_message(dm, CLERK, MINUTES.read_text(encoding="utf-8"))
    clicks = 0
    await slack.message_shortcut(CLERK, "log_scrutiny_question", dm, posted.ts)
    clicks += 1
    review = await open_modal(slack, CLERK, "import_review")
    await slack.submit_view(CLERK, review.id, {"item": "4", "role_all": "DCSC"})
    clicks += 2
    card = await slack.wait_for(
        lambda: dm_with_button(slack, CLERK, "send_imported", "Imported *21* questions")
    )
    await slack.click_button(CLERK, card, "send_imported")
    clicks += 1
    questions = await eventually(
        lambda: services(bot).repos.questions.search(),
        lambda qs: len(qs) == 21 and all(q.state is QuestionState.SENT for q in qs),
    )
    assert clicks <= 5
    assert {q.assigned_officer for q in questions} == {DCSC_OFFICER}
    # Each keeps its minute number, and the compiled answers show it.
    assert [q.source_minute for q in questions][:2] == ["4.6", "4.7"]
    meeting = await services(bot).repos.meetings.by_reference("CYP-2026-05-11")
    compiled = await compile_meeting(services(bot).repos, meeting, Actor(CLERK, is_clerk=True))
    assert "**Minute:** 4.21" in compiled.markdown


async def test_the_review_edits_leaves_out_and_sets_roles_one_by_one(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "import", CLERK)
    paste = await open_modal(slack, CLERK, "import_paste")
    await slack.submit_view(
        CLERK,
        paste.id,
        {"paste": "1. What about housing? (R01)\n2. Why so many moves?\n3. A duplicate?"},
    )
    review = await open_modal(slack, CLERK, "import_review")
    await slack.submit_view(
        CLERK,
        review.id,
        {
            "text_1": "Why do children move placement so often?",
            "role_1": "HoS",
            "role_2": "__leave_out__",
        },
    )
    await dm_containing(slack, CLERK, "Imported *2* questions")
    questions = await services(bot).repos.questions.search()
    assert [(q.text, q.addressed_role) for q in questions] == [
        ("What about housing? (R01)", None),
        ("Why do children move placement so often?", "HoS"),
    ]


async def test_a_long_import_is_reviewed_page_by_page_and_nothing_is_cut(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "import", CLERK)
    paste = await open_modal(slack, CLERK, "import_paste")
    listing = "\n".join(f"{n}. Question number {n}?" for n in range(1, 96))
    await slack.submit_view(CLERK, paste.id, {"paste": listing})
    for page in range(3):
        review = await open_modal(slack, CLERK, "import_review")
        assert len(review.blocks) <= 100
        values = {"item": "4"} if page == 0 else {}
        result = await slack.submit_view(CLERK, review.id, values)
        assert result.status == 200
    await eventually(lambda: services(bot).repos.questions.search(), lambda qs: len(qs) == 95)
    texts = [q.text for q in await services(bot).repos.questions.search()]
    assert texts == [f"Question number {n}?" for n in range(1, 96)]
