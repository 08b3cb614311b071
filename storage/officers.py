"""The officer directory: who answers for each role, and who deputises."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.core import validation
from bot.core.errors import NotFound
from bot.core.models import AuditEvent, OfficerRole
from bot.core.permissions import Action, Actor, check
from storage.audit import record
from storage.db import Database, Row


def role_from_row(row: Row) -> OfficerRole:
    return OfficerRole(row["key"], row["title"], row["officer"], row["deputy"])


class OfficerDirectory:
    """Role keys (DCSC, HoS, DoE ...) are matched without regard to case."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_role(
        self, key: str, title: str, officer: str | None, actor: Actor, now: datetime
    ) -> OfficerRole:
        """Add a role or change its title and officer; the deputy is kept."""
        check(actor, Action.MANAGE_OFFICERS)
        key = validation.role_key(key)
        title = validation.text(title, "Role title", validation.TITLE_LIMIT, multiline=False)
        officer = validation.slack_user(officer, "Officer") if officer else None
        async with self.db.transaction() as tx:
            before = await tx.fetchone("SELECT * FROM officer_roles WHERE key = ?", (key,))
            if before is None:
                await tx.execute(
                    "INSERT INTO officer_roles (key, title, officer) VALUES (?, ?, ?)",
                    (key, title, officer),
                )
            else:
                key = before["key"]
                await tx.execute(
                    "UPDATE officer_roles SET title = ?, officer = ? WHERE key = ?",
                    (title, officer, key),
                )
            detail = {"title": title, "officer": officer}
            if before is not None:
                detail |= {"previous_title": before["title"], "previous_officer": before["officer"]}
            await record(
                tx, AuditEvent(actor.user_id, "officer_role_set", "officer_role", key, now, detail)
            )
        deputy = None if before is None else before["deputy"]
        return OfficerRole(key, title, officer, deputy)

    async def set_deputy(
        self, key: str, deputy: str | None, actor: Actor, now: datetime
    ) -> OfficerRole:
        """Name (or clear, with None) the deputy for a role."""
        check(actor, Action.MANAGE_OFFICERS)
        deputy = validation.slack_user(deputy, "Deputy") if deputy else None
        async with self.db.transaction() as tx:
            before = await tx.fetchone("SELECT * FROM officer_roles WHERE key = ?", (key.strip(),))
            if before is None:
                raise NotFound(f"There is no officer role {key!r}: add it first.")
            await tx.execute(
                "UPDATE officer_roles SET deputy = ? WHERE key = ?", (deputy, before["key"])
            )
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "officer_deputy_set",
                    "officer_role",
                    before["key"],
                    now,
                    {"deputy": deputy, "previous_deputy": before["deputy"]},
                ),
            )
        return OfficerRole(before["key"], before["title"], before["officer"], deputy)

    async def remove_role(self, key: str, actor: Actor, now: datetime) -> OfficerRole:
        """Take a role out of the directory (the caller checks it has no live questions)."""
        check(actor, Action.MANAGE_OFFICERS)
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT * FROM officer_roles WHERE key = ? COLLATE NOCASE", (key.strip(),)
            )
            if row is None:
                raise NotFound(f"There is no officer role {key!r}.")
            await tx.execute("DELETE FROM officer_roles WHERE key = ?", (row["key"],))
            role = role_from_row(row)
            await record(
                tx,
                AuditEvent(
                    actor.user_id,
                    "officer_role_removed",
                    "officer_role",
                    role.key,
                    now,
                    {"title": role.title, "officer": role.officer, "deputy": role.deputy},
                ),
            )
        return role

    async def roles(self) -> list[OfficerRole]:
        rows = await self.db.fetchall("SELECT * FROM officer_roles ORDER BY key")
        return [role_from_row(row) for row in rows]

    async def find_role(self, key: str) -> OfficerRole | None:
        row = await self.db.fetchone("SELECT * FROM officer_roles WHERE key = ?", (key.strip(),))
        return None if row is None else role_from_row(row)

    async def role(self, key: str) -> OfficerRole:
        role = await self.find_role(key)
        if role is None:
            raise NotFound(f"There is no officer role {key!r} in the directory.")
        return role

    async def roles_held_by(self, user: str) -> list[OfficerRole]:
        rows = await self.db.fetchall(
            "SELECT * FROM officer_roles WHERE officer = ? ORDER BY key", (user,)
        )
        return [role_from_row(row) for row in rows]

    async def roles_deputised_by(self, user: str) -> list[OfficerRole]:
        rows = await self.db.fetchall(
            "SELECT * FROM officer_roles WHERE deputy = ? ORDER BY key", (user,)
        )
        return [role_from_row(row) for row in rows]

    async def actor(self, user_id: str, clerk_ids: Collection[str]) -> Actor:
        """The Actor for a Slack user: clerk or not, and the roles they deputise for."""
        deputising = await self.roles_deputised_by(user_id)
        return Actor(
            user_id=user_id,
            is_clerk=user_id in clerk_ids,
            deputy_for=frozenset(role.key for role in deputising),
        )
