"""Open data: a meeting's questions and published answers as CSV and JSON.

One row per question, in agenda order. Answer text appears only once it is published (or
corrected): a draft answer never leaves through an export. People are named as the
compiled document names them; Hackney of Tomorrow's young people never are. CSV cells that a
spreadsheet would read as a formula are neutralised.

The JSON (``SCHEMA``) is an object: ``schema`` (this format's name and version),
``meeting`` (``reference``, ``committee``, ``title``, ``date``) and ``questions``, a list of
objects with the ``FIELDS`` below, every value a string ("" when there is none).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence

from bot.core.agenda import AgendaEntry, AgendaMeeting, EntryStatus, asked_by_label
from bot.core.markup import UserNames, clean_text, to_plain_text

SCHEMA = "scrutiny-questions/1"

FIELDS = (
    "reference",
    "committee",
    "meeting",
    "meeting_date",
    "source_meeting",
    "item",
    "minute",
    "asked_by",
    "question",
    "addressed_to",
    "status",
    "due_date",
    "answered_on",
    "published_answer",
    "correction_note",
)
"""The columns, in order: the question's reference; the committee and the meeting whose
agenda carries it (name and ISO date); the meeting where it was not reached; the agenda item
and minute number there; who asked it, as published; the question as asked; the role
addressed; its status
(awaited, holding, answered, approved, published, corrected, withdrawn); its due date and the
date answered (ISO); the published answer (plain text, parts separated by a blank line) and,
for a correction, its reason."""

FORMATS = ("csv", "json")
"""The export's formats; CSV is the default."""

PUBLISHED = frozenset({EntryStatus.PUBLISHED, EntryStatus.CORRECTED})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows(
    meeting: AgendaMeeting, entries: Iterable[AgendaEntry], users: UserNames | None
) -> list[dict[str, str]]:
    out = []
    for entry in entries:
        published = entry.status in PUBLISHED
        answer = "\n\n".join(
            to_plain_text(part, users, as_published=True) for part in entry.response_parts
        )
        out.append(
            {
                "reference": entry.reference,
                "committee": meeting.committee_name,
                "meeting": meeting.title,
                "meeting_date": meeting.meeting_date.isoformat(),
                "source_meeting": entry.source_meeting_label,
                "item": entry.item_number or "",
                "minute": entry.source_minute or "",
                "asked_by": asked_by_label(entry),
                "question": clean_text(entry.question_text).strip(),
                "addressed_to": entry.responder_role_title or "",
                "status": entry.status.value,
                "due_date": entry.due_date.isoformat() if entry.due_date else "",
                "answered_on": entry.answered_on.isoformat()
                if published and entry.answered_on
                else "",
                "published_answer": answer if published else "",
                "correction_note": (entry.correction_note or "")
                if entry.status is EntryStatus.CORRECTED
                else "",
            }
        )
    return out


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @, tab) starts with ' instead."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def to_csv(table: Sequence[dict[str, str]], fields: Sequence[str] = FIELDS) -> bytes:
    """UTF-8 CSV (with a byte-order mark, for spreadsheets), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in table:
        writer.writerow({key: neutralise(value) for key, value in row.items()})
    return buffer.getvalue().encode("utf-8-sig")


def to_json(meeting: AgendaMeeting, table: Sequence[dict[str, str]]) -> bytes:
    document = {
        "schema": SCHEMA,
        "meeting": {
            "reference": meeting.reference,
            "committee": meeting.committee_name,
            "title": meeting.title,
            "date": meeting.meeting_date.isoformat(),
        },
        "questions": list(table),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def encode(meeting: AgendaMeeting, table: Sequence[dict[str, str]], fmt: str) -> bytes:
    """The table as ``fmt`` (one of ``FORMATS``)."""
    return to_json(meeting, table) if fmt == "json" else to_csv(table)


def file_name(reference: str, fmt: str) -> str:
    """'CYP-2026-05-11-questions.csv': what a meeting's export is called, wherever it goes."""
    return f"{reference}-questions.{fmt}"
