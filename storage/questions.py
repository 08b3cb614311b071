"""Questions: created with the next reference for their source meeting, changed only
through the core lifecycle, each change saved with its audit event in one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import date, datetime

from bot.core import lifecycle
from bot.core.errors import Conflict, NotFound
from bot.core.models import (
    Asker,
    AuditEvent,
    MessageRef,
    OnBehalfOf,
    PendingTransfer,
    Question,
    QuestionChange,
    QuestionDraft,
    QuestionState,
    parse_question_reference,
    question_reference,
)
from bot.core.permissions import Actor
from storage.audit import record
from storage.codec import day_text, moment, moment_text, optional_day
from storage.db import Database, Row, Tx, marks


def question_from_row(row: Row) -> Question:
    thread = None
    if row["thread_ts"] is not None:
        thread = MessageRef(row["thread_channel"], row["thread_ts"])
    transfer = None
    if row["transfer_to_officer"] is not None:
        transfer = PendingTransfer(
            to_officer=row["transfer_to_officer"],
            to_role=row["transfer_to_role"],
            requested_by=row["transfer_requested_by"],
            requested_at=moment(row["transfer_requested_at"]),
            reason=row["transfer_reason"],
        )
    return Question(
        id=row["id"],
        reference=row["reference"],
        source_meeting_id=row["source_meeting_id"],
        agenda_item=row["agenda_item"],
        asker=Asker(OnBehalfOf(row["on_behalf_of"]), row["member_name"]),
        submitted_by=row["submitted_by"],
        text=row["text"],
        state=QuestionState(row["state"]),
        created_at=moment(row["created_at"]),
        updated_at=moment(row["updated_at"]),
        addressed_role=row["addressed_role"],
        assigned_officer=row["assigned_officer"],
        target_meeting_id=row["target_meeting_id"],
        due_date=optional_day(row["due_date"]),
        thread=thread,
        pending_transfer=transfer,
        source_minute=row["source_minute"],
    )


async def load_question(tx: Tx, question_id: int) -> Question:
    """Read a question inside the caller's transaction."""
    row = await tx.fetchone("SELECT * FROM questions WHERE id = ?", (question_id,))
    if row is None:
        raise NotFound(f"There is no question with id {question_id}.")
    return question_from_row(row)


async def load_question_by_reference(tx: Tx, reference: str) -> Question:
    """Read the question 'CYP-2023-12-18-Q07' (case and spaces ignored) inside ``tx``."""
    key, meeting_date, sequence = parse_question_reference(reference)
    canonical = question_reference(key, meeting_date, sequence)
    row = await tx.fetchone("SELECT * FROM questions WHERE reference = ?", (canonical,))
    if row is None:
        raise NotFound(f"There is no question {canonical}.")
    return question_from_row(row)


async def save_change(tx: Tx, change: QuestionChange) -> Question:
    """Write a core QuestionChange and its audit event inside the caller's transaction.

    The update matches the state and timestamp read, so a change computed from a stale
    question is refused (Conflict) rather than overwriting a newer one.
    """
    q, before = change.after, change.before
    transfer = q.pending_transfer
    cursor = await tx.execute(
        """
        UPDATE questions SET
            text = ?, state = ?, addressed_role = ?, assigned_officer = ?,
            target_meeting_id = ?, due_date = ?, thread_channel = ?, thread_ts = ?,
            transfer_to_officer = ?, transfer_to_role = ?, transfer_requested_by = ?,
            transfer_requested_at = ?, transfer_reason = ?, updated_at = ?
        WHERE id = ? AND state = ? AND updated_at = ?
        """,
        (
            q.text,
            q.state.value,
            q.addressed_role,
            q.assigned_officer,
            q.target_meeting_id,
            None if q.due_date is None else day_text(q.due_date),
            None if q.thread is None else q.thread.channel,
            None if q.thread is None else q.thread.ts,
            None if transfer is None else transfer.to_officer,
            None if transfer is None else transfer.to_role,
            None if transfer is None else transfer.requested_by,
            None if transfer is None else moment_text(transfer.requested_at),
            None if transfer is None else transfer.reason,
            moment_text(q.updated_at),
            q.id,
            before.state.value,
            moment_text(before.updated_at),
        ),
    )
    if cursor.rowcount != 1:
        raise Conflict(f"{q.reference} was changed by someone else just now: try again.")
    await record(tx, change.event)
    from storage.groups import follow_lead  # the groups module builds on this one

    await follow_lead(tx, q, Actor(change.event.actor), q.updated_at)
    return q


class QuestionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, draft: QuestionDraft, now: datetime) -> Question:
        """Store a new question with the next reference for its source meeting."""
        question, _ = await self.create_once(draft, now, None)
        return question

    async def create_once(
        self, draft: QuestionDraft, now: datetime, submission_key: str | None
    ) -> tuple[Question, bool]:
        """Store a new question unless ``submission_key`` (e.g. a modal's view id) was already
        used: a double-clicked submit then gives back the first question and ``False``."""
        async with self.db.transaction() as tx:
            if submission_key is not None:
                earlier = await tx.fetchone(
                    "SELECT question_id FROM question_submissions WHERE submission_key = ?",
                    (submission_key,),
                )
                if earlier is not None:
                    return await load_question(tx, int(earlier["question_id"])), False
            meeting = await tx.fetchone(
                "SELECT committee_key, date FROM meetings WHERE id = ?",
                (draft.source_meeting_id,),
            )
            if meeting is None:
                raise NotFound(f"There is no meeting with id {draft.source_meeting_id}.")
            if draft.agenda_item is not None:
                await _require_agenda_item(tx, draft.source_meeting_id, draft.agenda_item)
            numbering = await tx.fetchone(
                "SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM questions"
                " WHERE source_meeting_id = ?",
                (draft.source_meeting_id,),
            )
            sequence = int(numbering["next"]) if numbering else 1
            reference = question_reference(
                meeting["committee_key"], date.fromisoformat(meeting["date"]), sequence
            )
            question_id = await tx.insert(
                """
                INSERT INTO questions (reference, source_meeting_id, sequence, agenda_item,
                    on_behalf_of, member_name, submitted_by, text, state, addressed_role,
                    created_at, updated_at, source_minute)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    reference,
                    draft.source_meeting_id,
                    sequence,
                    draft.agenda_item,
                    draft.asker.on_behalf_of.value,
                    draft.asker.member_name,
                    draft.submitted_by,
                    draft.text,
                    QuestionState.SUBMITTED.value,
                    draft.addressed_role,
                    moment_text(now),
                    moment_text(now),
                    draft.source_minute,
                ),
            )
            await record(
                tx,
                AuditEvent(
                    draft.submitted_by,
                    "question_submitted",
                    "question",
                    reference,
                    now,
                    {
                        "text": draft.text,
                        "on_behalf_of": draft.asker.on_behalf_of,
                        "member_name": draft.asker.member_name,
                        "agenda_item": draft.agenda_item,
                        "addressed_role": draft.addressed_role,
                    },
                ),
            )
            if submission_key is not None:
                await tx.execute(
                    "INSERT INTO question_submissions (submission_key, question_id) VALUES (?, ?)",
                    (submission_key, question_id),
                )
            return await load_question(tx, question_id), True

    async def get(self, question_id: int) -> Question:
        row = await self.db.fetchone("SELECT * FROM questions WHERE id = ?", (question_id,))
        if row is None:
            raise NotFound(f"There is no question with id {question_id}.")
        return question_from_row(row)

    async def by_reference(self, reference: str) -> Question:
        """The question 'CYP-2023-12-18-Q07' (case and surrounding spaces ignored)."""
        key, meeting_date, sequence = parse_question_reference(reference)
        canonical = question_reference(key, meeting_date, sequence)
        row = await self.db.fetchone("SELECT * FROM questions WHERE reference = ?", (canonical,))
        if row is None:
            raise NotFound(f"There is no question {canonical}.")
        return question_from_row(row)

    async def submitters_for(self, on_behalf_of: OnBehalfOf) -> frozenset[str]:
        """Everyone who has submitted a question on behalf of ``on_behalf_of``."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT submitted_by FROM questions WHERE on_behalf_of = ?",
            (on_behalf_of.value,),
        )
        return frozenset(str(row["submitted_by"]) for row in rows)

    async def count_by_state(self) -> Counter[QuestionState]:
        """How many questions are in each state (read from an index, not the rows)."""
        rows = await self.db.fetchall("SELECT state, count(*) AS n FROM questions GROUP BY state")
        return Counter({QuestionState(row["state"]): int(row["n"]) for row in rows})

    async def by_thread(self, message: MessageRef) -> Question | None:
        """The question whose officer thread starts at ``message``, if any."""
        row = await self.db.fetchone(
            "SELECT * FROM questions WHERE thread_channel = ? AND thread_ts = ?",
            (message.channel, message.ts),
        )
        return None if row is None else question_from_row(row)

    async def search(
        self,
        *,
        states: Collection[QuestionState] | None = None,
        target_meeting_id: int | None = None,
        source_meeting_id: int | None = None,
        officer: str | None = None,
        submitted_by: str | None = None,
        due_on_or_before: date | None = None,
    ) -> list[Question]:
        """Questions matching every filter given, in reference order."""
        where: list[str] = []
        params: list[object] = []
        if states is not None:
            where.append(f"state IN ({', '.join('?' for _ in states)})" if states else "1 = 0")
            params.extend(state.value for state in states)
        for column, value in (
            ("target_meeting_id", target_meeting_id),
            ("source_meeting_id", source_meeting_id),
            ("assigned_officer", officer),
            ("submitted_by", submitted_by),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if due_on_or_before is not None:
            where.append("due_date <= ?")
            params.append(day_text(due_on_or_before))
        sql = "SELECT * FROM questions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = await self.db.fetchall(sql + " ORDER BY source_meeting_id, sequence", params)
        return [question_from_row(row) for row in rows]

    async def latest_submitted_by(self, user_id: str, limit: int) -> list[Question]:
        """The ``limit`` questions ``user_id`` submitted last, oldest of them first: read by
        index, however long their history."""
        rows = await self.db.fetchall(
            "SELECT * FROM questions WHERE submitted_by = ? ORDER BY id DESC LIMIT ?",
            (user_id, limit),
        )
        return [question_from_row(row) for row in reversed(rows)]

    async def send(self, question_id: int, actor: Actor, now: datetime) -> Question:
        return await self.transition(question_id, QuestionState.SENT, actor, now)

    async def reject(
        self, question_id: int, actor: Actor, now: datetime, *, reason: str | None = None
    ) -> Question:
        return await self.transition(question_id, QuestionState.REJECTED, actor, now, note=reason)

    async def reinstate(self, question_id: int, actor: Actor, now: datetime) -> Question:
        """Back to triage; not once its people were pseudonymised (storage/retention.py)."""
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            row = await tx.fetchone(
                "SELECT pseudonymised_at FROM questions WHERE id = ?", (question_id,)
            )
            if row is not None and row["pseudonymised_at"] is not None:
                raise Conflict(
                    f"{question.reference} ended longer ago than the retention period and the "
                    "people in it were pseudonymised, so it can't be reopened: ask it afresh."
                )
            change = lifecycle.transition(question, QuestionState.SUBMITTED, actor, now)
            return await save_change(tx, change)

    async def withdraw(
        self, question_id: int, actor: Actor, now: datetime, *, reason: str | None = None
    ) -> Question:
        return await self.transition(question_id, QuestionState.WITHDRAWN, actor, now, note=reason)

    async def return_answer(
        self, question_id: int, actor: Actor, now: datetime, *, note: str
    ) -> Question:
        """The clerk asks the officer for more."""
        return await self.transition(question_id, QuestionState.RETURNED, actor, now, note=note)

    async def transition(
        self,
        question_id: int,
        to_state: QuestionState,
        actor: Actor,
        now: datetime,
        *,
        note: str | None = None,
    ) -> Question:
        """A state change with nothing else to record (send, reject, withdraw, return ...).

        Answers, holding replies, approval, publication and correction record more than
        a state: use AnswerRepository for those.
        """
        if to_state in _NEEDS_ANSWER_RECORD:
            raise ValueError(f"use AnswerRepository to move a question to {to_state}")
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            change = lifecycle.transition(question, to_state, actor, now, note=note)
            return await save_change(tx, change)

    async def triage(
        self,
        question_id: int,
        actor: Actor,
        now: datetime,
        *,
        addressed_role: str | None,
        assigned_officer: str | None,
        target_meeting_id: int | None,
        due_date: date | None,
    ) -> Question:
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            if target_meeting_id is not None:
                found = await tx.fetchone(
                    "SELECT 1 FROM meetings WHERE id = ?", (target_meeting_id,)
                )
                if found is None:
                    raise NotFound(f"There is no meeting with id {target_meeting_id}.")
            change = lifecycle.triage(
                question,
                actor,
                now,
                addressed_role=addressed_role,
                assigned_officer=assigned_officer,
                target_meeting_id=target_meeting_id,
                due_date=due_date,
            )
            return question if change is None else await save_change(tx, change)

    async def reassign_role(
        self, role_key: str, from_officer: str, to_officer: str, actor: Actor, now: datetime
    ) -> list[Question]:
        """Move the role's live questions held by ``from_officer`` to ``to_officer``."""
        moved = []
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT * FROM questions WHERE addressed_role = ? COLLATE NOCASE"
                " AND assigned_officer = ? ORDER BY id",
                (role_key, from_officer),
            )
            for row in rows:
                question = await load_question(tx, int(row["id"]))
                change = lifecycle.reassign(question, to_officer, actor, now, role_key=role_key)
                if change is not None:
                    moved.append(await save_change(tx, change))
        return moved

    async def live_for_role(self, role_key: str) -> list[Question]:
        """Live questions (waiting for triage or an answer) addressed to the role."""
        states = sorted(state.value for state in lifecycle.LIVE)
        rows = await self.db.fetchall(
            "SELECT * FROM questions WHERE addressed_role = ? COLLATE NOCASE"
            f" AND state IN ({marks(states)}) ORDER BY id",
            (role_key, *states),
        )
        return [question_from_row(row) for row in rows]

    async def edit_text(self, question_id: int, text: str, actor: Actor, now: datetime) -> Question:
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            change = lifecycle.edit_text(question, text, actor, now)
            return question if change is None else await save_change(tx, change)

    async def set_thread(
        self, question_id: int, message: MessageRef, actor: Actor, now: datetime
    ) -> Question:
        """Record the officer message the answer will be threaded under."""
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            return await save_change(tx, lifecycle.set_thread(question, message, actor, now))

    async def propose_transfer(
        self,
        question_id: int,
        to_officer: str,
        actor: Actor,
        now: datetime,
        *,
        to_role: str | None = None,
        reason: str,
    ) -> Question:
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            change = lifecycle.propose_transfer(
                question, to_officer, actor, now, to_role=to_role, reason=reason
            )
            return await save_change(tx, change)

    async def accept_transfer(self, question_id: int, actor: Actor, now: datetime) -> Question:
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            return await save_change(tx, lifecycle.accept_transfer(question, actor, now))

    async def decline_transfer(
        self, question_id: int, actor: Actor, now: datetime, *, reason: str | None = None
    ) -> Question:
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            change = lifecycle.decline_transfer(question, actor, now, reason=reason)
            return await save_change(tx, change)


_NEEDS_ANSWER_RECORD = frozenset(
    {
        QuestionState.ANSWERED,
        QuestionState.HOLDING,
        QuestionState.APPROVED,
        QuestionState.PUBLISHED,
        QuestionState.CORRECTED,
    }
)


async def _require_agenda_item(tx: Tx, meeting_id: int, number: str) -> None:
    """When the meeting's agenda is recorded, the item must be on it."""
    row = await tx.fetchone(
        "SELECT COUNT(*) AS items, SUM(CASE WHEN number = ? THEN 1 ELSE 0 END) AS matching"
        " FROM agenda_items WHERE meeting_id = ?",
        (number, meeting_id),
    )
    if row is not None and row["items"] and not row["matching"]:
        raise NotFound(f"Item {number} is not on that meeting's agenda.")
