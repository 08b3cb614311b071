"""/agenda compile in Slack: documents uploaded to the double, summary, publish."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import docx

from bot.core.clock import FixedClock
from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, HOT_REP, LONDON, MEMBER
from tests.handlers.support import (
    clerk_approves,
    ephemeral_containing,
    eventually,
    officer_parent,
    open_modal,
    services,
    set_up_commission,
    store_of,
    submit_question,
)
from tests.test_compiling import run_cli


async def two_questions_one_answered(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await submit_question(slack, HOT_REP, "Why do we move so often?", asker="hackney_of_tomorrow")
    for reference in ("CYP-2023-12-18-Q01", "CYP-2023-12-18-Q02"):
        await clerk_approves(slack, reference)
    parent = await officer_parent(slack, DCSC_OFFICER, "CYP-2023-12-18-Q01", bot)
    await slack.post_user_message(
        parent.channel,
        DCSC_OFFICER,
        "*78* care leavers &amp; their families, see <@UDCSC001>.\n• housing\n• study <!channel>",
        thread_ts=parent.ts,
    )

    async def states() -> list[QuestionState]:
        return [q.state for q in await services(bot).repos.questions.search()]

    await eventually(states, lambda s: QuestionState.ANSWERED in s)


async def test_compile_uploads_word_and_markdown_with_a_summary(
    slack: SlackDouble, bot: Runtime
) -> None:
    await two_questions_one_answered(slack, bot)
    dm = slack.dm_channel_for(CLERK)
    result = await slack.send_command("/agenda", "compile 2026-05-11", CLERK, channel_id=dm)
    assert result.status == 200
    await ephemeral_containing(slack, CLERK, "Compiling the responses")
    summary = await ephemeral_containing(slack, CLERK, "Still missing")
    assert "2 questions: 1 answered, 1 response awaited." in summary
    assert "CYP-2023-12-18-Q02: Director of Children's Social Care" in summary
    files = await slack.wait_for(lambda: [f for f in slack.files if f.completed] or None)
    names = sorted(f.name for f in files)
    assert names == [
        "CYP-2026-05-11-question-responses.docx",
        "CYP-2026-05-11-question-responses.md",
    ]
    markdown = next(f for f in files if f.name.endswith(".md")).content.decode()
    assert "Hackney of Tomorrow" in markdown
    assert "Young Person" not in markdown
    # The mention of the officer for a role reads as the role, as the agenda names officers.
    assert "see Director of Children's Social Care." in markdown
    assert "Dana Director" not in markdown
    assert "<!channel>" not in markdown and "@channel" not in markdown
    assert "& their families" in markdown
    document = docx.Document(io.BytesIO(next(f for f in files if f.name.endswith(".docx")).content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Response awaited" in text
    assert "Director of Children's Social Care" in text


async def test_slack_and_command_line_compiles_give_the_same_bytes(
    slack: SlackDouble, bot: Runtime
) -> None:
    slack.add_user("UANALYST1", "alex", "Alex Analyst")
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, "CYP-2023-12-18-Q01")
    parent = await officer_parent(slack, DCSC_OFFICER, "CYP-2023-12-18-Q01", bot)
    await slack.post_user_message(
        parent.channel,
        DCSC_OFFICER,
        "78, counted by <@UANALYST1>; <@UDCSC001> can brief members.",
        thread_ts=parent.ts,
    )
    await eventually(
        lambda: services(bot).repos.questions.by_reference("CYP-2023-12-18-Q01"),
        lambda q: q.state is QuestionState.ANSWERED,
    )
    await slack.send_command("/agenda", "compile 2026-05-11", CLERK)
    files = await slack.wait_for(lambda: [f for f in slack.files if f.completed] or None)
    uploaded = {f.name.rsplit(".", 1)[1]: f.content for f in files}
    assert "78, counted by Alex Analyst; Director of Children's Social Care can brief" in (
        uploaded["md"].decode()
    )
    # The command line has no Slack: it names people from what the bot stored, and with the
    # same --generated-at (the bot's clock says Monday 20 April 2026) writes the same bytes.
    settings = services(bot).settings
    database = Path(settings.database_path)
    for fmt in ("docx", "md"):
        result = await run_cli(
            database,
            "--meeting",
            "CYP-2026-05-11",
            "--format",
            fmt,
            "--out",
            "-" if fmt == "md" else str(database.with_name(f"cli.{fmt}")),
            "--generated-at",
            "2026-04-20T16:45",
            settings=store_of(settings),
        )
        assert result.code == 0, result.stderr
        written = result.stdout if fmt == "md" else database.with_name(f"cli.{fmt}").read_bytes()
        assert written == uploaded[fmt]


async def test_a_draft_flags_unapproved_answers_and_lapsed_holding_dates(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await two_questions_one_answered(slack, bot)
    parent = await officer_parent(slack, DCSC_OFFICER, "CYP-2023-12-18-Q02", bot)
    await slack.click_button(DCSC_OFFICER, parent, "holding_reply")
    view = await open_modal(slack, DCSC_OFFICER, "holding_reply_submit")
    await slack.submit_view(
        DCSC_OFFICER, view.id, {"note": "Waiting for data.", "promised": "2026-04-24"}
    )
    await eventually(
        lambda: services(bot).repos.questions.by_reference("CYP-2023-12-18-Q02"),
        lambda q: q.state is QuestionState.HOLDING,
    )
    clock.set(datetime(2026, 4, 27, 9, 0, tzinfo=LONDON))  # the promised Friday has passed
    await slack.send_command("/agenda", "compile 2026-05-11", CLERK)
    summary = await ephemeral_containing(slack, CLERK, "Holding replies")
    assert "CYP-2023-12-18-Q02: Director of Children's Social Care, promised Fri 24 Apr" in (
        summary
    )
    assert "date passed" in summary
    assert "Not yet approved (1): CYP-2023-12-18-Q01. Publishing approves them." in summary
    files = await slack.wait_for(lambda: [f for f in slack.files if f.completed] or None)
    document = docx.Document(io.BytesIO(next(f for f in files if f.name.endswith(".docx")).content))
    text = [p.text for p in document.paragraphs]
    assert "Answer not yet approved: CYP-2023-12-18-Q01." in text
    assert (
        "Holding reply date passed: CYP-2023-12-18-Q02 (a full response was promised by "
        "24 April 2026)."
    ) in text
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert "DRAFT – not for publication" in header


async def test_publish_button_marks_answers_published(slack: SlackDouble, bot: Runtime) -> None:
    await two_questions_one_answered(slack, bot)
    await slack.send_command("/agenda", "compile", CLERK)  # next meeting: 11 May 2026
    summary = await slack.wait_for(
        lambda: [e for e in slack.ephemerals(CLERK) if "agenda_publish" in str(e.blocks)]
    )
    await slack.click_button(CLERK, summary[-1], "agenda_publish")
    await ephemeral_containing(slack, CLERK, "Published 1 answers: CYP-2023-12-18-Q01.")
    first = (await services(bot).repos.questions.search())[0]
    assert first.state is QuestionState.PUBLISHED


async def test_compile_is_for_clerks(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "compile", MEMBER)
    await ephemeral_containing(slack, MEMBER, "clerk")
    assert slack.files == []


async def test_empty_meeting_and_unknown_meeting(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "compile CYP-2026-05-11", CLERK)
    await ephemeral_containing(slack, CLERK, "No questions are addressed to this meeting.")
    await slack.send_command("/agenda", "compile 2031-01-01", CLERK)
    await ephemeral_containing(slack, CLERK, "2031")


async def test_a_published_answer_is_corrected_from_its_thread(
    slack: SlackDouble, bot: Runtime
) -> None:
    await two_questions_one_answered(slack, bot)
    await slack.send_command("/agenda", "compile --final", CLERK)
    question = await eventually(
        lambda: services(bot).repos.questions.by_reference("CYP-2023-12-18-Q01"),
        lambda q: q.state is QuestionState.PUBLISHED,
    )
    assert question.thread is not None
    [note] = await slack.wait_for(
        lambda: [
            m
            for m in slack.thread(question.thread.channel, question.thread.ts)  # type: ignore[union-attr]
            if "correct_answer" in str(m.blocks)
        ]
    )
    # Not for a member; the officer may.
    await slack.send_command("/agenda", "correct CYP-2023-12-18-Q01", MEMBER)
    await ephemeral_containing(slack, MEMBER, "CYP-2023-12-18-Q01")
    await slack.click_button(DCSC_OFFICER, note, "correct_answer")
    form = await slack.wait_for(
        lambda: [
            v for v in slack.open_views(DCSC_OFFICER) if v.callback_id == "correct_answer_submit"
        ]
    )
    await slack.submit_view(
        DCSC_OFFICER,
        form[-1].id,
        {"text": "79 care leavers live outside Hackney.", "note": "A count was missed."},
    )
    corrected = await eventually(
        lambda: services(bot).repos.questions.by_reference("CYP-2023-12-18-Q01"),
        lambda q: q.state is QuestionState.CORRECTED,
    )
    answer = await services(bot).repos.answers.get(corrected.id)
    assert answer.corrections[-1].corrected_text == "79 care leavers live outside Hackney."
    assert answer.publication is not None and "78" in answer.publication.answer_text
    await slack.wait_for(
        lambda: [
            m for m in slack.dm_messages(CLERK) if "corrected the published answer" in m.all_text()
        ]
    )
    await slack.send_command("/agenda", "compile 2026-05-11", CLERK)
    files = await slack.wait_for(
        lambda: [f for f in slack.files if f.completed and f.name.endswith(".md")][1:] or None
    )
    markdown = files[-1].content.decode()
    assert "79 care leavers live outside Hackney." in markdown
    assert "Corrected on" in markdown
