from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.calendar import (
    DayOff,
    WorkingCalendar,
    bank_holiday_name,
    local_date,
    short_date,
)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 4, 3), "Good Friday"),
        (date(2026, 4, 6), "Easter Monday"),
        (date(2026, 5, 4), "May Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),  # 26 Dec 2026 is a Saturday
        (date(2027, 12, 27), "Christmas Day (observed)"),  # 25 Dec 2027 is a Saturday
        (date(2027, 12, 28), "Boxing Day (observed)"),
        (date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
    ],
)
def test_england_and_wales_bank_holidays_include_substitute_days(day: date, name: str) -> None:
    assert bank_holiday_name(day) == name
    assert WorkingCalendar().day_off(day) is DayOff.BANK_HOLIDAY


def test_scottish_only_holidays_are_working_days() -> None:
    assert bank_holiday_name(date(2026, 1, 2)) is None  # 2 January is a Scottish holiday
    assert bank_holiday_name(date(2026, 11, 30)) is None  # St Andrew's Day
    assert WorkingCalendar().is_working_day(date(2026, 1, 2))


def test_weekends_and_closure_days_are_not_working_days(calendar: WorkingCalendar) -> None:
    assert calendar.day_off(date(2026, 5, 9)) is DayOff.WEEKEND
    assert calendar.day_off(date(2026, 5, 10)) is DayOff.WEEKEND
    assert calendar.is_working_day(date(2026, 12, 24))
    closed = WorkingCalendar({date(2026, 12, 24): "Christmas closure"})
    assert closed.day_off(date(2026, 12, 24)) is DayOff.COUNCIL_CLOSURE


def test_adding_and_subtracting_count_from_day_zero(calendar: WorkingCalendar) -> None:
    friday = date(2026, 5, 1)
    assert calendar.add_working_days(friday, 0) == friday
    assert calendar.add_working_days(friday, 1) == date(2026, 5, 5)  # weekend, 4 May skipped
    assert calendar.subtract_working_days(date(2026, 5, 5), 1) == friday
    assert calendar.add_working_days(friday, -1) == date(2026, 4, 30)
    assert calendar.subtract_working_days(date(2026, 4, 7), 1) == date(2026, 4, 2)  # Easter


def test_working_days_between_is_strict(calendar: WorkingCalendar) -> None:
    assert calendar.working_days_between(date(2026, 4, 30), date(2026, 5, 11)) == 5
    assert calendar.working_days_between(date(2026, 5, 11), date(2026, 4, 30)) == 0
    assert calendar.working_days_between(date(2026, 5, 11), date(2026, 5, 12)) == 0


def test_skipped_days_name_holidays_and_closures_but_not_weekends() -> None:
    calendar = WorkingCalendar({date(2026, 12, 29): "Christmas closure"})
    skipped = calendar.skipped_days(date(2026, 12, 22), date(2027, 1, 4))
    assert [(s.day, s.reason) for s in skipped] == [
        (date(2026, 12, 25), DayOff.BANK_HOLIDAY),
        (date(2026, 12, 28), DayOff.BANK_HOLIDAY),
        (date(2026, 12, 29), DayOff.COUNCIL_CLOSURE),
        (date(2027, 1, 1), DayOff.BANK_HOLIDAY),
    ]
    assert skipped[2].name == "Christmas closure"


def test_local_date_follows_summer_time() -> None:
    # 23:30 UTC on 30 April is 00:30 on 1 May in London (BST).
    assert local_date(datetime(2026, 4, 30, 23, 30, tzinfo=UTC)) == date(2026, 5, 1)
    # In winter London is on UTC.
    assert local_date(datetime(2026, 1, 15, 23, 30, tzinfo=UTC)) == date(2026, 1, 15)
    new_york = datetime(2026, 6, 1, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    assert local_date(new_york) == date(2026, 6, 2)


def test_local_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 1, 1, 12, 0))


def test_short_date_does_not_depend_on_locale() -> None:
    assert short_date(date(2026, 4, 30)) == "Thu 30 Apr"
    assert short_date(date(2027, 1, 7), with_year=True) == "Thu 7 Jan 2027"
