"""What handlers and jobs need, gathered in one object the wiring builds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.permissions import Actor
from bot.foreground import Foreground
from storage.db import Database
from storage.repositories import Repositories


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    repos: Repositories = field(init=False)
    workspace_url: str | None = None
    """The workspace's address (from auth.test), for links to threads."""
    foreground: Foreground = field(default_factory=Foreground)
    """Requests being acknowledged; background work waits its turn behind them."""

    def __post_init__(self) -> None:
        self.repos = Repositories.on(self.db)

    async def clerk_ids(self) -> frozenset[str]:
        """The clerks now (kept in the database, seeded from ``CLERK_USER_IDS``)."""
        return await self.repos.people.clerks()

    async def seed(self) -> None:
        """What the settings bring to a database: the first clerks."""
        await self.repos.people.seed_clerks(self.settings.clerk_user_ids, self.clock())

    async def actor(self, user_id: str) -> Actor:
        """The acting Slack user with their roles: clerk, deputy for which roles, member."""
        actor = await self.repos.officers.actor(user_id, await self.clerk_ids())
        member = await self.repos.people.member(user_id)
        hackney_of_tomorrow = member is not None and member.hackney_of_tomorrow
        is_member = True
        if self.settings.membership == "listed" and member is None and not actor.is_clerk:
            is_member = bool(actor.deputy_for) or bool(
                await self.repos.officers.roles_held_by(user_id)
            )
        return replace(actor, is_member=is_member, hackney_of_tomorrow=hackney_of_tomorrow)
