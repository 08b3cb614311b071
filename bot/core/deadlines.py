"""Working-day deadlines: agenda publication, answer due dates, each with its explanation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.core.calendar import (
    ONE_DAY,
    DayOff,
    SkippedDay,
    WorkingCalendar,
    day_and_month,
    short_date,
)
from bot.core.errors import DeadlinePassed
from bot.core.lifecycle import AWAITING_ANSWER
from bot.core.models import Question, QuestionState

CLEAR_WORKING_DAYS = 5
"""Local Government Act 1972 s100B: five clear working days between publication and meeting."""

DEFAULT_ANSWER_DUE_WORKING_DAYS = 3
"""Answers are due this many working days before the agenda goes out (configurable)."""


DEFAULT_VERY_OVERDUE_AFTER = 5
"""A question is very overdue this many working days after it became overdue (configurable)."""


@dataclass(frozen=True)
class Deadline:
    """A computed date with the one-line reason for it.

    ``passed`` is True when a ``today`` was given and the date is before it.
    """

    date: date
    explanation: str
    passed: bool = False

    def require_not_passed(self) -> Deadline:
        """Return self, or raise DeadlinePassed with the explanation."""
        if self.passed:
            raise DeadlinePassed(f"Too late: {self.explanation}.")
        return self


def agenda_publication_day(
    meeting_date: date, calendar: WorkingCalendar, *, today: date | None = None
) -> Deadline:
    """The latest day the agenda can go out: the 6th working day before the meeting."""
    day = calendar.subtract_working_days(meeting_date, CLEAR_WORKING_DAYS + 1)
    years = day.year != meeting_date.year
    text = (
        f"agenda out by {short_date(day, with_year=years)}: {CLEAR_WORKING_DAYS} clear working "
        f"days before the meeting on {short_date(meeting_date, with_year=years)}"
    )
    skipped = describe_skipped(calendar.skipped_days(day, meeting_date))
    if skipped:
        text += f" ({skipped})"
    return _deadline(day, text, today)


def answer_due_date(
    meeting_date: date,
    calendar: WorkingCalendar,
    working_days_before: int = DEFAULT_ANSWER_DUE_WORKING_DAYS,
    *,
    today: date | None = None,
) -> Deadline:
    """When an answer is due: ``working_days_before`` working days before publication."""
    if working_days_before < 0:
        raise ValueError("working_days_before must not be negative")
    publication = calendar.subtract_working_days(meeting_date, CLEAR_WORKING_DAYS + 1)
    day = calendar.subtract_working_days(publication, working_days_before)
    years = day.year != meeting_date.year
    noun = "working day" if working_days_before == 1 else "working days"
    context = f"meeting {short_date(meeting_date, with_year=years)}"
    skipped = describe_skipped(calendar.skipped_days(day, meeting_date))
    if skipped:
        context += f"; {skipped}"
    text = (
        f"due {short_date(day, with_year=years)}: {working_days_before} {noun} before the "
        f"agenda goes out on {short_date(publication, with_year=years)} ({context})"
    )
    return _deadline(day, text, today)


def very_overdue_from(due_date: date, calendar: WorkingCalendar, working_days: int = 5) -> date:
    """The first very overdue day: ``working_days`` working days after the first overdue day."""
    return calendar.add_working_days(due_date + ONE_DAY, working_days)


def describe_skipped(days: list[SkippedDay]) -> str:
    """'4 May bank holiday skipped', '25 Dec, 28 Dec bank holidays and 24 Dec council closure
    skipped', or '' when nothing was skipped."""
    groups: dict[DayOff, list[date]] = {}
    for skipped in days:
        groups.setdefault(skipped.reason, []).append(skipped.day)
    if not groups:
        return ""
    parts = []
    for reason, dates in groups.items():
        noun = reason.value if len(dates) == 1 else f"{reason.value}s"
        parts.append(f"{', '.join(day_and_month(d) for d in dates)} {noun}")
    return f"{' and '.join(parts)} skipped"


def _deadline(day: date, text: str, today: date | None) -> Deadline:
    passed = today is not None and day < today
    if passed and today is not None:
        text += f"; that date has passed (today is {short_date(today, with_year=True)})"
    return Deadline(day, text, passed)


class Lateness(StrEnum):
    """Where a question stands against its due date, worked out when read."""

    NOT_AWAITED = "no answer awaited"
    ON_TIME = "on time"
    DUE_TODAY = "due today"
    OVERDUE = "overdue"
    VERY_OVERDUE = "very overdue"


def lateness(
    question: Question,
    today: date,
    calendar: WorkingCalendar,
    *,
    very_overdue_after: int = DEFAULT_VERY_OVERDUE_AFTER,
    promised_date: date | None = None,
) -> Lateness:
    """Overdue the day after the due date; very overdue ``very_overdue_after`` working days later.

    Only questions waiting on an officer (sent, holding, returned) with a due date can be
    late. For a holding reply, pass its ``promised_date``: a later promise moves the date.
    """
    if question.state not in AWAITING_ANSWER or question.due_date is None:
        return Lateness.NOT_AWAITED
    due = question.due_date
    if question.state is QuestionState.HOLDING and promised_date is not None:
        due = max(due, promised_date)
    if today < due:
        return Lateness.ON_TIME
    if today == due:
        return Lateness.DUE_TODAY
    if today >= very_overdue_from(due, calendar, very_overdue_after):
        return Lateness.VERY_OVERDUE
    return Lateness.OVERDUE
