"""Settings: read once from the environment (and ``.env``), validated, frozen.

This is the only module that reads ``os.environ``. Every key is documented in
``.env.example``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.agenda import PackDetails
from bot.core.chasing import (
    DEFAULT_LADDER,
    ChaseSettings,
    parse_ladder,
    parse_working_hours,
)
from bot.core.errors import InvalidInput
from bot.core.template import TemplateError, check_template
from storage.store import is_postgresql

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
ITEM_NUMBER = r"[0-9]{1,3}[A-Za-z]?(\.[0-9]{1,3})?"
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"


class ConfigError(Exception):
    """A missing or malformed setting; the message is one line naming it and the fix."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None
    """SLACK_BOT_TOKEN; not needed, and not used, when the bot is installed in workspaces
    through OAuth (``SLACK_CLIENT_ID``), each with its own token."""
    slack_signing_secret: str
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    database_path: str = "data/scrutiny.db"
    database_url: str | None = field(default=None, repr=False)
    """DATABASE_URL: a ``postgresql://`` URL to keep the record in PostgreSQL instead of the
    SQLite file in ``database_path``; None: SQLite (the default)."""
    clerk_user_ids: frozenset[str] = field(default_factory=frozenset)
    timezone: str = "Europe/London"
    triage_required: bool = True
    clerks_channel: str | None = None
    responses_channel: str | None = None
    answer_due_working_days: int = 3
    very_overdue_after_working_days: int = 5
    working_hours: str = "09:30-17:00"
    chase_ladder: str = DEFAULT_LADDER
    catch_up_every_minutes: int = 15
    agenda_item_number: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    agenda_template: str | None = None
    """AGENDA_TEMPLATE: the council's Word template for the compiled agenda item."""
    membership: str = "open"
    """'open': anyone in the workspace may submit; 'listed': the members list, clerks and
    officers."""
    publish_dir: Path | None = None
    """Where publishing a meeting also writes its open data (CSV and JSON); None: nowhere."""
    health_port: int | None = None
    """HEALTH_PORT: a port serving only ``GET /healthz``, in either mode (for a container's
    health check in Socket Mode, where nothing else listens); None: none."""
    backup_dir: str | None = None
    """BACKUP_DIR: where the nightly backup writes dated copies; None: no nightly backup."""
    backup_keep: int = 14
    """BACKUP_KEEP: how many nightly backups are kept; older ones are deleted."""
    retention_months: int = 72
    """RETENTION_MONTHS: how long after a question's answer was published (or the question
    withdrawn or rejected) its people are pseudonymised and its drafts deleted; 0: never."""
    slack_client_id: str | None = None
    """SLACK_CLIENT_ID: with SLACK_CLIENT_SECRET, the bot is installed in many workspaces
    through Slack's OAuth flow (``/slack/install``); None: one workspace, one bot token."""
    slack_client_secret: str | None = field(default=None, repr=False)
    council_env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The council's own settings as they were read (``COUNCIL_SETTINGS``): what a
    workspace's own values are laid over (``for_workspace``)."""

    @property
    def many_workspaces(self) -> bool:
        """Installed in workspaces through OAuth, each with its own record and settings."""
        return self.slack_client_id is not None

    def for_workspace(self, own: Mapping[str, str]) -> Settings:
        """These settings with one workspace's own council settings laid over them, checked
        as the environment's are (``ConfigError`` names the setting)."""
        unknown = sorted(set(own) - set(COUNCIL_SETTINGS))
        if unknown:
            raise ConfigError(
                f"{unknown[0]} is not a setting a workspace can have: use one of "
                + ", ".join(COUNCIL_SETTINGS)
            )
        return replace(self, **council_fields({**self.council_env, **own}))

    @property
    def chase(self) -> ChaseSettings:
        """The chase ladder, working hours and very-overdue rule as one object."""
        base = ChaseSettings(
            working_hours=parse_working_hours(self.working_hours),
            very_overdue_after=self.very_overdue_after_working_days,
        )
        return parse_ladder(self.chase_ladder, base)

    @property
    def pack(self) -> PackDetails:
        """The agenda pack's title block: item number and contact officer."""
        return PackDetails(
            self.agenda_item_number,
            self.contact_name,
            self.contact_email,
            Path(self.agenda_template) if self.agenda_template else None,
        )

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _get(env: Mapping[str, str], key: str) -> str | None:
    value = env.get(key)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(env: Mapping[str, str], key: str, hint: str) -> str:
    value = _get(env, key)
    if value is None:
        raise ConfigError(f"{key} is not set: {hint}")
    return value


def _flag(env: Mapping[str, str], key: str, *, default: bool) -> bool:
    value = _get(env, key)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ConfigError(f"{key}={value!r} must be true or false")


def _channel(env: Mapping[str, str], key: str) -> str | None:
    value = _get(env, key)
    if value is not None and not CHANNEL_ID.match(value):
        raise ConfigError(
            f"{key}={value!r} is not a channel id: use the id such as C012AB3CD (channel "
            "details > About > Channel ID), or leave it empty"
        )
    return value


def _whole_number(env: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    value = _get(env, key)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(f"{key}={value!r} must be a whole number from {low} to {high}")
    return number


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """Build and validate Settings from a mapping of environment variables."""
    client_id, client_secret = _get(env, "SLACK_CLIENT_ID"), _get(env, "SLACK_CLIENT_SECRET")
    if (client_id is None) != (client_secret is None):
        missing = "SLACK_CLIENT_SECRET" if client_secret is None else "SLACK_CLIENT_ID"
        raise ConfigError(
            f"{missing} is not set: installing in many workspaces needs both SLACK_CLIENT_ID "
            "and SLACK_CLIENT_SECRET (Basic Information > App Credentials); leave both empty "
            "for one workspace"
        )
    if client_id is not None and not re.fullmatch(r"[0-9]+\.[0-9]+", client_id):
        raise ConfigError(
            f"SLACK_CLIENT_ID={client_id!r} is not a client id: copy it from Basic "
            "Information > App Credentials (it looks like 1234567890.1234567890)"
        )
    bot_token = _get(env, "SLACK_BOT_TOKEN")
    if bot_token is None and client_id is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your "
            "app's OAuth & Permissions page into .env"
        )
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN must be a bot token starting with xoxb- "
            "(OAuth & Permissions > Bot User OAuth Token)"
        )
    signing_secret = _required(
        env,
        "SLACK_SIGNING_SECRET",
        "copy the Signing Secret from your app's Basic Information page into .env",
    )

    app_token = _get(env, "SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp- "
            "(Basic Information > App-Level Tokens, scope connections:write), or be left empty "
            "for HTTP mode"
        )
    if app_token is not None and client_id is not None:
        raise ConfigError(
            "SLACK_APP_TOKEN and SLACK_CLIENT_ID are both set: installing in many workspaces "
            "serves /slack/install over HTTP, so leave SLACK_APP_TOKEN empty"
        )

    api_url = _get(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"SLACK_API_URL={api_url!r} is not an http(s) URL: leave it empty for Slack's "
            f"{DEFAULT_SLACK_API_URL}"
        )
    if not api_url.endswith("/"):
        api_url += "/"

    port_text = _get(env, "PORT") or "3000"
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise ConfigError(f"PORT={port_text!r} must be a whole number from 1 to 65535")

    database_path = _get(env, "DATABASE_PATH") or "data/scrutiny.db"
    if database_path != ":memory:" and Path(database_path).is_dir():
        raise ConfigError(
            f"DATABASE_PATH={database_path!r} is a folder: give a file path such as "
            "data/scrutiny.db"
        )

    health_port = (
        None if _get(env, "HEALTH_PORT") is None else _whole_number(env, "HEALTH_PORT", 0, 1, 65535)
    )

    backup_dir = _get(env, "BACKUP_DIR")
    if backup_dir is not None and Path(backup_dir).exists() and not Path(backup_dir).is_dir():
        raise ConfigError(
            f"BACKUP_DIR={backup_dir!r} is a file: give the folder for the nightly backups, "
            "or leave it empty"
        )

    if backup_dir is not None and client_id is not None:
        raise ConfigError(
            "BACKUP_DIR copies one SQLite file: installed in many workspaces (SLACK_CLIENT_ID) "
            "leave it empty and back up the data folder, or PostgreSQL with pg_dump"
        )

    database_url = _get(env, "DATABASE_URL")
    if database_url is not None:
        if not is_postgresql(database_url):
            raise ConfigError(
                "DATABASE_URL must be a postgresql:// URL (leave it empty to keep the record "
                "in the SQLite file DATABASE_PATH)"
            )
        if backup_dir is not None:
            raise ConfigError(
                "BACKUP_DIR copies the SQLite file: with DATABASE_URL leave it empty and back "
                "PostgreSQL up with its own tools (pg_dump)"
            )

    pack = pack_from_env(env)
    council_env = {key: env[key] for key in COUNCIL_SETTINGS if _get(env, key) is not None}
    return Settings(
        database_url=database_url,
        publish_dir=publish_dir_from_env(env),
        health_port=health_port,
        backup_dir=backup_dir,
        backup_keep=_whole_number(env, "BACKUP_KEEP", 14, 1, 3660),
        agenda_template=str(pack.template) if pack.template else None,
        catch_up_every_minutes=_whole_number(env, "CATCH_UP_EVERY_MINUTES", 15, 0, 1440),
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        port=port,
        database_path=database_path,
        council_env=council_env,
        **council_fields(council_env),
    )


COUNCIL_SETTINGS = (
    "CLERK_USER_IDS",
    "TIMEZONE",
    "TRIAGE_REQUIRED",
    "CLERKS_CHANNEL",
    "RESPONSES_CHANNEL",
    "ANSWER_DUE_WORKING_DAYS",
    "VERY_OVERDUE_AFTER",
    "WORKING_HOURS",
    "CHASE_LADDER",
    "MEMBERSHIP",
    "RETENTION_MONTHS",
    "AGENDA_ITEM_NUMBER",
    "CONTACT_NAME",
    "CONTACT_EMAIL",
)
"""The settings that belong to a council: with the bot installed in many workspaces, each
workspace may have its own (``python -m bot workspace set``); the environment's are the
default for all."""


def council_fields(env: Mapping[str, str]) -> dict[str, Any]:
    """The council's settings (``COUNCIL_SETTINGS``) from ``env``, checked, as Settings
    fields."""
    clerks_text = _get(env, "CLERK_USER_IDS") or ""
    clerks = [c.strip() for c in clerks_text.split(",") if c.strip()]
    for clerk in clerks:
        if not USER_ID.match(clerk):
            raise ConfigError(
                f"CLERK_USER_IDS has {clerk!r}, which is not a Slack user id: use ids such as "
                "U012AB3CD separated by commas (profile > ... > Copy member ID)"
            )

    timezone = _get(env, "TIMEZONE") or "Europe/London"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"TIMEZONE={timezone!r} is not a known time zone: use a name such as Europe/London"
        ) from None

    working_hours = _get(env, "WORKING_HOURS") or "09:30-17:00"
    chase_ladder = _get(env, "CHASE_LADDER") or DEFAULT_LADDER
    try:
        parse_ladder(chase_ladder, ChaseSettings(working_hours=parse_working_hours(working_hours)))
    except InvalidInput as problem:
        key = "WORKING_HOURS" if "Working hours" in problem.message else "CHASE_LADDER"
        raise ConfigError(f"{key}: {problem.message}") from None

    membership = (_get(env, "MEMBERSHIP") or "open").lower()
    if membership not in ("open", "listed"):
        raise ConfigError(
            f"MEMBERSHIP={membership!r} must be open (anyone in the workspace may submit "
            "questions) or listed (only the members list, clerks and officers)"
        )

    item, email = _item_and_email(env)
    return {
        "clerk_user_ids": frozenset(clerks),
        "timezone": timezone,
        "working_hours": working_hours,
        "chase_ladder": chase_ladder,
        "membership": membership,
        "triage_required": _flag(env, "TRIAGE_REQUIRED", default=True),
        "clerks_channel": _channel(env, "CLERKS_CHANNEL"),
        "responses_channel": _channel(env, "RESPONSES_CHANNEL"),
        "answer_due_working_days": _whole_number(env, "ANSWER_DUE_WORKING_DAYS", 3, 0, 30),
        "very_overdue_after_working_days": _whole_number(env, "VERY_OVERDUE_AFTER", 5, 1, 60),
        "retention_months": _whole_number(env, "RETENTION_MONTHS", 72, 0, 1200),
        "agenda_item_number": item,
        "contact_name": _get(env, "CONTACT_NAME"),
        "contact_email": email,
    }


def _item_and_email(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """AGENDA_ITEM_NUMBER and CONTACT_EMAIL, checked."""
    item = _get(env, "AGENDA_ITEM_NUMBER")
    if item is not None and not re.fullmatch(ITEM_NUMBER, item):
        raise ConfigError(f"AGENDA_ITEM_NUMBER={item!r} should look like 7, 7a or 7.1")
    email = _get(env, "CONTACT_EMAIL")
    if email is not None and not re.fullmatch(EMAIL, email):
        raise ConfigError(f"CONTACT_EMAIL={email!r} is not an email address")
    return item, email


def pack_from_env(env: Mapping[str, str]) -> PackDetails:
    """AGENDA_ITEM_NUMBER, CONTACT_NAME and CONTACT_EMAIL (the compiled document's title
    block) and AGENDA_TEMPLATE (the council's Word template, checked now so that a bad one
    is found at start-up, not at the first compile); read by the bot and by
    ``python -m bot compile`` alike."""
    item, email = _item_and_email(env)
    template_text = _get(env, "AGENDA_TEMPLATE")
    template = Path(template_text).expanduser() if template_text else None
    if template is not None:
        try:
            check_template(template)
        except TemplateError as problem:
            raise ConfigError(f"AGENDA_TEMPLATE: {problem}") from None
    return PackDetails(item, _get(env, "CONTACT_NAME"), email, template)


def publish_dir_from_env(env: Mapping[str, str]) -> Path | None:
    """PUBLISH_DIR: the folder publishing writes the meeting's open data into (read by the bot
    and by ``python -m bot compile --final`` alike); whether it can be written is checked at
    start-up and each time it is used."""
    folder = _get(env, "PUBLISH_DIR")
    return Path(folder) if folder is not None else None


def load_settings(dotenv_path: str | None = ".env") -> Settings:
    """Load ``.env`` (without overriding the real environment) and build Settings."""
    from dotenv import load_dotenv

    if dotenv_path is not None:
        load_dotenv(dotenv_path, override=False)
    return settings_from_env(os.environ)
