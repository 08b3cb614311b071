"""How core values are written to SQLite text columns and read back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any


def moment_text(moment: datetime) -> str:
    """A timezone-aware moment as sortable UTC text ('2026-04-30T09:30:00.000000+00:00')."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("storage needs timezone-aware datetimes")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def optional_moment(text: str | None) -> datetime | None:
    return None if text is None else moment(text)


def day_text(day: date) -> str:
    return day.isoformat()


def optional_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def time_text(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def optional_time(text: str | None) -> time | None:
    return None if text is None else time.fromisoformat(text)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return moment_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot store {type(value).__name__} in an audit detail")


def detail_json(detail: Mapping[str, Any]) -> str:
    return json.dumps(dict(detail), default=_plain, sort_keys=True, ensure_ascii=False)


def detail_from_json(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {"value": value}
