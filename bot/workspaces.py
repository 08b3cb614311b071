"""The workspaces a running bot serves: one, with its bot token, or many, installed through
Slack's OAuth flow (``SLACK_CLIENT_ID``).

Each workspace has everything of its own: its record (a SQLite file or a PostgreSQL schema,
``storage.store.workspace_store``), its settings (the environment's, with the council's own
laid over them), its Web API client and token, its event inbox and its scheduled jobs, which
run in its time zone. Nothing one workspace's request or job touches reaches another's: a
request finds its workspace by the team id Slack signed it with, and a job is built with its
own workspace's services.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.catchup import PACE, catch_up
from bot.config import Settings
from bot.core.calendar import use_workspace_zone
from bot.inbox import Inbox
from bot.scheduler import create_scheduler
from bot.services import Services
from storage.backup import RunLock

logger = logging.getLogger(__name__)


@dataclass
class Workspace:
    """One workspace's services, inbox, client and jobs."""

    team_id: str | None
    """Slack's id of the workspace; None for the one workspace of a bot token."""
    services: Services
    inbox: Inbox
    client: AsyncWebClient
    own: dict[str, str] = field(default_factory=dict)
    """The council's own settings (laid over the environment's) it was opened with."""
    scheduler: AsyncIOScheduler | None = None
    run_lock: RunLock | None = None
    """Its SQLite file's run lock, held while it is served."""
    _catch_up_pace: float = field(default=PACE, repr=False)
    _catching_up: asyncio.Task[None] | None = field(default=None, repr=False)

    def enter(self) -> None:
        """Make the current task (and those it starts) work in this council's time zone."""
        use_workspace_zone(self.services.settings.tz)

    async def start(
        self, *, start_scheduler: bool = True, catch_up_pace: float = PACE, resume: bool = True
    ) -> None:
        """Its jobs, what a crash left pending in its inbox, and a catch-up of what Slack
        never delivered (in the background), all in the council's time zone."""
        here = contextvars.copy_context()
        here.run(self.enter)
        await asyncio.create_task(self._start(start_scheduler, catch_up_pace, resume), context=here)

    async def _start(self, start_scheduler: bool, catch_up_pace: float, resume: bool) -> None:
        self._catch_up_pace = catch_up_pace
        self.scheduler = create_scheduler(self.services, self.client, self.inbox, catch_up_pace)
        if start_scheduler:
            self.scheduler.start()
        if resume:
            await self.inbox.resume(self.client)
            self._catching_up = asyncio.create_task(
                self._catch_up(catch_up_pace), name=f"catch-up {self.team_id or ''}".strip()
            )

    async def _catch_up(self, pace: float) -> None:
        try:
            await catch_up(self.services, self.client, self.inbox, pace=pace)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception(
                "catch-up at start failed%s; the scheduled catch-up tries again",
                f" in workspace {self.team_id}" if self.team_id else "",
            )

    async def caught_up(self) -> None:
        if self._catching_up is not None:
            await asyncio.wait([self._catching_up])

    def follow(self, settings: Settings, own: dict[str, str], *, start_scheduler: bool) -> None:
        """Work with changed settings from now on; the jobs are made again to match."""
        self.services.settings, self.own = settings, own
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        here = contextvars.copy_context()
        here.run(self.enter)
        self.scheduler = here.run(
            create_scheduler, self.services, self.client, self.inbox, self._catch_up_pace
        )
        if start_scheduler:
            here.run(self.scheduler.start)

    def stop_jobs(self) -> None:
        if self._catching_up is not None:
            self._catching_up.cancel()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def close(self, grace: float) -> None:
        """After ``stop_jobs``: let recording finish (up to ``grace``), close the record."""
        if self._catching_up is not None:
            await asyncio.wait([self._catching_up])
            self._catching_up = None
        await self.inbox.drain(grace)
        await self.services.db.close()
        if self.run_lock is not None:
            self.run_lock.release()
            self.run_lock = None


Opener = Callable[[str], Awaitable["Workspace | None"]]
Forget = Callable[[str], Awaitable[None]]


class Workspaces:
    """The workspaces being served, found by team id. With a bot token there is one, and
    every request is its; installed through OAuth, each is opened the first time it is needed
    (a request, an installation, the bot's start) and kept open."""

    def __init__(
        self,
        *,
        single: Workspace | None = None,
        opener: Opener | None = None,
        forget: Forget | None = None,
        grace: float = 10.0,
    ) -> None:
        if (single is None) == (opener is None):
            raise ValueError("one workspace, or a way to open many")
        self.single = single
        self._opener = opener
        self._forget = forget
        self._grace = grace
        self._open: dict[str, Workspace] = {}
        self._opening: dict[str, asyncio.Lock] = {}

    @property
    def all(self) -> list[Workspace]:
        return [self.single] if self.single is not None else list(self._open.values())

    async def for_team(self, team_id: str | None) -> Workspace | None:
        """The workspace a request or job is for; None when the bot is not installed there."""
        if self.single is not None:
            return self.single
        if not team_id:
            return None
        found = self._open.get(team_id)
        if found is not None:
            return found
        assert self._opener is not None
        lock = self._opening.setdefault(team_id, asyncio.Lock())
        async with lock:
            found = self._open.get(team_id)
            if found is None:
                found = await self._opener(team_id)
                if found is not None:
                    self._open[team_id] = found
        return found

    async def uninstalled(self, team_id: str | None, why: str) -> None:
        """Slack says the bot can no longer act in a workspace. Installed in many, that one
        is no longer served: its jobs stop, its installation is forgotten (its record is
        kept); with one bot token, the log says what to do."""
        if self.single is not None:
            logger.error(
                "Slack says %s: the bot can no longer post in this workspace; install the app "
                "again and set its new SLACK_BOT_TOKEN",
                why,
            )
            return
        if not team_id:
            return
        workspace = self._open.pop(team_id, None)
        if self._forget is not None:
            await self._forget(team_id)
        if workspace is not None:
            workspace.stop_jobs()
            await workspace.close(self._grace)
        logger.warning("workspace %s: %s; no longer served (its record is kept)", team_id, why)

    async def close(self, grace: float) -> None:
        every = self.all
        for workspace in every:
            workspace.stop_jobs()
        for workspace in every:
            await workspace.close(grace)
        self._open.clear()
