"""``python -m bot check``: is this deployment sound? One finding per item, for IT.

It looks at what the bot needs and what the council's information governance asks for: Slack
accepts the tokens, the bot token has the scopes ``manifest.json`` asks for, the database
opens and is migrated, nobody but the bot's user can read the data folder, and the nightly
backups are being made. It changes nothing but what the bot itself would do at start-up
(creating and migrating the database), so it is safe to run while the bot runs.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import stat
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.backups import NIGHTLY_AT, dated_backups
from bot.config import Settings
from bot.manifest import MANIFEST_PATH, ManifestUnreadable, bot_scopes
from bot.open_data import folder_problem
from bot.runtime import REFUSED_TOKEN, STARTUP_CHECK_TIMEOUT
from storage.db import Database, StorageError
from storage.store import described, open_store

BACKUPS_LATE_AFTER = timedelta(days=2)
"""A newest nightly backup older than this means the nightly backup is not working."""


@dataclass(frozen=True)
class Finding:
    ok: bool
    item: str
    detail: str

    @property
    def line(self) -> str:
        return f"{'OK' if self.ok else 'FAILED'} {self.item}: {self.detail}"


async def check_deployment(
    settings: Settings, now: datetime, manifest: Path = MANIFEST_PATH
) -> list[Finding]:
    """Every check, in the order IT would fix them."""
    findings = await check_slack(settings, manifest)
    if settings.database_url:
        findings.append(await check_postgresql(settings.database_url))
    else:
        findings.append(await check_database(Path(settings.database_path)))
        findings.append(check_data_folder(Path(settings.database_path)))
    findings.append(check_backups(settings, now.astimezone(settings.tz).date()))
    findings.append(check_publish_folder(settings))
    return findings


def check_publish_folder(settings: Settings) -> Finding:
    """PUBLISH_DIR, when set, must be a folder the bot can write its open data into."""
    folder = settings.publish_dir
    if folder is None:
        return Finding(True, "PUBLISH_DIR", "not set: open data is exported on request only")
    problem = folder_problem(folder)
    if problem is not None:
        return Finding(False, "PUBLISH_DIR", f"{folder}: {problem}")
    return Finding(True, "PUBLISH_DIR", f"{folder} is a folder the bot can write to")


async def check_slack(settings: Settings, manifest: Path) -> list[Finding]:
    """The bot token (``auth.test``) and its scopes; in Socket Mode the app token too."""
    client = AsyncWebClient(
        base_url=settings.slack_api_url, timeout=int(STARTUP_CHECK_TIMEOUT), retry_handlers=[]
    )
    findings: list[Finding] = []
    if settings.many_workspaces:
        findings.append(
            Finding(
                True,
                "SLACK_CLIENT_ID",
                "set: installed in workspaces through /slack/install, each with its own bot "
                "token (python -m bot workspace list names them)",
            )
        )
        return findings
    try:
        response = await slack_call(
            settings, "SLACK_BOT_TOKEN", client.auth_test(token=settings.slack_bot_token)
        )
    except SlackProblem as problem:
        findings.append(problem.finding)
    else:
        who = f"@{response.get('user')} in {response.get('team')} ({response.get('url')})"
        findings.append(Finding(True, "SLACK_BOT_TOKEN", f"Slack accepts it: the bot {who}"))
        findings.append(check_scopes(response.headers.get("x-oauth-scopes"), manifest))
    app_token = settings.slack_app_token
    if app_token is not None:
        try:
            await slack_call(
                settings, "SLACK_APP_TOKEN", client.apps_connections_open(app_token=app_token)
            )
        except SlackProblem as problem:
            findings.append(problem.finding)
        else:
            findings.append(Finding(True, "SLACK_APP_TOKEN", "Slack accepts it (Socket Mode)"))
    return findings


class SlackProblem(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.line)
        self.finding = finding


async def slack_call(
    settings: Settings, setting: str, call: Awaitable[AsyncSlackResponse]
) -> AsyncSlackResponse:
    """Await one Web API call; a refusal or silence becomes the setting's FAILED finding."""
    try:
        async with asyncio.timeout(STARTUP_CHECK_TIMEOUT):
            return await call
    except SlackApiError as error:
        code = error.response.get("error")
        if code in REFUSED_TOKEN:
            detail = f"Slack refused it ({code}): {TOKEN_HELP[setting]}"
        else:
            detail = f"Slack answered {code}"
        raise SlackProblem(Finding(False, setting, detail)) from None
    except (OSError, TimeoutError, aiohttp.ClientError) as error:
        detail = (
            f"could not check it: Slack at {settings.slack_api_url} did not answer "
            f"({type(error).__name__}; SLACK_API_URL says where Slack is)"
        )
        raise SlackProblem(Finding(False, setting, detail)) from None


TOKEN_HELP = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) again from the app's "
    "OAuth & Permissions page; reinstall the app if it was removed",
    "SLACK_APP_TOKEN": "make an app-level token with connections:write under Basic "
    "Information > App-Level Tokens",
}


def check_scopes(granted_header: str | None, manifest: Path) -> Finding:
    """The token's scopes (Slack's ``x-oauth-scopes``) against the manifest's bot scopes."""
    try:
        wanted = bot_scopes(manifest)
    except ManifestUnreadable as problem:
        return Finding(False, "scopes", f"cannot compare them with the manifest: {problem}")
    if granted_header is None:
        return Finding(
            False, "scopes", "Slack did not say which scopes the token has (no x-oauth-scopes)"
        )
    granted = {s.strip() for s in granted_header.split(",") if s.strip()}
    missing = sorted(wanted - granted)
    if missing:
        return Finding(
            False,
            "scopes",
            f"the token lacks {', '.join(missing)}, which {manifest.name} asks for: update the "
            f"app's manifest from {manifest.name} and reinstall it to the workspace",
        )
    detail = f"the token has the {len(wanted)} bot scopes {manifest.name} asks for"
    extra = sorted(granted - wanted)
    if extra:
        detail += f", and also {', '.join(extra)}, which the bot does not need"
    return Finding(True, "scopes", detail)


async def check_database(path: Path) -> Finding:
    """The database opens and is migrated, as at start-up (a new one is created)."""
    db = Database(path)
    try:
        await db.connect()
        applied = await db.migrate()
        latest = max(await db.applied_migrations(), default=0)
    except (StorageError, sqlite3.Error) as error:
        return Finding(False, "database", f"{path}: {error}")
    finally:
        await db.close()
    now = f"; {len(applied)} migrations applied now" if applied else ""
    return Finding(True, "database", f"{path} opens and is up to date (migration {latest}){now}")


async def check_postgresql(url: str) -> Finding:
    """DATABASE_URL: the PostgreSQL database opens and is migrated, as at start-up."""
    where = f"PostgreSQL at {described(url)}"
    try:
        db = await open_store(url)
    except StorageError as error:
        return Finding(False, "database", f"{where}: {error}")
    try:
        latest = max(await db.applied_migrations(), default=0)
    finally:
        await db.close()
    return Finding(True, "database", f"{where} opens and is up to date (migration {latest})")


def check_data_folder(database: Path) -> Finding:
    """Nothing in the database's folder is open to other users: the folder, the database and
    its -wal, -shm, lock and before-restore files."""
    folder = database.parent
    paths = [folder, *sorted(folder.glob(f"{glob_escape(database.name)}*"))]
    open_to_others = [describe_mode(p) for p in paths if mode_of(p) & 0o007]
    if open_to_others:
        return Finding(
            False,
            "data folder",
            f"open to other users: {'; '.join(open_to_others)}: "
            f"chmod 700 {folder} and chmod 600 the files in it",
        )
    files = ", ".join(sorted({f"{oct(mode_of(p))[2:]}" for p in paths[1:]})) or "none yet"
    return Finding(
        True,
        "data folder",
        f"{folder} ({oct(mode_of(folder))[2:]}) and its database files ({files}) are closed "
        "to other users",
    )


def check_backups(settings: Settings, today: date) -> Finding:
    """``BACKUP_DIR`` can be written, is closed to others, and has a recent backup."""
    if settings.backup_dir is None:
        return Finding(
            True,
            "backups",
            "BACKUP_DIR is not set, so no nightly backup is made "
            "(python -m bot backup FILE makes one by hand)",
        )
    folder = Path(settings.backup_dir)
    tonight = f"{NIGHTLY_AT:%H:%M}"
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), Path("/"))
        if not writable(parent):
            return Finding(False, "backups", f"BACKUP_DIR={folder} cannot be created in {parent}")
        return Finding(
            True, "backups", f"BACKUP_DIR={folder} is made by the first backup at {tonight}"
        )
    if not folder.is_dir() or not writable(folder):
        return Finding(False, "backups", f"BACKUP_DIR={folder} is not a folder this user can write")
    if mode_of(folder) & 0o007:
        return Finding(
            False, "backups", f"open to other users: {describe_mode(folder)}: chmod 700 {folder}"
        )
    backups = dated_backups(folder, Path(settings.database_path))
    if not backups:
        return Finding(True, "backups", f"BACKUP_DIR={folder}: none yet; the first at {tonight}")
    newest = backups[0]
    made = backup_date(newest)
    if made is not None and today - made > BACKUPS_LATE_AFTER:
        return Finding(
            False,
            "backups",
            f"the newest backup in {folder} is {newest.name}: the nightly backup has not "
            "worked since (see the bot's log for 'nightly backup failed')",
        )
    return Finding(
        True,
        "backups",
        f"BACKUP_DIR={folder}: {len(backups)} kept (BACKUP_KEEP={settings.backup_keep}), "
        f"the newest {newest.name}",
    )


def backup_date(path: Path) -> date | None:
    found = re.search(r"(\d{4}-\d{2}-\d{2})\.[^.]*$", path.name)
    try:
        return date.fromisoformat(found.group(1)) if found else None
    except ValueError:
        return None


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def describe_mode(path: Path) -> str:
    mode = mode_of(path)
    words = ((4, "read"), (2, "write"), (1, "enter" if path.is_dir() else "run"))
    can = [word for bit, word in words if mode & bit]
    return f"{path} is {oct(mode)[2:]} (others can {' and '.join(can)})"


def writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)
