"""The core loop: triage, the officer's thread, answers, edits, transfers and review."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.core.clock import FixedClock
from bot.core.models import Answer, MessageRef, Question, QuestionState
from bot.core.permissions import Actor
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, DEPUTY, HOS_OFFICER, MEMBER, STRANGER
from tests.handlers.support import (
    clerk_approves,
    dm_containing,
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


async def sent_question(slack: SlackDouble, bot: Runtime) -> Any:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, REF)
    return await officer_parent(slack, DCSC_OFFICER, REF, bot)


ANSWERS_CHANNEL = "C0ANSWERS"


async def sent_to_responses_channel(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]], text: str
) -> tuple[Runtime, str]:
    """A bot posting questions in a responses channel, one question sent there: (bot, its ts)."""
    slack.add_channel(ANSWERS_CHANNEL, "scrutiny-answers")
    bot = await make_bot(responses_channel=ANSWERS_CHANNEL)
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, text)
    await clerk_approves(slack, REF)
    question = await eventually(
        lambda: services(bot).repos.questions.get(1), lambda q: q.thread is not None
    )
    assert question.thread is not None and question.thread.channel == ANSWERS_CHANNEL
    return bot, question.thread.ts


async def test_triage_then_the_officers_message(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    card = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "triage_approve", REF))
    assert "Cllr Sam Mirza" in card.all_text() or "Asked by" in card.all_text()
    # Before approval nothing reaches the officer.
    assert slack.dm_messages(DCSC_OFFICER) == []
    await slack.click_button(CLERK, card, "triage_approve")
    parent = await officer_parent(slack, DCSC_OFFICER, REF, bot)
    text = parent.all_text()
    assert "reply in this thread" in text
    assert "Please answer by *Mon 27 Apr*" in text  # for the 11 May meeting
    assert "4 May bank holiday skipped" in text
    assert "Children and Young People Scrutiny Commission, Mon 18 Dec 2023, item 4" in text
    question = (await services(bot).repos.questions.search())[0]
    assert question.state is QuestionState.SENT
    assert question.thread == MessageRef(parent.channel, parent.ts)
    # The clerk's card now says what happened instead of offering the buttons again.
    await ephemeral_or_replaced(slack, "Sent to")


async def ephemeral_or_replaced(slack: SlackDouble, needle: str) -> None:
    """The clerk's card, replaced through its response_url, now says ``needle``."""
    await slack.wait_for(lambda: [m for m in slack.dm_messages(CLERK) if needle in m.all_text()])


async def test_answer_in_the_thread_is_recorded_and_announced(
    slack: SlackDouble, bot: Runtime
) -> None:
    parent = await sent_question(slack, bot)
    reply = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "*78* care leavers live outside Hackney.", thread_ts=parent.ts
    )
    assert reply.status == 200
    await slack.wait_for(lambda: slack.reactions(parent.channel, reply.ts))
    notes = await slack.wait_for(
        lambda: [m for m in slack.thread(parent.channel, parent.ts) if "Recorded" in m.all_text()]
    )
    assert notes
    await dm_containing(slack, MEMBER, "has been answered")
    review = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "answer_approve", REF))
    assert "78" in review.all_text()
    question = (await services(bot).repos.questions.search())[0]
    assert question.state is QuestionState.ANSWERED
    await slack.click_button(CLERK, review, "answer_approve")
    await slack.wait_for(lambda: [r for r in slack.responses if "approved" in str(r)])
    question = (await services(bot).repos.questions.search())[0]
    assert question.state is QuestionState.APPROVED


async def test_several_replies_make_one_answer_and_edits_and_deletes_follow(
    slack: SlackDouble, bot: Runtime
) -> None:
    parent = await sent_question(slack, bot)
    first = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "Part one.", thread_ts=parent.ts
    )
    second = await slack.post_user_message(parent.channel, DEPUTY, "Part two.", thread_ts=parent.ts)
    repos = services(bot).repos
    question = (await repos.questions.search())[0]
    # The two replies are handled concurrently; the answer keeps their order in the thread.
    answer = await wait_answer(bot, question.id, lambda a: len(a.live_parts) == 2)
    assert answer.text == "Part one.\n\nPart two."

    await slack.edit_user_message(parent.channel, first.ts, "Part one, corrected.")
    answer = await wait_answer(bot, question.id, lambda a: "corrected" in a.text)
    [edited, _] = answer.parts
    assert edited.versions[0].text == "Part one."

    await slack.delete_user_message(parent.channel, second.ts)
    answer = await wait_answer(bot, question.id, lambda a: len(a.live_parts) == 1)
    assert answer.text == "Part one, corrected."


async def wait_answer(
    bot: Runtime, question_id: int, condition: Callable[[Answer], bool]
) -> Answer:
    repos = services(bot).repos
    return await eventually(lambda: repos.answers.get(question_id), condition)


async def test_replies_by_others_are_discussion(
    slack: SlackDouble,
    make_bot: Callable[..., Awaitable[Runtime]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot, thread = await sent_to_responses_channel(slack, make_bot, "Who may answer?")
    caplog.set_level(logging.INFO, logger="bot.flows.answers")
    for user in (STRANGER, CLERK):
        await slack.post_user_message(ANSWERS_CHANNEL, user, "Interesting!", thread_ts=thread)
    await slack.wait_for(
        lambda: len([r for r in caplog.records if "kept as discussion" in r.getMessage()]) == 2
    )
    repos = services(bot).repos
    assert (await repos.answers.get(1)).parts == ()
    assert (await repos.questions.get(1)).state is QuestionState.SENT


async def test_a_retried_event_records_the_answer_once(slack: SlackDouble, bot: Runtime) -> None:
    parent = await sent_question(slack, bot)
    reply = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "Once.", thread_ts=parent.ts
    )
    again = await slack.redeliver(reply, retry_num=1, reason="http_timeout")
    third = await slack.redeliver(reply, retry_num=2, reason="http_timeout")
    assert again.status == third.status == 200
    await slack.wait_for(lambda: slack.reactions(parent.channel, reply.ts))
    repos = services(bot).repos
    question = (await repos.questions.search())[0]
    assert len((await repos.answers.get(question.id)).parts) == 1
    notes = [m for m in slack.thread(parent.channel, parent.ts) if "Recorded" in m.all_text()]
    assert len(notes) == 1


async def test_the_same_message_under_a_new_event_id_is_still_recorded_once(
    slack: SlackDouble, bot: Runtime
) -> None:
    parent = await sent_question(slack, bot)
    reply = await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "Once.", thread_ts=parent.ts
    )
    await slack.send_event(reply.payload["event"])  # a fresh event_id, same message
    await slack.wait_for(lambda: slack.reactions(parent.channel, reply.ts))
    question = (await services(bot).repos.questions.search())[0]
    assert len((await services(bot).repos.answers.get(question.id)).parts) == 1


async def test_transfer_to_another_officer(slack: SlackDouble, bot: Runtime) -> None:
    parent = await sent_question(slack, bot)
    await slack.click_button(DCSC_OFFICER, parent, "ask_transfer")
    view = await open_modal(slack, DCSC_OFFICER, "ask_transfer_submit")
    await slack.submit_view(DCSC_OFFICER, view.id, {"role": "HoS", "note": "Placements are HoS."})
    request = await slack.wait_for(
        lambda: dm_with_button(slack, HOS_OFFICER, "transfer_accept", REF)
    )
    question = (await services(bot).repos.questions.search())[0]
    assert question.assigned_officer == DCSC_OFFICER  # still responsible until accepted
    await slack.click_button(HOS_OFFICER, request, "transfer_accept")
    new_parent = await officer_parent(slack, HOS_OFFICER, REF, bot)
    question = await eventually(
        lambda: services(bot).repos.questions.get(1),
        lambda q: q.thread == MessageRef(new_parent.channel, new_parent.ts),
    )
    assert question.assigned_officer == HOS_OFFICER
    assert question.addressed_role == "HoS"
    await slack.wait_for(
        lambda: [
            m
            for m in slack.thread(new_parent.channel, new_parent.ts)
            if "earlier thread" in m.all_text()
        ]
    )
    await slack.wait_for(
        lambda: [
            m for m in slack.thread(parent.channel, parent.ts) if "Transferred to" in m.all_text()
        ]
    )


async def test_return_with_comment_and_re_answer(slack: SlackDouble, bot: Runtime) -> None:
    parent = await sent_question(slack, bot)
    await slack.post_user_message(parent.channel, DCSC_OFFICER, "Some.", thread_ts=parent.ts)
    review = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "answer_return", REF))
    await slack.click_button(CLERK, review, "answer_return")
    view = await open_modal(slack, CLERK, "answer_return_submit")
    await slack.submit_view(CLERK, view.id, {"note": "Please give the number."})
    await slack.wait_for(
        lambda: [
            m
            for m in slack.thread(parent.channel, parent.ts)
            if "Please give the number" in m.all_text()
        ]
    )
    repos = services(bot).repos
    assert (await repos.questions.search())[0].state is QuestionState.RETURNED
    await slack.post_user_message(parent.channel, DCSC_OFFICER, "78.", thread_ts=parent.ts)
    question = await wait_state(bot, QuestionState.ANSWERED)
    assert (await repos.answers.get(question.id)).text == "Some.\n\n78."


async def wait_state(bot: Runtime, state: QuestionState) -> Question:
    repos = services(bot).repos

    async def first() -> Question:
        return (await repos.questions.search())[0]

    return await eventually(first, lambda q: q.state is state)


async def test_holding_reply(slack: SlackDouble, bot: Runtime) -> None:
    parent = await sent_question(slack, bot)
    await slack.click_button(DCSC_OFFICER, parent, "holding_reply")
    view = await open_modal(slack, DCSC_OFFICER, "holding_reply_submit")
    past = await slack.submit_view(
        DCSC_OFFICER, view.id, {"note": "Waiting for data.", "promised": "2026-04-01"}
    )
    assert past.json["response_action"] == "errors"
    await slack.submit_view(
        DCSC_OFFICER, view.id, {"note": "Waiting for data.", "promised": "2026-04-24"}
    )
    await wait_state(bot, QuestionState.HOLDING)
    await slack.wait_for(
        lambda: [
            m for m in slack.thread(parent.channel, parent.ts) if "Fri 24 Apr 2026" in m.all_text()
        ]
    )


async def test_long_answers_fit_slacks_limits(slack: SlackDouble, bot: Runtime) -> None:
    parent = await sent_question(slack, bot)
    long_answer = "The service has done a great deal. " * 150  # about 5,000 characters
    await slack.post_user_message(parent.channel, DCSC_OFFICER, long_answer, thread_ts=parent.ts)
    review = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "answer_approve", REF))
    assert "…" in review.all_text()
    assert slack.calls_to("chat.postMessage", ok=False) == []
    question = (await services(bot).repos.questions.search())[0]
    assert (await services(bot).repos.answers.get(question.id)).text == long_answer.strip()


async def test_reject_tells_the_submitter(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "Off topic?")
    card = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "triage_reject", REF))
    await slack.click_button(CLERK, card, "triage_reject")
    view = await open_modal(slack, CLERK, "triage_reject_submit")
    await slack.submit_view(CLERK, view.id, {"note": "Covered by item 5."})
    text = await dm_containing(slack, MEMBER, "not taken forward")
    assert "Covered by item 5." in text
    assert (await services(bot).repos.questions.search())[0].state is QuestionState.REJECTED


async def test_withdraw_tells_the_officer(slack: SlackDouble, bot: Runtime) -> None:
    parent = await sent_question(slack, bot)
    await slack.send_command("/agenda", f"withdraw {REF} No longer needed", MEMBER)
    await ephemeral_containing(slack, MEMBER, "is withdrawn")
    await slack.wait_for(
        lambda: [m for m in slack.thread(parent.channel, parent.ts) if "withdrawn" in m.all_text()]
    )
    await slack.send_command("/agenda", f"withdraw {REF}", STRANGER)
    await ephemeral_containing(slack, STRANGER, REF)


async def test_a_withdrawn_question_can_be_reopened_by_the_clerk(
    slack: SlackDouble, bot: Runtime
) -> None:
    await sent_question(slack, bot)
    await slack.send_command("/agenda", f"withdraw {REF} Asked by mistake", MEMBER)
    await ephemeral_containing(slack, MEMBER, "is withdrawn")
    await slack.send_command("/agenda", f"reopen {REF}", MEMBER)
    await ephemeral_containing(slack, MEMBER, "clerk")
    assert (await services(bot).repos.questions.get(1)).state is QuestionState.WITHDRAWN
    cards = len([m for m in slack.dm_messages(CLERK) if "triage_approve" in str(m.blocks)])
    await slack.send_command("/agenda", f"reopen {REF}", CLERK)
    await ephemeral_containing(slack, CLERK, "reopened and waits for triage")
    assert (await services(bot).repos.questions.get(1)).state is QuestionState.SUBMITTED
    await slack.wait_for(
        lambda: (
            len([m for m in slack.dm_messages(CLERK) if "triage_approve" in str(m.blocks)]) > cards
        )
    )
    await slack.send_command("/agenda", f"reopen {REF}", CLERK)
    await ephemeral_containing(slack, CLERK, "only a rejected or withdrawn question")


async def test_non_clerk_cannot_approve(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "A question?")
    card = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "triage_approve", REF))
    # Someone else gets hold of the same card (e.g. in a shared channel) and clicks.
    await slack.send_interaction(
        {
            "type": "block_actions",
            "user": {"id": STRANGER, "username": "stranger", "team_id": "T111"},
            "team": {"id": "T111", "domain": "sandbox"},
            "api_app_id": "A111",
            "token": "x",
            "trigger_id": slack.new_trigger_id(STRANGER),
            "response_url": slack.new_response_url(STRANGER, card.channel),
            "container": {"type": "message", "message_ts": card.ts, "channel_id": card.channel},
            "channel": {"id": card.channel},
            "message": {"ts": card.ts, "blocks": card.blocks, "text": card.text},
            "actions": [
                {
                    "type": "button",
                    "action_id": "triage_approve",
                    "block_id": "triage:1",
                    "value": "1",
                    "action_ts": "1",
                }
            ],
        }
    )
    await ephemeral_containing(slack, STRANGER, "clerk")
    assert (await services(bot).repos.questions.search())[0].state is QuestionState.SUBMITTED


async def test_without_triage_questions_go_straight_to_the_officer(
    slack: SlackDouble, make_bot
) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(triage_required=False)
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "Straight through?")
    await officer_parent(slack, DCSC_OFFICER, REF)
    await wait_state(bot, QuestionState.SENT)
    assert dm_with_button(slack, CLERK, "triage_approve") is None


async def test_responses_channel_mentions_the_officer_and_takes_replies(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]]
) -> None:
    bot, thread = await sent_to_responses_channel(slack, make_bot, "In the channel?")
    parent = [m for m in slack.messages(ANSWERS_CHANNEL) if REF in m.all_text()]
    assert [m.ts for m in parent] == [thread]
    assert f"<@{DCSC_OFFICER}>" in parent[0].all_text()
    await slack.post_user_message(
        ANSWERS_CHANNEL, DCSC_OFFICER, "In the channel.", thread_ts=thread
    )
    await wait_state(bot, QuestionState.ANSWERED)


async def test_stopping_lets_acknowledged_work_finish(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]]
) -> None:
    bot = await make_bot()
    parent = await sent_question(slack, bot)
    slack.delay("reactions.add", 0.5)
    reply = await slack.post_user_message(parent.channel, DCSC_OFFICER, "78.", thread_ts=parent.ts)
    assert reply.status == 200  # acknowledged at once; the work goes on after the ack
    await bot.stop()
    notes = [m for m in slack.thread(parent.channel, parent.ts) if "Recorded" in m.all_text()]
    assert len(notes) == 1


async def test_rejecting_a_question_already_sent_is_refused_in_the_form(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "Two clerks at once?")
    card = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "triage_reject", REF))
    await slack.click_button(CLERK, card, "triage_reject")
    view = await open_modal(slack, CLERK, "triage_reject_submit")
    # Meanwhile the question is approved and sent from the same card.
    await slack.click_button(CLERK, card, "triage_approve")
    await officer_parent(slack, DCSC_OFFICER, REF, bot)
    refused = await slack.submit_view(CLERK, view.id, {"note": "Duplicate."})
    assert refused.json["response_action"] == "errors"
    assert "can't be rejected" in refused.json["errors"]["note"]
    assert not [m for m in slack.dm_messages(MEMBER) if "not taken forward" in m.all_text()]


async def test_a_reply_just_after_the_question_is_posted_still_counts(
    slack: SlackDouble, bot: Runtime, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot posts the officer's message and records it just after; a reply in between
    waits for the record instead of being dropped."""
    await sent_question(slack, bot)
    caplog.set_level(logging.INFO, logger="bot.flows.answers")
    dm = slack.dm_channel_for(DCSC_OFFICER)
    reposted = slack.seed_message(dm, slack.bot_user_id, "The question, posted again")
    reply = await slack.post_user_message(dm, DCSC_OFFICER, "Quick answer.", thread_ts=reposted.ts)
    assert reply.status == 200
    # The reply found no question yet; now the bot records its message, as just after posting.
    await slack.wait_for(
        lambda: [r for r in caplog.records if "waits for its thread" in r.getMessage()]
    )
    repos = services(bot).repos
    await repos.questions.set_thread(1, MessageRef(dm, reposted.ts), Actor.bot(), clock())
    answered = await wait_state(bot, QuestionState.ANSWERED)
    assert (await repos.answers.get(answered.id)).text == "Quick answer."


async def test_also_sent_to_channel_replies_count_as_answers(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]]
) -> None:
    """A reply with "Also send to channel" arrives as subtype thread_broadcast."""
    bot, thread = await sent_to_responses_channel(slack, make_bot, "Broadcast?")
    reply = await slack.post_user_message(
        ANSWERS_CHANNEL, DCSC_OFFICER, "For everyone.", thread_ts=thread, broadcast=True
    )
    assert reply.payload["event"]["subtype"] == "thread_broadcast"
    answered = await wait_state(bot, QuestionState.ANSWERED)
    assert (await services(bot).repos.answers.get(answered.id)).text == "For everyone."


async def test_each_persons_dm_is_opened_once_whatever_the_request(
    slack: SlackDouble, bot: Runtime
) -> None:
    """Bolt gives each request a client of its own; the DM channels the bot has opened are
    kept for all of them, so ``conversations.open`` (Tier 3) goes once per person."""
    parent = await sent_question(slack, bot)
    for n in range(3):
        await slack.post_user_message(
            parent.channel, DCSC_OFFICER, f"Part {n} of the answer.", thread_ts=parent.ts
        )
    await eventually(lambda: services(bot).repos.answers.parts(1), lambda p: len(p) == 3)
    opened = Counter(c.args.get("users") for c in slack.calls_to("conversations.open"))
    assert opened and max(opened.values()) == 1, opened
