"""Reminders (each recorded by its key before it counts as sent) and snoozes.

Sending a reminder: ``claim`` its key for a sweep (storage/sweeps.py), send its messages,
then ``mark_sent`` (or ``mark_failed``, which leaves it due for the next sweep). A key
already sent is never claimed again; a key claimed by a sweep that has died is taken over
by the next sweep at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.core.calendar import local_date, short_date
from bot.core.chasing import ChaseItem, ReminderKey, Snooze, chase_due_date
from bot.core.errors import IllegalTransition, InvalidInput, NotFound
from bot.core.lifecycle import AWAITING_ANSWER, STATE_DESCRIPTIONS
from bot.core.models import AuditEvent, QuestionState
from bot.core.permissions import Action, Actor, check
from storage.audit import record
from storage.codec import day_text, moment, moment_text, optional_day, optional_moment
from storage.db import Database, Row, Tx, in_lists, marks
from storage.migrations import MIGRATIONS
from storage.questions import load_question, question_from_row

_AWAITING = tuple(sorted(state.value for state in AWAITING_ANSWER))
_AWAITING_SQL = ", ".join(f"'{state}'" for state in _AWAITING)

REMINDERS_MIGRATION = next(m for m in MIGRATIONS if m.name == "reminders_and_snoozes")


ERROR_LIMIT = 1_000

SWEEP_INPUTS_SQL = f"""
SELECT q.*,
    r.deputy AS role_deputy,
    (SELECT h.promised_date FROM holding_replies h
        WHERE h.question_id = q.id ORDER BY h.id DESC LIMIT 1) AS latest_promised_date,
    (SELECT s.until FROM snoozes s
        WHERE s.question_id = q.id ORDER BY s.id DESC LIMIT 1) AS latest_snoozed_until,
    (SELECT MAX(a.occurred_at) FROM audit_events a
        WHERE a.subject_type = 'question' AND a.subject_id = q.reference
        AND a.action = 'question_sent') AS sent_at
FROM questions q
LEFT JOIN officer_roles r ON r.key = q.addressed_role
WHERE q.state IN ({_AWAITING_SQL})
AND NOT EXISTS (SELECT 1 FROM question_groups g WHERE g.question_id = q.id AND g.lead_id != q.id)
ORDER BY q.due_date, q.id
"""
"""Every question awaiting an answer with its latest promise and snooze, deputy and sent
time; the WHERE matches questions_awaiting_answer's, so SQLite can use that index. A question
grouped under another is answered with it, so only the group's lead is chased."""

_CLAIM_SQL = f"""
INSERT INTO reminders (question_id, rung, day, status, attempts, claimed_at, sweep_id)
SELECT id, ?, ?, 'claimed', 1, ?, ? FROM questions WHERE id = ? AND state IN ({_AWAITING_SQL})
ON CONFLICT (question_id, rung, day) DO UPDATE SET
    status = 'claimed', attempts = reminders.attempts + 1, claimed_at = excluded.claimed_at,
    sweep_id = excluded.sweep_id
WHERE reminders.status = 'failed' OR (reminders.status = 'claimed'
    AND (reminders.sweep_id IS NULL OR reminders.sweep_id NOT IN ({{alive}})))
"""


class ReminderStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class ReminderRecord:
    """What is stored about one reminder."""

    key: ReminderKey
    status: ReminderStatus
    attempts: int
    claimed_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


class ReminderRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self,
        keys: Iterable[ReminderKey],
        now: datetime,
        sweep_id: int,
        alive: Collection[int],
    ) -> list[ReminderKey]:
        """Record the keys about to be sent by ``sweep_id``, in one transaction; returns
        those to send now.

        Left out: keys already sent, keys claimed by another sweep that is still ``alive``,
        and questions no longer awaiting an answer. A failed key, or one claimed by a sweep
        that has died, is claimed again.
        """
        wanted = list(dict.fromkeys(keys))
        others = sorted(set(alive) - {sweep_id}) or [0]
        sql = _CLAIM_SQL.format(alive=", ".join("?" for _ in others))
        at = moment_text(now)
        results = await self.db.write_all(
            [
                (sql, (key.rung, day_text(key.day), at, sweep_id, key.question_id, *others))
                for key in wanted
            ]
        )
        return [key for key, result in zip(wanted, results, strict=True) if result.rowcount == 1]

    async def mark_sent(self, key: ReminderKey, now: datetime) -> None:
        """The reminder went out; it is never claimed again."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE reminders SET status = 'sent', sent_at = COALESCE(sent_at, ?)"
                " WHERE question_id = ? AND rung = ? AND day = ?",
                (moment_text(now), *_key_params(key)),
            )
            if cursor.rowcount != 1:
                raise NotFound(f"Reminder {_describe(key)} was never claimed.")

    async def mark_all_sent(self, keys: Sequence[ReminderKey], now: datetime) -> None:
        """Each reminder went out (every message of it was accepted), in one transaction."""
        if not keys:
            return
        results = await self.db.write_all(
            [
                (
                    "UPDATE reminders SET status = 'sent', sent_at = COALESCE(sent_at, ?)"
                    " WHERE question_id = ? AND rung = ? AND day = ?",
                    (moment_text(now), *_key_params(key)),
                )
                for key in keys
            ]
        )
        unclaimed = [key for key, result in zip(keys, results, strict=True) if result.rowcount != 1]
        if unclaimed:
            raise NotFound(f"Reminder {_describe(unclaimed[0])} was never claimed.")

    async def mark_failed(self, key: ReminderKey, error: str, now: datetime) -> None:
        """Sending failed: the reminder stays due for the next sweep (a sent one stays sent)."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT status FROM reminders WHERE question_id = ? AND rung = ? AND day = ?",
                _key_params(key),
            )
            if row is None:
                raise NotFound(f"Reminder {_describe(key)} was never claimed.")
            if row["status"] == ReminderStatus.SENT:
                return
            await tx.execute(
                "UPDATE reminders SET status = 'failed', failed_at = ?, last_error = ?"
                " WHERE question_id = ? AND rung = ? AND day = ?",
                (moment_text(now), error[:ERROR_LIMIT], *_key_params(key)),
            )

    async def sent_keys(self, question_ids: Iterable[int]) -> set[ReminderKey]:
        """The keys already sent for these questions."""
        sent: set[ReminderKey] = set()
        for chunk in in_lists(sorted(set(question_ids))):
            rows = await self.db.fetchall(
                "SELECT question_id, rung, day FROM reminders WHERE status = 'sent'"
                f" AND question_id IN ({marks(chunk)})",
                chunk,
            )
            sent.update(_key(row) for row in rows)
        return sent

    async def history(self, question_id: int) -> list[ReminderRecord]:
        """Every reminder recorded for a question, in the order first claimed."""
        rows = await self.db.fetchall(
            "SELECT * FROM reminders WHERE question_id = ? ORDER BY id", (question_id,)
        )
        return [_record(row) for row in rows]

    async def set_snooze(
        self, question_id: int, until: date, actor: Actor, now: datetime
    ) -> Snooze:
        """Hold reminders back until ``until``; beyond the due date only the clerk may."""
        async with self.db.transaction() as tx:
            question = await load_question(tx, question_id)
            check(actor, Action.SNOOZE, question)
            if question.state not in AWAITING_ANSWER:
                raise IllegalTransition(
                    f"{question.reference} is {STATE_DESCRIPTIONS[question.state]}, so there "
                    "are no reminders to snooze."
                )
            if until <= local_date(now):
                raise InvalidInput("Snooze until a day after today.")
            promise = await _latest(tx, "holding_replies", "promised_date", question_id)
            due = chase_due_date(question, optional_day(promise))
            if not actor.is_clerk and due is not None and until > due:
                raise InvalidInput(
                    f"Reminders can't be snoozed beyond the due date ({short_date(due)}): "
                    "ask the clerk."
                )
            previous = await _latest(tx, "snoozes", "until", question_id)
            await tx.execute(
                "INSERT INTO snoozes (question_id, until, snoozed_by, snoozed_at)"
                " VALUES (?, ?, ?, ?)",
                (question_id, day_text(until), actor.user_id, moment_text(now)),
            )
            detail = {"until": until, "previous_until": previous, "due_date": due}
            await record(
                tx,
                AuditEvent(
                    actor.user_id, "reminders_snoozed", "question", question.reference, now, detail
                ),
            )
        return Snooze(question_id, until, actor.user_id, now)

    async def active_snoozes(self, today: date) -> dict[int, Snooze]:
        """Questions whose latest snooze still holds reminders back after ``today``."""
        rows = await self.db.fetchall(
            "SELECT * FROM snoozes s WHERE s.until > ?"
            " AND s.id = (SELECT MAX(id) FROM snoozes WHERE question_id = s.question_id)"
            " ORDER BY s.question_id",
            (day_text(today),),
        )
        return {
            row["question_id"]: Snooze(
                row["question_id"],
                date.fromisoformat(row["until"]),
                row["snoozed_by"],
                moment(row["snoozed_at"]),
            )
            for row in rows
        }

    async def inputs_for_sweep(self) -> list[ChaseItem]:
        """Every question awaiting an answer (sent, holding, returned) with what chasing needs."""
        rows = await self.db.fetchall(SWEEP_INPUTS_SQL)
        return [_chase_item(row) for row in rows]


def _chase_item(row: Row) -> ChaseItem:
    question = question_from_row(row)
    holding = question.state is QuestionState.HOLDING
    sent_at = optional_moment(row["sent_at"])
    return ChaseItem(
        question=question,
        promised_date=optional_day(row["latest_promised_date"]) if holding else None,
        snoozed_until=optional_day(row["latest_snoozed_until"]),
        deputy=row["role_deputy"],
        sent_on=None if sent_at is None else local_date(sent_at),
    )


async def _latest(tx: Tx, table: str, column: str, question_id: int) -> str | None:
    """The latest row's value for a question (table and column are always literals)."""
    row = await tx.fetchone(
        f"SELECT {column} AS value FROM {table} WHERE question_id = ? ORDER BY id DESC LIMIT 1",
        (question_id,),
    )
    return None if row is None else str(row["value"])


def _key_params(key: ReminderKey) -> tuple[int, str, str]:
    return (key.question_id, key.rung, day_text(key.day))


def _key(row: Row) -> ReminderKey:
    return ReminderKey(row["question_id"], row["rung"], date.fromisoformat(row["day"]))


def _record(row: Row) -> ReminderRecord:
    return ReminderRecord(
        key=_key(row),
        status=ReminderStatus(row["status"]),
        attempts=row["attempts"],
        claimed_at=moment(row["claimed_at"]),
        sent_at=optional_moment(row["sent_at"]),
        failed_at=optional_moment(row["failed_at"]),
        last_error=row["last_error"],
    )


def _describe(key: ReminderKey) -> str:
    return f"{key.rung} of {key.day.isoformat()} for question {key.question_id}"
