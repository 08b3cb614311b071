"""Answers: the officer's thread replies (versioned), holding replies, approval,
publication and corrections, each written with its audit event in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.core import lifecycle, validation
from bot.core.calendar import local_date, short_date
from bot.core.errors import InvalidInput, NotFound
from bot.core.models import (
    Answer,
    AnswerPart,
    AnswerPartVersion,
    Approval,
    Attachment,
    AuditEvent,
    Correction,
    HoldingReply,
    MessageRef,
    Publication,
    Question,
    QuestionChange,
    QuestionState,
    SharedFile,
    ts_order,
)
from bot.core.permissions import Action, Actor, check
from storage.audit import record
from storage.codec import day_text, moment, moment_text, optional_moment
from storage.db import Database, Row, Tx, in_lists, marks
from storage.questions import load_question, save_change

ANSWER_TEXT_LIMIT = 40_000
"""Slack's own limit on a message's text."""


@dataclass(frozen=True)
class RecordedPart:
    """The result of recording a thread reply: ``created`` is False for a repeat."""

    part: AnswerPart
    created: bool
    question: Question


class AnswerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_part(
        self,
        question_id: int,
        message: MessageRef,
        text: str,
        actor: Actor,
        posted_at: datetime,
    ) -> RecordedPart:
        """Record an officer's reply once: a repeated (channel, ts) returns the stored part.

        The first reply moves the question to answered; so does a reply after approval
        (the approved text no longer stands). After publication the reply is kept on
        record and the published text is unchanged.
        """
        text = validation.text(text, "The answer", ANSWER_TEXT_LIMIT)
        async with self.db.transaction() as tx:
            existing = await _part_row(tx, message)
            if existing is not None:
                part = await _part(tx, existing)
                return RecordedPart(part, False, await load_question(tx, part.question_id))
            question = await load_question(tx, question_id)
            to_state = lifecycle.answer_state(question, actor)
            part_id = await tx.insert(
                "INSERT INTO answer_parts (question_id, channel, ts, author, text, posted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    question_id,
                    message.channel,
                    message.ts,
                    actor.user_id,
                    text,
                    moment_text(posted_at),
                ),
            )
            await record(
                tx,
                _event(
                    question,
                    actor,
                    posted_at,
                    "answer_part_added",
                    {
                        "channel": message.channel,
                        "ts": message.ts,
                        "text": text,
                        "state": question.state,
                    },
                ),
            )
            question = await _move(tx, question, to_state, actor, posted_at)
            part = AnswerPart(part_id, question_id, message, actor.user_id, text, posted_at)
            return RecordedPart(part, True, question)

    async def edit_part(
        self, message: MessageRef, text: str, actor: Actor, edited_at: datetime
    ) -> AnswerPart | None:
        """Apply an edit, keeping the previous text as a version; None if not an answer part."""
        text = validation.text(text, "The answer", ANSWER_TEXT_LIMIT)
        async with self.db.transaction() as tx:
            row = await _part_row(tx, message)
            if row is None:
                return None
            part = await _part(tx, row)
            if part.text == text or part.deleted:
                return part
            question = await load_question(tx, part.question_id)
            to_state = lifecycle.answer_state(question, actor)
            await tx.execute(
                "INSERT INTO answer_part_versions (part_id, text, replaced_at) VALUES (?, ?, ?)",
                (part.id, part.text, moment_text(edited_at)),
            )
            await tx.execute(
                "UPDATE answer_parts SET text = ?, edited_at = ? WHERE id = ?",
                (text, moment_text(edited_at), part.id),
            )
            await record(
                tx,
                _event(
                    question,
                    actor,
                    edited_at,
                    "answer_part_edited",
                    {"ts": message.ts, "before": part.text, "after": text, "state": question.state},
                ),
            )
            await _move(tx, question, to_state, actor, edited_at)
            version = AnswerPartVersion(part.text, edited_at)
            return replace(part, text=text, edited_at=edited_at, versions=(*part.versions, version))

    async def delete_part(
        self, message: MessageRef, actor: Actor, deleted_at: datetime
    ) -> AnswerPart | None:
        """Mark a deleted reply (its text stays on record); None if not an answer part.

        Deleting after approval sends the answer back to answered for re-approval.
        """
        async with self.db.transaction() as tx:
            row = await _part_row(tx, message)
            if row is None:
                return None
            part = await _part(tx, row)
            if part.deleted:
                return part
            question = await load_question(tx, part.question_id)
            to_state = lifecycle.answer_state(question, actor)
            await tx.execute(
                "UPDATE answer_parts SET deleted_at = ? WHERE id = ?",
                (moment_text(deleted_at), part.id),
            )
            await record(
                tx,
                _event(
                    question,
                    actor,
                    deleted_at,
                    "answer_part_deleted",
                    {"ts": message.ts, "text": part.text, "state": question.state},
                ),
            )
            if question.state is QuestionState.APPROVED:
                await _move(tx, question, to_state, actor, deleted_at)
            return replace(part, deleted_at=deleted_at)

    async def attach(
        self,
        question_id: int,
        message: MessageRef,
        files: Sequence[SharedFile],
        actor: Actor,
        now: datetime,
    ) -> list[Attachment]:
        """Keep the files shared in ``message`` with the answer; returns those new to it (a
        repeated event adds nothing). A file added after approval needs the clerk's review
        again, as a reply does; after publication it is kept on record only."""
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            check(actor, Action.ANSWER, question)
            added: list[Attachment] = []
            for shared in files:
                result = await tx.execute(
                    "INSERT OR IGNORE INTO answer_attachments (question_id, channel, ts, file_id,"
                    " name, mimetype, permalink, added_by, added_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        question_id,
                        message.channel,
                        message.ts,
                        shared.file_id,
                        shared.name,
                        shared.mimetype,
                        shared.permalink,
                        actor.user_id,
                        moment_text(now),
                    ),
                )
                if not result.rowcount:
                    continue
                added.append(Attachment(question_id, message, shared, actor.user_id, now))
                await record(
                    tx,
                    _event(question, actor, now, "attachment_added", _file_detail(message, shared)),
                )
            if added and question.state is QuestionState.APPROVED:
                await _move(tx, question, QuestionState.ANSWERED, actor, now)
            return added

    async def keep_only_files(
        self, message: MessageRef, files: Sequence[SharedFile], actor: Actor, now: datetime
    ) -> list[Attachment]:
        """After an edit or a deletion of ``message``: its attachments no longer among
        ``files`` are removed from the answer (and kept on record). Returns those removed."""
        keep = {shared.file_id for shared in files}
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT * FROM answer_attachments WHERE channel = ? AND ts = ?"
                " AND removed_at IS NULL ORDER BY id",
                (message.channel, message.ts),
            )
            removed = [_attachment_from_row(r) for r in rows if r["file_id"] not in keep]
            for attachment in removed:
                question = await load_question(tx, attachment.question_id)
                await tx.execute(
                    "UPDATE answer_attachments SET removed_at = ? WHERE question_id = ?"
                    " AND channel = ? AND ts = ? AND file_id = ?",
                    (
                        moment_text(now),
                        attachment.question_id,
                        message.channel,
                        message.ts,
                        attachment.file.file_id,
                    ),
                )
                await record(
                    tx,
                    _event(
                        question,
                        actor,
                        now,
                        "attachment_removed",
                        _file_detail(message, attachment.file),
                    ),
                )
                if question.state is QuestionState.APPROVED:
                    await _move(tx, question, QuestionState.ANSWERED, actor, now)
            return [replace(a, removed_at=now) for a in removed]

    async def part_at(self, message: MessageRef) -> AnswerPart | None:
        """The answer part recorded from ``message``, if any."""
        async with self.db.snapshot() as read:
            row = await _part_row(read, message)
            return None if row is None else await _part(read, row)

    async def parts(self, question_id: int) -> list[AnswerPart]:
        """Every part, deleted ones included, in thread order."""
        rows = await self.db.fetchall(
            "SELECT * FROM answer_parts WHERE question_id = ?", (question_id,)
        )
        versions = await self._versions(question_id)
        parts = [_part_from_row(row, versions.get(row["id"], ())) for row in rows]
        return sorted(parts, key=lambda part: ts_order(part.message.ts))

    async def get(self, question_id: int) -> Answer:
        """Everything recorded in answer to the question."""
        return (await self.get_many([question_id]))[question_id]

    async def get_many(self, question_ids: Iterable[int]) -> dict[int, Answer]:
        """Everything recorded in answer to each question: a few queries for any number of
        questions (compiling 500 answers reads them in one go, not 6 queries each)."""
        ids = sorted(set(question_ids))
        rows: dict[str, list[Row]] = {table: [] for table in _ANSWER_TABLES}
        async with self.db.snapshot() as read:
            for chunk in in_lists(ids):
                for table, sql in _ANSWER_TABLES.items():
                    rows[table] += await read.fetchall(sql.format(ids=marks(chunk)), chunk)
        versions: dict[int, list[AnswerPartVersion]] = {}
        for row in rows["versions"]:
            versions.setdefault(row["part_id"], []).append(
                AnswerPartVersion(row["text"], moment(row["replaced_at"]))
            )
        grouped: dict[str, dict[int, list[Row]]] = {
            table: _by_question(table_rows) for table, table_rows in rows.items()
        }
        answers = {}
        for question_id in ids:

            def of(table: str, question_id: int = question_id) -> list[Row]:
                return grouped[table].get(question_id, [])

            parts = [_part_from_row(r, tuple(versions.get(r["id"], ()))) for r in of("parts")]
            publication = of("publications")
            answers[question_id] = Answer(
                question_id=question_id,
                parts=tuple(sorted(parts, key=lambda part: ts_order(part.message.ts))),
                holding_replies=tuple(_holding_from_row(r) for r in of("holding")),
                approvals=tuple(_approval_from_row(r) for r in of("approvals")),
                publication=_publication_from_row(publication[0]) if publication else None,
                corrections=tuple(_correction_from_row(r) for r in of("corrections")),
                attachments=tuple(_attachment_from_row(r) for r in of("attachments")),
            )
        return answers

    async def give_holding_reply(
        self, question_id: int, note: str, promised_date: date, actor: Actor, now: datetime
    ) -> HoldingReply:
        """'We will answer by <date>': the question moves to holding."""
        note = validation.text(note, "The holding reply", validation.NOTE_LIMIT)
        if promised_date < local_date(now):
            raise InvalidInput(
                f"The promised date {short_date(promised_date, with_year=True)} has already passed."
            )
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            change = lifecycle.transition(question, QuestionState.HOLDING, actor, now, note=note)
            await _save(tx, change, {"promised_date": promised_date})
            reply_id = await tx.insert(
                "INSERT INTO holding_replies (question_id, author, note, promised_date, given_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (question_id, actor.user_id, note, day_text(promised_date), moment_text(now)),
            )
        return HoldingReply(reply_id, question_id, actor.user_id, note, promised_date, now)

    async def approve(self, question_id: int, actor: Actor, now: datetime) -> Approval:
        """The clerk approves the answer as it now stands."""
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            change = lifecycle.transition(question, QuestionState.APPROVED, actor, now)
            text = await _current_text(tx, question_id)
            if not text:
                raise InvalidInput(f"{question.reference} has no answer text to approve.")
            await _save(tx, change, {"answer_text": text})
            approval_id = await tx.insert(
                "INSERT INTO approvals (question_id, approved_by, approved_at, answer_text)"
                " VALUES (?, ?, ?, ?)",
                (question_id, actor.user_id, moment_text(now), text),
            )
        return Approval(approval_id, question_id, actor.user_id, now, text)

    async def publish(self, question_id: int, actor: Actor, now: datetime) -> Publication:
        """Mark the approved answer published in the question's target meeting."""
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            change = lifecycle.transition(question, QuestionState.PUBLISHED, actor, now)
            approval = await tx.fetchone(
                "SELECT answer_text FROM approvals WHERE question_id = ? ORDER BY id DESC LIMIT 1",
                (question_id,),
            )
            if approval is None:
                raise InvalidInput(f"{question.reference} has no approved answer to publish.")
            meeting_id = change.after.target_meeting_id
            if meeting_id is None:  # the transition refuses this already; kept for the types
                raise InvalidInput(f"{question.reference} has no target meeting.")
            text = str(approval["answer_text"])
            await _save(tx, change, {"meeting_id": meeting_id, "answer_text": text})
            await tx.execute(
                "INSERT INTO publications (question_id, meeting_id, published_by, published_at,"
                " answer_text) VALUES (?, ?, ?, ?, ?)",
                (question_id, meeting_id, actor.user_id, moment_text(now), text),
            )
        return Publication(question_id, meeting_id, actor.user_id, now, text)

    async def correct(
        self, question_id: int, corrected_text: str, reason: str, actor: Actor, now: datetime
    ) -> Correction:
        """Correct a published answer; the text it replaces stays on record."""
        corrected_text = validation.text(corrected_text, "The corrected answer", ANSWER_TEXT_LIMIT)
        reason = validation.text(reason, "The reason for the correction", validation.NOTE_LIMIT)
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            change = lifecycle.transition(question, QuestionState.CORRECTED, actor, now)
            original = await _published_text(tx, question_id)
            await _save(
                tx,
                change,
                {"original_text": original, "corrected_text": corrected_text, "reason": reason},
            )
            correction_id = await tx.insert(
                "INSERT INTO corrections (question_id, original_text, corrected_text, reason,"
                " corrected_by, corrected_at) VALUES (?, ?, ?, ?, ?, ?)",
                (question_id, original, corrected_text, reason, actor.user_id, moment_text(now)),
            )
        return Correction(
            correction_id, question_id, original, corrected_text, reason, actor.user_id, now
        )

    async def _versions(self, question_id: int) -> dict[int, tuple[AnswerPartVersion, ...]]:
        rows = await self.db.fetchall(
            "SELECT v.* FROM answer_part_versions v JOIN answer_parts p ON p.id = v.part_id"
            " WHERE p.question_id = ? ORDER BY v.id",
            (question_id,),
        )
        versions: dict[int, list[AnswerPartVersion]] = {}
        for row in rows:
            versions.setdefault(row["part_id"], []).append(
                AnswerPartVersion(row["text"], moment(row["replaced_at"]))
            )
        return {part_id: tuple(items) for part_id, items in versions.items()}


async def _move(
    tx: Tx,
    question: Question,
    to_state: QuestionState | None,
    actor: Actor,
    now: datetime,
) -> Question:
    if to_state is None or to_state is question.state:
        return question
    return await save_change(tx, lifecycle.transition(question, to_state, actor, now))


async def _save(tx: Tx, change: QuestionChange, extra: dict[str, object]) -> Question:
    """Save a transition whose audit event also carries what else was recorded."""
    event = replace(change.event, detail={**change.event.detail, **extra})
    return await save_change(tx, replace(change, event=event))


def _event(
    question: Question, actor: Actor, now: datetime, action: str, detail: dict[str, object]
) -> AuditEvent:
    return AuditEvent(actor.user_id, action, "question", question.reference, now, detail)


async def _part_row(tx: Tx, message: MessageRef) -> Row | None:
    return await tx.fetchone(
        "SELECT * FROM answer_parts WHERE channel = ? AND ts = ?", (message.channel, message.ts)
    )


async def _part(tx: Tx, row: Row) -> AnswerPart:
    rows = await tx.fetchall(
        "SELECT text, replaced_at FROM answer_part_versions WHERE part_id = ? ORDER BY id",
        (row["id"],),
    )
    versions = tuple(AnswerPartVersion(v["text"], moment(v["replaced_at"])) for v in rows)
    return _part_from_row(row, versions)


async def _current_text(tx: Tx, question_id: int) -> str:
    rows = await tx.fetchall(
        "SELECT ts, text FROM answer_parts WHERE question_id = ? AND deleted_at IS NULL",
        (question_id,),
    )
    rows.sort(key=lambda row: ts_order(row["ts"]))
    return "\n\n".join(row["text"] for row in rows)


async def _published_text(tx: Tx, question_id: int) -> str:
    latest = await tx.fetchone(
        "SELECT corrected_text AS text FROM corrections WHERE question_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (question_id,),
    )
    if latest is None:
        latest = await tx.fetchone(
            "SELECT answer_text AS text FROM publications WHERE question_id = ?",
            (question_id,),
        )
    if latest is None:
        raise NotFound("There is no published answer to correct.")
    return str(latest["text"])


_ANSWER_TABLES = {
    "parts": "SELECT * FROM answer_parts WHERE question_id IN ({ids})",
    "versions": "SELECT v.*, p.question_id FROM answer_part_versions v"
    " JOIN answer_parts p ON p.id = v.part_id WHERE p.question_id IN ({ids}) ORDER BY v.id",
    "holding": "SELECT * FROM holding_replies WHERE question_id IN ({ids}) ORDER BY id",
    "approvals": "SELECT * FROM approvals WHERE question_id IN ({ids}) ORDER BY id",
    "publications": "SELECT * FROM publications WHERE question_id IN ({ids})",
    "corrections": "SELECT * FROM corrections WHERE question_id IN ({ids}) ORDER BY id",
    "attachments": "SELECT * FROM answer_attachments WHERE question_id IN ({ids}) ORDER BY id",
}
"""What ``get_many`` reads, each for a list of question ids."""


def _file_detail(message: MessageRef, shared: SharedFile) -> dict[str, object]:
    return {
        "channel": message.channel,
        "ts": message.ts,
        "file_id": shared.file_id,
        "name": shared.name,
        "mimetype": shared.mimetype,
    }


def _attachment_from_row(row: Row) -> Attachment:
    return Attachment(
        question_id=int(row["question_id"]),
        message=MessageRef(row["channel"], row["ts"]),
        file=SharedFile(row["file_id"], row["name"], row["mimetype"], row["permalink"]),
        added_by=row["added_by"],
        added_at=moment(row["added_at"]),
        removed_at=optional_moment(row["removed_at"]),
    )


def _by_question(rows: Iterable[Row]) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = {}
    for row in rows:
        grouped.setdefault(int(row["question_id"]), []).append(row)
    return grouped


def _part_from_row(row: Row, versions: tuple[AnswerPartVersion, ...]) -> AnswerPart:
    return AnswerPart(
        id=row["id"],
        question_id=row["question_id"],
        message=MessageRef(row["channel"], row["ts"]),
        author=row["author"],
        text=row["text"],
        posted_at=moment(row["posted_at"]),
        edited_at=optional_moment(row["edited_at"]),
        deleted_at=optional_moment(row["deleted_at"]),
        versions=versions,
    )


def _holding_from_row(row: Row) -> HoldingReply:
    return HoldingReply(
        row["id"],
        row["question_id"],
        row["author"],
        row["note"],
        date.fromisoformat(row["promised_date"]),
        moment(row["given_at"]),
    )


def _approval_from_row(row: Row) -> Approval:
    return Approval(
        row["id"],
        row["question_id"],
        row["approved_by"],
        moment(row["approved_at"]),
        row["answer_text"],
    )


def _publication_from_row(row: Row) -> Publication:
    return Publication(
        row["question_id"],
        row["meeting_id"],
        row["published_by"],
        moment(row["published_at"]),
        row["answer_text"],
    )


def _correction_from_row(row: Row) -> Correction:
    return Correction(
        row["id"],
        row["question_id"],
        row["original_text"],
        row["corrected_text"],
        row["reason"],
        row["corrected_by"],
        moment(row["corrected_at"]),
    )
