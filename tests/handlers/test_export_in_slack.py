"""/agenda export in Slack: a meeting's questions as open data, uploaded to the double."""

from __future__ import annotations

import csv
import io
import json

from bot.core import export
from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble, StoredFile
from tests.conftest import CLERK, DCSC_OFFICER, MEMBER
from tests.handlers.support import (
    ephemeral_containing,
    eventually,
    officer_parent,
    services,
    set_up_commission,
    submit_question,
)
from tests.handlers.test_compile_in_slack import two_questions_one_answered


async def uploaded(slack: SlackDouble, count: int = 1) -> list[StoredFile]:
    return await slack.wait_for(
        lambda: (
            [f for f in slack.files if f.completed][:count]
            if len([f for f in slack.files if f.completed]) >= count
            else None
        ),
        description=f"{count} uploaded file(s)",
    )


def csv_rows(file: StoredFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))


async def publish(slack: SlackDouble, bot: Runtime) -> None:
    """The clerk compiles with --final, and its two documents are uploaded."""
    await slack.send_command("/agenda", "compile --final", CLERK)
    await eventually(
        lambda: services(bot).repos.questions.by_reference("CYP-2023-12-18-Q01"),
        lambda q: q.state is QuestionState.PUBLISHED,
    )
    await uploaded(slack, 2)


async def test_export_uploads_the_published_answers_as_csv(
    slack: SlackDouble, bot: Runtime
) -> None:
    await two_questions_one_answered(slack, bot)
    await publish(slack, bot)
    dm = slack.dm_channel_for(CLERK)
    await slack.send_command("/agenda", "export", CLERK, channel_id=dm)
    confirmation = await ephemeral_containing(slack, CLERK, "Uploaded CYP-2026-05-11-questions")
    assert confirmation == (
        "Uploaded CYP-2026-05-11-questions.csv: 2 rows, one per question; "
        "answer text only where published."
    )
    [file] = (await uploaded(slack, 3))[2:]
    assert file.name == "CYP-2026-05-11-questions.csv" and file.channels == [dm]
    rows = csv_rows(file)
    assert tuple(rows[0]) == export.FIELDS
    assert [(r["reference"], r["status"]) for r in rows] == [
        ("CYP-2023-12-18-Q01", "published"),
        ("CYP-2023-12-18-Q02", "awaited"),
    ]
    # Plain text: the officer named by their role, as the compile names them; nothing live.
    assert rows[0]["published_answer"] == (
        "*78* care leavers & their families, see Director of Children's Social Care.\n"
        "• housing\n• study @channel"
    )
    assert rows[1]["asked_by"] == "Hackney of Tomorrow"
    assert "Young Person" not in file.content.decode("utf-8-sig")


async def test_export_as_json_for_a_named_meeting(slack: SlackDouble, bot: Runtime) -> None:
    await two_questions_one_answered(slack, bot)
    await slack.send_command("/agenda", "export 2026-05-11 JSON", CLERK)
    await ephemeral_containing(slack, CLERK, "Uploaded CYP-2026-05-11-questions.json: 2 rows")
    [file] = await uploaded(slack)
    assert file.name == "CYP-2026-05-11-questions.json"
    document = json.loads(file.content)
    assert document["schema"] == export.SCHEMA
    assert document["meeting"]["reference"] == "CYP-2026-05-11"
    # Answered but not yet published: the draft never leaves.
    assert [q["published_answer"] for q in document["questions"]] == ["", ""]


async def test_export_where_the_bot_is_not_goes_to_the_clerks_dm(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    slack.add_channel("C0COMMITTEE", "committee-chat", bot_is_member=False)
    await slack.send_command(
        "/agenda", "export CYP-2026-05-11 csv", CLERK, channel_id="C0COMMITTEE"
    )
    await ephemeral_containing(slack, CLERK, "in your messages with the bot")
    [file] = await uploaded(slack)
    assert file.channels == [slack.dm_channel_for(CLERK)]
    assert csv_rows(file) == []


async def test_export_is_for_clerks(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "export 2026-05-11 csv", MEMBER)
    await ephemeral_containing(slack, MEMBER, "clerk")
    assert slack.files == []


async def test_a_format_other_than_csv_or_json_is_refused(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", "export 2026-05-11 xlsx", CLERK)
    await ephemeral_containing(
        slack,
        CLERK,
        "'xlsx' is not a format: give csv or json. Usage: /agenda export [meeting reference "
        "or date] [csv|json]",
    )
    await slack.send_command("/agenda", "export pdf", CLERK)
    await ephemeral_containing(slack, CLERK, "'pdf' is neither a meeting nor a format.")
    await slack.send_command("/agenda", "export 2026-05-11 csv json", CLERK)
    await ephemeral_containing(slack, CLERK, "Give at most a meeting and a format.")
    assert slack.files == []


async def test_a_published_answer_that_looks_like_a_formula_is_neutralised(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    card = await slack.wait_for(
        lambda: [m for m in slack.dm_messages(CLERK) if "triage_approve" in str(m.blocks)]
    )
    await slack.click_button(CLERK, card[-1], "triage_approve")
    parent = await officer_parent(slack, DCSC_OFFICER, "CYP-2023-12-18-Q01", bot)
    await slack.post_user_message(
        parent.channel, DCSC_OFFICER, '=HYPERLINK("https://evil.example","78")', thread_ts=parent.ts
    )
    await eventually(
        lambda: services(bot).repos.questions.by_reference("CYP-2023-12-18-Q01"),
        lambda q: q.state is QuestionState.ANSWERED,
    )
    await publish(slack, bot)
    await slack.send_command("/agenda", "export", CLERK)
    [file] = (await uploaded(slack, 3))[2:]
    [row] = csv_rows(file)
    assert row["published_answer"] == '\'=HYPERLINK("https://evil.example","78")'


async def test_help_lists_export(slack: SlackDouble, bot: Runtime) -> None:
    await slack.send_command("/agenda", "help", CLERK)
    await ephemeral_containing(
        slack, CLERK, "/agenda export [meeting reference or date] [csv|json]"
    )
