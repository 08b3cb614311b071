"""What handlers and jobs need, gathered in one object the wiring builds."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.permissions import Actor
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

    def __post_init__(self) -> None:
        self.repos = Repositories.on(self.db)

    async def actor(self, user_id: str) -> Actor:
        """The acting Slack user with their roles: clerk, deputy for which roles."""
        return await self.repos.officers.actor(user_id, self.settings.clerk_user_ids)
