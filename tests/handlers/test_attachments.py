"""Files the officer shares in the thread: kept with the answer, listed in the document,
linked for the clerk, and removed again with their message."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import docx

from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, MEMBER
from tests.handlers.support import (
    clerk_approves,
    ephemeral_containing,
    eventually,
    officer_parent,
    services,
    set_up_commission,
    submit_question,
)
from tests.paths import SLACK_PAYLOADS

REF = "CYP-2023-12-18-Q01"
SAMPLE = json.loads((SLACK_PAYLOADS / "test_message_file_share__event_payload.json").read_text())
"""Slack's own file_share message event (from bolt-python's tests, MIT licence)."""


def file_share_event(
    slack: SlackDouble, parent: Any, user: str, text: str, files: list[tuple[str, str, str]]
) -> dict[str, Any]:
    """Slack's sample file_share event, as a reply by ``user`` in ``parent``'s thread (the
    message is stored in the double's workspace, as Slack would have it)."""
    ts = slack.seed_message(parent.channel, user, text, thread_ts=parent.ts).ts
    event: dict[str, Any] = copy.deepcopy(SAMPLE["event"])
    template = event["files"][0]
    event["files"] = [
        {
            **template,
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "user": user,
            "permalink": f"https://example.slack.com/files/{user}/{file_id}/{name}",
        }
        for file_id, name, mimetype in files
    ]
    event.update(
        text=text,
        user=user,
        channel=parent.channel,
        ts=ts,
        event_ts=ts,
        thread_ts=parent.ts,
        parent_user_id=parent.user,
        channel_type="im",
    )
    return event


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def question_sent(slack: SlackDouble, bot: Runtime) -> Any:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, REF)
    return await officer_parent(slack, DCSC_OFFICER, REF, bot)


async def answer_of(bot: Runtime) -> Any:
    question = await services(bot).repos.questions.by_reference(REF)
    return await services(bot).repos.answers.get(question.id)


def reply_ts(parent: Any, n: int) -> str:
    seconds, _, _ = parent.ts.partition(".")
    return f"{int(seconds) + n}.{n:06d}"


async def test_files_shared_with_the_answer_are_listed_and_linked(
    slack: SlackDouble, bot: Runtime
) -> None:
    parent = await question_sent(slack, bot)
    event = file_share_event(
        slack,
        parent,
        DCSC_OFFICER,
        "78 care leavers live out of borough; the dashboard has the detail.",
        [("F0DASH01", "CAMHS dashboard.xlsx", XLSX)],
    )
    first = await slack.send_event(event)
    await slack.redeliver(first)  # Slack's retry records nothing twice
    # The files are kept first, then the text: wait for both.
    answer = await eventually(
        lambda: answer_of(bot), lambda a: len(a.attachments) == 1 and bool(a.text)
    )
    [attachment] = answer.attachments
    assert (attachment.file.name, attachment.file.mimetype) == ("CAMHS dashboard.xlsx", XLSX)
    assert attachment.file.permalink is not None and "F0DASH01" in attachment.file.permalink
    assert answer.text.startswith("78 care leavers")
    await slack.wait_for(
        lambda: [
            m
            for m in slack.thread(parent.channel, parent.ts)
            if "with *CAMHS dashboard.xlsx*" in m.all_text()
        ]
    )

    await slack.send_command("/agenda", "compile 2026-05-11", CLERK)
    summary = await ephemeral_containing(slack, CLERK, "Attachments to add to the pack by hand")
    assert f"{REF}: <https://example.slack.com/files/{DCSC_OFFICER}/F0DASH01/" in summary
    files = await slack.wait_for(lambda: [f for f in slack.files if f.completed] or None)
    document = docx.Document(io.BytesIO(next(f for f in files if f.name.endswith(".docx")).content))
    texts = [p.text for p in document.paragraphs]
    assert "Attachment: CAMHS dashboard.xlsx" in texts
    markdown = next(f for f in files if f.name.endswith(".md")).content.decode()
    assert "**Attachment:** CAMHS dashboard.xlsx" in markdown
    events = await services(bot).repos.audit.for_subject("question", REF)
    assert [e.action for e in events].count("attachment_added") == 1


async def test_a_file_alone_is_kept_and_the_officer_asked_for_text(
    slack: SlackDouble, bot: Runtime
) -> None:
    parent = await question_sent(slack, bot)
    event = file_share_event(
        slack, parent, DCSC_OFFICER, "", [("F0CHART1", "chart.png", "image/png")]
    )
    await slack.send_event(event)
    note = await slack.wait_for(
        lambda: [
            m
            for m in slack.thread(parent.channel, parent.ts)
            if "Attached to the answer to" in m.all_text()
        ]
    )
    assert "Please also reply here with the answer as text." in note[0].all_text()
    answer = await answer_of(bot)
    assert [a.file.name for a in answer.attachments] == ["chart.png"]
    question = await services(bot).repos.questions.by_reference(REF)
    assert question.state is QuestionState.SENT  # a file is not yet an answer


async def test_a_deleted_reply_takes_its_files_out_of_the_answer(
    slack: SlackDouble, bot: Runtime
) -> None:
    parent = await question_sent(slack, bot)
    await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "78 care leavers.", thread_ts=parent.ts
    )
    event = file_share_event(
        slack,
        parent,
        DCSC_OFFICER,
        "",
        [("F0DASH01", "dashboard.xlsx", XLSX), ("F0NOTE01", "notes.pdf", "application/pdf")],
    )
    ts = event["ts"]
    await slack.send_event(event)
    await eventually(lambda: answer_of(bot), lambda a: len(a.attachments) == 2)
    # One file is deleted from the message: Slack sends message_changed without it.
    edited = copy.deepcopy(event)
    edited["files"] = [event["files"][0], {"id": "F0NOTE01", "mode": "tombstone"}]
    changed = {
        "type": "message",
        "subtype": "message_changed",
        "channel": parent.channel,
        "hidden": True,
        "ts": reply_ts(parent, 10),
        "event_ts": reply_ts(parent, 10),
        "message": edited,
        "previous_message": event,
        "channel_type": "im",
    }
    await slack.send_event(changed)
    answer = await eventually(
        lambda: answer_of(bot),
        lambda a: (
            [x.file.name for x in a.attachments if x.removed_at is None] == ["dashboard.xlsx"]
        ),
    )
    assert len(answer.attachments) == 2  # the removed one stays on record
    # The whole message is deleted: its remaining file leaves the answer too.
    await slack.send_event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": parent.channel,
            "hidden": True,
            "deleted_ts": ts,
            "ts": reply_ts(parent, 11),
            "event_ts": reply_ts(parent, 11),
            "previous_message": edited,
            "channel_type": "im",
        }
    )
    await eventually(
        lambda: answer_of(bot), lambda a: all(x.removed_at is not None for x in a.attachments)
    )
    await slack.send_command("/agenda", "compile 2026-05-11", CLERK)
    summary = await ephemeral_containing(slack, CLERK, "1 answered")
    assert "Attachments to add" not in summary
    events = await services(bot).repos.audit.for_subject("question", REF)
    assert [e.action for e in events].count("attachment_removed") == 2


async def test_a_file_shared_by_someone_else_is_discussion(
    slack: SlackDouble, bot: Runtime
) -> None:
    parent = await question_sent(slack, bot)
    event = file_share_event(
        slack, parent, MEMBER, "Here is my own chart.", [("F0MINE01", "mine.png", "image/png")]
    )
    ts = event["ts"]
    await slack.send_event(event)

    async def outcome() -> Any:
        row = await services(bot).db.fetchone("SELECT outcome FROM event_inbox WHERE ts = ?", (ts,))
        return None if row is None else row["outcome"]

    assert await eventually(outcome, lambda found: found is not None) == "discussion"
    assert (await answer_of(bot)).attachments == ()


async def test_a_file_name_is_text_everywhere(slack: SlackDouble, bot: Runtime) -> None:
    parent = await question_sent(slack, bot)
    hostile = "<!channel> *Q* [x](https://evil.example) <@U0CLERK>.png"
    event = file_share_event(
        slack, parent, DCSC_OFFICER, "78 care leavers.", [("F0EVIL01", hostile, "image/png")]
    )
    event["files"][0]["permalink"] = "javascript:alert(1)"
    await slack.send_event(event)
    await eventually(lambda: answer_of(bot), lambda a: len(a.attachments) == 1 and bool(a.text))
    await slack.send_command("/agenda", "compile 2026-05-11", CLERK)
    summary = await ephemeral_containing(slack, CLERK, "Attachments to add")
    assert "<!channel>" not in summary and "<@U0CLERK>" not in summary
    assert "javascript:" not in summary
    assert "&lt;!channel&gt;" in summary
    files = await slack.wait_for(lambda: [f for f in slack.files if f.completed] or None)
    markdown = next(f for f in files if f.name.endswith(".md")).content.decode()
    assert "[x](https://evil.example)" not in markdown
    assert "<!channel>" not in markdown
    document = docx.Document(io.BytesIO(next(f for f in files if f.name.endswith(".docx")).content))
    assert any(p.text.startswith("Attachment: <!channel> *Q*") for p in document.paragraphs)
