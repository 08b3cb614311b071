"""The nightly backup in the running bot: dated, checked copies in BACKUP_DIR, the oldest
beyond BACKUP_KEEP deleted, and a failure told to the clerks in Slack.

The job is called as the scheduler calls it, with the clock moved by hand from night to night.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.backups import nightly_backup
from bot.core.clock import FixedClock
from bot.inbox import Inbox
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from bot.scheduler import create_scheduler
from tests.conftest import CLERK, LONDON
from tests.handlers.support import services, set_up_commission

MakeBot = Callable[..., Awaitable[Runtime]]


def night(day: int) -> datetime:
    """02:30 in London on a day of May 2026."""
    return datetime(2026, 5, day, 2, 30, tzinfo=LONDON)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def meetings_in(path: Path) -> int:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        count = int(conn.execute("SELECT count(*) FROM meetings").fetchone()[0])
    conn.close()
    return count


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.mark.sqlite_only(reason="the nightly backup copies the SQLite file")
async def test_dated_backups_keep_the_newest(
    slack: SlackDouble, make_bot: MakeBot, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    bot = await make_bot(backup_dir=str(folder), backup_keep=3)
    assert bot.app is not None
    await set_up_commission(slack)
    for day in range(1, 6):
        clock.set(night(day))
        made = await nightly_backup(services(bot), bot.app.client)
        assert made == folder / f"scrutiny-2026-05-0{day}.db"
    assert names(folder) == [f"scrutiny-2026-05-0{day}.db" for day in (3, 4, 5)]
    newest = folder / "scrutiny-2026-05-05.db"
    assert meetings_in(newest) == 2
    assert mode(folder) == 0o700 and mode(newest) == 0o600
    assert not [m for m in slack.dm_messages(CLERK) if "backup" in m.all_text()]


@pytest.mark.sqlite_only(reason="the nightly backup copies the SQLite file")
async def test_a_second_backup_the_same_night_replaces_the_first_and_others_are_left(
    make_bot: MakeBot, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o700)
    write(folder / "notes.txt", "IT's notes")
    write(folder / "scrutiny-before-upgrade.db", "kept by hand")
    bot = await make_bot(backup_dir=str(folder), backup_keep=1)
    assert bot.app is not None
    for day in (1, 1, 2):
        clock.set(night(day))
        await nightly_backup(services(bot), bot.app.client)
    assert names(folder) == ["notes.txt", "scrutiny-2026-05-02.db", "scrutiny-before-upgrade.db"]


async def test_a_failed_backup_is_told_to_the_clerks_and_logged(
    slack: SlackDouble,
    make_bot: MakeBot,
    clock: FixedClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    not_a_folder = tmp_path / "backups"
    write(not_a_folder, "a file where the folder should be")
    bot = await make_bot(backup_dir=str(not_a_folder))
    assert bot.app is not None
    clock.set(night(1))
    assert await nightly_backup(services(bot), bot.app.client) is None
    [told] = [m for m in slack.dm_messages(CLERK) if "backup" in m.all_text()]
    assert "The nightly backup of the bot's database failed: cannot write in" in told.all_text()
    assert str(not_a_folder) in told.all_text()
    [logged] = [r for r in caplog.records if "nightly backup failed" in r.getMessage()]
    assert logged.levelname == "ERROR" and str(not_a_folder) in logged.getMessage()


async def test_the_scheduler_runs_it_nightly_only_when_there_is_a_folder(
    make_bot: MakeBot, clock: FixedClock, tmp_path: Path
) -> None:
    for backup_dir, expected in ((str(tmp_path / "backups"), True), (None, False)):
        bot = await make_bot(backup_dir=backup_dir)
        assert bot.app is not None
        scheduler = create_scheduler(services(bot), bot.app.client, Inbox(services(bot)))
        job = scheduler.get_job("nightly_backup")
        assert (job is not None) == expected
        if job is not None:
            fires = job.trigger.get_next_fire_time(None, clock())
            assert fires == night(1).replace(month=4, day=21)
            assert fires - clock() < timedelta(days=1)
        await bot.stop()
