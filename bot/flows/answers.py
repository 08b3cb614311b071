"""Answers in threads, holding replies, transfers and the clerk's review."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core import mrkdwn, validation
from bot.core.calendar import short_date
from bot.core.errors import DomainError, InvalidInput, NotFound
from bot.core.markup import mentioned_users
from bot.core.models import (
    Attachment,
    HoldingReply,
    MessageRef,
    Question,
    QuestionState,
    SharedFile,
)
from bot.core.mrkdwn import Mrkdwn, link, md, mention
from bot.core.permissions import Action, Actor, check, is_allowed
from bot.flows.sending import (
    on_submitted,
    post_unsent,
    question_card,
    send_to_officer,
    tell_clerks,
)
from bot.flows.slack import dm, names_seen, permalink, post, react
from bot.services import Services
from storage.inbox import Incoming

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThreadReply:
    """A reply in a thread, as the Events API delivers it."""

    channel: str
    ts: str
    thread_ts: str
    user: str
    text: str
    parent_by_bot: bool = False
    """Slack's ``parent_user_id`` is the bot's: the thread is under one of its messages."""
    posted_at: datetime | None = None
    """When the reply was written, if known; otherwise when it is recorded."""
    has_files: bool = False
    files: tuple[SharedFile, ...] = ()


TS_TRUSTED_FOR = timedelta(days=14)
"""A message's ts gives the time it was written; one older than this (or in the future) is
not believed, and the time the bot received it is used instead."""


def posted_time(ts: str, received_at: datetime) -> datetime:
    """When a message was written: its ts, if plausible, else when it reached the bot."""
    try:
        written = datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return received_at
    if received_at - TS_TRUSTED_FOR <= written <= received_at:
        return written
    return received_at


THREAD_RECORD_WAIT = 2.0
"""How long a reply under one of the bot's messages waits for the bot to record that message
as a question's thread (it posts first and records just after)."""


async def in_thread(
    client: AsyncWebClient, thread: MessageRef, text: Mrkdwn, *, quiet: bool = False
) -> None:
    """A reply in a question's thread; ``quiet`` ones are small grey context lines."""
    block = messages.context_line(text) if quiet else messages.section(text)
    await post(client, thread.channel, text, [block], thread_ts=thread.ts)


async def question_for_thread(services: Services, channel: str, thread_ts: str) -> Question | None:
    """The question answered in this thread: for a question grouped under another, the
    group's lead, which holds the one answer."""
    question = await services.repos.questions.by_thread(MessageRef(channel, thread_ts))
    if question is None:
        return None
    lead_id = await services.repos.groups.lead_of(question.id)
    if lead_id is None or lead_id == question.id:
        return question
    return await services.repos.questions.get(lead_id)


async def record_incoming(services: Services, client: AsyncWebClient, incoming: Incoming) -> str:
    """Record a reply, an edit or a deletion from the event inbox; says what became of it."""
    if incoming.kind == "reply":
        assert incoming.thread_ts is not None and incoming.user is not None
        reply = ThreadReply(
            channel=incoming.channel,
            ts=incoming.ts,
            thread_ts=incoming.thread_ts,
            user=incoming.user,
            text=incoming.text,
            parent_by_bot=incoming.parent_by_bot,
            posted_at=posted_time(incoming.ts, incoming.received_at),
            has_files=incoming.has_files,
            files=incoming.files,
        )
        return await record_reply(services, client, reply)
    if incoming.kind == "edit":
        assert incoming.user is not None
        return await record_edit(
            services,
            incoming.channel,
            incoming.ts,
            incoming.user,
            incoming.text,
            client=client,
            files=incoming.files,
        )
    return await record_delete(services, incoming.channel, incoming.ts, incoming.user)


async def record_reply(services: Services, client: AsyncWebClient, reply: ThreadReply) -> str:
    """Record a reply by the officer, their deputy or ... as part of the answer.

    Returns "recorded" when a new part was recorded. Replies by anyone else are discussion:
    they stay in the thread and are not part of the answer. A repeated event records nothing.
    A reply that cannot be recorded (no text, too long) is explained in the thread and to
    the clerk: it is never dropped silently.
    """
    question = await question_for_thread(services, reply.channel, reply.thread_ts)
    waited = 0.0
    while question is None and reply.parent_by_bot and waited < THREAD_RECORD_WAIT:
        if not waited:
            logger.info(
                "reply %s waits for its thread %s to be recorded", reply.ts, reply.thread_ts
            )
        await asyncio.sleep(0.1)  # after the ack: the officer's message may be just posted
        waited += 0.1
        question = await question_for_thread(services, reply.channel, reply.thread_ts)
    if question is None:
        return "not a question's thread"
    actor = await services.actor(reply.user)
    if not is_allowed(actor, Action.ANSWER, question):
        logger.info("reply by %s in %s kept as discussion", reply.user, question.reference)
        return "discussion"
    if question.state in (QuestionState.WITHDRAWN, QuestionState.REJECTED):
        return f"question {question.state}"
    message = MessageRef(reply.channel, reply.ts)
    now = reply.posted_at or services.clock()
    attached = await _attach(services, question, message, reply.files, actor, now)
    if reply.has_files and not validation.normalise(reply.text).strip():
        if not reply.files:
            await refuse_reply(
                services,
                client,
                question,
                message,
                "Slack did not say which files were attached, so they are not recorded.",
            )
            return "refused: files unknown"
        if attached:
            await react(client, message, "paperclip")
            needs_text = not await question_has_text(services, question)
            await in_thread(
                client,
                MessageRef(reply.channel, reply.thread_ts),
                _attached_note(question, attached, needs_text=needs_text),
                quiet=True,
            )
        return f"attached {len(attached)}" if attached else "already recorded"
    try:
        recorded = await services.repos.answers.add_part(
            question.id, message, reply.text, actor, reply.posted_at or services.clock()
        )
    except InvalidInput as problem:
        await refuse_reply(services, client, question, message, problem.message)
        return f"refused: {problem.message}"
    if not recorded.created:
        return "already recorded"
    await react(client, message, "white_check_mark")
    parts = await services.repos.answers.parts(question.id)
    live = [p for p in parts if not p.deleted]
    note = md(
        "Recorded as the answer to {}{}{}. The clerk will review it; further replies here are "
        "added to the answer.",
        question.reference,
        f" (part {len(live)})" if len(live) > 1 else "",
        md(", with {}", _file_names(attached)) if attached else "",
    )
    await in_thread(client, MessageRef(reply.channel, reply.thread_ts), note, quiet=True)
    if recorded.question.state is QuestionState.ANSWERED and len(live) == 1:
        await announce_answer(services, client, recorded.question)
    return "recorded"


async def _attach(
    services: Services,
    question: Question,
    message: MessageRef,
    files: tuple[SharedFile, ...],
    actor: Actor,
    now: datetime,
) -> list[Attachment]:
    """Keep the files of an officer's reply with the answer (nothing when it has none)."""
    if not files:
        return []
    return await services.repos.answers.attach(question.id, message, files, actor, now)


def _file_names(attachments: list[Attachment]) -> Mrkdwn:
    names = [md("*{}*", attachment.file.name) for attachment in attachments]
    return mrkdwn.join(", ", names)


async def question_has_text(services: Services, question: Question) -> bool:
    parts = await services.repos.answers.parts(question.id)
    return any(not part.deleted for part in parts)


def _attached_note(question: Question, attached: list[Attachment], *, needs_text: bool) -> Mrkdwn:
    """What the officer is told when a file alone is shared in the thread."""
    return md(
        "Attached to the answer to {}: {}. The agenda lists it under the answer, and the clerk "
        "adds it to the pack.{}",
        question.reference,
        _file_names(attached),
        " Please also reply here with the answer as text." if needs_text else "",
    )


async def refuse_reply(
    services: Services,
    client: AsyncWebClient,
    question: Question,
    message: MessageRef,
    problem: str,
) -> None:
    """A reply by the officer that cannot be part of the answer: say so where they look,
    and tell the clerk, so nothing the officer sent is lost without anyone knowing."""
    address = await permalink(client, message)
    where = md(" ({})", link(address, "the reply")) if address else Mrkdwn("")
    await in_thread(
        client,
        question.thread or MessageRef(message.channel, message.ts),
        md(
            "This reply{} could not be recorded as part of the answer to {}: {} Please reply "
            "again in this thread with the answer as text.",
            where,
            question.reference,
            problem,
        ),
    )
    await tell_clerks(
        services,
        client,
        md("A reply for {} could not be recorded", question.reference),
        [
            messages.section(
                md(
                    ":warning: A reply by {} in the thread of *{}*{} could not be recorded: {} "
                    "They have been asked to reply again.",
                    mention(question.assigned_officer),
                    question.reference,
                    where,
                    problem,
                )
            )
        ],
    )


async def report_unrecorded(
    services: Services, client: AsyncWebClient, incoming: Incoming, error: Exception
) -> None:
    """Tell the clerk about a reply the bot gave up recording after several attempts."""
    address = await permalink(client, MessageRef(incoming.channel, incoming.ts))
    where = link(address, f"this {incoming.kind}") if address else md("a thread {}", incoming.kind)
    by = md(" by {}", mention(incoming.user)) if incoming.user else Mrkdwn("")
    await tell_clerks(
        services,
        client,
        Mrkdwn("A thread reply could not be recorded"),
        [
            messages.section(
                md(
                    ":warning: The bot could not record {}{} after several attempts ({}). "
                    "Please check the thread and record the answer by hand.",
                    where,
                    by,
                    type(error).__name__,
                )
            )
        ],
    )


async def announce_answer(services: Services, client: AsyncWebClient, question: Question) -> None:
    """Tell the submitter and the clerk that an answer has arrived."""
    answer = await services.repos.answers.get(question.id)
    link = await permalink(client, question.thread) if question.thread else None
    card = await question_card(services, question)
    await tell_clerks(
        services,
        client,
        md("Answer received for {}", question.reference),
        messages.answer_for_review(
            card,
            answer.text,
            link,
            await names_seen(services, client, mentioned_users(answer.text)),
        ),
    )
    where = md(" ({})", mrkdwn.link(link, "see the thread")) if link else ""
    await dm(
        client,
        question.submitted_by,
        md("Your question {} has been answered.", question.reference),
        [
            messages.section(
                md(
                    ":speech_balloon: Your question *{}* has been answered{}. The answer will be "
                    "published in the agenda once the clerk has reviewed it.",
                    question.reference,
                    where,
                )
            ),
        ],
    )


async def record_edit(
    services: Services,
    channel: str,
    ts: str,
    user: str,
    text: str,
    *,
    client: AsyncWebClient | None = None,
    files: tuple[SharedFile, ...] | None = None,
) -> str:
    """An edited reply updates its part of the answer, keeping the earlier version; files
    taken off it (``files``: those still on it, when known) leave the answer too."""
    actor = await services.actor(user)
    message = MessageRef(channel, ts)
    if files is not None:
        removed = await services.repos.answers.keep_only_files(
            message, files, actor, services.clock()
        )
        if await services.repos.answers.part_at(message) is None:
            return f"attachments removed {len(removed)}" if removed else "not an answer"
    try:
        part = await services.repos.answers.edit_part(message, text, actor, services.clock())
    except InvalidInput as problem:
        logger.info("edit of %s/%s not recorded: %s", channel, ts, problem.message)
        question = await _question_of_part(services, message)
        if client is not None and question is not None:
            await refuse_reply(services, client, question, message, problem.message)
        return f"refused: {problem.message}"
    except DomainError as problem:
        logger.info("edit of %s/%s not recorded: %s", channel, ts, problem)
        return f"not recorded: {problem}"
    return "edited" if part is not None else "not an answer"


async def _question_of_part(services: Services, message: MessageRef) -> Question | None:
    part = await services.repos.answers.part_at(message)
    return None if part is None else await services.repos.questions.get(part.question_id)


async def record_delete(services: Services, channel: str, ts: str, user: str | None) -> str:
    """A deleted reply is removed from the answer (its text stays on record), and so are
    the files shared with it."""
    actor = await services.actor(user or "USLACK")
    removed = await services.repos.answers.keep_only_files(
        MessageRef(channel, ts), (), actor, services.clock()
    )
    if removed and await services.repos.answers.part_at(MessageRef(channel, ts)) is None:
        return f"attachments removed {len(removed)}"
    try:
        part = await services.repos.answers.delete_part(
            MessageRef(channel, ts), actor, services.clock()
        )
    except NotFound as problem:
        return f"not recorded: {problem}"
    return "deleted" if part is not None else "not an answer"


async def record_holding_reply(
    services: Services, user_id: str, question_id: int, note: str, promised: date
) -> tuple[Question, HoldingReply]:
    """Store a holding reply (state holding); raises before anything is stored if invalid."""
    actor = await services.actor(user_id)
    holding = await services.repos.answers.give_holding_reply(
        question_id, note, promised, actor, services.clock()
    )
    return await services.repos.questions.get(holding.question_id), holding


async def announce_holding_reply(
    services: Services, client: AsyncWebClient, question: Question, holding: HoldingReply
) -> None:
    """Tell the thread and the clerk about a holding reply."""
    user_id, promised = holding.author, holding.promised_date
    text = md(
        "Holding reply from {}: {}\nFull answer promised by *{}*. Reminders wait until then.",
        mention(user_id),
        holding.note,
        short_date(promised, with_year=True),
    )
    if question.thread:
        await in_thread(client, question.thread, text)
    await tell_clerks(
        services,
        client,
        md("Holding reply for {}", question.reference),
        [messages.section(md("*{}*: {}", question.reference, text))],
    )


async def request_transfer(
    services: Services, user_id: str, question_id: int, role_key: str, reason: str
) -> Question:
    """The officer proposes another role; the clerk or the new officer confirms."""
    actor = await services.actor(user_id)
    role = await services.repos.officers.role(role_key)
    if not role.officer:
        raise InvalidInput(f"Nobody answers for {role.key} yet: ask the clerk to set them.")
    return await services.repos.questions.propose_transfer(
        question_id, role.officer, actor, services.clock(), to_role=role.key, reason=reason
    )


async def announce_transfer_request(
    services: Services, client: AsyncWebClient, question: Question
) -> None:
    """Ask the clerk and the proposed officer to accept; note it in the thread."""
    transfer = question.pending_transfer
    if transfer is None:
        return
    user_id, reason = transfer.requested_by, transfer.reason
    role = await services.repos.officers.role(transfer.to_role or question.addressed_role or "")
    card = await question_card(services, question)
    blocks = messages.transfer_request(card, transfer.to_officer, reason, user_id)
    await tell_clerks(services, client, md("Transfer requested for {}", question.reference), blocks)
    await dm(client, transfer.to_officer, md("Transfer requested: {}", question.reference), blocks)
    if question.thread:
        note = md(
            "{} asked for this to go to {}. Until it is accepted, {} stays responsible.",
            mention(user_id),
            role.title,
            mention(question.assigned_officer),
        )
        await in_thread(client, question.thread, note, quiet=True)


async def accept_transfer(
    services: Services, client: AsyncWebClient, user_id: str, question_id: int
) -> Question:
    """The new officer (or the clerk) accepts: the question moves, the history is linked."""
    actor = await services.actor(user_id)
    before = await services.repos.questions.get(question_id)
    question = await services.repos.questions.accept_transfer(question_id, actor, services.clock())
    old = before.thread
    link = await permalink(client, old) if old else None
    # The bot posts the new parent message on the accepting officer's behalf.
    question = await send_to_officer(services, client, question, Actor.bot())
    if question.thread and link:
        note = md(
            "Transferred from {}: {}.",
            mention(before.assigned_officer),
            mrkdwn.link(link, "earlier thread"),
        )
        await in_thread(client, question.thread, note, quiet=True)
    if old:
        note = md(
            "Transferred to {}, who answers in a new thread.", mention(question.assigned_officer)
        )
        await in_thread(client, old, note, quiet=True)
    return question


async def decline_transfer(
    services: Services, client: AsyncWebClient, user_id: str, question_id: int
) -> Question:
    actor = await services.actor(user_id)
    before = await services.repos.questions.get(question_id)
    question = await services.repos.questions.decline_transfer(question_id, actor, services.clock())
    if before.pending_transfer is not None:
        await dm(
            client,
            before.pending_transfer.requested_by,
            md("The transfer of {} was declined; it stays with you.", question.reference),
        )
    return question


async def approve_answer(services: Services, clerk_id: str, question_id: int) -> Question:
    actor = await services.actor(clerk_id)
    approval = await services.repos.answers.approve(question_id, actor, services.clock())
    return await services.repos.questions.get(approval.question_id)


async def return_answer(
    services: Services, clerk_id: str, question_id: int, comment: str
) -> Question:
    """Back to the officer, asking for more (state returned)."""
    actor = await services.actor(clerk_id)
    comment = validation.text(comment, "The comment", validation.NOTE_LIMIT)
    return await services.repos.questions.return_answer(
        question_id, actor, services.clock(), note=comment
    )


async def announce_return(client: AsyncWebClient, question: Question, comment: str) -> None:
    """The clerk's comment, in the question's thread for the officer."""
    if question.thread:
        text = md(
            "{}, the clerk asks for more on this answer: {}\n"
            "Reply in this thread; your replies are added to the answer.",
            mention(question.assigned_officer),
            comment,
        )
        await in_thread(client, question.thread, text)


async def withdraw(
    services: Services, client: AsyncWebClient, user_id: str, reference: str, reason: str | None
) -> Question:
    """The asker or the clerk withdraws a question; the officer is told and chasing stops."""
    actor = await services.actor(user_id)
    question = await services.repos.questions.by_reference(reference)
    group = (await services.repos.groups.groups_of([question.id])).get(question.id, [])
    question = await services.repos.questions.withdraw(
        question.id, actor, services.clock(), reason=reason
    )
    because = f" Reason: {reason}" if reason else ""
    if question.thread:
        text = md("{} has been withdrawn; no answer is needed.{}", question.reference, because)
        await in_thread(client, question.thread, text)
    # A withdrawn lead ends its group: the others go to the officer on their own.
    await post_unsent(services, client, [i for i in group if i != question.id])
    return question


async def reopen(
    services: Services, client: AsyncWebClient, user_id: str, reference: str
) -> Question:
    """A rejected or withdrawn question goes back to triage (the clerk's card again)."""
    actor = await services.actor(user_id)
    question = await services.repos.questions.by_reference(reference)
    if question.state not in (QuestionState.REJECTED, QuestionState.WITHDRAWN):
        raise InvalidInput(
            f"{question.reference} is {question.state}: only a rejected or withdrawn question "
            "can be reopened."
        )
    question = await services.repos.questions.reinstate(question.id, actor, services.clock())
    await on_submitted(services, client, question)
    return question


async def published_text(services: Services, question_id: int) -> str:
    """The answer as published (or as last corrected)."""
    answer = await services.repos.answers.get(question_id)
    if answer.corrections:
        return answer.corrections[-1].corrected_text
    if answer.publication is None:
        raise InvalidInput("That answer has not been published yet: there is nothing to correct.")
    return answer.publication.answer_text


async def check_correctable(services: Services, user_id: str, reference: str) -> Question:
    actor = await services.actor(user_id)
    question = await services.repos.questions.by_reference(reference)
    check(actor, Action.CORRECT_ANSWER, question)
    if question.state not in (QuestionState.PUBLISHED, QuestionState.CORRECTED):
        raise InvalidInput(
            f"{question.reference} is {question.state}: only a published answer is corrected "
            "this way (before publication, the officer edits the reply in the thread)."
        )
    return question


async def correct_answer(
    services: Services, user_id: str, question_id: int, text: str, reason: str
) -> Question:
    actor = await services.actor(user_id)
    await services.repos.answers.correct(question_id, text, reason, actor, services.clock())
    return await services.repos.questions.get(question_id)


async def announce_correction(
    services: Services, client: AsyncWebClient, question: Question, user_id: str, reason: str
) -> None:
    """Note the correction in the question's thread and tell the clerks."""
    text = md(
        "{} corrected the published answer to {}. Reason: {}",
        mention(user_id),
        question.reference,
        reason,
    )
    if question.thread:
        await in_thread(client, question.thread, text, quiet=True)
    await tell_clerks(
        services,
        client,
        md("Published answer corrected: {}", question.reference),
        [messages.section(md(":pencil2: {}", text))],
    )


async def announce_published(
    services: Services, client: AsyncWebClient, references: list[str], meeting_reference: str
) -> None:
    """A note with a *Correct answer* button in each published question's thread."""
    for reference in references:
        question = await services.repos.questions.by_reference(reference)
        if question.thread is None:
            continue
        await post(
            client,
            question.thread.channel,
            md("The answer to {} is published.", reference),
            messages.published_note(reference, meeting_reference, question.id),
            thread_ts=question.thread.ts,
        )
