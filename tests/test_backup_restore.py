"""Backup and restore, as IT would run them: ``python -m bot backup`` while the bot writes,
``python -m bot restore`` once it is stopped (and never while it runs).

The README's restore drill is ``test_the_restore_drill``: a backup taken while a writer adds
meetings, restored, and the bot started on it.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, settings_from_env
from bot.core.clock import FixedClock
from bot.core.permissions import Actor
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from storage.backup import BackupProblem, backup_database, lock_path, restore_database
from storage.db import Database
from storage.repositories import Repositories
from tests.conftest import LONDON, bot_settings, start_bot
from tests.test_start_up_failures import start

CLERK = Actor("UCLERK01", is_clerk=True)
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=LONDON)
FIRST_DAY = date(2030, 1, 7)


def cli_env(database: Path) -> dict[str, str]:
    return {"DATABASE_PATH": str(database)}


async def bot_command(*args: str, database: Path) -> tuple[int, list[str]]:
    """``python -m bot ARGS`` with DATABASE_PATH set and no .env: exit code, stderr lines."""
    return await start("--env-file", os.devnull, *args, env=cli_env(database))


def counts(path: Path) -> tuple[int, int]:
    """(meetings, their "meeting_added" audit events) in a database file, read directly."""
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        meetings = conn.execute("SELECT count(*) FROM meetings").fetchone()[0]
        added = conn.execute(
            "SELECT count(*) FROM audit_events WHERE action = 'meeting_added'"
        ).fetchone()[0]
    conn.close()
    return int(meetings), int(added)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def exists(path: Path | str) -> bool:
    return Path(path).exists()


def set_aside(database: Path) -> list[Path]:
    """What a restore kept aside, and any staging file it left."""
    folder = database.parent
    return sorted([*folder.glob("*.before-restore-*"), *folder.glob(".*.partial")])


def integrity(path: Path) -> list[str]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    conn.close()
    return rows


async def new_database(path: Path) -> Repositories:
    """A bot's database with one committee, its writer connection left open."""
    db = await Database.open(path)
    repos = Repositories.on(db)
    await repos.meetings.save_committee("CYP", "Children and Young People", CLERK, NOW)
    return repos


class MeetingWriter:
    """Adds a meeting (and its audit event, in one transaction) again and again."""

    def __init__(self, repos: Repositories) -> None:
        self.repos = repos
        self.written = 0
        self._stop = asyncio.Event()
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while not self._stop.is_set():
            day = FIRST_DAY + timedelta(days=self.written)
            await self.repos.meetings.add_meeting("CYP", day, "Commission", CLERK, NOW)
            async with self._progress:
                self.written += 1
                self._progress.notify_all()

    async def until(self, written: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: self.written >= written)

    async def stop(self) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "scrutiny.db"


async def test_the_restore_drill(
    slack: SlackDouble, clock: FixedClock, tmp_path: Path, database: Path
) -> None:
    repos = await new_database(database)
    writer = MeetingWriter(repos)
    writer.start()
    try:
        await writer.until(20)
        # 1. The backup, taken while the writer keeps adding meetings.
        code, lines = await bot_command("backup", str(tmp_path / "nightly.db"), database=database)
        backed_up_at_least = writer.written
        await writer.until(writer.written + 10)
    finally:
        await writer.stop()
        await repos.meetings.db.close()
    assert code == 0, lines
    assert lines == [lines[0]] and lines[0].startswith(f"Backed up {database} to "), lines
    assert "integrity check ok" in lines[0]
    backup = tmp_path / "nightly.db"
    in_backup, audited = counts(backup)
    assert 20 <= in_backup <= backed_up_at_least < writer.written
    assert audited == in_backup  # every meeting with its audit event: whole transactions
    assert integrity(backup) == ["ok"]
    assert mode(backup) == 0o600

    # 2. The bot is stopped (the writer has closed); the restore puts the backup back.
    code, lines = await bot_command("restore", str(backup), database=database)
    assert code == 0, lines
    assert lines[0].startswith(f"Restored {database} from {backup}"), lines
    [aside] = database.parent.glob("scrutiny.db.before-restore-*")
    assert f"kept as {aside}" in lines[0]
    assert counts(database) == (in_backup, in_backup)
    assert integrity(database) == ["ok"]
    assert counts(aside) == (writer.written, writer.written)  # nothing of the old one lost
    assert mode(database) == 0o600

    # 3. The bot starts on the restored database and has its meetings.
    runtime = await start_bot(
        slack, bot_settings(slack, tmp_path, database_path=str(database)), clock
    )
    try:
        assert runtime.services is not None
        meetings = await runtime.services.repos.meetings.all()
        assert len(meetings) == in_backup
    finally:
        await runtime.stop()
    assert integrity(database) == ["ok"]


async def test_restore_refuses_while_the_bot_runs(bot: Runtime, tmp_path: Path) -> None:
    database = Path(bot.settings.database_path)
    code, lines = await bot_command("backup", str(tmp_path / "copy.db"), database=database)
    assert code == 0, lines  # a backup while the bot runs is fine
    before = os.stat(database).st_ino
    code, lines = await bot_command("restore", str(tmp_path / "copy.db"), database=database)
    assert code == 2
    assert lines == [
        f"Error: the bot (process {os.getpid()}) is using {database}: stop the bot "
        "first (systemctl stop, docker compose stop), then restore"
    ]
    assert os.stat(database).st_ino == before
    assert set_aside(database) == []


async def test_a_second_bot_on_the_same_database_is_refused(
    bot: Runtime, slack: SlackDouble, tmp_path: Path
) -> None:
    from tests.test_start_up_failures import assert_one_line, settings

    env = settings(slack, tmp_path, DATABASE_PATH=bot.settings.database_path)
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, "Cannot start: DATABASE_PATH=", "the bot (process", "one bot")


async def test_restore_checks_the_backup_before_touching_the_database(
    tmp_path: Path, database: Path
) -> None:
    repos = await new_database(database)
    await repos.meetings.db.close()
    original = integrity(database), counts(database)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 500)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    damaged = tmp_path / "damaged.db"
    code, _ = await bot_command("backup", str(damaged), database=database)
    assert code == 0
    data = bytearray(damaged.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, page):
        data[offset + 100 : offset + 400] = b"\xff" * 300  # every page after the second
    damaged.write_bytes(bytes(data))

    for backup, says in [
        (junk, "is not a sound SQLite database"),
        (other, "is not a database of this bot"),
        (damaged, str(damaged)),
        (tmp_path / "missing.db", "there is no backup at"),
    ]:
        code, lines = await bot_command("restore", str(backup), database=database)
        assert code == 2, (backup, lines)
        assert len(lines) == 1 and lines[0].startswith("Error: "), lines
        assert says in lines[0] and "Traceback" not in lines[0], lines
        assert (integrity(database), counts(database)) == original
        assert set_aside(database) == []


async def test_restore_refuses_a_backup_from_a_newer_version(
    tmp_path: Path, database: Path
) -> None:
    repos = await new_database(database)
    await repos.meetings.db.close()
    newer = tmp_path / "newer.db"
    code, _ = await bot_command("backup", str(newer), database=database)
    assert code == 0
    with sqlite3.connect(newer) as conn:
        conn.execute("INSERT INTO schema_migrations (number, name) VALUES (9999, 'future')")
    conn.close()
    code, lines = await bot_command("restore", str(newer), database=database)
    assert code == 2
    assert "newer version of the bot (it has migration 9999)" in lines[0]


async def test_an_unclean_database_is_kept_aside_whole_with_its_log(
    tmp_path: Path, database: Path
) -> None:
    """A bot killed with its last writes still in the -wal: they go aside with the file."""
    repos = await new_database(database)
    await repos.meetings.db.close()
    backup = tmp_path / "backup.db"
    code, _ = await bot_command("backup", str(backup), database=database)
    assert code == 0
    crash = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA journal_mode=WAL')\n"
        "conn.execute('PRAGMA wal_autocheckpoint=0')\n"
        "conn.execute(\"INSERT INTO committees (key, name) VALUES ('LAST', 'Written last')\")\n"
        "os._exit(0)\n"
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", crash, str(database))
    assert await process.wait() == 0
    assert exists(f"{database}-wal")

    code, lines = await bot_command("restore", str(backup), database=database)
    assert code == 0, lines
    [aside] = database.parent.glob("scrutiny.db.before-restore-*[0-9Z]")
    assert exists(f"{aside}-wal")
    assert not exists(f"{database}-wal")
    with sqlite3.connect(aside) as conn:
        assert conn.execute("SELECT name FROM committees WHERE key = 'LAST'").fetchone() == (
            "Written last",
        )
    conn.close()
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT count(*) FROM committees WHERE key = 'LAST'").fetchone() == (0,)
    conn.close()


async def test_backup_never_replaces_a_file_unless_told(tmp_path: Path, database: Path) -> None:
    repos = await new_database(database)
    await repos.meetings.db.close()
    existing = tmp_path / "existing.db"
    existing.write_text("an older backup", encoding="utf-8")
    code, lines = await bot_command("backup", str(existing), database=database)
    assert (code, lines) == (2, [f"Error: {existing} already exists: give --force to replace it"])
    assert existing.read_text(encoding="utf-8") == "an older backup"
    link = tmp_path / "link.db"
    link.symlink_to(existing)
    code, lines = await bot_command("backup", str(link), "--force", database=database)
    assert code == 2 and "symbolic link" in lines[0]
    assert existing.read_text(encoding="utf-8") == "an older backup"
    code, lines = await bot_command("backup", str(existing), "--force", database=database)
    assert code == 0, lines
    assert integrity(existing) == ["ok"]
    code, lines = await bot_command("backup", str(database), "--force", database=database)
    assert code == 2 and "is the database itself" in lines[0]
    code, lines = await bot_command("backup", str(tmp_path / "nope" / "x.db"), database=database)
    assert code == 2 and "there is no folder" in lines[0]
    code, lines = await bot_command(
        "backup", str(tmp_path / "x.db"), database=tmp_path / "missing.db"
    )
    assert code == 2 and "There is no database at" in lines[0]


def test_restore_onto_a_new_machine_creates_the_database(tmp_path: Path) -> None:
    """No database yet (a new server): the backup becomes it, and nothing is set aside."""
    source = tmp_path / "old" / "scrutiny.db"

    async def make() -> None:
        repos = await new_database(source)
        await repos.meetings.db.close()

    asyncio.run(make())
    backup = tmp_path / "backup.db"
    backup_database(source, backup)
    target = tmp_path / "new" / "scrutiny.db"
    restored = restore_database(backup, target, NOW)
    assert restored.aside is None
    assert integrity(target) == ["ok"]
    assert mode(target.parent) == 0o700
    with pytest.raises(BackupProblem, match="is the database itself"):
        restore_database(target, target, NOW)


def test_a_backup_that_fails_the_integrity_check_is_refused(tmp_path: Path) -> None:
    """Readable, but an index no longer matches its table: integrity_check says so."""
    backup = tmp_path / "broken.db"
    conn = sqlite3.connect(backup, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TABLE tally (a TEXT, b TEXT)")
    conn.execute("CREATE INDEX tally_a ON tally (a)")
    conn.execute("INSERT INTO tally VALUES ('x', 'y')")
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX tally_a ON tally (b)' WHERE name = 'tally_a'"
    )
    conn.close()
    target = tmp_path / "data" / "scrutiny.db"
    with pytest.raises(
        BackupProblem, match=r"broken\.db fails SQLite's integrity check: row 1 missing from index"
    ):
        restore_database(backup, target, NOW)
    assert not target.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can restore for another user")
def test_a_restore_run_as_root_leaves_the_files_to_the_bots_user(tmp_path: Path) -> None:
    """IT often runs commands as root: the bot's user must still open what it leaves."""
    source = tmp_path / "old" / "scrutiny.db"

    async def make() -> None:
        repos = await new_database(source)
        await repos.meetings.db.close()

    asyncio.run(make())
    backup = tmp_path / "backup.db"
    backup_database(source, backup)
    bots_user = 4242
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    os.chown(folder, bots_user, bots_user)
    restore_database(backup, folder / "scrutiny.db", NOW)
    for left in (folder / "scrutiny.db", lock_path(folder / "scrutiny.db")):
        assert (left.stat().st_uid, left.stat().st_gid) == (bots_user, bots_user), left


@pytest.mark.parametrize(
    ("command", "tool"), [("backup", "back it up with pg_dump"), ("restore", "with pg_restore")]
)
async def test_backup_and_restore_refuse_a_record_in_postgresql_naming_its_tools(
    tmp_path: Path, command: str, tool: str
) -> None:
    """They copy and replace the SQLite file: with DATABASE_URL they would act on a file
    that is not the bot's record."""
    backup = tmp_path / "copy.db"
    database = tmp_path / "scrutiny.db"
    if command == "restore":
        backup.write_bytes(b"a backup, never read")
    code, lines = await start(
        "--env-file",
        os.devnull,
        command,
        str(backup),
        env={
            "DATABASE_URL": "postgresql://scrutiny@db.example.org/scrutiny",
            "DATABASE_PATH": str(database),
        },
    )
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith(
        f"Error: {command} works on the SQLite file (DATABASE_PATH) only, and DATABASE_URL "
        "puts the bot's record in PostgreSQL: "
    )
    assert tool in lines[0]
    assert not database.exists()
    assert exists(backup) == (command == "restore")


def test_the_nightly_backup_is_refused_with_a_record_in_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        settings_from_env(
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "secret",
                "DATABASE_URL": "postgresql://scrutiny@db.example.org/scrutiny",
                "BACKUP_DIR": str(tmp_path),
            }
        )
    assert str(refused.value).startswith("BACKUP_DIR copies the SQLite file")
    assert "pg_dump" in str(refused.value) and "\n" not in str(refused.value)
