"""The audit trail in plain words: who did what to a question, and when.

Every change is recorded as an audit event (storage/audit.py) with its details; this module
says what each one means to a clerk reading a question's history. It shows what people did,
never the internals of the record (message timestamps, channel ids, JSON), and it never
names a Hackney of Tomorrow young person: the caller says who is withheld.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core import export
from bot.core.models import AuditEvent

WITHHELD = "a Hackney of Tomorrow member"
CLI_ACTOR = "cli"
BOT_ACTOR = "bot"

_STATE_CHANGES = {
    "question_sent": "sent it to the officer",
    "question_answered": "answered it",
    "question_holding": "gave a holding reply",
    "question_returned": "returned the answer to the officer for more",
    "question_approved": "approved the answer",
    "question_published": "published the answer",
    "question_corrected": "corrected the published answer",
    "question_withdrawn": "withdrew the question",
    "question_rejected": "rejected the question",
}

_PLAIN = {
    "question_submitted": "submitted the question",
    "question_edited": "changed the question's wording",
    "question_triaged": "changed who answers it, the meeting or the due date",
    "thread_set": "posted it to the officer, who answers in its thread",
    "transfer_requested": "asked for it to go to another officer",
    "transfer_accepted": "accepted the transfer",
    "transfer_declined": "declined the transfer",
    "reminders_snoozed": "snoozed the reminders",
    "answer_part_added": "replied in the thread (recorded as part of the answer)",
    "answer_part_edited": "edited a reply that is part of the answer (the earlier text is kept)",
    "answer_part_deleted": "deleted a reply that was part of the answer (it is kept on record)",
    "questions_grouped": "grouped other questions with it, to be answered together",
    "question_ungrouped": "took it out of its group",
    "question_ungrouped_sent": "sent it back to the officer to answer on its own",
    **_STATE_CHANGES,
}


@dataclass(frozen=True)
class HistoryLine:
    """One event, ready to show: when, who (a user id, or words) and what."""

    event: AuditEvent
    who: str
    who_is_person: bool
    what: str
    note: str | None = None
    """Something a person typed with it (a reason, a note), shown as text."""


def describe(event: AuditEvent, withheld: frozenset[str] = frozenset()) -> HistoryLine:
    """What ``event`` means, in plain words."""
    who, person = _who(event.actor, withheld)
    detail: Mapping[str, Any] = event.detail or {}
    describer = _DESCRIBERS.get(event.action)
    what = describer(detail) if describer else _PLAIN.get(event.action) or _fallback(event)
    return HistoryLine(event, who, person, what, _note(detail))


def _who(actor: str, withheld: frozenset[str]) -> tuple[str, bool]:
    if actor in withheld:
        return WITHHELD, False
    if actor == CLI_ACTOR:
        return "the command line", False
    if actor == BOT_ACTOR:
        return "the bot", False
    return actor, True


def _note(detail: Mapping[str, Any]) -> str | None:
    for key in ("reason", "note", "comment"):
        value = detail.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _fallback(event: AuditEvent) -> str:
    return event.action.replace("_", " ")


def _file(sentence: str) -> Callable[[Mapping[str, Any]], str]:
    """``sentence`` with ``{}`` naming the file."""

    def describe_file(detail: Mapping[str, Any]) -> str:
        name = detail.get("name")
        return sentence.format(f"the file {name}" if isinstance(name, str) and name else "a file")

    return describe_file


_DESCRIBERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "attachment_added": _file("shared {} with the answer"),
    "attachment_removed": _file("took {} out of the answer (it is kept on record)"),
}


# --- the audit as data (python -m bot audit) ------------------------------------------------

AUDIT_SCHEMA = "scrutiny-audit/1"
AUDIT_FIELDS = (
    "id",
    "occurred_at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "description",
    "detail",
)
"""The audit export's columns: the event's number, when (ISO, UTC), who (a Slack user id,
"cli" or "bot"), the action's name, what it was done to ("question" and its reference,
"meeting" and its number...), the action in plain words, and everything recorded with it
(JSON)."""


def audit_rows(events: Iterable[AuditEvent]) -> list[dict[str, str]]:
    """One row per event, for the information-governance team: ids as recorded."""
    return [
        {
            "id": str(event.id or ""),
            "occurred_at": event.occurred_at.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "subject_type": event.subject_type,
            "subject_id": event.subject_id,
            "description": describe(event).what,
            "detail": json.dumps(dict(event.detail or {}), ensure_ascii=False, sort_keys=True),
        }
        for event in events
    ]


def audit_data(rows: list[dict[str, str]], fmt: str) -> bytes:
    """The rows as CSV (formulas neutralised) or JSON (each detail an object)."""
    if fmt == "csv":
        return export.to_csv(rows, AUDIT_FIELDS)
    events = [{**row, "detail": json.loads(row["detail"])} for row in rows]
    document = {"schema": AUDIT_SCHEMA, "events": events}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
