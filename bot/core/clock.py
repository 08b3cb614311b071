"""Time is injected: the core takes ``now`` as an argument, the wiring owns the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real clock (timezone-aware, UTC). Only the wiring in ``bot/`` uses it."""
    return datetime.now(UTC)


class FixedClock:
    """A clock the caller sets and moves by hand (tests, demo, ``chase --now``)."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.now = now
