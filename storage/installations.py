"""The bot's installations in many Slack workspaces (councils), for Bolt's OAuth flow.

Kept in the deployment store (migration 21), on SQLite or PostgreSQL alike:

* ``InstallationStore``: every installation and every workspace's bot, as slack_sdk's own
  stores keep them (``slack_sdk.oauth.installation_store.sqlalchemy``): a reinstall adds a
  row and the latest per workspace wins; saving one again with the same moment (a token
  rotation) updates it in place. Moments are ISO text as everywhere in the record; tokens
  have their own columns (storage/personal_data.py treats them as secrets), and what the
  model holds besides is kept as JSON in ``details``, so nothing of it is lost.
* ``OAuthStateStore``: the state of each install in progress, good once, for minutes.
* ``WorkspaceSettings``: each workspace's own settings, as text as it would be in ``.env``
  (checking them is the config module's work).

A workspace with no enterprise, or an organisation-wide install with no workspace, is stored
with ``''`` for the missing id, as slack_sdk's SQLite store does, and read back as None.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.core.models import AuditEvent
from storage.audit import record
from storage.codec import moment, moment_text
from storage.db import Database, Row

logger = logging.getLogger(__name__)

STATE_BYTES = 32
"""Random bytes in an OAuth state (``secrets.token_urlsafe``)."""

INSTALLATION_DETAILS = (
    "enterprise_name",
    "enterprise_url",
    "incoming_webhook_channel",
    "incoming_webhook_channel_id",
    "incoming_webhook_configuration_url",
    "token_type",
)
"""An installation's fields with no column of their own (with its ``custom_values``)."""

BOT_DETAILS = ("enterprise_name",)
"""A bot's fields with no column of their own (with its ``custom_values``)."""


@dataclass(frozen=True)
class InstalledTeam:
    """A workspace with the bot installed."""

    team_id: str
    team_name: str | None
    enterprise_id: str | None
    installer_user_id: str | None
    """Who installed the bot last (None for a bot saved without its installation)."""
    installed_at: datetime
    """When the bot was first installed there, of the installs on record."""


def _key(value: str | None) -> str:
    return value or ""


def _unkey(value: str) -> str | None:
    return value or None


def _seconds_text(seconds: float | None) -> str | None:
    """A Unix time (as slack_sdk's models keep moments) as the record's ISO text."""
    return None if seconds is None else moment_text(datetime.fromtimestamp(seconds, UTC))


def _seconds(text: str | None) -> float | None:
    return None if text is None else moment(text).timestamp()


def _whole_seconds(text: str | None) -> int | None:
    seconds = _seconds(text)
    return None if seconds is None else int(seconds)


def _scopes_text(scopes: Any) -> str | None:
    return ",".join(scopes) if scopes else None


def _details(model: Installation | Bot, fields: tuple[str, ...]) -> str:
    details: dict[str, Any] = {name: getattr(model, name) for name in fields}
    details["custom_values"] = model.custom_values
    return json.dumps(details, sort_keys=True, ensure_ascii=False)


def _installation(row: Row) -> Installation:
    details = json.loads(row["details"])
    return Installation(
        app_id=row["app_id"],
        enterprise_id=_unkey(row["enterprise_id"]),
        enterprise_name=details.get("enterprise_name"),
        enterprise_url=details.get("enterprise_url"),
        team_id=_unkey(row["team_id"]),
        team_name=row["team_name"],
        bot_token=row["bot_token"],
        bot_id=row["bot_id"],
        bot_user_id=row["bot_user_id"],
        bot_scopes=row["bot_scopes"] or "",
        bot_refresh_token=row["bot_refresh_token"],
        bot_token_expires_at=_whole_seconds(row["bot_token_expires_at"]),
        user_id=row["user_id"],
        user_token=row["user_token"],
        user_scopes=row["user_scopes"] or "",
        user_refresh_token=row["user_refresh_token"],
        user_token_expires_at=_whole_seconds(row["user_token_expires_at"]),
        incoming_webhook_url=row["incoming_webhook_url"],
        incoming_webhook_channel=details.get("incoming_webhook_channel"),
        incoming_webhook_channel_id=details.get("incoming_webhook_channel_id"),
        incoming_webhook_configuration_url=details.get("incoming_webhook_configuration_url"),
        is_enterprise_install=bool(row["is_enterprise_install"]),
        token_type=details.get("token_type"),
        installed_at=_seconds(row["installed_at"]),
        custom_values=details.get("custom_values") or {},
    )


def _bot(row: Row) -> Bot:
    details = json.loads(row["details"])
    return Bot(
        app_id=row["app_id"],
        enterprise_id=_unkey(row["enterprise_id"]),
        enterprise_name=details.get("enterprise_name"),
        team_id=_unkey(row["team_id"]),
        team_name=row["team_name"],
        bot_token=row["bot_token"],
        bot_id=row["bot_id"],
        bot_user_id=row["bot_user_id"],
        bot_scopes=row["bot_scopes"] or "",
        bot_refresh_token=row["bot_refresh_token"],
        bot_token_expires_at=_whole_seconds(row["bot_token_expires_at"]),
        is_enterprise_install=bool(row["is_enterprise_install"]),
        installed_at=moment(row["installed_at"]).timestamp(),
        custom_values=details.get("custom_values") or {},
    )


def _workspace(team_id: str | None, is_enterprise_install: bool | None) -> str:
    """The stored team id to look for: none for an organisation-wide install."""
    return "" if is_enterprise_install or team_id is None else team_id


SAVE_INSTALLATION = """
INSERT INTO slack_installations (
    enterprise_id, team_id, user_id, is_enterprise_install, installed_at, app_id, team_name,
    bot_id, bot_user_id, bot_scopes, bot_token, bot_refresh_token, bot_token_expires_at,
    user_scopes, user_token, user_refresh_token, user_token_expires_at, incoming_webhook_url,
    details, saved_at
) VALUES (
    :enterprise_id, :team_id, :user_id, :is_enterprise_install, :installed_at, :app_id,
    :team_name, :bot_id, :bot_user_id, :bot_scopes, :bot_token, :bot_refresh_token,
    :bot_token_expires_at, :user_scopes, :user_token, :user_refresh_token,
    :user_token_expires_at, :incoming_webhook_url, :details, :saved_at
) ON CONFLICT (enterprise_id, team_id, user_id, installed_at) DO UPDATE SET
    is_enterprise_install = excluded.is_enterprise_install, app_id = excluded.app_id,
    team_name = excluded.team_name, bot_id = excluded.bot_id,
    bot_user_id = excluded.bot_user_id, bot_scopes = excluded.bot_scopes,
    bot_token = excluded.bot_token, bot_refresh_token = excluded.bot_refresh_token,
    bot_token_expires_at = excluded.bot_token_expires_at, user_scopes = excluded.user_scopes,
    user_token = excluded.user_token, user_refresh_token = excluded.user_refresh_token,
    user_token_expires_at = excluded.user_token_expires_at,
    incoming_webhook_url = excluded.incoming_webhook_url, details = excluded.details,
    saved_at = excluded.saved_at
"""

SAVE_BOT = """
INSERT INTO slack_bots (
    enterprise_id, team_id, is_enterprise_install, installed_at, app_id, team_name, bot_id,
    bot_user_id, bot_scopes, bot_token, bot_refresh_token, bot_token_expires_at, details,
    saved_at
) VALUES (
    :enterprise_id, :team_id, :is_enterprise_install, :installed_at, :app_id, :team_name,
    :bot_id, :bot_user_id, :bot_scopes, :bot_token, :bot_refresh_token,
    :bot_token_expires_at, :details, :saved_at
) ON CONFLICT (enterprise_id, team_id, installed_at) DO UPDATE SET
    is_enterprise_install = excluded.is_enterprise_install, app_id = excluded.app_id,
    team_name = excluded.team_name, bot_id = excluded.bot_id,
    bot_user_id = excluded.bot_user_id, bot_scopes = excluded.bot_scopes,
    bot_token = excluded.bot_token, bot_refresh_token = excluded.bot_refresh_token,
    bot_token_expires_at = excluded.bot_token_expires_at, details = excluded.details,
    saved_at = excluded.saved_at
"""

LATEST_BOT = (
    "SELECT * FROM slack_bots WHERE enterprise_id = ? AND team_id = ?"
    " ORDER BY installed_at DESC, id DESC LIMIT 1"
)


class InstallationStore(AsyncInstallationStore):
    """Bolt's installation store, in the bot's record (slack_sdk's semantics)."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    def _installation_values(self, installation: Installation) -> dict[str, Any]:
        return {
            "enterprise_id": _key(installation.enterprise_id),
            "team_id": _key(installation.team_id),
            "user_id": installation.user_id,
            "is_enterprise_install": int(bool(installation.is_enterprise_install)),
            "installed_at": _seconds_text(installation.installed_at),
            "app_id": installation.app_id,
            "team_name": installation.team_name,
            "bot_id": installation.bot_id,
            "bot_user_id": installation.bot_user_id,
            "bot_scopes": _scopes_text(installation.bot_scopes),
            "bot_token": installation.bot_token,
            "bot_refresh_token": installation.bot_refresh_token,
            "bot_token_expires_at": _seconds_text(installation.bot_token_expires_at),
            "user_scopes": _scopes_text(installation.user_scopes),
            "user_token": installation.user_token,
            "user_refresh_token": installation.user_refresh_token,
            "user_token_expires_at": _seconds_text(installation.user_token_expires_at),
            "incoming_webhook_url": installation.incoming_webhook_url,
            "details": _details(installation, INSTALLATION_DETAILS),
            "saved_at": moment_text(self.clock()),
        }

    def _bot_values(self, bot: Bot) -> dict[str, Any]:
        return {
            "enterprise_id": _key(bot.enterprise_id),
            "team_id": _key(bot.team_id),
            "is_enterprise_install": int(bool(bot.is_enterprise_install)),
            "installed_at": _seconds_text(bot.installed_at),
            "app_id": bot.app_id,
            "team_name": bot.team_name,
            "bot_id": bot.bot_id,
            "bot_user_id": bot.bot_user_id,
            "bot_scopes": _scopes_text(bot.bot_scopes),
            "bot_token": bot.bot_token,
            "bot_refresh_token": bot.bot_refresh_token,
            "bot_token_expires_at": _seconds_text(bot.bot_token_expires_at),
            "details": _details(bot, BOT_DETAILS),
            "saved_at": moment_text(self.clock()),
        }

    async def async_save(self, installation: Installation) -> None:
        """Keep an installation, and its bot when it has one, in one transaction."""
        async with self.db.transaction() as tx:
            await tx.execute(SAVE_INSTALLATION, self._installation_values(installation))
            if installation.bot_token is not None:
                await tx.execute(SAVE_BOT, self._bot_values(installation.to_bot()))

    async def async_save_bot(self, bot: Bot) -> None:
        """Keep a workspace's bot (one without a token is not kept, as in slack_sdk)."""
        if bot.bot_token is None:
            return
        await self.db.write(SAVE_BOT, self._bot_values(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's (or organisation's) latest bot."""
        row = await self.db.fetchone(
            LATEST_BOT, (_key(enterprise_id), _workspace(team_id, is_enterprise_install))
        )
        return None if row is None else _bot(row)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The latest installation in the workspace, or the latest by ``user_id``. A user's
        own installation comes with the workspace's latest bot token (bolt-python #664)."""
        workspace = (_key(enterprise_id), _workspace(team_id, is_enterprise_install))
        async with self.db.snapshot() as read:
            if user_id is None:
                row = await read.fetchone(
                    "SELECT * FROM slack_installations WHERE enterprise_id = ? AND team_id = ?"
                    " ORDER BY installed_at DESC, id DESC LIMIT 1",
                    workspace,
                )
            else:
                row = await read.fetchone(
                    "SELECT * FROM slack_installations WHERE enterprise_id = ? AND team_id = ?"
                    " AND user_id = ? ORDER BY installed_at DESC, id DESC LIMIT 1",
                    (*workspace, user_id),
                )
            if row is None:
                return None
            installation = _installation(row)
            if user_id is None and installation.bot_token is not None:
                return installation
            latest = await read.fetchone(LATEST_BOT, workspace)
        if latest is not None and latest["bot_token"] != installation.bot_token:
            bot = _bot(latest)
            installation.bot_id = bot.bot_id
            installation.bot_user_id = bot.bot_user_id
            installation.bot_token = bot.bot_token
            installation.bot_scopes = bot.bot_scopes
            installation.bot_refresh_token = bot.bot_refresh_token
            installation.bot_token_expires_at = bot.bot_token_expires_at
        return installation

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.db.write(
            "DELETE FROM slack_bots WHERE enterprise_id = ? AND team_id = ?",
            (_key(enterprise_id), _key(team_id)),
        )

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        """The workspace's installations, or only those by ``user_id``."""
        workspace = (_key(enterprise_id), _key(team_id))
        if user_id is None:
            await self.db.write(
                "DELETE FROM slack_installations WHERE enterprise_id = ? AND team_id = ?",
                workspace,
            )
        else:
            await self.db.write(
                "DELETE FROM slack_installations WHERE enterprise_id = ? AND team_id = ?"
                " AND user_id = ?",
                (*workspace, user_id),
            )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The workspace's bots and installations, in one transaction."""
        workspace = (_key(enterprise_id), _key(team_id))
        await self.db.write_all(
            [
                ("DELETE FROM slack_bots WHERE enterprise_id = ? AND team_id = ?", workspace),
                (
                    "DELETE FROM slack_installations WHERE enterprise_id = ? AND team_id = ?",
                    workspace,
                ),
            ]
        )

    async def forget_team(self, team_id: str) -> None:
        """The bot was uninstalled from ``team_id`` (or its tokens revoked): its bots and
        installations go, under whichever enterprise. Its settings stay."""
        await self.db.write_all(
            [
                ("DELETE FROM slack_bots WHERE team_id = ?", (team_id,)),
                ("DELETE FROM slack_installations WHERE team_id = ?", (team_id,)),
            ]
        )

    async def teams(self) -> list[InstalledTeam]:
        """Every workspace with a bot installed, the one installed first first.
        Organisation-wide installs (no workspace) are not listed."""
        async with self.db.snapshot() as read:
            bots = await read.fetchall(
                "SELECT enterprise_id, team_id, team_name, installed_at FROM slack_bots"
                " WHERE team_id != '' ORDER BY installed_at, id"
            )
            installers = await read.fetchall(
                "SELECT team_id, user_id FROM slack_installations"
                " WHERE team_id != '' AND bot_token IS NOT NULL ORDER BY installed_at, id"
            )
        installer = {str(row["team_id"]): str(row["user_id"]) for row in installers}
        first: dict[str, datetime] = {}
        latest: dict[str, Row] = {}
        for row in bots:
            team_id = str(row["team_id"])
            first.setdefault(team_id, moment(row["installed_at"]))
            latest[team_id] = row
        return [
            InstalledTeam(
                team_id=team_id,
                team_name=latest[team_id]["team_name"],
                enterprise_id=_unkey(latest[team_id]["enterprise_id"]),
                installer_user_id=installer.get(team_id),
                installed_at=installed_at,
            )
            for team_id, installed_at in first.items()
        ]


class OAuthStateStore(AsyncOAuthStateStore):
    """The state of each install in progress: issued with an expiry, good once."""

    def __init__(
        self, db: Database, clock: Callable[[], datetime], expiration_seconds: int = 600
    ) -> None:
        self.db = db
        self.clock = clock
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new random state; the expired ones go in the same transaction."""
        state = secrets.token_urlsafe(STATE_BYTES)
        now = self.clock()
        expires = now + timedelta(seconds=self.expiration_seconds)
        await self.db.write_all(
            [
                ("DELETE FROM oauth_states WHERE expires_at <= ?", (moment_text(now),)),
                (
                    "INSERT INTO oauth_states (state, expires_at) VALUES (?, ?)",
                    (state, moment_text(expires)),
                ),
            ]
        )
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued and not expired: it is deleted as it is read, so a
        second use (even at the same moment) finds nothing."""
        rows = await self.db.write(
            "DELETE FROM oauth_states WHERE state = ? RETURNING expires_at", (state,)
        )
        return bool(rows) and moment(rows[0]["expires_at"]) > self.clock()


class WorkspaceSettings:
    """Each workspace's own settings: names as in ``.env`` (``TIMEZONE``), values as text."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def of(self, team_id: str) -> dict[str, str]:
        rows = await self.db.fetchall(
            "SELECT setting, value FROM workspace_settings WHERE team_id = ? ORDER BY setting",
            (team_id,),
        )
        return {str(row["setting"]): str(row["value"]) for row in rows}

    async def all(self) -> dict[str, dict[str, str]]:
        rows = await self.db.fetchall(
            "SELECT team_id, setting, value FROM workspace_settings ORDER BY team_id, setting"
        )
        found: dict[str, dict[str, str]] = {}
        for row in rows:
            found.setdefault(str(row["team_id"]), {})[str(row["setting"])] = str(row["value"])
        return found

    async def change(
        self, team_id: str, values: Mapping[str, str | None], now: datetime, by: str
    ) -> None:
        """Set each setting to its value, or remove it (None), in one transaction; audited
        by name only (a value may be something not to copy into the log)."""
        if not values:
            return
        async with self.db.transaction() as tx:
            for setting, value in sorted(values.items()):
                if value is None:
                    await tx.execute(
                        "DELETE FROM workspace_settings WHERE team_id = ? AND setting = ?",
                        (team_id, setting),
                    )
                else:
                    await tx.execute(
                        "INSERT INTO workspace_settings"
                        " (team_id, setting, value, changed_by, changed_at)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (team_id, setting) DO UPDATE SET"
                        " value = excluded.value, changed_by = excluded.changed_by,"
                        " changed_at = excluded.changed_at",
                        (team_id, setting, value, by, moment_text(now)),
                    )
            await record(
                tx,
                AuditEvent(
                    by,
                    "workspace_settings_changed",
                    "workspace",
                    team_id,
                    now,
                    {
                        "set": sorted(k for k, v in values.items() if v is not None),
                        "removed": sorted(k for k, v in values.items() if v is None),
                    },
                ),
            )
