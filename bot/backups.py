"""The nightly backup: a dated, checked copy of the database in ``BACKUP_DIR``, keeping the
newest ``BACKUP_KEEP``. A failure is logged and told to the clerks; the bot carries on.

The copy runs in a worker thread (SQLite's online backup in one step, see
``storage.backup``), so the bot's event loop keeps serving Slack meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core.mrkdwn import md
from bot.flows.sending import tell_clerks
from bot.services import Services
from storage.backup import BackupProblem, Copy, backup_database, make_private_folder

logger = logging.getLogger(__name__)

NIGHTLY_AT = time(2, 30)
"""When the nightly backup runs, in the council's time zone: after the day's work."""


@dataclass(frozen=True)
class NightlyBackup:
    copy: Copy
    removed: list[Path]


def dated_name(database: Path, day: date) -> str:
    """``scrutiny-2026-05-01.db`` for ``scrutiny.db`` on 1 May 2026."""
    return f"{database.stem}-{day.isoformat()}{database.suffix or '.db'}"


def dated_backups(folder: Path, database: Path) -> list[Path]:
    """The nightly backups of ``database`` in ``folder``, newest first; other files are not
    looked at (nor ever deleted)."""
    stem, suffix = re.escape(database.stem), re.escape(database.suffix or ".db")
    pattern = re.compile(rf"{stem}-\d{{4}}-\d{{2}}-\d{{2}}{suffix}")
    found = [p for p in folder.iterdir() if pattern.fullmatch(p.name) and p.is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def take_nightly_backup(database: Path, folder: Path, day: date, keep: int) -> NightlyBackup:
    """Back up ``database`` as the day's file in ``folder`` (a second run that day replaces
    it), then delete the oldest beyond ``keep``. Only after a good backup is any deleted."""
    make_private_folder(folder)
    copy = backup_database(database, folder / dated_name(database, day), replace=True)
    removed = []
    for old in dated_backups(folder, database)[keep:]:
        try:
            old.unlink()
        except OSError as error:
            raise BackupProblem(
                f"the backup {copy.path} was made, but the old backup {old} could not be "
                f"deleted ({error.strerror or error}); BACKUP_DIR will fill up"
            ) from None
        removed.append(old)
    return NightlyBackup(copy, removed)


async def nightly_backup(services: Services, client: AsyncWebClient) -> Path | None:
    """The scheduled job: the day's backup, or one line in the log and one message to the
    clerks saying it failed. Nothing to do without ``BACKUP_DIR``."""
    settings = services.settings
    if settings.backup_dir is None:
        return None
    day = services.clock().astimezone(settings.tz).date()
    try:
        done = await asyncio.to_thread(
            take_nightly_backup,
            Path(settings.database_path),
            Path(settings.backup_dir),
            day,
            settings.backup_keep,
        )
    except BackupProblem as problem:
        reason = str(problem)
        logger.error("nightly backup failed: %s", reason)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        logger.exception("nightly backup failed")
    else:
        logger.info(
            "nightly backup written to %s (migration %d); %d older removed",
            done.copy.path,
            done.copy.latest_migration,
            len(done.removed),
        )
        return done.copy.path
    await tell_clerks_it_failed(services, client, reason)
    return None


async def tell_clerks_it_failed(services: Services, client: AsyncWebClient, reason: str) -> None:
    text = md(
        "The nightly backup of the bot's database failed: {}. The bot carries on and nothing "
        "is lost, but there is no new backup until this is put right: please ask IT to look "
        "(`python -m bot check` says what is wrong).",
        reason,
    )
    try:
        await tell_clerks(services, client, text, [messages.section(md(":warning: {}", text))])
    except Exception:
        logger.exception("could not tell the clerks that the nightly backup failed")
