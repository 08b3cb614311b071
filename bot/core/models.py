"""The council's objects: committees, meetings, questions, answers, officers, audit events.

All are frozen: a change makes a new value. Timestamps are timezone-aware; dates are
Europe/London calendar dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.core.calendar import council_zone
from bot.core.errors import InvalidInput

QUESTION_REFERENCE = re.compile(r"^([A-Z][A-Z0-9]{1,11})-(\d{4}-\d{2}-\d{2})-Q(\d{1,4})$")


class QuestionState(StrEnum):
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    SENT = "sent"
    HOLDING = "holding"
    ANSWERED = "answered"
    RETURNED = "returned"
    APPROVED = "approved"
    PUBLISHED = "published"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"


class OnBehalfOf(StrEnum):
    COMMISSION = "commission"
    HACKNEY_OF_TOMORROW = "hackney_of_tomorrow"
    MEMBER = "member"


@dataclass(frozen=True)
class Committee:
    key: str
    name: str


def meeting_reference(committee_key: str, meeting_date: date) -> str:
    """'CYP-2023-12-18'."""
    return f"{committee_key}-{meeting_date.isoformat()}"


def question_reference(committee_key: str, meeting_date: date, sequence: int) -> str:
    """'CYP-2023-12-18-Q07': committee, source meeting date, sequence within that meeting."""
    return f"{meeting_reference(committee_key, meeting_date)}-Q{sequence:02d}"


def parse_question_reference(reference: str) -> tuple[str, date, int]:
    """Split 'CYP-2023-12-18-Q07' into ('CYP', date(2023, 12, 18), 7)."""
    match = QUESTION_REFERENCE.match(reference.strip().upper())
    if match is None:
        raise InvalidInput(f"{reference!r} is not a question reference such as CYP-2023-12-18-Q07.")
    try:
        meeting_date = date.fromisoformat(match.group(2))
    except ValueError:
        raise InvalidInput(f"{reference!r} has an impossible date in it.") from None
    return match.group(1), meeting_date, int(match.group(3))


@dataclass(frozen=True)
class Meeting:
    id: int
    committee_key: str
    date: dt.date
    title: str
    time: dt.time | None = None
    cancelled: bool = False

    @property
    def reference(self) -> str:
        return meeting_reference(self.committee_key, self.date)

    @property
    def starts_at(self) -> datetime | None:
        """The start as an aware datetime in the council's time zone, when the time is known."""
        if self.time is None:
            return None
        return datetime.combine(self.date, self.time, tzinfo=council_zone())


@dataclass(frozen=True)
class AgendaItem:
    meeting_id: int
    number: str
    title: str


def agenda_item_order(number: str) -> tuple[int, str, int]:
    """Sort key putting '2' before '10', and '4' before '4.1' before '4a'."""
    match = re.match(r"^(\d+)([A-Za-z]?)(?:\.(\d+))?$", number)
    if match is None:
        return (10**6, number, 0)
    return (int(match.group(1)), match.group(2), int(match.group(3) or 0))


@dataclass(frozen=True)
class Asker:
    """On whose behalf a question is asked; Hackney of Tomorrow members are never named."""

    on_behalf_of: OnBehalfOf
    member_name: str | None = None

    def __post_init__(self) -> None:
        if self.on_behalf_of is OnBehalfOf.MEMBER and not (self.member_name or "").strip():
            raise InvalidInput("Say which member is asking the question.")
        if self.on_behalf_of is not OnBehalfOf.MEMBER and self.member_name is not None:
            raise InvalidInput(
                "A name is recorded only for questions asked by a named member; "
                "the Commission and Hackney of Tomorrow are never named."
            )

    @property
    def label(self) -> str:
        """What the agenda says: 'The Commission', 'Hackney of Tomorrow' or the member."""
        if self.on_behalf_of is OnBehalfOf.COMMISSION:
            return "The Commission"
        if self.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW:
            return "Hackney of Tomorrow"
        return self.member_name or ""


@dataclass(frozen=True)
class MessageRef:
    """A Slack message by channel and ts (the question's parent message, an answer part)."""

    channel: str
    ts: str


@dataclass(frozen=True)
class PendingTransfer:
    """An officer's request to pass a question on; the current officer stays responsible."""

    to_officer: str
    to_role: str | None
    requested_by: str
    requested_at: datetime
    reason: str


@dataclass(frozen=True)
class Question:
    id: int
    reference: str
    source_meeting_id: int
    agenda_item: str | None
    asker: Asker
    submitted_by: str
    text: str
    state: QuestionState
    created_at: datetime
    updated_at: datetime
    addressed_role: str | None = None
    assigned_officer: str | None = None
    target_meeting_id: int | None = None
    due_date: date | None = None
    thread: MessageRef | None = None
    pending_transfer: PendingTransfer | None = None
    source_minute: str | None = None
    """The minute the question was recorded under (e.g. 4.21), when it was imported."""


@dataclass(frozen=True)
class QuestionDraft:
    """A validated question not yet stored: storage gives it its reference and id."""

    source_meeting_id: int
    agenda_item: str | None
    asker: Asker
    submitted_by: str
    text: str
    addressed_role: str | None = None
    source_minute: str | None = None


@dataclass(frozen=True)
class AnswerPartVersion:
    """An earlier text of an answer part, kept when the officer edits the message."""

    text: str
    replaced_at: datetime


@dataclass(frozen=True)
class AnswerPart:
    """One of the officer's replies in the question's thread."""

    id: int
    question_id: int
    message: MessageRef
    author: str
    text: str
    posted_at: datetime
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    versions: tuple[AnswerPartVersion, ...] = ()

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class SharedFile:
    """A file shared in a Slack message: what the record keeps of it (never its content)."""

    file_id: str
    name: str
    mimetype: str
    permalink: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file the answering officer shared in the question's thread, kept with the answer.

    Like a reply, it is removed from the answer (and kept on record) when its message is
    deleted or the file is taken off it.
    """

    question_id: int
    message: MessageRef
    file: SharedFile
    added_by: str
    added_at: datetime
    removed_at: datetime | None = None

    def stood_at(self, moment: datetime | None) -> bool:
        """Part of the answer at ``moment`` (None: now)."""
        if moment is None:
            return self.removed_at is None
        return self.added_at <= moment and (self.removed_at is None or self.removed_at > moment)


def ts_order(ts: str) -> tuple[int, int]:
    """Sort key for Slack ts strings ('1702900000.000100') without float rounding."""
    seconds, _, fraction = ts.partition(".")
    return (int(seconds or 0), int(fraction.ljust(6, "0")[:6] or 0))


@dataclass(frozen=True)
class HoldingReply:
    """'We will answer by <date>': moves reminders to the promised date."""

    id: int
    question_id: int
    author: str
    note: str
    promised_date: date
    given_at: datetime


@dataclass(frozen=True)
class Approval:
    """The clerk's approval of the answer text as it stood."""

    id: int
    question_id: int
    approved_by: str
    approved_at: datetime
    answer_text: str


@dataclass(frozen=True)
class Publication:
    """The answer as published in a meeting's agenda."""

    question_id: int
    meeting_id: int
    published_by: str
    published_at: datetime
    answer_text: str


@dataclass(frozen=True)
class Correction:
    """A change after publication; the text it replaces stays on record."""

    id: int
    question_id: int
    original_text: str
    corrected_text: str
    reason: str
    corrected_by: str
    corrected_at: datetime


@dataclass(frozen=True)
class Answer:
    """Everything recorded in answer to one question."""

    question_id: int
    parts: tuple[AnswerPart, ...] = ()
    holding_replies: tuple[HoldingReply, ...] = ()
    approvals: tuple[Approval, ...] = ()
    publication: Publication | None = None
    corrections: tuple[Correction, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    @property
    def live_parts(self) -> tuple[AnswerPart, ...]:
        return tuple(part for part in self.parts if not part.deleted)

    @property
    def text(self) -> str:
        """The answer as it stands: live parts in thread order, one paragraph each."""
        return "\n\n".join(part.text for part in self.live_parts)

    @property
    def holding_reply(self) -> HoldingReply | None:
        return self.holding_replies[-1] if self.holding_replies else None

    @property
    def approval(self) -> Approval | None:
        return self.approvals[-1] if self.approvals else None

    @property
    def published_text(self) -> str | None:
        """What the record now says was published: the latest correction, else the original."""
        if self.corrections:
            return self.corrections[-1].corrected_text
        return self.publication.answer_text if self.publication else None


@dataclass(frozen=True)
class OfficerRole:
    """An entry in the officer directory: who answers for a role, and who deputises."""

    key: str
    title: str
    officer: str | None = None
    deputy: str | None = None


@dataclass(frozen=True)
class ClosureDay:
    """A day the council is closed, added by the clerk; not a working day."""

    day: date
    reason: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class AuditEvent:
    """Who did what, when, to which subject; ``id`` is None until stored."""

    actor: str
    action: str
    subject_type: str
    subject_id: str
    occurred_at: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True)
class QuestionChange:
    """A change to a question and the audit event that records it, saved together."""

    before: Question
    after: Question
    event: AuditEvent
