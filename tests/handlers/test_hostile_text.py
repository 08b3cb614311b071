"""Hostile text through every way in, then every message, view and fallback scanned.

People type broadcasts, mentions, channel links and disguised links into the question form,
a message turned into a question, a pasted list, a thread reply, a holding note, a reject
reason, a return comment and the set-up commands. Whatever the bot then sends, with a
clerks' channel and a responses channel set, must notify nobody and disguise no link.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

import docx

from bot.chasing import clerk_daily_digest, sweep
from bot.core.clock import FixedClock
from bot.core.models import Question, QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import (
    CLERK,
    DCSC_OFFICER,
    DEPUTY,
    DOE_OFFICER,
    HOS_OFFICER,
    HOT_REP,
    MEMBER,
    STRANGER,
)
from tests.handlers.support import (
    card_text,
    eventually,
    open_modal,
    services,
    set_up_commission,
)
from tests.live_tokens import everything_sent, live_tokens_sent

CLERKS_CHANNEL = "C0CLERKS"
ANSWERS_CHANNEL = "C0ANSWERS"
EVIL_MEMBER = "UEVIL001"
PEOPLE = (CLERK, MEMBER, HOT_REP, DCSC_OFFICER, HOS_OFFICER, DOE_OFFICER, DEPUTY, STRANGER)

TYPED = (
    "Will <!channel> and <!here> and <!everyone> hear about <!subteam^S123|@scrutiny>, "
    "<@U0BOSS01> and <#C0SECRET>? See <https://evil.example/login|the council portal> "
    "or <javascript:alert(1)|click here>. a & b > c?"
)
"""What a member types into a form: raw characters, exactly as the form delivers them."""

SLACK_ENCODED = (
    "Ask <!channel> <!here> whether <@U0BOSS01|boss>, <@UDEPUTY1> and <#C0SECRET|secret> know: "
    "<https://evil.example/login|the council portal>, <javascript:alert(1)|click here>, "
    "&lt;!everyone&gt; &amp; <!subteam^S123|@scrutiny>?"
)
"""The same in a Slack message or a command, as Slack encodes it: live tokens included."""

NAME_TYPED = "<!here> <@U0BOSS01> <#C0SECRET> <https://evil.example|portal> &"
NAME_ENCODED = "<!here> <@U0BOSS01|boss> <#C0SECRET|x> <https://evil.example|portal> &amp;"
"""Short enough for a name, a title or a committee."""


def clerks_card(slack: SlackDouble, action_id: str, needle: str) -> Any:
    """The newest card in the clerks' channel with that button and text."""
    for message in reversed(slack.messages(CLERKS_CHANNEL)):
        if f'"action_id": "{action_id}"' in json.dumps(message.blocks) and (
            needle in card_text(message)
        ):
            return message
    return None


async def question_number(bot: Runtime, number: int) -> Question:
    async def stored() -> list[Question]:
        return [q for q in await services(bot).repos.questions.search() if q.id == number]

    found = await eventually(stored, bool)
    return found[0]


async def sent(slack: SlackDouble, bot: Runtime, number: int) -> Question:
    """The clerk approves question ``number``; it is posted in the responses channel."""
    question = await question_number(bot, number)
    card = await slack.wait_for(lambda: clerks_card(slack, "triage_approve", question.reference))
    await slack.click_button(CLERK, card, "triage_approve")
    try:
        return await eventually(
            lambda: services(bot).repos.questions.get(number),
            lambda q: q.thread is not None,
            attempts=1500,
        )
    except AssertionError:
        told = [e.all_text() for e in slack.ephemerals(CLERK)][-3:]
        raise AssertionError(f"question {number} not sent; the clerk was told {told}") from None


async def state_of(bot: Runtime, number: int, state: QuestionState) -> None:
    await eventually(lambda: services(bot).repos.questions.get(number), lambda q: q.state is state)


async def hostile_set_up(slack: SlackDouble) -> None:
    """The commission, plus a committee, a role and an agenda item with hostile names."""
    await set_up_commission(slack)
    for words in (
        f"meeting add 2026-06-01 EVIL {NAME_ENCODED}",
        f"officer set EVIL <@{DOE_OFFICER}> Director of {NAME_ENCODED}",
        f"item add CYP-2023-12-18 4 {NAME_ENCODED}",
        f"withdraw CYP-2023-12-18-Q99 {SLACK_ENCODED}",
        f"{SLACK_ENCODED}",
    ):
        assert (await slack.send_command("/agenda", words, CLERK)).status == 200
    for words in ("meeting list", "officer list", "help", "status"):
        assert (await slack.send_command("/agenda", words, CLERK)).status == 200


async def member_asks(slack: SlackDouble, bot: Runtime) -> None:
    """Question 1 through /question (typed), question 2 through the message shortcut."""
    await slack.send_command("/question", SLACK_ENCODED, EVIL_MEMBER)
    view = await open_modal(slack, EVIL_MEMBER, "question_submit")
    await slack.submit_view(
        EVIL_MEMBER,
        view.id,
        {"text": TYPED, "item": "4", "asker": "member", "role": "DCSC"},
    )
    await question_number(bot, 1)
    posted = slack.seed_message("C0GENERAL", MEMBER, SLACK_ENCODED)
    await slack.message_shortcut(MEMBER, "log_scrutiny_question", "C0GENERAL", posted.ts)
    form = await eventually(
        lambda: _open(slack, MEMBER, "question_submit"), lambda views: bool(views)
    )
    await slack.submit_view(MEMBER, form[-1].id, {"item": "4", "role": "DCSC"})
    await question_number(bot, 2)


def _with_button(slack: SlackDouble, action_id: str) -> Any:
    for message in reversed(slack.dm_messages(CLERK)):
        if f'"action_id": "{action_id}"' in json.dumps(message.blocks):
            return message
    return None


async def _open(slack: SlackDouble, user: str, callback_id: str) -> list[Any]:
    return [v for v in slack.open_views(user) if v.callback_id == callback_id]


async def clerk_imports(slack: SlackDouble, bot: Runtime) -> None:
    """Questions 3 and 4 through /agenda import."""
    await slack.send_command("/agenda", "import", CLERK)
    paste = await open_modal(slack, CLERK, "import_paste")
    await slack.submit_view(CLERK, paste.id, {"paste": f"• {TYPED} (HoS)\n• {TYPED}"})
    review = await open_modal(slack, CLERK, "import_review")
    await slack.submit_view(CLERK, review.id, {"item": "4"})
    await question_number(bot, 4)


async def test_hostile_text_never_goes_live_anywhere(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]], clock: FixedClock
) -> None:
    slack.add_user(EVIL_MEMBER, "evil", f"Cllr {NAME_TYPED}")
    slack.add_channel(CLERKS_CHANNEL, "scrutiny-clerks")
    slack.add_channel(ANSWERS_CHANNEL, "scrutiny-answers")
    bot = await make_bot(clerks_channel=CLERKS_CHANNEL, responses_channel=ANSWERS_CHANNEL)
    await hostile_set_up(slack)
    await member_asks(slack, bot)
    await clerk_imports(slack, bot)

    # An answer in the thread, returned with a comment, answered again.
    first = await sent(slack, bot, 1)
    assert first.thread is not None
    await slack.post_user_message(
        ANSWERS_CHANNEL, DCSC_OFFICER, SLACK_ENCODED, thread_ts=first.thread.ts
    )
    review = await slack.wait_for(lambda: clerks_card(slack, "answer_return", first.reference))
    assert "whether @U0BOSS01, @Dev Deputy and #secret know" in review.all_text()
    await slack.click_button(CLERK, review, "answer_return")
    comment = await open_modal(slack, CLERK, "answer_return_submit")
    await slack.submit_view(CLERK, comment.id, {"note": TYPED})
    await state_of(bot, 1, QuestionState.RETURNED)
    await slack.post_user_message(ANSWERS_CHANNEL, DEPUTY, TYPED, thread_ts=first.thread.ts)
    await state_of(bot, 1, QuestionState.ANSWERED)

    # A holding note and a transfer reason on the second question.
    second = await sent(slack, bot, 2)
    parent = await slack.wait_for(
        lambda: [
            m
            for m in slack.messages(ANSWERS_CHANNEL, include_replies=False)
            if second.reference in m.all_text()
        ]
    )
    await slack.click_button(DCSC_OFFICER, parent[-1], "holding_reply")
    holding = await open_modal(slack, DCSC_OFFICER, "holding_reply_submit")
    await slack.submit_view(DCSC_OFFICER, holding.id, {"note": TYPED, "promised": "2026-04-24"})
    await state_of(bot, 2, QuestionState.HOLDING)
    await slack.click_button(DCSC_OFFICER, parent[-1], "ask_transfer")
    transfer = await open_modal(slack, DCSC_OFFICER, "ask_transfer_submit")
    await slack.submit_view(DCSC_OFFICER, transfer.id, {"role": "HoS", "note": TYPED})
    offer = await slack.wait_for(lambda: clerks_card(slack, "transfer_accept", second.reference))
    await slack.click_button(CLERK, offer, "transfer_accept")
    await eventually(
        lambda: services(bot).repos.questions.get(2),
        lambda q: q.assigned_officer == HOS_OFFICER,
    )

    # The imported question with a role goes out in one click; a reject reason on the other.
    imported = await slack.wait_for(lambda: _with_button(slack, "send_imported"))
    await slack.click_button(CLERK, imported, "send_imported")
    await state_of(bot, 3, QuestionState.SENT)
    third = await question_number(bot, 3)
    await slack.send_command("/agenda", f"withdraw {third.reference} {SLACK_ENCODED}", CLERK)
    await state_of(bot, 3, QuestionState.WITHDRAWN)
    await slack.send_command("/agenda", f"closure add 2026-04-23 {NAME_ENCODED}", CLERK)
    fourth = await question_number(bot, 4)
    card = await slack.wait_for(lambda: clerks_card(slack, "triage_reject", fourth.reference))
    await slack.click_button(CLERK, card, "triage_reject")
    reject = await open_modal(slack, CLERK, "triage_reject_submit")
    await slack.submit_view(CLERK, reject.id, {"note": TYPED})
    await state_of(bot, 4, QuestionState.REJECTED)

    # Everything that shows these texts again: Home, status, digests, the compiled agenda.
    for person in (CLERK, DCSC_OFFICER, MEMBER, EVIL_MEMBER):
        await slack.open_app_home(person)
        await slack.wait_for(lambda person=person: slack.home_view(person))
    await slack.send_command("/agenda", "status", CLERK)
    assert bot.app is not None
    for day in (22, 28, 30):
        clock.set(clock().replace(day=day, hour=11))
        await sweep(services(bot), bot.app.client, clock(), pace=0)
        await clerk_daily_digest(services(bot), bot.app.client, clock())
    dm = slack.dm_channel_for(CLERK)
    await slack.send_command("/agenda", "compile 2026-05-11", CLERK, channel_id=dm)
    files = await slack.wait_for(lambda: [f for f in slack.files if f.completed] or None)

    sent_texts = [text for _, text in everything_sent(slack)]
    assert any("&lt;!channel&gt;" in text for text in sent_texts)  # the typed text is shown
    assert any("the council portal (https://evil.example/login)" in t for t in sent_texts)
    assert not [t for t in sent_texts if "&amp;amp;" in t or "&amp;lt;" in t]  # escaped once
    own = slack.calls_to("auth.test")[0].response["url"]
    assert live_tokens_sent(slack, (*PEOPLE, EVIL_MEMBER), [own]) == []

    # The compiled documents show the disguised link's real address.
    markdown = next(f for f in files if f.name.endswith(".md")).content.decode()
    assert "[the council portal]" not in markdown
    assert "the council portal ([https://evil.example/login](https://evil.example/login))" in (
        markdown
    )
    word = next(f for f in files if f.name.endswith(".docx"))
    document = docx.Document(io.BytesIO(word.content))
    labels = [link.text for p in document.paragraphs for link in p.hyperlinks]
    assert labels and all(label.startswith("https://evil.example") for label in labels)
