"""Start and stop the whole bot: database, app, scheduler, and HTTP or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Installing, create_app, create_web_client
from bot.catchup import PACE
from bot.config import ConfigError, Settings
from bot.core.calendar import LONDON, use_time_zone
from bot.core.clock import Clock, system_clock
from bot.foreground import Foreground
from bot.gate import MAX_BODY_BYTES, CheckedSocketModeHandler, Gate
from bot.inbox import Inbox
from bot.open_data import folder_problem
from bot.services import Services
from bot.workspaces import Workspace, Workspaces
from storage.backup import BackupProblem, DatabaseInUse, RunLock
from storage.db import Database, DatabaseUnavailable, prepare_private_file
from storage.store import (
    described,
    is_postgresql,
    open_store,
    store_location,
    workspace_store,
)

if TYPE_CHECKING:
    from storage.installations import InstallationStore, WorkspaceSettings

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
WEB_API_TIMEOUT = 30.0
"""Seconds a Web API call may take before it is given up (and retried by the client)."""
DISCOVER_EVERY = 60.0
"""Seconds between looks for workspaces installed or uninstalled through another replica."""
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


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_web_app(
    app: AsyncApp,
    signing_secret: str,
    health: Handler = healthz,
    foreground: Foreground | None = None,
) -> web.Application:
    """``POST /slack/events`` through the gate to Bolt, plus ``GET /healthz``."""
    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    gate = Gate(app, signing_secret, foreground=foreground)
    web_app.router.add_post(EVENTS_PATH, gate.handle)
    web_app.router.add_get("/healthz", health)
    flow = app.oauth_flow
    if flow is not None:
        # Installed in many workspaces: Slack's "Add to Slack" page and its redirect back.
        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def oauth_redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, oauth_redirect)
    return web_app


def create_health_app(health: Handler) -> web.Application:
    """``HEALTH_PORT``: ``GET /healthz`` and nothing else (no body is ever read)."""
    web_app = web.Application(client_max_size=1024)
    web_app.router.add_get("/healthz", health)
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
    """The one workspace's services (with a bot token)."""
    inbox: Inbox | None = None
    app: AsyncApp | None = None
    workspaces: Workspaces | None = None
    installations: InstallationStore | None = None
    """Installed through OAuth: where the installations are kept."""
    workspace_settings: WorkspaceSettings | None = None
    foreground: Foreground = field(default_factory=Foreground)
    """Requests being acknowledged, in every workspace; background work waits behind them."""
    _deployment: Database | None = field(default=None, repr=False)
    _discovering: asyncio.Task[None] | None = field(default=None, repr=False)
    _runner: web.AppRunner | None = field(default=None, repr=False)
    _socket: AsyncSocketModeHandler | None = field(default=None, repr=False)
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)
    _run_lock: RunLock | None = field(default=None, repr=False)
    _health_runner: web.AppRunner | None = field(default=None, repr=False)
    port: int | None = None
    health_port: int | None = None
    """Where ``GET /healthz`` alone is served (``HEALTH_PORT``), once started."""

    async def start(self) -> None:
        """Check what can fail first (port, tokens, PUBLISH_DIR, database), then start;
        ``StartupFailed`` says in one line what is wrong, with everything already started
        stopped again."""
        use_time_zone(self.settings.tz)
        try:
            listening = None if self.settings.socket_mode else self._listen()
            health_listening = self._listen_for_health()
            await check_tokens(self.settings)
            check_publish_dir(self.settings)
            if self.settings.database_url:
                db = await open_postgresql(self.settings.database_url)
            else:
                self._run_lock = claim_database(self.settings.database_path)
                db = await open_database(self.settings.database_path)
            # One connection pool for every Web API call, instead of a connection per call.
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=WEB_API_TIMEOUT)
            )
            if self.settings.many_workspaces:
                await self._prepare_many(db)
            else:
                await self._prepare_one(db)
            assert self.workspaces is not None and self.app is not None
            if listening is None:
                await self._start_socket_mode()
            else:
                await self._start_http(listening)
            if health_listening is not None:
                await self._start_health(health_listening)
            # What a crash left between ack and record, then what Slack never delivered.
            if self.workspaces.single is not None:
                await self.workspaces.single.start(
                    start_scheduler=self.start_scheduler, catch_up_pace=self.catch_up_pace
                )
            else:
                await self.discover()
                self._discovering = asyncio.create_task(self._keep_discovering(), name="discover")
        except BaseException:
            await self._close()
            raise

    async def _prepare_one(self, db: Database) -> None:
        """One workspace, one bot token, one record."""
        assert self._session is not None
        services = Services(
            settings=self.settings, db=db, clock=self.clock, foreground=self.foreground
        )
        await services.seed()
        client = create_web_client(self.settings, self._session)
        workspace = Workspace(None, services, Inbox(services), client)
        self.workspaces = Workspaces(single=workspace)
        self.services, self.inbox = services, workspace.inbox
        self.app = create_app(self.settings, self.workspaces, client)

    async def _prepare_many(self, db: Database) -> None:
        """Installed through OAuth: ``db`` keeps the installations and each workspace's own
        settings; each workspace's record is opened beside it when first needed."""
        from storage.installations import InstallationStore, OAuthStateStore, WorkspaceSettings

        assert self._session is not None
        self._deployment = db
        self.installations = InstallationStore(db, self.clock)
        self.workspace_settings = WorkspaceSettings(db)
        self.workspaces = Workspaces(
            opener=self._open_workspace,
            forget=self.installations.forget_team,
            grace=LISTENER_GRACE,
        )
        self.app = create_app(
            self.settings,
            self.workspaces,
            create_web_client(self.settings, self._session),
            installation=Installing(
                self.installations, OAuthStateStore(db, self.clock), self._installed
            ),
        )

    async def discover(self) -> None:
        """Serve every workspace the bot is installed in, and none it no longer is, each with
        its own settings as they now are: at start, then every ``DISCOVER_EVERY`` seconds, so
        that an installation, an uninstallation or a change of settings made elsewhere (another
        replica, the command line) reaches this one too."""
        assert self.installations is not None and self.workspaces is not None
        installed = {team.team_id for team in await self.installations.teams()}
        served = {w.team_id for w in self.workspaces.all}
        for team_id in sorted(installed - served):
            try:
                await self.workspaces.for_team(team_id)
            except Exception:
                logger.exception("workspace %s could not be opened; tried again later", team_id)
        for team_id in sorted(t for t in served - installed if t is not None):
            await self.workspaces.uninstalled(team_id, "it is no longer installed")
        if installed != served:
            logger.info("serving %d workspace(s)", len(self.workspaces.all))
        await self._follow_settings()

    def _settings_of(self, team_id: str, own: dict[str, str], token: str) -> Settings:
        """A workspace's settings: the environment's with its own laid over them."""
        settings = self.settings
        try:
            settings = settings.for_workspace(own)
        except ConfigError as problem:
            logger.error(
                "workspace %s: its own settings are not used until fixed: %s", team_id, problem
            )
        publish_dir = None if settings.publish_dir is None else settings.publish_dir / team_id
        if publish_dir is not None:
            publish_dir.mkdir(exist_ok=True)
        return replace(settings, slack_bot_token=token, publish_dir=publish_dir)

    async def _follow_settings(self) -> None:
        """Workspaces whose own settings changed (``python -m bot workspace set``) work with
        the new ones: their jobs are made again, for new working hours or time zone."""
        assert self.workspaces is not None and self.workspace_settings is not None
        every = await self.workspace_settings.all()
        for workspace in self.workspaces.all:
            own = every.get(workspace.team_id or "", {})
            if workspace.team_id is None or own == workspace.own:
                continue
            settings = self._settings_of(
                workspace.team_id, own, workspace.services.settings.slack_bot_token or ""
            )
            workspace.follow(settings, own, start_scheduler=self.start_scheduler)
            logger.info(
                "workspace %s: its own settings changed, and are used now", workspace.team_id
            )

    async def _keep_discovering(self) -> None:
        while True:
            await asyncio.sleep(DISCOVER_EVERY)
            try:
                await self.discover()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("looking for installed workspaces failed; tried again later")

    async def _installed(self, team_id: str) -> None:
        """Just installed (or installed again): serve it at once."""
        assert self.workspaces is not None
        await self.workspaces.for_team(team_id)

    async def _open_workspace(self, team_id: str) -> Workspace | None:
        """One installed workspace's record, settings, client, jobs; None if not installed."""
        assert (
            self.installations is not None
            and self.workspace_settings is not None
            and self._session is not None
        )
        installation = await self.installations.async_find_installation(
            enterprise_id=None, team_id=team_id
        )
        if installation is None or not installation.bot_token:
            return None
        own = await self.workspace_settings.of(team_id)
        settings = self._settings_of(team_id, own, installation.bot_token)
        location = workspace_store(
            store_location(self.settings.database_url, self.settings.database_path), team_id
        )
        # A workspace's SQLite file is the bot's alone while it runs, as the deployment's is.
        lock = None if is_postgresql(location) else claim_database(str(location))
        try:
            db = await open_store(location)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        services = Services(settings=settings, db=db, clock=self.clock, foreground=self.foreground)
        first_clerks = set(settings.clerk_user_ids)
        if installation.user_id:
            first_clerks.add(installation.user_id)
        await services.repos.people.seed_clerks(first_clerks, self.clock())
        workspace = Workspace(
            team_id, services, Inbox(services), create_web_client(settings, self._session), own
        )
        workspace.run_lock = lock
        await workspace.start(
            start_scheduler=self.start_scheduler, catch_up_pace=self.catch_up_pace
        )
        logger.info("serving workspace %s", team_id)
        return workspace

    async def caught_up(self) -> None:
        """Wait for the catch-up started with the bot to finish."""
        if self.workspaces is not None:
            for workspace in self.workspaces.all:
                await workspace.caught_up()

    @property
    def scheduler(self) -> AsyncIOScheduler | None:
        """The one workspace's scheduler (with a bot token)."""
        single = None if self.workspaces is None else self.workspaces.single
        return None if single is None else single.scheduler

    def _listen(self, port: int | None = None, setting: str = "PORT") -> socket.socket:
        """Take the port before anything else, so a port in use is the first thing said."""
        port = self.settings.port if port is None else port
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            return socket.create_server((self.host, port), family=family)
        except OSError as error:
            raise StartupFailed(
                f"{setting}={port}: cannot listen on {self.host}:{port} "
                f"({os.strerror(error.errno) if error.errno else error})"
            ) from None

    def _listen_for_health(self) -> socket.socket | None:
        """``HEALTH_PORT``, unless unset or (in HTTP mode) the same as ``PORT``."""
        port = self.settings.health_port
        if port is None or (not self.settings.socket_mode and port == self.settings.port):
            return None
        return self._listen(port, "HEALTH_PORT")

    async def _start_health(self, listening: socket.socket) -> None:
        self._health_runner = web.AppRunner(create_health_app(self.healthz), access_log=None)
        await self._health_runner.setup()
        await web.SockSite(self._health_runner, listening).start()
        self.health_port = listening.getsockname()[1]
        logger.info("health check: GET http://%s:%s/healthz", self.host, self.health_port)

    async def health_problem(self) -> str | None:
        """Why the bot cannot do its work now, or None: in Socket Mode, not being connected."""
        if self._socket is not None and not await self._socket.client.is_connected():
            return "not connected to Slack (Socket Mode); it keeps trying to reconnect"
        return None

    async def healthz(self, _request: web.Request) -> web.Response:
        """200 ``{"ok": true}`` while the bot can work, else 503 with the reason."""
        problem = await self.health_problem()
        if problem is not None:
            return web.json_response({"ok": False, "error": problem}, status=503)
        return web.json_response({"ok": True})

    async def _start_http(self, listening: socket.socket) -> None:
        assert self.app is not None
        self._runner = web.AppRunner(
            create_web_app(
                self.app,
                self.settings.slack_signing_secret,
                self.healthz,
                self.foreground,
            ),
            access_log=None,
        )
        await self._runner.setup()
        await web.SockSite(self._runner, listening).start()
        self.port = listening.getsockname()[1]
        logger.info("HTTP mode: listening on %s:%s%s", self.host, self.port, EVENTS_PATH)

    async def _start_socket_mode(self) -> None:
        assert self.app is not None and self.settings.slack_app_token is not None
        self._socket = CheckedSocketModeHandler(
            self.app, self.settings.slack_app_token, self.foreground
        )
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        logger.info("Socket Mode: connected")

    @property
    def events_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}{EVENTS_PATH}"

    async def stop(self) -> None:
        """Stop taking requests, let work already acknowledged finish, then close the database."""
        await self._close()
        logger.info("stopped")

    async def _close(self) -> None:
        if self._discovering is not None:
            self._discovering.cancel()
            await asyncio.wait([self._discovering])
            self._discovering = None
        if self.workspaces is not None:
            for workspace in self.workspaces.all:
                workspace.stop_jobs()
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._health_runner is not None:
            await self._health_runner.cleanup()
            self._health_runner = None
        await finish_listeners(LISTENER_GRACE)
        if self.workspaces is not None:
            await self.workspaces.close(LISTENER_GRACE)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._deployment is not None:
            await self._deployment.close()
        if self._run_lock is not None:
            self._run_lock.release()
            self._run_lock = None
        use_time_zone(LONDON)


class StartupFailed(Exception):
    """The bot cannot start: one line naming the setting to fix."""


STARTUP_CHECK_TIMEOUT = 5.0
"""Seconds to wait for Slack to answer the start-up checks."""

REFUSED_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}


async def check_tokens(settings: Settings) -> None:
    """``auth.test`` with the bot token, and in Socket Mode ``apps.connections.open`` with the
    app token: a token Slack refuses stops the start, naming the setting."""
    client = AsyncWebClient(
        base_url=settings.slack_api_url, timeout=int(STARTUP_CHECK_TIMEOUT), retry_handlers=[]
    )
    checks: list[tuple[str, Callable[[], Awaitable[object]]]] = []
    if not settings.many_workspaces:  # installed through OAuth, each workspace has its token
        checks.append(("SLACK_BOT_TOKEN", lambda: client.auth_test(token=settings.slack_bot_token)))
    app_token = settings.slack_app_token
    if app_token is not None:
        checks.append(
            ("SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=app_token))
        )
    for setting, call in checks:
        try:
            async with asyncio.timeout(STARTUP_CHECK_TIMEOUT):
                await call()
        except SlackApiError as error:
            code = error.response.get("error")
            cause = "Slack refused it" if code in REFUSED_TOKEN else "Slack answered"
            raise StartupFailed(f"{setting}: {cause} ({code})") from None
        except (OSError, TimeoutError, aiohttp.ClientError) as error:
            raise StartupFailed(
                f"{setting}: could not check it, Slack at {settings.slack_api_url} did not answer "
                f"({type(error).__name__}; SLACK_API_URL says where Slack is)"
            ) from None


def check_publish_dir(settings: Settings) -> None:
    """PUBLISH_DIR, when set, must be a folder the bot can write into."""
    folder = settings.publish_dir
    problem = None if folder is None else folder_problem(folder)
    if problem is not None:
        raise StartupFailed(
            f"PUBLISH_DIR={folder}: {problem} (make it a folder the bot can write to, "
            "or leave PUBLISH_DIR empty)"
        )


def claim_database(path: str) -> RunLock | None:
    """The bot's claim on its database for as long as it runs (``storage.backup.RunLock``):
    a second bot on the same file, or a restore under the bot's feet, is refused."""
    if path == ":memory:":
        return None  # refused by open_database, with its reason
    try:
        prepare_private_file(Path(path))
        return RunLock.take(Path(path), "run")
    except DatabaseUnavailable as error:
        raise StartupFailed(f"DATABASE_PATH={path}: {error}") from None
    except DatabaseInUse as error:
        raise StartupFailed(
            f"DATABASE_PATH={path}: {error}; one bot per database (stop the other first)"
        ) from None
    except BackupProblem as error:
        raise StartupFailed(f"DATABASE_PATH={path}: {error}") from None


async def open_postgresql(url: str) -> Database:
    """The record in PostgreSQL (DATABASE_URL); the message never shows its password."""
    try:
        return await open_store(url)
    except DatabaseUnavailable as error:
        raise StartupFailed(f"DATABASE_URL={described(url)}: {error}") from None


async def open_database(path: str) -> Database:
    try:
        return await Database.open(path)
    except DatabaseUnavailable as error:
        raise StartupFailed(f"DATABASE_PATH={path}: {error}") from None
