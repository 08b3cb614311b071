"""Who the clerks are, who the members are (Hackney of Tomorrow's young people marked), and
the names the bot has seen people go by.

Clerks start as ``CLERK_USER_IDS`` (seeded when the bot starts) and are then kept here, so
a change needs no restart; a clerk removed here stays removed even if the setting still
names them. The last clerk cannot be removed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core import validation
from bot.core.errors import Conflict, NotFound
from bot.core.models import AuditEvent
from bot.core.permissions import Action, Actor, check
from storage.audit import record
from storage.codec import moment_text
from storage.db import Database, in_lists, marks

SEEDED_BY = "CLERK_USER_IDS"


@dataclass(frozen=True)
class Member:
    user_id: str
    hackney_of_tomorrow: bool


CLERKS_FRESH_FOR = 5.0
"""Seconds the list of clerks is reused before it is read again (every Slack request needs
it; a change made here is seen at once, one made by another process within this time)."""


class People:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._clerks: tuple[float, frozenset[str]] | None = None

    async def seed_clerks(self, user_ids: Iterable[str], now: datetime) -> None:
        """Add the clerks named in the settings, unless already known (even if removed)."""
        async with self.db.transaction() as tx:
            for user_id in sorted(set(user_ids)):
                await tx.execute(
                    "INSERT OR IGNORE INTO clerks (user_id, active, changed_by, changed_at)"
                    " VALUES (?, 1, ?, ?)",
                    (user_id, SEEDED_BY, moment_text(now)),
                )
        self._clerks = None

    async def clerks(self) -> frozenset[str]:
        now = time.monotonic()
        if self._clerks is not None and now - self._clerks[0] < CLERKS_FRESH_FOR:
            return self._clerks[1]
        rows = await self.db.fetchall("SELECT user_id FROM clerks WHERE active = 1")
        found = frozenset(str(row["user_id"]) for row in rows)
        self._clerks = (now, found)
        return found

    async def set_clerk(self, user_id: str, active: bool, actor: Actor, now: datetime) -> bool:
        """Make ``user_id`` a clerk (or not); False when nothing changed."""
        check(actor, Action.MANAGE_PEOPLE)
        user_id = validation.slack_user(user_id, "Clerk")
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT active FROM clerks WHERE user_id = ?", (user_id,))
            if row is not None and bool(row["active"]) == active:
                return False
            if not active:
                if row is None:
                    raise NotFound(f"That person ({user_id}) is not a clerk.")
                others = await tx.fetchone(
                    "SELECT count(*) AS n FROM clerks WHERE active = 1 AND user_id != ?",
                    (user_id,),
                )
                if others is None or int(others["n"]) == 0:
                    raise Conflict(
                        "That is the last clerk: add another clerk before removing this one."
                    )
            await tx.execute(
                "INSERT INTO clerks (user_id, active, changed_by, changed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET active = excluded.active,"
                " changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                (user_id, int(active), actor.user_id, moment_text(now)),
            )
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "clerk_added" if active else "clerk_removed",
                    "person",
                    user_id,
                    now,
                ),
            )
        self._clerks = None
        return True

    async def members(self) -> list[Member]:
        rows = await self.db.fetchall("SELECT * FROM members ORDER BY user_id")
        return [Member(row["user_id"], bool(row["hackney_of_tomorrow"])) for row in rows]

    async def member(self, user_id: str) -> Member | None:
        row = await self.db.fetchone("SELECT * FROM members WHERE user_id = ?", (user_id,))
        return None if row is None else Member(row["user_id"], bool(row["hackney_of_tomorrow"]))

    async def hackney_of_tomorrow(self) -> frozenset[str]:
        rows = await self.db.fetchall("SELECT user_id FROM members WHERE hackney_of_tomorrow = 1")
        return frozenset(str(row["user_id"]) for row in rows)

    async def add_member(
        self, user_id: str, hackney_of_tomorrow: bool, actor: Actor, now: datetime
    ) -> Member:
        check(actor, Action.MANAGE_PEOPLE)
        member = Member(validation.slack_user(user_id, "Member"), hackney_of_tomorrow)
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO members (user_id, hackney_of_tomorrow, added_by, added_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
                " hackney_of_tomorrow = excluded.hackney_of_tomorrow",
                (member.user_id, int(hackney_of_tomorrow), actor.user_id, moment_text(now)),
            )
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "member_added",
                    "person",
                    member.user_id,
                    now,
                    {"hackney_of_tomorrow": hackney_of_tomorrow},
                ),
            )
        return member

    async def remove_member(self, user_id: str, actor: Actor, now: datetime) -> None:
        check(actor, Action.MANAGE_PEOPLE)
        async with self.db.transaction() as tx:
            result = await tx.execute("DELETE FROM members WHERE user_id = ?", (user_id,))
            if result.rowcount == 0:
                raise NotFound(f"That person ({user_id}) is not on the members list.")
            await record(tx, AuditEvent(actor.user_id, "member_removed", "person", user_id, now))

    async def unnamed(self) -> frozenset[str]:
        """People never to be named in what the bot publishes whose Hackney of Tomorrow
        questions were pseudonymised after the retention period (storage/retention.py)."""
        rows = await self.db.fetchall("SELECT user_id FROM unnamed_people")
        return frozenset(str(row["user_id"]) for row in rows)

    async def remember_names(self, names: Mapping[str, str], now: datetime) -> None:
        """Keep the display names Slack gave for these people, so that every compile (in
        Slack or on the command line) names them the same way."""
        if not names:
            return
        async with self.db.transaction() as tx:
            for user_id, name in sorted(names.items()):
                await tx.execute(
                    "INSERT INTO display_names (user_id, name, seen_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name,"
                    " seen_at = excluded.seen_at WHERE display_names.name != excluded.name",
                    (user_id, name, moment_text(now)),
                )

    async def remember_dm_channels(self, channels: Mapping[str, str], now: datetime) -> None:
        """Keep each person's direct message channel with the bot, so that a bot just started
        need not ask Slack for them again (``conversations.open`` allows about 50 a minute)."""
        if not channels:
            return
        await self.db.write_all(
            [
                (
                    "INSERT INTO dm_channels (user_id, channel_id, seen_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id) DO UPDATE SET channel_id = excluded.channel_id,"
                    " seen_at = excluded.seen_at"
                    " WHERE dm_channels.channel_id != excluded.channel_id",
                    (user_id, channel, moment_text(now)),
                )
                for user_id, channel in sorted(channels.items())
            ]
        )

    async def dm_channels(self, user_ids: Iterable[str]) -> dict[str, str]:
        """The direct message channels kept for ``user_ids`` (unknown ones are left out)."""
        found: dict[str, str] = {}
        for chunk in in_lists(sorted(set(user_ids))):
            rows = await self.db.fetchall(
                f"SELECT user_id, channel_id FROM dm_channels WHERE user_id IN ({marks(chunk)})",
                chunk,
            )
            found.update((str(row["user_id"]), str(row["channel_id"])) for row in rows)
        return found

    async def display_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """The last names seen for ``user_ids`` (those never seen are left out)."""
        found: dict[str, str] = {}
        for chunk in in_lists(sorted(set(user_ids))):
            rows = await self.db.fetchall(
                f"SELECT user_id, name FROM display_names WHERE user_id IN ({marks(chunk)})",
                chunk,
            )
            found.update((str(row["user_id"]), str(row["name"])) for row in rows)
        return found
