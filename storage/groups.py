"""Questions answered together: several members ask the same thing, the officer answers once.

A group has a lead, the first question the clerk names; the others follow it. On grouping,
and whenever the lead changes state, officer, meeting or due date afterwards, each other
question in the group takes the same (``follow_lead``, called by ``save_change``), with an
audit event of its own. So the group is sent, chased, answered, approved and published as
one: the answer is the lead's, only the lead is chased, and the compiled document shows
the questions together. A question leaves its group with ``ungroup`` until it is published.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.errors import Conflict, InvalidInput
from bot.core.lifecycle import CLOSED
from bot.core.models import AuditEvent, Question, QuestionState
from bot.core.permissions import Action, Actor, check
from storage.audit import record
from storage.codec import day_text, moment_text
from storage.db import Database, Tx, in_lists, marks
from storage.questions import load_question, load_question_by_reference

S = QuestionState
GROUP_LIMIT = 20


@dataclass(frozen=True)
class Group:
    lead: Question
    others: tuple[Question, ...]

    @property
    def references(self) -> list[str]:
        return [self.lead.reference, *(q.reference for q in self.others)]


class QuestionGroups:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def group(self, references: Sequence[str], actor: Actor, now: datetime) -> Group:
        """Group the questions: the first leads (it may already lead a group, which grows).
        Refused, changing nothing, for a closed question or one in another group."""
        check(actor, Action.EDIT_QUESTION)
        if len({r.strip().upper() for r in references}) < 2:
            raise InvalidInput("Name at least two different questions to group.")
        if len(references) > GROUP_LIMIT:
            raise InvalidInput(f"A group has at most {GROUP_LIMIT} questions.")
        async with self.db.transaction() as tx:
            questions = [await load_question_by_reference(tx, r) for r in references]
            lead, others = questions[0], list(dict.fromkeys(questions[1:]))
            others = [q for q in others if q.id != lead.id]
            for question in questions:
                if question.state in CLOSED:
                    raise InvalidInput(
                        f"{question.reference} is {question.state.value}: only open questions "
                        "are grouped."
                    )
            lead_of_lead = await _lead_id(tx, lead.id)
            if lead_of_lead is not None and lead_of_lead != lead.id:
                raise Conflict(
                    f"{lead.reference} is in another question's group: name that group's first "
                    "question first, or ungroup it."
                )
            for question in others:
                current = await _lead_id(tx, question.id)
                if current is not None and current != lead.id:
                    raise Conflict(
                        f"{question.reference} is already in another group: ungroup it first."
                    )
            await _join(tx, lead.id, lead.id, actor, now)
            for question in others:
                await _join(tx, question.id, lead.id, actor, now)
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "questions_grouped",
                    "question",
                    lead.reference,
                    now,
                    {"with": [q.reference for q in others]},
                ),
            )
            await follow_lead(tx, lead, actor, now)
            members = await _member_ids(tx, lead.id)
            return Group(lead, tuple([await load_question(tx, i) for i in members]))

    async def ungroup(self, reference: str, actor: Actor, now: datetime) -> Group:
        """Take the question out of its group (the lead: the group ends). A question that
        followed its lead past being sent goes back to sent, to be answered on its own."""
        check(actor, Action.EDIT_QUESTION)
        async with self.db.transaction() as tx:
            question = await load_question_by_reference(tx, reference)
            lead_id = await _lead_id(tx, question.id)
            if lead_id is None:
                raise InvalidInput(f"{question.reference} is not in a group.")
            lead = await load_question(tx, lead_id)
            members = [await load_question(tx, i) for i in await _member_ids(tx, lead_id)]
            leaving = members if question.id == lead_id else [question]
            for member in leaving:
                if member.state in (S.PUBLISHED, S.CORRECTED):
                    raise InvalidInput(
                        f"{member.reference} was published with its group: it stays with it."
                    )
            for member in leaving:
                await _leave(tx, member, lead, actor, now)
            remaining = await _member_ids(tx, lead_id)
            if not remaining:
                await tx.execute("DELETE FROM question_groups WHERE question_id = ?", (lead_id,))
            return Group(lead, tuple(m for m in members if m not in leaving))

    async def lead_of(self, question_id: int) -> int | None:
        """The id of the question that leads ``question_id``'s group, if it is in one."""
        row = await self.db.fetchone(
            "SELECT lead_id FROM question_groups WHERE question_id = ?", (question_id,)
        )
        return None if row is None else int(row["lead_id"])

    async def groups_of(self, question_ids: Iterable[int]) -> dict[int, list[int]]:
        """For each question in a group: its group, the lead first, then in reference order."""
        ids = sorted(set(question_ids))
        leads: dict[int, int] = {}
        for chunk in in_lists(ids):
            rows = await self.db.fetchall(
                f"SELECT question_id, lead_id FROM question_groups"
                f" WHERE question_id IN ({marks(chunk)})",
                chunk,
            )
            leads.update((int(r["question_id"]), int(r["lead_id"])) for r in rows)
        groups: dict[int, list[int]] = {}
        for lead_id in set(leads.values()):
            rows = await self.db.fetchall(
                "SELECT question_id FROM question_groups WHERE lead_id = ? ORDER BY question_id",
                (lead_id,),
            )
            others = [int(r["question_id"]) for r in rows if int(r["question_id"]) != lead_id]
            groups[lead_id] = [lead_id, *others]
        return {question_id: groups[lead] for question_id, lead in leads.items()}


async def follow_lead(tx: Tx, lead: Question, actor: Actor, now: datetime) -> None:
    """Each other question in ``lead``'s group takes the lead's state, officer, meeting and
    due date (nothing happens for a question that leads no group). A lead withdrawn or
    rejected ends its group: the others stay open, each to be answered on its own."""
    if lead.state in (S.WITHDRAWN, S.REJECTED):
        for member_id in await _member_ids(tx, lead.id):
            await _leave(tx, await load_question(tx, member_id), lead, actor, now)
        await tx.execute("DELETE FROM question_groups WHERE question_id = ?", (lead.id,))
        return
    for member_id in await _member_ids(tx, lead.id):
        member = await load_question(tx, member_id)
        same = (
            member.state is lead.state
            and member.assigned_officer == lead.assigned_officer
            and member.addressed_role == lead.addressed_role
            and member.target_meeting_id == lead.target_meeting_id
            and member.due_date == lead.due_date
        )
        if same or member.state in (S.REJECTED, S.WITHDRAWN):
            continue
        await tx.execute(
            "UPDATE questions SET state = ?, assigned_officer = ?, addressed_role = ?,"
            " target_meeting_id = ?, due_date = ?, updated_at = ? WHERE id = ?",
            (
                lead.state.value,
                lead.assigned_officer,
                lead.addressed_role,
                lead.target_meeting_id,
                None if lead.due_date is None else day_text(lead.due_date),
                moment_text(now),
                member.id,
            ),
        )
        await record(
            tx,
            AuditEvent(
                actor.user_id,
                f"question_{lead.state.value}"
                if member.state is not lead.state
                else "question_triaged",
                "question",
                member.reference,
                now,
                {"from": member.state.value, "to": lead.state.value, "with": lead.reference},
            ),
        )


async def _leave(tx: Tx, member: Question, lead: Question, actor: Actor, now: datetime) -> None:
    """``member`` leaves ``lead``'s group; if it followed the group past being sent, it goes
    back to sent, to be answered (and chased) on its own."""
    await tx.execute("DELETE FROM question_groups WHERE question_id = ?", (member.id,))
    if member.state in (S.ANSWERED, S.APPROVED, S.HOLDING):
        await _set_state(tx, member, S.SENT, actor, now, "question_ungrouped_sent")
    await record(
        tx,
        AuditEvent(
            actor.user_id,
            "question_ungrouped",
            "question",
            member.reference,
            now,
            {"lead": lead.reference},
        ),
    )


async def _set_state(
    tx: Tx, question: Question, state: QuestionState, actor: Actor, now: datetime, action: str
) -> None:
    await tx.execute(
        "UPDATE questions SET state = ?, updated_at = ? WHERE id = ?",
        (state.value, moment_text(now), question.id),
    )
    await record(
        tx,
        AuditEvent(
            actor.user_id,
            action,
            "question",
            question.reference,
            now,
            {"from": question.state.value, "to": state.value},
        ),
    )


async def _join(tx: Tx, question_id: int, lead_id: int, actor: Actor, now: datetime) -> None:
    await tx.execute(
        "INSERT INTO question_groups (question_id, lead_id, grouped_by, grouped_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (question_id) DO NOTHING",
        (question_id, lead_id, actor.user_id, moment_text(now)),
    )


async def _lead_id(tx: Tx, question_id: int) -> int | None:
    row = await tx.fetchone(
        "SELECT lead_id FROM question_groups WHERE question_id = ?", (question_id,)
    )
    return None if row is None else int(row["lead_id"])


async def _member_ids(tx: Tx, lead_id: int) -> list[int]:
    """The other questions led by ``lead_id``, in id order."""
    rows = await tx.fetchall(
        "SELECT question_id FROM question_groups WHERE lead_id = ? AND question_id != ?"
        " ORDER BY question_id",
        (lead_id, lead_id),
    )
    return [int(row["question_id"]) for row in rows]
