"""Council closure days the clerk adds; they are not working days."""

from __future__ import annotations

from datetime import date, datetime

from bot.core import validation
from bot.core.calendar import WorkingCalendar, short_date
from bot.core.errors import Conflict, NotFound
from bot.core.models import AuditEvent, ClosureDay
from bot.core.permissions import Action, Actor, check
from storage.audit import record
from storage.codec import day_text, moment, moment_text
from storage.db import Database, IntegrityError


class ClosureDays:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, day: date, reason: str, actor: Actor, now: datetime) -> ClosureDay:
        check(actor, Action.ADD_CLOSURE_DAY)
        closure = ClosureDay(
            day,
            validation.text(reason, "Reason", validation.TITLE_LIMIT, multiline=False),
            actor.user_id,
            now,
        )
        async with self.db.transaction() as tx:
            try:
                await tx.execute(
                    "INSERT INTO closure_days (day, reason, added_by, added_at)"
                    " VALUES (?, ?, ?, ?)",
                    (day_text(day), closure.reason, closure.added_by, moment_text(now)),
                )
            except IntegrityError:
                raise Conflict(
                    f"{short_date(day, with_year=True)} is already a closure day."
                ) from None
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "closure_day_added",
                    "closure_day",
                    day_text(day),
                    now,
                    {"reason": closure.reason},
                ),
            )
        return closure

    async def remove(self, day: date, actor: Actor, now: datetime) -> None:
        check(actor, Action.ADD_CLOSURE_DAY)
        async with self.db.transaction() as tx:
            cursor = await tx.execute("DELETE FROM closure_days WHERE day = ?", (day_text(day),))
            if cursor.rowcount == 0:
                raise NotFound(f"{short_date(day, with_year=True)} is not a closure day.")
            await record(
                tx,
                AuditEvent(actor.user_id, "closure_day_removed", "closure_day", day_text(day), now),
            )

    async def days(self, *, from_date: date | None = None) -> list[ClosureDay]:
        rows = await self.db.fetchall(
            "SELECT * FROM closure_days WHERE day >= ? ORDER BY day",
            (day_text(from_date or date.min),),
        )
        return [
            ClosureDay(
                date.fromisoformat(r["day"]), r["reason"], r["added_by"], moment(r["added_at"])
            )
            for r in rows
        ]

    async def calendar(self) -> WorkingCalendar:
        """The working-day calendar with every closure day recorded."""
        return WorkingCalendar({closure.day: closure.reason for closure in await self.days()})
