"""Start and stop the whole bot: database, app, scheduler, and HTTP or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.app import create_app, create_web_client
from bot.catchup import PACE, catch_up
from bot.config import Settings
from bot.core.calendar import LONDON, use_time_zone
from bot.core.clock import Clock, system_clock
from bot.inbox import Inbox
from bot.scheduler import create_scheduler
from bot.services import Services
from storage.db import Database

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
WEB_API_TIMEOUT = 30.0
"""Seconds a Web API call may take before it is given up (and retried by the client)."""
LISTENER_GRACE = 10.0
"""Seconds a stopping bot waits for listeners still working after their ack."""


async def finish_listeners(grace: float) -> None:
    """Wait for Bolt's listeners that run after their ack (Bolt does not track them)."""
    current = asyncio.current_task()
    running = [
        task
        for task in asyncio.all_tasks()
        if task is not current and "run_ack_function_asynchronously" in repr(task.get_coro())
    ]
    if not running:
        return
    logger.info("waiting for %d listener(s) to finish", len(running))
    _, late = await asyncio.wait(running, timeout=grace)
    for task in late:
        task.cancel()


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def create_web_app(app: AsyncApp) -> web.Application:
    """Bolt's aiohttp application plus ``GET /healthz``."""
    web_app = app.web_app(path=EVENTS_PATH)
    web_app.router.add_get("/healthz", healthz)
    return web_app


@dataclass
class Runtime:
    """A running bot. ``start()`` brings everything up inside the running loop."""

    settings: Settings
    clock: Clock = system_clock
    host: str = "0.0.0.0"
    start_scheduler: bool = True
    catch_up_pace: float = PACE
    """Seconds between thread reads in the catch-up (tests set 0)."""
    services: Services | None = None
    inbox: Inbox | None = None
    app: AsyncApp | None = None
    scheduler: AsyncIOScheduler | None = None
    _runner: web.AppRunner | None = field(default=None, repr=False)
    _socket: AsyncSocketModeHandler | None = field(default=None, repr=False)
    _catch_up: asyncio.Task[None] | None = field(default=None, repr=False)
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)
    port: int | None = None

    async def start(self) -> None:
        use_time_zone(self.settings.tz)
        db = await Database.open(self.settings.database_path)
        self.services = Services(settings=self.settings, db=db, clock=self.clock)
        await self.services.seed()
        self.inbox = Inbox(self.services)
        # One connection pool for every Web API call, instead of a connection per call.
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEB_API_TIMEOUT))
        client = create_web_client(self.settings, self._session)
        self.app = create_app(self.services, self.inbox, client)
        self.scheduler = create_scheduler(
            self.services, self.app.client, self.inbox, self.catch_up_pace
        )
        if self.start_scheduler:
            self.scheduler.start()
        if self.settings.socket_mode:
            await self._start_socket_mode()
        else:
            await self._start_http()
        # What a crash left between ack and record, then what Slack never delivered.
        await self.inbox.resume(self.app.client)
        self._catch_up = asyncio.create_task(self._catch_up_at_start(), name="catch-up")

    async def _catch_up_at_start(self) -> None:
        assert self.services is not None and self.app is not None and self.inbox is not None
        try:
            await catch_up(self.services, self.app.client, self.inbox, pace=self.catch_up_pace)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("catch-up at start failed; the scheduled catch-up tries again")

    async def caught_up(self) -> None:
        """Wait for the catch-up started with the bot to finish."""
        if self._catch_up is not None:
            await asyncio.wait([self._catch_up])

    async def _start_http(self) -> None:
        assert self.app is not None
        self._runner = web.AppRunner(create_web_app(self.app), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.settings.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        logger.info("HTTP mode: listening on %s:%s%s", self.host, self.port, EVENTS_PATH)

    async def _start_socket_mode(self) -> None:
        assert self.app is not None and self.settings.slack_app_token is not None
        self._socket = AsyncSocketModeHandler(self.app, self.settings.slack_app_token)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        logger.info("Socket Mode: connected")

    @property
    def events_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}{EVENTS_PATH}"

    async def stop(self) -> None:
        """Stop taking requests, let work already acknowledged finish, then close the database."""
        if self._catch_up is not None:
            self._catch_up.cancel()
            await asyncio.wait([self._catch_up])
            self._catch_up = None
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await finish_listeners(LISTENER_GRACE)
        if self.inbox is not None:
            await self.inbox.drain(LISTENER_GRACE)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.services is not None:
            await self.services.db.close()
        use_time_zone(LONDON)
        logger.info("stopped")
