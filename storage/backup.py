"""Copies of the database that can be trusted, and putting one back.

- ``backup_database`` copies the live file with SQLite's online backup API in **one step**:
  one read snapshot, so the copy is consistent, and with the write-ahead log the bot's writers
  carry on meanwhile. (A backup in several steps restarts whenever another connection writes,
  so under steady use it might never finish.) The caller runs it in a thread. The copy is
  written beside its destination as a private file, checked with ``PRAGMA integrity_check``,
  and only then given its name.
- ``RunLock``: the running bot holds an exclusive lock on ``<database>.bot-lock`` for as long
  as it runs (the kernel releases it when the process ends, however it ends). ``restore``
  takes the same lock without waiting: if it cannot, the bot is running.
- ``restore_database`` checks the backup, keeps the database it replaces aside (with its
  ``-wal`` and ``-shm`` files, renamed together so SQLite still reads them as one), then
  renames the checked copy into place, so there is never a moment without a database.

Every problem is a ``BackupProblem`` whose message is one line for the operator.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage.db import PRIVATE_FOLDER
from storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".bot-lock"
COMPANIONS = ("-wal", "-shm")
"""The files SQLite keeps beside a database in WAL mode, named after it."""
BUSY_SECONDS = 60.0
"""How long opening a database waits for a lock held by another connection."""


class BackupProblem(Exception):
    """A backup or restore that cannot be done: one line saying why."""


class DatabaseInUse(BackupProblem):
    """Another process (the running bot, or a restore) holds the database's run lock."""


@dataclass(frozen=True)
class Copy:
    """A backup that was written and checked."""

    path: Path
    size: int
    latest_migration: int


@dataclass(frozen=True)
class Restored:
    """A database put back from a backup; ``aside`` is where the one it replaced went."""

    database: Path
    backup: Path
    latest_migration: int
    aside: Path | None


def lock_path(database: Path) -> Path:
    return Path(f"{database}{LOCK_SUFFIX}")


class RunLock:
    """An exclusive claim on a database: the running bot's, or a restore's."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def take(cls, database: Path, holder: str) -> RunLock:
        """Take the lock without waiting; ``DatabaseInUse`` names the process holding it.

        ``holder`` (``run``, ``restore``) is written in the lock file with the process id,
        so whoever is refused can be told who holds it.
        """
        make_private_folder(database.parent)
        path = lock_path(database)
        fd = _open_lock_file(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _read_holder(fd)
            os.close(fd)
            raise DatabaseInUse(f"{who} is using {database}") from None
        except OSError as error:
            os.close(fd)
            raise BackupProblem(f"cannot lock {path}: {error.strerror or error}") from None
        with contextlib.suppress(OSError):  # a lock file we may only read still locks
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {holder}\n".encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        """Let go (closing the file releases the lock); the file itself stays."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _open_lock_file(path: Path) -> int:
    """The lock file, created private. Created by root (IT running a restore), it is given
    to the folder's owner, so the bot's own user can still open it; one it cannot write is
    opened to read, which is enough to lock it."""
    flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        try:
            fd = os.open(path, os.O_RDWR | flags, 0o600)
        except PermissionError:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        raise BackupProblem(
            f"cannot open the lock file {path}: {error.strerror or error}"
        ) from None
    if os.geteuid() == 0:
        owner = path.parent.stat()
        with contextlib.suppress(OSError):
            os.fchown(fd, owner.st_uid, owner.st_gid)
    return fd


def _read_holder(fd: int) -> str:
    """Who holds a lock, from its file: e.g. ``the bot (process 1234)``."""
    try:
        words = os.pread(fd, 100, 0).decode("ascii", "replace").split()
    except OSError:
        words = []
    pid = words[0] if words and words[0].isdigit() else None
    what = {"run": "the bot", "restore": "a restore"}.get(words[1] if len(words) > 1 else "")
    what = what or "another process"
    return f"{what} (process {pid})" if pid else what


def make_private_folder(folder: Path) -> None:
    """Create a missing folder readable by this user only (as the database's own is)."""
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, mode=PRIVATE_FOLDER)
        os.chmod(folder, PRIVATE_FOLDER)
    except FileExistsError:
        pass
    except OSError as error:
        raise BackupProblem(
            f"cannot create the folder {folder}: {error.strerror or error}"
        ) from None


def backup_database(source: Path, destination: Path, *, replace: bool = False) -> Copy:
    """Copy the live database to ``destination`` (a new file, or ``replace`` an old one),
    private to this user, checked with ``integrity_check`` before it takes the name.

    Never writes through a symbolic link. ``FileExistsError`` if ``destination`` exists and
    ``replace`` is false.
    """
    if _same_file(source, destination):
        raise BackupProblem(f"{destination} is the database itself: give another file")
    if destination.is_symlink():
        raise BackupProblem(f"{destination} is a symbolic link: give the real file's path")
    staged = _staging_file(destination)
    try:
        _copy(_open_existing(source, read_only=False), staged, str(source))
        latest = check_database(staged, f"the copy of {source}")
        _publish(staged, destination, replace=replace)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return Copy(destination, destination.stat().st_size, latest)


def check_database(path: Path, what: str, *, known: set[int] | None = None) -> int:
    """``integrity_check`` says ok and the file is a database of this bot (it has the
    migrations table): the number of its latest migration. With ``known``, a migration
    this version of the bot does not know is refused."""
    conn = _open_existing(path, read_only=True, what=what)
    try:
        problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise BackupProblem(f"{what} fails SQLite's integrity check: {problems[0]}{more}")
        has_migrations = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if has_migrations is None:
            raise BackupProblem(f"{what} is not a database of this bot (no schema_migrations)")
        numbers = {int(row[0]) for row in conn.execute("SELECT number FROM schema_migrations")}
    except sqlite3.DatabaseError as error:
        raise BackupProblem(f"{what} is not a sound SQLite database ({error})") from None
    finally:
        conn.close()
    unknown = sorted(numbers - known) if known is not None else []
    if unknown:
        raise BackupProblem(
            f"{what} was made by a newer version of the bot (it has migration {unknown[0]}): "
            "restore it with that version"
        )
    return max(numbers, default=0)


KNOWN_MIGRATIONS = {migration.number for migration in MIGRATIONS}


def restore_database(backup: Path, database: Path, now: datetime) -> Restored:
    """Put ``backup`` in place of ``database``, refusing while the bot runs.

    The backup is copied beside the database and checked first; then the database (if any)
    is kept as ``<database>.before-restore-<UTC time>`` with its ``-wal`` and ``-shm``, and
    the checked copy is renamed over the database's name.
    """
    if not backup.is_file():
        raise BackupProblem(f"there is no backup at {backup}")
    if _same_file(backup, database):
        raise BackupProblem(f"{backup} is the database itself: give a backup file")
    lock = RunLock.take(database, "restore")
    try:
        staged = _staging_file(database)
        try:
            _copy(_open_existing(backup, read_only=True, what=str(backup)), staged, str(backup))
            latest = check_database(staged, str(backup), known=KNOWN_MIGRATIONS)
            _keep_owner(staged, database)
            aside = _set_aside(database, now)
            os.replace(staged, database)
            _sync_folder(database.parent)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
    finally:
        lock.release()
    return Restored(database, backup, latest, aside)


def _open_existing(path: Path, *, read_only: bool, what: str | None = None) -> sqlite3.Connection:
    """A connection to a database file that must exist (SQLite would create a missing one)."""
    mode = "ro" if read_only else "rw"
    try:
        return sqlite3.connect(
            f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=BUSY_SECONDS
        )
    except sqlite3.Error as error:
        raise BackupProblem(f"cannot open {what or path}: {error}") from None


def _copy(source: sqlite3.Connection, target: Path, what: str) -> None:
    """SQLite's online backup of ``source`` (``what``) into ``target``, in one step (one
    snapshot); the copy is left as one self-contained file (rollback journal, no ``-wal``)."""
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
        finally:
            copy.close()
    except sqlite3.OperationalError as error:  # disk full, I/O error, locked too long
        raise BackupProblem(f"copying {what} failed: {error}") from None
    except sqlite3.DatabaseError as error:
        raise BackupProblem(f"{what} is not a sound SQLite database ({error})") from None
    finally:
        source.close()


def _staging_file(destination: Path) -> Path:
    """A new private file beside ``destination`` (so renaming it there is atomic)."""
    try:
        handle, name = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial"
        )
    except OSError as error:
        raise BackupProblem(
            f"cannot write in {destination.parent}: {error.strerror or error}"
        ) from None
    os.close(handle)
    return Path(name)


def _publish(staged: Path, destination: Path, *, replace: bool) -> None:
    """Give the checked copy its name: over an old file only when ``replace``."""
    _sync_file(staged)
    if replace:
        os.replace(staged, destination)
    else:
        try:
            os.link(staged, destination)  # fails if the name exists, whatever raced us
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if destination.exists() or destination.is_symlink():
                raise FileExistsError(destination) from None
            os.replace(staged, destination)
        else:
            staged.unlink()
    _sync_folder(destination.parent)


def _set_aside(database: Path, now: datetime) -> Path | None:
    """Keep the database and its -wal and -shm under one new name; None if there was none.

    The database keeps its own name (a hard link is made) until the restored copy replaces
    it; its -wal and -shm move with it, so the restored database never meets an old log.
    """
    companions = [Path(f"{database}{suffix}") for suffix in COMPANIONS]
    if not database.exists() and not any(c.exists() for c in companions):
        return None
    aside = _free_name(database, now)
    try:
        if database.exists():
            try:
                os.link(database, aside)
            except OSError:
                _copy_file(database, aside)
        for suffix, companion in zip(COMPANIONS, companions, strict=True):
            if companion.exists():
                os.replace(companion, Path(f"{aside}{suffix}"))
    except OSError as error:
        raise BackupProblem(
            f"cannot keep {database} aside as {aside}: {error.strerror or error}"
        ) from None
    return aside


def _free_name(database: Path, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = Path(f"{database}.before-restore-{stamp}")
    n = 2
    while any(Path(f"{aside}{s}").exists() for s in ("", *COMPANIONS)):
        aside = Path(f"{database}.before-restore-{stamp}-{n}")
        n += 1
    return aside


def _copy_file(source: Path, target: Path) -> None:
    with source.open("rb") as reading:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as writing:
            while chunk := reading.read(1 << 20):
                writing.write(chunk)


def _keep_owner(staged: Path, database: Path) -> None:
    """Run as root (e.g. by IT), the restored file still belongs to the bot's user: the
    owner of the database it replaces, or of its folder."""
    if os.geteuid() != 0:
        return
    owner = (database if database.exists() else database.parent).stat()
    os.chown(staged, owner.st_uid, owner.st_gid)


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or one.samefile(other)
    except OSError:
        return False


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable; some file systems cannot sync a folder, which is no harm."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
