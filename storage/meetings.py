"""Committees, their meetings and agenda items."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

from bot.core import validation
from bot.core.errors import Conflict, InvalidInput, NotFound
from bot.core.models import (
    AgendaItem,
    AuditEvent,
    Committee,
    Meeting,
    agenda_item_order,
    meeting_reference,
)
from bot.core.permissions import Action, Actor, check
from storage.audit import record
from storage.codec import day_text, moment_text, optional_time, time_text
from storage.db import Database, IntegrityError, Row


def meeting_from_row(row: Row) -> Meeting:
    return Meeting(
        id=row["id"],
        committee_key=row["committee_key"],
        date=date.fromisoformat(row["date"]),
        time=optional_time(row["time"]),
        title=row["title"],
        cancelled=row["cancelled_at"] is not None,
    )


class MeetingRepository:
    """Committees, meetings and agenda items; changes need MANAGE_MEETINGS."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save_committee(self, key: str, name: str, actor: Actor, now: datetime) -> Committee:
        """Add a committee, or rename an existing one."""
        check(actor, Action.MANAGE_MEETINGS)
        committee = Committee(
            validation.committee_key(key),
            validation.text(name, "Committee name", validation.TITLE_LIMIT, multiline=False),
        )
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO committees (key, name) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET name = excluded.name",
                (committee.key, committee.name),
            )
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "committee_saved",
                    "committee",
                    committee.key,
                    now,
                    {"name": committee.name},
                ),
            )
        return committee

    async def committee_named(self, name: str) -> Committee | None:
        row = await self.db.fetchone(
            "SELECT key, name FROM committees WHERE name = ? COLLATE NOCASE", (name.strip(),)
        )
        return None if row is None else Committee(row["key"], row["name"])

    async def rename_committee_key(
        self, key: str, new_key: str, actor: Actor, now: datetime
    ) -> Committee:
        """Give a committee another key, while nothing has been referenced by the old one.

        Meeting and question references start with the key (CYP-2026-05-11-Q01), so once a
        question has been logged against one of its meetings the key stays.
        """
        check(actor, Action.MANAGE_MEETINGS)
        key, new_key = validation.committee_key(key), validation.committee_key(new_key)
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT key, name FROM committees WHERE key = ?", (key,))
            if row is None:
                raise NotFound(f"There is no committee {key}.")
            if await tx.fetchone("SELECT 1 FROM committees WHERE key = ?", (new_key,)):
                raise Conflict(f"There is already a committee {new_key}.")
            used = await tx.fetchone(
                "SELECT q.reference FROM questions q JOIN meetings m"
                " ON m.id IN (q.source_meeting_id, q.target_meeting_id)"
                " WHERE m.committee_key = ? LIMIT 1",
                (key,),
            )
            if used is not None:
                raise Conflict(
                    f"{key} is already in question references such as {used['reference']}, "
                    "so it stays."
                )
            await tx.execute(
                "INSERT INTO committees (key, name) VALUES (?, ?)", (new_key, row["name"])
            )
            await tx.execute(
                "UPDATE meetings SET committee_key = ? WHERE committee_key = ?", (new_key, key)
            )
            await tx.execute("DELETE FROM committees WHERE key = ?", (key,))
            await record(
                tx,
                AuditEvent(
                    actor.user_id, "committee_key_renamed", "committee", new_key, now, {"from": key}
                ),
            )
        return Committee(new_key, row["name"])

    async def committees(self) -> list[Committee]:
        rows = await self.db.fetchall("SELECT key, name FROM committees ORDER BY key")
        return [Committee(row["key"], row["name"]) for row in rows]

    async def committee(self, key: str) -> Committee:
        row = await self.db.fetchone(
            "SELECT key, name FROM committees WHERE key = ?", (key.strip().upper(),)
        )
        if row is None:
            raise NotFound(f"There is no committee with the key {key!r}.")
        return Committee(row["key"], row["name"])

    async def add_meeting(
        self,
        committee_key: str,
        meeting_date: date,
        title: str,
        actor: Actor,
        now: datetime,
        *,
        start: time | None = None,
    ) -> Meeting:
        check(actor, Action.MANAGE_MEETINGS)
        committee = await self.committee(committee_key)
        title = validation.text(title, "Meeting title", validation.TITLE_LIMIT, multiline=False)
        reference = meeting_reference(committee.key, meeting_date)
        async with self.db.transaction() as tx:
            try:
                meeting_id = await tx.insert(
                    "INSERT INTO meetings (committee_key, date, time, title) VALUES (?, ?, ?, ?)",
                    (committee.key, day_text(meeting_date), time_text(start), title),
                )
            except IntegrityError:
                raise Conflict(f"There is already a meeting {reference}.") from None
            meeting = Meeting(meeting_id, committee.key, meeting_date, title, start)
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "meeting_added",
                    "meeting",
                    str(meeting_id),
                    now,
                    {"reference": reference, "title": title, "time": time_text(start)},
                ),
            )
        return meeting

    async def update_meeting(
        self,
        meeting_id: int,
        actor: Actor,
        now: datetime,
        *,
        meeting_date: date,
        title: str,
        start: time | None,
    ) -> Meeting:
        """Retitle or reschedule a meeting (question references keep their original date)."""
        check(actor, Action.MANAGE_MEETINGS)
        before = await self.get(meeting_id)
        title = validation.text(title, "Meeting title", validation.TITLE_LIMIT, multiline=False)
        after = Meeting(meeting_id, before.committee_key, meeting_date, title, start)
        if after == before:
            return before
        async with self.db.transaction() as tx:
            try:
                await tx.execute(
                    "UPDATE meetings SET date = ?, time = ?, title = ? WHERE id = ?",
                    (day_text(meeting_date), time_text(start), title, meeting_id),
                )
            except IntegrityError:
                raise Conflict(f"There is already a meeting {after.reference}.") from None
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "meeting_updated",
                    "meeting",
                    str(meeting_id),
                    now,
                    {
                        "before": {
                            "date": before.date,
                            "time": time_text(before.time),
                            "title": before.title,
                        },
                        "after": {
                            "date": after.date,
                            "time": time_text(after.time),
                            "title": after.title,
                        },
                    },
                ),
            )
        return after

    async def cancel(
        self, meeting_id: int, reason: str | None, actor: Actor, now: datetime
    ) -> Meeting:
        """Mark a meeting cancelled: it no longer takes questions or shows as upcoming."""
        check(actor, Action.MANAGE_MEETINGS)
        reason = validation.optional_text(reason, "The reason", validation.TITLE_LIMIT)
        async with self.db.transaction() as tx:
            result = await tx.execute(
                "UPDATE meetings SET cancelled_at = ?, cancel_reason = ?"
                " WHERE id = ? AND cancelled_at IS NULL",
                (moment_text(now), reason, meeting_id),
            )
            if result.rowcount != 1:
                raise Conflict("That meeting is already cancelled.")
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "meeting_cancelled",
                    "meeting",
                    str(meeting_id),
                    now,
                    {"reason": reason},
                ),
            )
        return replace(await self.get(meeting_id), cancelled=True)

    async def get(self, meeting_id: int) -> Meeting:
        row = await self.db.fetchone("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
        if row is None:
            raise NotFound(f"There is no meeting with id {meeting_id}.")
        return meeting_from_row(row)

    async def by_reference(self, reference: str) -> Meeting:
        """The meeting 'CYP-2023-12-18'."""
        key, _, day = reference.strip().upper().partition("-")
        try:
            meeting_date = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(
                f"{reference!r} is not a meeting reference such as CYP-2023-12-18."
            ) from None
        meeting = await self.on_date(key, meeting_date)
        if meeting is None:
            raise NotFound(f"There is no meeting {reference.strip().upper()}.")
        return meeting

    async def on_date(self, committee_key: str, meeting_date: date) -> Meeting | None:
        row = await self.db.fetchone(
            "SELECT * FROM meetings WHERE committee_key = ? AND date = ?",
            (committee_key.strip().upper(), day_text(meeting_date)),
        )
        return None if row is None else meeting_from_row(row)

    async def next_after(self, committee_key: str, day: date) -> Meeting | None:
        """The committee's first meeting strictly after ``day``."""
        row = await self.db.fetchone(
            "SELECT * FROM meetings WHERE cancelled_at IS NULL AND committee_key = ?"
            " AND date > ? ORDER BY date LIMIT 1",
            (committee_key.strip().upper(), day_text(day)),
        )
        return None if row is None else meeting_from_row(row)

    async def all(self, *, from_date: date | None = None) -> list[Meeting]:
        """Every meeting (of every committee) from ``from_date`` on, earliest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM meetings WHERE cancelled_at IS NULL AND date >= ?"
            " ORDER BY date, committee_key",
            (day_text(from_date or date.min),),
        )
        return [meeting_from_row(row) for row in rows]

    async def for_committee(
        self, committee_key: str, *, from_date: date | None = None
    ) -> list[Meeting]:
        rows = await self.db.fetchall(
            "SELECT * FROM meetings WHERE cancelled_at IS NULL AND committee_key = ?"
            " AND date >= ? ORDER BY date",
            (committee_key.strip().upper(), day_text(from_date or date.min)),
        )
        return [meeting_from_row(row) for row in rows]

    async def add_agenda_item(
        self, meeting_id: int, number: str, title: str, actor: Actor, now: datetime
    ) -> AgendaItem:
        check(actor, Action.MANAGE_MEETINGS)
        meeting = await self.get(meeting_id)
        item = AgendaItem(
            meeting_id,
            validation.agenda_item_number(number),
            validation.text(title, "Agenda item title", validation.TITLE_LIMIT, multiline=False),
        )
        async with self.db.transaction() as tx:
            try:
                await tx.execute(
                    "INSERT INTO agenda_items (meeting_id, number, title) VALUES (?, ?, ?)",
                    (item.meeting_id, item.number, item.title),
                )
            except IntegrityError:
                raise Conflict(f"{meeting.reference} already has an item {item.number}.") from None
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "agenda_item_added",
                    "meeting",
                    str(meeting_id),
                    now,
                    {"number": item.number, "title": item.title},
                ),
            )
        return item

    async def remove_agenda_item(
        self, meeting_id: int, number: str, actor: Actor, now: datetime
    ) -> AgendaItem:
        """Take an item off a meeting's agenda (questions keep the number they were asked
        under; only its title goes)."""
        check(actor, Action.MANAGE_MEETINGS)
        meeting = await self.get(meeting_id)
        number = validation.agenda_item_number(number)
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT * FROM agenda_items WHERE meeting_id = ? AND number = ?",
                (meeting_id, number),
            )
            if row is None:
                raise NotFound(f"{meeting.reference} has no item {number}.")
            await tx.execute(
                "DELETE FROM agenda_items WHERE meeting_id = ? AND number = ?",
                (meeting_id, number),
            )
            item = AgendaItem(meeting_id, number, row["title"])
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "agenda_item_removed",
                    "meeting",
                    str(meeting_id),
                    now,
                    {"number": item.number, "title": item.title},
                ),
            )
        return item

    async def agenda_items(self, meeting_id: int) -> list[AgendaItem]:
        """The meeting's items in agenda order (2 before 10, 4 before 4.1 before 4a)."""
        rows = await self.db.fetchall(
            "SELECT * FROM agenda_items WHERE meeting_id = ?", (meeting_id,)
        )
        items = [AgendaItem(row["meeting_id"], row["number"], row["title"]) for row in rows]
        return sorted(items, key=lambda item: agenda_item_order(item.number))
