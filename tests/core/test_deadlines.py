from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.calendar import WorkingCalendar
from bot.core.deadlines import (
    Lateness,
    agenda_publication_day,
    answer_due_date,
    describe_skipped,
    lateness,
    very_overdue_from,
)
from bot.core.errors import DeadlinePassed, InvalidInput
from bot.core.models import Question, QuestionState

MakeQuestion = Callable[..., Question]

MEETING = date(2026, 5, 11)  # Monday 11 May 2026


def test_worked_example_publication_day(calendar: WorkingCalendar) -> None:
    publication = agenda_publication_day(MEETING, calendar)
    assert publication.date == date(2026, 4, 30)
    assert publication.explanation == (
        "agenda out by Thu 30 Apr: 5 clear working days before the meeting on Mon 11 May "
        "(4 May bank holiday skipped)"
    )
    assert not publication.passed


def test_worked_example_due_date(calendar: WorkingCalendar) -> None:
    due = answer_due_date(MEETING, calendar)
    assert due.date == date(2026, 4, 27)
    assert due.explanation == (
        "due Mon 27 Apr: 3 working days before the agenda goes out on Thu 30 Apr "
        "(meeting Mon 11 May; 4 May bank holiday skipped)"
    )


def test_due_date_working_days_are_configurable(calendar: WorkingCalendar) -> None:
    assert answer_due_date(MEETING, calendar, 0).date == date(2026, 4, 30)
    one = answer_due_date(MEETING, calendar, 1)
    assert one.date == date(2026, 4, 29)
    assert "1 working day before" in one.explanation
    assert answer_due_date(MEETING, calendar, 5).date == date(2026, 4, 23)
    with pytest.raises(ValueError):
        answer_due_date(MEETING, calendar, -1)


def test_christmas_and_new_year_span(calendar: WorkingCalendar) -> None:
    meeting = date(2027, 1, 7)  # Thursday 7 January 2027
    publication = agenda_publication_day(meeting, calendar)
    # 6 Jan, 5 Jan, 4 Jan, [1 Jan], 31 Dec, 30 Dec, 29 Dec; 25 and 28 Dec skipped too.
    assert publication.date == date(2026, 12, 29)
    due = answer_due_date(meeting, calendar)
    assert due.date == date(2026, 12, 22)
    assert due.explanation == (
        "due Tue 22 Dec 2026: 3 working days before the agenda goes out on Tue 29 Dec 2026 "
        "(meeting Thu 7 Jan 2027; 25 Dec, 28 Dec, 1 Jan bank holidays skipped)"
    )


def test_christmas_closure_days_push_the_dates_back() -> None:
    closures = {
        date(2026, 12, 29): "Christmas closure",
        date(2026, 12, 30): "Christmas closure",
        date(2026, 12, 31): "Christmas closure",
    }
    calendar = WorkingCalendar(closures)
    meeting = date(2027, 1, 7)
    publication = agenda_publication_day(meeting, calendar)
    # 6, 5, 4 Jan; 1 Jan holiday; 29-31 Dec closed; 28 Dec holiday; 25 Dec holiday;
    # then 24 (4), 23 (5), 22 (6).
    assert publication.date == date(2026, 12, 22)
    assert calendar.working_days_between(publication.date, meeting) == 5
    assert "29 Dec, 30 Dec, 31 Dec council closures" in publication.explanation
    assert answer_due_date(meeting, calendar).date == date(2026, 12, 17)


def test_easter_span(calendar: WorkingCalendar) -> None:
    meeting = date(2026, 4, 13)  # Monday after Easter Monday 2026
    publication = agenda_publication_day(meeting, calendar)
    # 10, 9, 8, 7 Apr; 6 Apr Easter Monday; 3 Apr Good Friday; 2 Apr (5), 1 Apr (6).
    assert publication.date == date(2026, 4, 1)
    assert "3 Apr, 6 Apr bank holidays skipped" in publication.explanation
    assert answer_due_date(meeting, calendar).date == date(2026, 3, 27)


def test_meeting_the_day_after_easter_monday(calendar: WorkingCalendar) -> None:
    meeting = date(2026, 4, 7)
    assert agenda_publication_day(meeting, calendar).date == date(2026, 3, 26)


def test_a_closure_day_is_named_in_the_explanation() -> None:
    calendar = WorkingCalendar({date(2026, 5, 6): "Election count"})
    publication = agenda_publication_day(MEETING, calendar)
    assert publication.date == date(2026, 4, 29)
    assert publication.explanation.endswith(
        "(4 May bank holiday and 6 May council closure skipped)"
    )


def test_passed_publication_day_is_flagged_not_negative(calendar: WorkingCalendar) -> None:
    today = date(2026, 5, 1)
    publication = agenda_publication_day(MEETING, calendar, today=today)
    assert publication.passed
    assert publication.date == date(2026, 4, 30)
    assert "has passed (today is Fri 1 May 2026)" in publication.explanation
    with pytest.raises(DeadlinePassed) as error:
        publication.require_not_passed()
    assert isinstance(error.value, InvalidInput)
    assert error.value.message.startswith("Too late: agenda out by Thu 30 Apr")


def test_deadline_on_today_has_not_passed(calendar: WorkingCalendar) -> None:
    due = answer_due_date(MEETING, calendar, today=date(2026, 4, 27))
    assert not due.passed
    assert due.require_not_passed() is due
    assert answer_due_date(MEETING, calendar, today=date(2026, 4, 28)).passed


def test_describe_skipped_is_empty_when_nothing_is_skipped(calendar: WorkingCalendar) -> None:
    assert describe_skipped([]) == ""
    publication = agenda_publication_day(date(2026, 6, 15), calendar)
    assert publication.explanation == (
        "agenda out by Fri 5 Jun: 5 clear working days before the meeting on Mon 15 Jun"
    )


# Property tests: any meeting date from 2024 to 2030, with or without closure days.
meeting_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
closure_sets = st.sets(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), max_size=10
)


@settings(max_examples=150, deadline=None)
@given(meeting=meeting_dates, closures=closure_sets, before=st.integers(0, 10))
def test_due_date_is_a_working_day_never_after_publication(
    meeting: date, closures: set[date], before: int
) -> None:
    calendar = WorkingCalendar(dict.fromkeys(closures, "closed"))
    publication = agenda_publication_day(meeting, calendar)
    due = answer_due_date(meeting, calendar, before)
    assert calendar.is_working_day(due.date)
    assert due.date <= publication.date
    assert calendar.working_days_between(due.date, publication.date) == max(before - 1, 0)


@settings(max_examples=150, deadline=None)
@given(meeting=meeting_dates, closures=closure_sets)
def test_publication_has_exactly_five_clear_working_days_before_the_meeting(
    meeting: date, closures: set[date]
) -> None:
    calendar = WorkingCalendar(dict.fromkeys(closures, "closed"))
    publication = agenda_publication_day(meeting, calendar).date
    assert calendar.is_working_day(publication)
    assert publication < meeting
    assert calendar.working_days_between(publication, meeting) == 5
    # It is the latest such day: the next working day would leave only four.
    later = calendar.add_working_days(publication, 1)
    assert calendar.working_days_between(later, meeting) == 4


@settings(max_examples=100, deadline=None)
@given(start=meeting_dates, count=st.integers(0, 30))
def test_adding_then_subtracting_working_days_returns_to_a_working_start(
    start: date, count: int
) -> None:
    calendar = WorkingCalendar()
    if not calendar.is_working_day(start):
        start = calendar.add_working_days(start, 1)
    later = calendar.add_working_days(start, count)
    assert calendar.subtract_working_days(later, count) == start
    assert later - start >= timedelta(days=count)


# Overdue and very overdue, worked out when read.


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 4, 24), Lateness.ON_TIME),
        (date(2026, 4, 27), Lateness.DUE_TODAY),
        (date(2026, 4, 28), Lateness.OVERDUE),  # the day after the due date
        (date(2026, 5, 5), Lateness.OVERDUE),
        # Overdue from Tue 28 Apr; 5 working days later (4 May skipped) is Wed 6 May.
        (date(2026, 5, 6), Lateness.VERY_OVERDUE),
        (date(2026, 6, 1), Lateness.VERY_OVERDUE),
    ],
)
def test_lateness_from_the_due_date(
    make_question: MakeQuestion, calendar: WorkingCalendar, today: date, expected: Lateness
) -> None:
    question = make_question(QuestionState.SENT, due_date=date(2026, 4, 27))
    assert lateness(question, today, calendar) is expected


def test_very_overdue_threshold_is_configurable(
    make_question: MakeQuestion, calendar: WorkingCalendar
) -> None:
    question = make_question(QuestionState.SENT, due_date=date(2026, 4, 27))
    assert very_overdue_from(date(2026, 4, 27), calendar, 2) == date(2026, 4, 30)
    assert lateness(question, date(2026, 4, 30), calendar, very_overdue_after=2) is (
        Lateness.VERY_OVERDUE
    )
    assert lateness(question, date(2026, 4, 29), calendar, very_overdue_after=2) is (
        Lateness.OVERDUE
    )


def test_due_on_friday_is_overdue_on_saturday(
    make_question: MakeQuestion, calendar: WorkingCalendar
) -> None:
    question = make_question(QuestionState.SENT, due_date=date(2026, 5, 15))
    assert lateness(question, date(2026, 5, 16), calendar) is Lateness.OVERDUE
    assert very_overdue_from(date(2026, 5, 15), calendar) == date(2026, 5, 22)


@pytest.mark.parametrize(
    "state",
    [
        QuestionState.SUBMITTED,
        QuestionState.ANSWERED,
        QuestionState.APPROVED,
        QuestionState.PUBLISHED,
        QuestionState.WITHDRAWN,
    ],
)
def test_only_questions_awaiting_an_answer_can_be_late(
    make_question: MakeQuestion, calendar: WorkingCalendar, state: QuestionState
) -> None:
    question = make_question(state, due_date=date(2026, 4, 27))
    assert lateness(question, date(2026, 6, 1), calendar) is Lateness.NOT_AWAITED


def test_no_due_date_means_not_late(make_question: MakeQuestion, calendar: WorkingCalendar) -> None:
    question = make_question(QuestionState.SENT, due_date=None)
    assert lateness(question, date(2026, 6, 1), calendar) is Lateness.NOT_AWAITED


def test_a_holding_reply_moves_the_date(
    make_question: MakeQuestion, calendar: WorkingCalendar
) -> None:
    question = make_question(QuestionState.HOLDING, due_date=date(2026, 4, 27))
    promised = date(2026, 5, 8)
    assert lateness(question, date(2026, 5, 1), calendar, promised_date=promised) is (
        Lateness.ON_TIME
    )
    assert lateness(question, date(2026, 5, 11), calendar, promised_date=promised) is (
        Lateness.OVERDUE
    )
    assert lateness(question, date(2026, 5, 1), calendar) is Lateness.OVERDUE
