"""The retention period (``RETENTION_MONTHS``): old questions keep what was published and lose
the people in them and everything that was never published.

A question's working life ends when its answer is published (or, if corrected, when it was
last corrected), or when it is withdrawn or rejected. ``RETENTION_MONTHS`` later:

- **People are pseudonymised.** Every user id in the question, its answer's rows and its audit
  events becomes ``U-PSEUDO-<8 hex>``, one per person per question, so its history still reads
  "one person asked, another answered, a third approved" without saying who. A member's name
  as asker becomes "Pseudonymised person".
- **What was never published is deleted**: earlier versions of replies, replies and files that
  were not part of the approved answer, earlier approvals, holding replies, snoozes, the stored
  thread events, and, in the audit, the text of drafts, notes, comments and reasons.
- **What was published is kept**: the question, the published answer and its corrections, the
  replies and files as approved (so the compiled document reads the same), "The Commission",
  "Hackney of Tomorrow" and the officer's role. Someone who asked for Hackney of Tomorrow
  stays on the list of people the bot never names (``unnamed_people``), as their id leaves
  the question.

Audit events about anything else (meetings, roles, clerks, members, closure days) are
pseudonymised ``RETENTION_MONTHS`` after they happened, and so are the people who added old
closure days, clerks and members. Pasted lists, event records and delivery records that old
are deleted. A display name is forgotten once its person appears nowhere else.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.core import redaction
from bot.core.models import OnBehalfOf, QuestionState
from storage.codec import detail_from_json, detail_json, moment, moment_text, optional_moment
from storage.db import Database, Row, Tx, in_lists, marks
from storage.personal_data import ids_still_held, rebuild_full_text_indexes, schema

BATCH = 200
"""Audit events pseudonymised per transaction, so other work is never kept waiting long."""

PUBLISHED = (QuestionState.PUBLISHED.value, QuestionState.CORRECTED.value)
ENDED = (QuestionState.WITHDRAWN.value, QuestionState.REJECTED.value)

DUE_SQL = f"""
q.pseudonymised_at IS NULL AND (
    (q.state IN ({", ".join(f"'{s}'" for s in ENDED)}) AND q.updated_at < :cutoff)
    OR (q.state IN ({", ".join(f"'{s}'" for s in PUBLISHED)}) AND COALESCE(
        (SELECT max(c.corrected_at) FROM corrections c WHERE c.question_id = q.id),
        (SELECT p.published_at FROM publications p WHERE p.question_id = q.id)) < :cutoff)
)
"""
"""A question whose working life ended before the cutoff and that still names people."""


@dataclass
class RetentionReport:
    questions: int = 0
    """Old questions pseudonymised."""
    audit_events: int = 0
    """Audit events pseudonymised (those of the questions included)."""
    deleted: dict[str, int] = field(default_factory=dict)
    """Rows deleted, by table."""

    @property
    def changed(self) -> bool:
        return bool(self.questions or self.audit_events or self.deleted)

    def count_deleted(self, table: str, rows: int) -> None:
        if rows:
            self.deleted[table] = self.deleted.get(table, 0) + rows

    def summary(self) -> str:
        gone = ", ".join(f"{n} {table}" for table, n in sorted(self.deleted.items()))
        return (
            f"{self.questions} question(s) and {self.audit_events} audit event(s) pseudonymised;"
            f" deleted: {gone or 'nothing'}"
        )


class Retention:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def apply(self, cutoff: datetime, now: datetime) -> RetentionReport:
        """Pseudonymise and delete what ended before ``cutoff``; each question in its own
        transaction. Running it again changes nothing more."""
        report = RetentionReport()
        people: set[str] = set()
        when = moment_text(cutoff)
        rows = await self.db.fetchall(
            f"SELECT q.id FROM questions q WHERE {DUE_SQL} ORDER BY q.id", {"cutoff": when}
        )
        for row in rows:
            async with self.db.transaction(secure_delete=True) as tx:
                still_due = await tx.fetchone(  # not reopened or corrected since the read
                    f"SELECT 1 FROM questions q WHERE q.id = :id AND {DUE_SQL}",
                    {"id": row["id"], "cutoff": when},
                )
                if still_due is not None:
                    people |= await _retire_question(tx, int(row["id"]), now, report)
        people |= await self._old_audit_events(cutoff, now, report)
        async with self.db.transaction(secure_delete=True) as tx:
            people |= await _old_rows(tx, cutoff, report)
            await _forget_names(tx, people, report)
        if report.changed:
            async with self.db.transaction(secure_delete=True) as tx:
                await rebuild_full_text_indexes(tx, await schema(tx))
            await self.db.checkpoint()
        return report

    async def _old_audit_events(
        self, cutoff: datetime, now: datetime, report: RetentionReport
    ) -> set[str]:
        """Events about anything but a question, older than ``cutoff``."""
        people: set[str] = set()
        scopes: dict[tuple[str, str], dict[str, str]] = {}
        while True:
            async with self.db.transaction(secure_delete=True) as tx:
                rows = await tx.fetchall(
                    "SELECT * FROM audit_events WHERE pseudonymised_at IS NULL"
                    " AND occurred_at < ? AND subject_type != 'question' ORDER BY id LIMIT ?",
                    (moment_text(cutoff), BATCH),
                )
                for row in rows:
                    scope = scopes.setdefault((row["subject_type"], row["subject_id"]), {})
                    people |= await _pseudonymise_event(tx, row, scope, None, now)
                report.audit_events += len(rows)
            if len(rows) < BATCH:
                return people


async def _retire_question(
    tx: Tx, question_id: int, now: datetime, report: RetentionReport
) -> set[str]:
    """Delete what was never published, then pseudonymise everyone in the question."""
    question = await tx.fetchone("SELECT * FROM questions WHERE id = ?", (question_id,))
    if question is None:
        return set()
    kept = {str(question["text"])}
    if question["state"] in PUBLISHED:
        kept |= await _keep_the_published_answer(tx, question_id, report)
    else:
        await _delete_the_answer(tx, question_id, report)
    await _delete_the_working_rows(tx, question, report)

    events = await tx.fetchall(
        "SELECT * FROM audit_events WHERE subject_type = 'question' AND subject_id = ? ORDER BY id",
        (question["reference"],),
    )
    people = {
        str(question[c])
        for c in (
            "submitted_by",
            "assigned_officer",
            "transfer_to_officer",
            "transfer_requested_by",
        )
        if question[c]
    }
    for table, column in _ANSWER_PEOPLE:
        rows = await tx.fetchall(
            f"SELECT DISTINCT {column} AS who FROM {table} WHERE question_id = ?", (question_id,)
        )
        people |= {str(r["who"]) for r in rows}
    for event in events:
        people.add(str(event["actor"]))
        people |= redaction.people_in_detail(detail_from_json(event["detail"]))
    pseudonyms = _pseudonyms(people)
    submitter = str(question["submitted_by"])
    if question["on_behalf_of"] == OnBehalfOf.HACKNEY_OF_TOMORROW.value and submitter in pseudonyms:
        # Their id leaves the question, yet they must still never be named where they are
        # mentioned (bot/compiling.py never_named).
        await tx.execute(
            "INSERT OR IGNORE INTO unnamed_people (user_id, since) VALUES (?, ?)",
            (submitter, moment_text(now)),
        )

    def swap(value: object) -> object:
        return pseudonyms.get(value, value) if isinstance(value, str) else value

    await tx.execute(
        "UPDATE questions SET submitted_by = ?, assigned_officer = ?, transfer_to_officer = ?,"
        " transfer_requested_by = ?, member_name = ?, transfer_reason = ?, pseudonymised_at = ?"
        " WHERE id = ?",
        (
            swap(question["submitted_by"]),
            swap(question["assigned_officer"]),
            swap(question["transfer_to_officer"]),
            swap(question["transfer_requested_by"]),
            None if question["member_name"] is None else redaction.PSEUDONYM_NAME,
            None if question["transfer_reason"] is None else redaction.DELETED_TEXT,
            moment_text(now),
            question_id,
        ),
    )
    for table, column in _ANSWER_PEOPLE:
        for person, pseudonym in pseudonyms.items():
            await tx.execute(
                f"UPDATE {table} SET {column} = ? WHERE question_id = ? AND {column} = ?",
                (pseudonym, question_id, person),
            )
    for event in events:
        await _pseudonymise_event(tx, event, pseudonyms, kept, now)
    report.questions += 1
    report.audit_events += len(events)
    return set(pseudonyms)


_ANSWER_PEOPLE = (
    ("answer_parts", "author"),
    ("approvals", "approved_by"),
    ("publications", "published_by"),
    ("corrections", "corrected_by"),
    ("answer_attachments", "added_by"),
)
"""The person columns of the answer's rows that are kept."""


async def _keep_the_published_answer(tx: Tx, question_id: int, report: RetentionReport) -> set[str]:
    """Keep the answer as approved for publication: the replies and files as they stood then
    (their earlier wording deleted), the last approval, the publication and corrections.
    Returns the texts kept."""
    approvals = await tx.fetchall(
        "SELECT * FROM approvals WHERE question_id = ? ORDER BY id", (question_id,)
    )
    kept: set[str] = set()
    if approvals:
        last = approvals[-1]
        approved_at = moment(last["approved_at"])
        kept.add(str(last["answer_text"]))
        result = await tx.execute(
            "DELETE FROM approvals WHERE question_id = ? AND id != ?", (question_id, last["id"])
        )
        report.count_deleted("approvals", result.rowcount)
    else:  # published without an approval: nothing of the replies was published
        approved_at = None
    for part in await tx.fetchall(
        "SELECT * FROM answer_parts WHERE question_id = ? ORDER BY id", (question_id,)
    ):
        kept |= await _keep_part_as_approved(tx, part, approved_at, report)
    for attachment in await tx.fetchall(
        "SELECT * FROM answer_attachments WHERE question_id = ?", (question_id,)
    ):
        added, removed = moment(attachment["added_at"]), optional_moment(attachment["removed_at"])
        if (
            approved_at is not None
            and added <= approved_at
            and (removed is None or removed > approved_at)
        ):
            kept.add(str(attachment["name"]))
            continue
        await tx.execute("DELETE FROM answer_attachments WHERE id = ?", (attachment["id"],))
        report.count_deleted("answer_attachments", 1)
    for table, columns in (
        ("publications", ("answer_text",)),
        ("corrections", ("original_text", "corrected_text", "reason")),
    ):
        for row in await tx.fetchall(
            f"SELECT * FROM {table} WHERE question_id = ?", (question_id,)
        ):
            kept |= {str(row[c]) for c in columns}
    result = await tx.execute("DELETE FROM holding_replies WHERE question_id = ?", (question_id,))
    report.count_deleted("holding_replies", result.rowcount)
    return kept


async def _keep_part_as_approved(
    tx: Tx, part: Row, approved_at: datetime | None, report: RetentionReport
) -> set[str]:
    """A reply that was part of the approved answer keeps its text as approved (and the times
    it was edited before, with no earlier wording); any other reply is deleted."""
    posted, deleted = moment(part["posted_at"]), optional_moment(part["deleted_at"])
    versions = await tx.fetchall(
        "SELECT * FROM answer_part_versions WHERE part_id = ? ORDER BY id", (part["id"],)
    )
    if approved_at is None or posted > approved_at or (deleted and deleted <= approved_at):
        gone = await tx.execute("DELETE FROM answer_part_versions WHERE part_id = ?", (part["id"],))
        report.count_deleted("answer_part_versions", gone.rowcount)
        await tx.execute("DELETE FROM answer_parts WHERE id = ?", (part["id"],))
        report.count_deleted("answer_parts", 1)
        return set()
    later = [v for v in versions if moment(v["replaced_at"]) > approved_at]
    earlier = [v for v in versions if moment(v["replaced_at"]) <= approved_at]
    text = str(later[0]["text"]) if later else str(part["text"])
    edited = max((str(v["replaced_at"]) for v in earlier), default=None)
    await tx.execute(
        "UPDATE answer_parts SET text = ?, edited_at = ? WHERE id = ?", (text, edited, part["id"])
    )
    for version in later:
        await tx.execute("DELETE FROM answer_part_versions WHERE id = ?", (version["id"],))
    report.count_deleted("answer_part_versions", len(later))
    await tx.execute("UPDATE answer_part_versions SET text = '' WHERE part_id = ?", (part["id"],))
    return {text}


async def _delete_the_answer(tx: Tx, question_id: int, report: RetentionReport) -> None:
    """A withdrawn or rejected question: nothing of its answer was published."""
    result = await tx.execute(
        "DELETE FROM answer_part_versions WHERE part_id IN"
        " (SELECT id FROM answer_parts WHERE question_id = ?)",
        (question_id,),
    )
    report.count_deleted("answer_part_versions", result.rowcount)
    for table in ("answer_parts", "holding_replies", "approvals", "answer_attachments"):
        result = await tx.execute(f"DELETE FROM {table} WHERE question_id = ?", (question_id,))
        report.count_deleted(table, result.rowcount)


async def _delete_the_working_rows(tx: Tx, question: Row, report: RetentionReport) -> None:
    """Snoozes, reminder deliveries, the thread's stored events and catch-up mark."""
    question_id = int(question["id"])
    for table in ("snoozes", "thread_catch_up"):
        result = await tx.execute(f"DELETE FROM {table} WHERE question_id = ?", (question_id,))
        report.count_deleted(table, result.rowcount)
    result = await tx.execute(
        "DELETE FROM deliveries WHERE subject >= ? AND subject < ?",
        (f"reminder:{question_id}:", f"reminder:{question_id}:\uffff"),
    )
    report.count_deleted("deliveries", result.rowcount)
    if question["thread_ts"] is not None:
        result = await tx.execute(
            "DELETE FROM event_inbox WHERE channel = ? AND (thread_ts = ? OR ts = ?)",
            (question["thread_channel"], question["thread_ts"], question["thread_ts"]),
        )
        report.count_deleted("event_inbox", result.rowcount)


async def _pseudonymise_event(
    tx: Tx,
    event: Row,
    pseudonyms: dict[str, str],
    kept: Collection[str] | None,
    now: datetime,
) -> set[str]:
    """Rewrite one audit event with ``pseudonyms`` (new people are added to it); with
    ``kept`` given, draft texts not among them are deleted. Returns the people replaced."""
    detail = detail_from_json(event["detail"])
    actor = str(event["actor"])
    people = redaction.people_in_detail(detail) | {actor}
    subject = str(event["subject_id"])
    if event["subject_type"] == "person":
        people.add(subject)
    pseudonyms.update(_pseudonyms(people - set(pseudonyms)))
    await tx.execute(
        "UPDATE audit_events SET actor = ?, subject_id = ?, detail = ?, pseudonymised_at = ?"
        " WHERE id = ?",
        (
            pseudonyms.get(actor, actor),
            pseudonyms.get(subject, subject) if event["subject_type"] == "person" else subject,
            detail_json(redaction.pseudonymise_detail(detail, pseudonyms, kept)),
            moment_text(now),
            event["id"],
        ),
    )
    return {p for p in people if p in pseudonyms}


def _pseudonyms(people: Iterable[str]) -> dict[str, str]:
    """A new pseudonym for each person (system actors and tombstones are left as they are)."""
    return {
        person: redaction.pseudonym_id(secrets.token_hex(4))
        for person in sorted(set(people))
        if person and redaction.is_person_actor(person)
    }


async def _old_rows(tx: Tx, cutoff: datetime, report: RetentionReport) -> set[str]:
    """Who added old closure days, clerks and members; pasted lists, stored events,
    deliveries and snoozes older than ``cutoff``."""
    when = moment_text(cutoff)
    people: set[str] = set()
    for table, key, person, at, where in (
        ("closure_days", "day", "added_by", "day", cutoff.date().isoformat()),
        ("clerks", "user_id", "changed_by", "changed_at", when),
        ("members", "user_id", "added_by", "added_at", when),
    ):
        rows = await tx.fetchall(
            f"SELECT {key} AS id, {person} AS who FROM {table} WHERE {at} < ?", (where,)
        )
        for row in rows:
            pseudonym = _pseudonyms([str(row["who"])])
            if pseudonym:
                await tx.execute(
                    f"UPDATE {table} SET {person} = ? WHERE {key} = ?",
                    (*pseudonym.values(), row["id"]),
                )
                people |= set(pseudonym)
    for table, at in (
        ("pending_imports", "created_at"),
        ("event_inbox", "received_at"),
        ("deliveries", "claimed_at"),
        ("snoozes", "snoozed_at"),
    ):
        result = await tx.execute(f"DELETE FROM {table} WHERE {at} < ?", (when,))
        report.count_deleted(table, result.rowcount)
    return people


async def _forget_names(tx: Tx, people: Collection[str], report: RetentionReport) -> None:
    """Delete the display names (and direct message channels) of people who now appear
    nowhere else."""
    candidates = sorted(p for p in people if not redaction.is_tombstone(p))
    if not candidates:
        return
    still = await ids_still_held(
        tx, candidates, besides=("display_names", "unnamed_people", "dm_channels")
    )
    gone = [p for p in candidates if p not in still]
    for chunk in in_lists(gone):
        for table in ("display_names", "dm_channels"):
            result = await tx.execute(
                f"DELETE FROM {table} WHERE user_id IN ({marks(chunk)})", chunk
            )
            report.count_deleted(table, result.rowcount)
