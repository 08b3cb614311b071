"""The working-day calendar: weekends, England and Wales bank holidays, council closures.

All dates are local to Europe/London. Counting follows the product rules: the start day
is day 0, and "N working days after" is the Nth working day that follows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
ONE_DAY = timedelta(days=1)

_zone = LONDON
_workspace_zone: ContextVar[ZoneInfo | None] = ContextVar("workspace_zone", default=None)


def use_time_zone(zone: ZoneInfo) -> None:
    """The council's time zone (``TIMEZONE``): working days, hours and deadlines follow it.

    Set once when the bot or a command starts; Europe/London until then.
    """
    global _zone
    _zone = zone


def use_workspace_zone(zone: ZoneInfo) -> None:
    """The time zone of the council whose request or job the current task serves (a bot
    installed in many workspaces); tasks started from here on inherit it, others are
    untouched."""
    _workspace_zone.set(zone)


def council_zone() -> ZoneInfo:
    return _workspace_zone.get() or _zone


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_date(moment: datetime) -> date:
    """The council's calendar date (in ``TIMEZONE``) of a timezone-aware moment."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("local_date needs a timezone-aware datetime")
    return moment.astimezone(council_zone()).date()


def short_date(day: date, *, with_year: bool = False) -> str:
    """'Thu 30 Apr' (or 'Thu 30 Apr 2026'), independent of the process locale."""
    text = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def day_and_month(day: date) -> str:
    """'4 May'."""
    return f"{day.day} {_MONTHS[day.month - 1]}"


@lru_cache(maxsize=128)
def _bank_holidays(year: int) -> Mapping[date, str]:
    """England and Wales bank holidays for one year, substitute ('observed') days included."""
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def bank_holiday_name(day: date) -> str | None:
    """The bank holiday's name if ``day`` is one in England and Wales."""
    return _bank_holidays(day.year).get(day)


class DayOff(StrEnum):
    """Why a day is not a working day."""

    WEEKEND = "weekend"
    BANK_HOLIDAY = "bank holiday"
    COUNCIL_CLOSURE = "council closure"


@dataclass(frozen=True)
class SkippedDay:
    """A weekday that is not a working day, for explanations."""

    day: date
    reason: DayOff
    name: str


class WorkingCalendar:
    """Working days: Monday to Friday, not a bank holiday, not a council closure day."""

    def __init__(self, closure_days: Mapping[date, str] | None = None) -> None:
        self._closures: dict[date, str] = dict(closure_days or {})

    @property
    def closure_days(self) -> Mapping[date, str]:
        return dict(self._closures)

    def day_off(self, day: date) -> DayOff | None:
        """Why ``day`` is not a working day, or None when it is one."""
        if day.weekday() >= 5:
            return DayOff.WEEKEND
        if bank_holiday_name(day) is not None:
            return DayOff.BANK_HOLIDAY
        if day in self._closures:
            return DayOff.COUNCIL_CLOSURE
        return None

    def is_working_day(self, day: date) -> bool:
        return self.day_off(day) is None

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is day 0)."""
        if count < 0:
            return self.subtract_working_days(start, -count)
        day = start
        remaining = count
        while remaining:
            day += ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def subtract_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day before ``start`` (``start`` itself is day 0)."""
        if count < 0:
            return self.add_working_days(start, -count)
        day = start
        remaining = count
        while remaining:
            day -= ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, first: date, last: date) -> int:
        """How many working days lie strictly between ``first`` and ``last``."""
        if last <= first:
            return 0
        return sum(1 for day in _days_strictly_between(first, last) if self.is_working_day(day))

    def skipped_days(self, first: date, last: date) -> list[SkippedDay]:
        """Weekdays strictly between ``first`` and ``last`` that are not working days."""
        skipped: list[SkippedDay] = []
        for day in _days_strictly_between(first, last):
            reason = self.day_off(day)
            if reason is DayOff.BANK_HOLIDAY:
                skipped.append(SkippedDay(day, reason, bank_holiday_name(day) or "bank holiday"))
            elif reason is DayOff.COUNCIL_CLOSURE:
                skipped.append(SkippedDay(day, reason, self._closures[day]))
        return skipped


def _days_strictly_between(first: date, last: date) -> Iterable[date]:
    day = first + ONE_DAY
    while day < last:
        yield day
        day += ONE_DAY
