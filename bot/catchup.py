"""Catch-up: read open questions' threads and record what the bot missed.

Slack retries an event a few times over a few minutes; replies sent while the bot was down
for longer never arrive as events. At start-up and on a schedule, the catch-up reads each
open question's thread with ``conversations.replies`` and puts what it finds into the event
inbox exactly as if the events had arrived: replies not recorded yet, edits whose text
differs from the recorded part, and recorded parts whose message has gone. The inbox's keys
make a second catch-up (or the real event arriving late) record nothing twice.

It is paced under Slack's Tier 3 limit for ``conversations.replies``, one thread at a time,
least recently checked first, and records each thread as checked as it goes: a catch-up that
is stopped half-way carries on where it stopped the next time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core import validation
from bot.core.models import AnswerPart, MessageRef, Question, QuestionState, ts_order
from bot.core.mrkdwn import esc, md
from bot.flows.sending import tell_clerks
from bot.inbox import REPLY_SUBTYPES, Inbox, shared_files
from bot.services import Services
from storage.inbox import Incoming

logger = logging.getLogger(__name__)

PACE = 1.2
"""Seconds between ``conversations.replies`` calls: Tier 3 allows 50 or more a minute."""

PAGE_SIZE = 200

OPEN_STATES = (
    QuestionState.SENT,
    QuestionState.HOLDING,
    QuestionState.RETURNED,
    QuestionState.ANSWERED,
    QuestionState.APPROVED,
)
"""States in which a reply in the thread can change the answer."""


@dataclass
class CatchUpReport:
    threads: int = 0
    unreadable: int = 0
    found: int = 0
    answered: list[str] = field(default_factory=list)
    """References of questions given a new answer part by the catch-up."""
    edits: int = 0
    deletions: int = 0


def missed(
    question: Question,
    thread: Sequence[dict[str, Any]],
    parts: Sequence[AnswerPart],
    latest_seen: str | None,
    received_at: datetime,
) -> list[Incoming]:
    """What the thread holds that the record does not: new replies, edits, deletions.

    ``thread`` is the whole thread as ``conversations.replies`` gives it (parent first).
    Replies at or before ``latest_seen`` were looked at by an earlier catch-up.
    """
    assert question.thread is not None
    channel, parent_ts = question.thread.channel, question.thread.ts
    replies = [
        m
        for m in thread
        if isinstance(m.get("ts"), str)
        and m["ts"] != parent_ts
        and isinstance(m.get("user"), str)
        and not m.get("bot_id")
        and m.get("subtype") in REPLY_SUBTYPES
    ]
    recorded = {p.message.ts: p for p in parts if p.message.channel == channel}
    found: list[Incoming] = []
    seen = ts_order(latest_seen) if latest_seen else None

    def incoming(kind: Any, message: dict[str, Any], key: str, text: str = "") -> Incoming:
        return Incoming(
            key=key,
            kind=kind,
            channel=channel,
            ts=message["ts"],
            thread_ts=parent_ts,
            user=message.get("user"),
            text=text,
            received_at=received_at,
            source="catch-up",
            has_files=bool(message.get("files")),
            files=shared_files(message.get("files")),
        )

    for message in replies:
        ts, text = message["ts"], message.get("text") or ""
        part = recorded.get(ts)
        if part is None:
            if seen is None or ts_order(ts) > seen:
                found.append(incoming("reply", message, f"catch-up:reply:{channel}:{ts}", text))
        elif not part.deleted and validation.normalise(text).strip() != part.text:
            digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
            found.append(incoming("edit", message, f"catch-up:edit:{channel}:{ts}:{digest}", text))
    present = {m["ts"] for m in replies}
    parent_order = ts_order(parent_ts)
    for part in recorded.values():
        ts = part.message.ts
        # Parts from an earlier thread (before a transfer) are older than this parent.
        if part.deleted or ts in present or ts_order(ts) <= parent_order:
            continue
        found.append(
            Incoming(
                key=f"catch-up:delete:{channel}:{ts}",
                kind="delete",
                channel=channel,
                ts=ts,
                thread_ts=parent_ts,
                user=part.author,
                text="",
                received_at=received_at,
                source="catch-up",
            )
        )
    return found


async def read_thread(
    client: AsyncWebClient, channel: str, ts: str, pace: float
) -> list[dict[str, Any]]:
    """Every message of a thread, page by page, paced."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        response = await client.conversations_replies(
            channel=channel, ts=ts, limit=PAGE_SIZE, cursor=cursor
        )
        found.extend(m for m in response.get("messages") or [] if isinstance(m, dict))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or not cursor:
            return found
        await asyncio.sleep(pace)


async def catch_up(
    services: Services, client: AsyncWebClient, inbox: Inbox, *, pace: float = PACE
) -> CatchUpReport:
    """Read every open question's thread and record what was missed; tell the clerk once."""
    report = CatchUpReport()
    repos = services.repos
    questions = [q for q in await repos.questions.search(states=OPEN_STATES) if q.thread]
    checked = {q.id: await repos.inbox.thread_checked(q.id) for q in questions}
    questions.sort(key=lambda q: (checked[q.id] is not None, _when(checked[q.id])))
    for number, question in enumerate(questions):
        assert question.thread is not None
        if number:
            await asyncio.sleep(pace)
        try:
            thread = await read_thread(client, question.thread.channel, question.thread.ts, pace)
        except SlackApiError as error:
            report.unreadable += 1
            logger.warning(
                "catch-up could not read the thread of %s: %s",
                question.reference,
                error.response.get("error"),
            )
            continue
        report.threads += 1
        previous = checked[question.id]
        now = services.clock()
        found = missed(
            question,
            thread,
            await repos.answers.parts(question.id),
            previous[1] if previous else None,
            now,
        )
        new = await repos.inbox.add_many(found, inbox.new_claim())
        if new:
            report.found += len(new)
            await _record(services, client, inbox, new)
        replies = [m["ts"] for m in thread if m.get("ts") != question.thread.ts and "ts" in m]
        latest = max(replies, key=ts_order) if replies else None
        await repos.inbox.mark_thread_checked(question.id, latest, now)
    told = await _what_to_tell(services, report)
    if report.found or report.unreadable:
        logger.info(
            "catch-up: %d thread(s) read, %d unreadable, %d missed event(s) found, "
            "%d answer(s) recorded",
            report.threads,
            report.unreadable,
            report.found,
            len(report.answered),
        )
    if report.answered or report.edits or report.deletions:
        await _tell_clerks(services, client, report)
    if told:
        await repos.inbox.mark_told(told, services.clock())
    return report


def _when(checked: tuple[datetime, str | None] | None) -> str:
    return checked[0].isoformat() if checked else ""


async def _record(
    services: Services,
    client: AsyncWebClient,
    inbox: Inbox,
    entry_ids: list[int],
) -> None:
    entries = [await services.repos.inbox.get(entry_id) for entry_id in entry_ids]
    await inbox.record_all(entries, client)


async def _what_to_tell(services: Services, report: CatchUpReport) -> list[int]:
    """Fill the report from every catch-up entry the clerks have not heard of; their ids."""
    untold = await services.repos.inbox.untold()
    for entry in untold:
        outcome, kind = entry.outcome, entry.incoming.kind
        if kind == "reply" and outcome == "recorded":
            thread = MessageRef(entry.incoming.channel, entry.incoming.thread_ts or "")
            question = await services.repos.questions.by_thread(thread)
            reference = question.reference if question else thread.ts
            if reference not in report.answered:
                report.answered.append(reference)
        elif kind == "edit" and outcome == "edited":
            report.edits += 1
        elif kind == "delete" and outcome == "deleted":
            report.deletions += 1
    return [entry.id for entry in untold]


async def _tell_clerks(services: Services, client: AsyncWebClient, report: CatchUpReport) -> None:
    count = len(report.answered)
    parts = []
    if count:
        noun = "answer" if count == 1 else "answers"
        verb = "was" if count == 1 else "were"
        parts.append(
            f"{count} {noun} received while the bot was offline {verb} recorded "
            f"({', '.join(report.answered)})"
        )
    if report.edits:
        parts.append(f"{report.edits} edited {'reply' if report.edits == 1 else 'replies'} updated")
    if report.deletions:
        noun = "reply" if report.deletions == 1 else "replies"
        parts.append(f"{report.deletions} deleted {noun} removed from the answers")
    sentence = "; ".join(parts) + "."
    text = esc(sentence[0].upper() + sentence[1:])
    await tell_clerks(services, client, text, [messages.section(md(":inbox_tray: {}", text))])
