"""The SQLite database: one writer connection, a pool of readers, numbered migrations.

The rules that keep concurrent work from losing a write (the bot's listeners, its scheduled
jobs and the command-line tools all write to the same file):

1. **Every write is one unit of work in its own transaction**: ``async with db.transaction()
   as tx``. Transactions run one at a time on the writer connection (an ``asyncio.Lock``),
   each opened with ``BEGIN IMMEDIATE``, so one coroutine's commit can never commit another's
   half-done work.
2. **The writer connection never reads outside a transaction.** A read left open on a
   connection pins an old snapshot; when another process then commits, that connection's
   ``BEGIN IMMEDIATE`` fails at once with SQLITE_BUSY_SNAPSHOT and SQLite's busy timeout never
   applies. Reads outside a transaction go to the reader connections instead, and every read
   runs to completion (rows fetched, statement reset) before its connection is handed back.
3. **Busy is waited out.** ``BEGIN IMMEDIATE`` that finds another process writing is retried
   with backoff for up to ``BUSY_PATIENCE`` seconds, whatever form SQLITE_BUSY takes.
4. **Reads that must agree with each other** (several queries making one answer) use
   ``async with db.snapshot() as read``: one read transaction on one reader connection.
5. **The one exception, ``write_now``** (storing a Slack event before its ack): a few
   statements in one transaction on a second connection, on the event loop's own thread,
   only when no one has the writer, and with no wait at all for a lock (it gives way to the
   writer instead). It never blocks the loop on another process.

Repositories speak to the database only through ``Tx`` (inside a transaction) and the
``fetchone``/``fetchall`` helpers here, with ``?`` placeholders.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sqlite3
import stat
from collections import deque
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    Sized,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite

from storage.migrations import MIGRATIONS, Migration

logger = logging.getLogger(__name__)

Params = Sequence[Any] | Mapping[str, Any]
T = TypeVar("T")

READERS = 3
"""Reader connections: reads from concurrent listeners do not queue behind each other."""

BUSY_PATIENCE = 60.0
"""Seconds a unit of work keeps trying to start while another process holds the write lock."""

BUSY_TIMEOUT_MS = 2_000
"""SQLite's own wait for a lock, per attempt (it applies only when no snapshot is pinned)."""

IN_LIST_SIZE = 500
"""Values per ``IN (...)`` list, well inside SQLite's limit on parameters."""

CHECKPOINT_TRIES = 20
"""Times a checkpoint is tried (0.1 s apart) while another connection is still reading."""

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


class Row(Protocol):
    """A result row, read by column name."""

    def __getitem__(self, key: str) -> Any: ...

    def keys(self) -> list[str]: ...


class StorageError(Exception):
    """The database could not do what was asked (not a problem with the input)."""


class IntegrityError(StorageError):
    """A constraint refused the change (a duplicate key, a missing reference)."""


class DatabaseBusy(StorageError):
    """Another process held the write lock for longer than ``BUSY_PATIENCE``."""


class DatabaseUnavailable(StorageError):
    """The database file cannot be opened or written: one line saying why."""


@dataclass(frozen=True)
class Result:
    """What a statement changed: rows affected, and the id of a row inserted."""

    rowcount: int
    lastrowid: int | None


def in_lists(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``IN_LIST_SIZE``, one ``IN (...)`` query each."""
    for start in range(0, len(values), IN_LIST_SIZE):
        yield values[start : start + IN_LIST_SIZE]


def marks(values: Sized) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list of ``values``."""
    return ", ".join("?" for _ in range(len(values)))


def is_busy(error: BaseException) -> bool:
    """SQLITE_BUSY in any of its forms (locked, busy snapshot, busy recovery...)."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(error).lower()
    return "locked" in text or "busy" in text


class WriterTurns:
    """Whose turn it is on the writer connection: one at a time, urgent ones first."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @property
    def busy(self) -> bool:
        """Someone has the writer (it may be working in its thread)."""
        return self._busy

    @asynccontextmanager
    async def turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        if self._busy:
            waiting: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            (self._urgent if urgent else self._normal).append(waiting)
            try:
                await waiting
            except BaseException:
                if waiting.done() and not waiting.cancelled():
                    self._hand_on()  # the turn was given to us as we were cancelled
                else:
                    queue = self._urgent if urgent else self._normal
                    if waiting in queue:
                        queue.remove(waiting)
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiting = queue.popleft()
                if not waiting.done():
                    waiting.set_result(None)
                    return
        self._busy = False


class Tx:
    """One unit of work's connection, inside its transaction."""

    dialect = "sqlite"
    """Which SQL the database speaks: "sqlite" or "postgresql"."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> Result:
        try:
            return await in_thread(self._conn, _statement, sql, params)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from error

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new row's id."""
        result = await self.execute(sql, params)
        if result.lastrowid is None:
            raise StorageError(f"no row id after {sql.split('(')[0].strip()}")
        return result.lastrowid

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        try:
            await self._conn.executemany(sql, rows)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from error

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await in_thread(self._conn, _rows, sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await in_thread(self._conn, _rows, sql, params)


def in_thread(conn: aiosqlite.Connection, work: Callable[..., T], *args: Any) -> Awaitable[T]:
    """``work(sqlite3_connection, *args)`` on the connection's own thread, in one hand-over.

    aiosqlite's cursor methods each cross between the event loop and the connection's
    thread (execute, fetch, close: three crossings for one query). Every crossing waits for
    the event loop, which is busy answering Slack, and a transaction holds the writer all
    that time; one crossing per statement keeps transactions short and the loop free.
    """
    queue: Callable[[Callable[[], T]], Awaitable[T]] = conn._execute  # aiosqlite's own queue
    return queue(lambda: work(conn._conn, *args))


def _statement(conn: sqlite3.Connection, sql: str, params: Params) -> Result:
    cursor = conn.execute(sql, params)
    try:
        return Result(cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


def _all_or_nothing(
    conn: sqlite3.Connection, statements: Sequence[tuple[str, Params]]
) -> list[Result]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        results = [_statement(conn, sql, params) for sql, params in statements]
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return results


def _rows(conn: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    cursor = conn.execute(sql, params)
    try:
        return list(cursor.fetchall())
    finally:
        cursor.close()


class Database:
    """The bot's SQLite file: ``transaction()`` for writes, ``fetchone``/``fetchall`` to read."""

    dialect = "sqlite"
    """Which SQL the database speaks: "sqlite" or "postgresql" (storage/pg.py)."""
    migrations: tuple[Migration, ...] = MIGRATIONS
    """The numbered migrations, in this dialect."""
    now_text_sql = "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
    """The time now as ISO text in UTC, in this dialect (when a migration was applied)."""

    def __init__(self, path: str | Path, *, readers: int = READERS) -> None:
        self.path = str(path)
        self._readers_wanted = readers
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] | None = None
        self._all_readers: list[aiosqlite.Connection] = []
        self._lock = WriterTurns()
        self._at_once: sqlite3.Connection | None = None
        """For ``write_now``: used only on the event loop's thread, never waits for a lock."""

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating a private folder and file as needed) and migrate the database."""
        db = cls(path)
        try:
            await db.connect()
            await db.migrate()
        except BaseException:
            await db.close()
            raise
        return db

    async def connect(self) -> None:
        prepare_private_file(Path(self.path))
        try:
            writer = self._writer = await self._connection()
            await _with_patience(lambda: _run(writer, "PRAGMA journal_mode=WAL"))
            self._readers = asyncio.Queue()
            for _ in range(self._readers_wanted):
                reader = await self._connection()
                self._all_readers.append(reader)
                await _run(reader, "PRAGMA query_only=ON")
                self._readers.put_nowait(reader)
            self._at_once = _connect_at_once(self.path)
        except sqlite3.DatabaseError as error:
            raise DatabaseUnavailable(str(error)) from None
        make_private(Path(self.path))

    async def _connection(self) -> aiosqlite.Connection:
        # isolation_level=None: BEGIN and COMMIT are ours, and reads are never left open.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        try:
            for pragma in (
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA foreign_keys=ON",
                "PRAGMA synchronous=NORMAL",
            ):
                await _run(conn, pragma)
        except BaseException:
            await conn.close()
            raise
        return conn

    async def close(self) -> None:
        connections = [*self._all_readers, *([self._writer] if self._writer else [])]
        self._writer, self._readers, self._all_readers = None, None, []
        if self._at_once is not None:
            self._at_once.close()
            self._at_once = None
        for conn in connections:
            await conn.close()

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    def _writer_conn(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise StorageError("the database is not open")
        return self._writer

    @asynccontextmanager
    async def transaction(
        self, *, urgent: bool = False, secure_delete: bool = False
    ) -> AsyncIterator[Tx]:
        """One unit of work: its own ``BEGIN IMMEDIATE`` ... ``COMMIT``, or rolled back.

        ``urgent`` units (storing an event before Slack is acknowledged) go before the others
        waiting for the writer, so an ack never queues behind background work.
        ``secure_delete`` units (erasing or pseudonymising people) have SQLite overwrite what
        they delete or replace with zeros, instead of leaving it in the file's free space.
        """
        async with self._lock.turn(urgent=urgent):
            conn = self._writer_conn()
            if secure_delete:
                await _run(conn, "PRAGMA secure_delete=ON")
            try:
                await _begin_immediate(conn)
                try:
                    yield Tx(conn)
                except BaseException:
                    await _rollback(conn)
                    raise
                try:
                    await _run(conn, "COMMIT")
                except BaseException:
                    await _rollback(conn)
                    raise
            finally:
                if secure_delete:
                    await asyncio.shield(_run(conn, "PRAGMA secure_delete=OFF"))

    async def write(self, sql: str, params: Params = (), *, urgent: bool = False) -> list[Row]:
        """One statement as a transaction of its own (SQLite commits it), in one hand-over
        to the writer's thread; the rows it returns (``RETURNING``), if any."""
        async with self._lock.turn(urgent=urgent):
            conn = self._writer_conn()
            try:
                return await _with_patience(lambda: in_thread(conn, _rows, sql, params))
            except sqlite3.IntegrityError as error:
                raise IntegrityError(str(error)) from error

    async def write_all(
        self, statements: Sequence[tuple[str, Params]], *, urgent: bool = False
    ) -> list[Result]:
        """Statements that need nothing read in between, as one transaction handed to the
        writer's thread at once: storing events before Slack is acknowledged waits for no
        crossing back to a busy event loop. All or nothing."""
        async with self._lock.turn(urgent=urgent):
            conn = self._writer_conn()
            try:
                return await _with_patience(lambda: in_thread(conn, _all_or_nothing, statements))
            except sqlite3.IntegrityError as error:
                raise IntegrityError(str(error)) from error

    def write_now(self, statements: Sequence[tuple[str, Params]]) -> list[Result] | None:
        """``write_all`` done at once on the event loop's own thread, when nothing else is
        writing: storing a Slack event before its ack then waits for no hand-over between
        threads (a few rows: well under a millisecond). None when the writer is taken, here
        or by another process (it never waits for a lock): then use ``write_all``."""
        conn = self._at_once
        if conn is None or self._lock.busy:
            return None
        try:
            return _all_or_nothing(conn, statements)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from error
        except sqlite3.OperationalError as error:
            if is_busy(error):
                return None
            raise

    @asynccontextmanager
    async def exclusive(self, job: str) -> AsyncIterator[bool]:
        """Whether this process is the one to run scheduled ``job`` now (held until the block
        ends). On SQLite always: one bot runs on a file (its run lock refuses a second)."""
        yield True

    async def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database file and empty it, so that what was
        replaced is gone from the ``-wal`` file too. False when another connection was still
        reading an older state (the next checkpoint finishes the job)."""
        async with self._lock.turn():
            conn = self._writer_conn()

            async def attempt() -> bool:
                async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                    row = await cursor.fetchone()
                return row is not None and int(row[0]) == 0

            for _ in range(CHECKPOINT_TRIES - 1):
                if await _with_patience(attempt):
                    return True
                await asyncio.sleep(0.1)
            return await _with_patience(attempt)

    async def vacuum(self) -> bool:
        """Rewrite the file without free pages (``VACUUM``), then ``checkpoint()``: nothing
        deleted before stays in the file's bytes. Returns what the checkpoint returns."""
        await self.checkpoint()
        async with self._lock.turn():
            conn = self._writer_conn()
            await _with_patience(lambda: _run(conn, "VACUUM"))
        return await self.checkpoint()

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._readers is None:
            raise StorageError("the database is not open")
        queue = self._readers
        conn = await queue.get()
        try:
            yield conn
        finally:
            queue.put_nowait(conn)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Tx]:
        """Several reads that see the same moment: one read transaction on one reader."""
        async with self._reader() as conn:
            await _with_patience(lambda: _run(conn, "BEGIN DEFERRED"))
            try:
                yield Tx(conn)
            finally:
                await _rollback(conn)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._reader() as conn:
            return await _with_patience(lambda: in_thread(conn, _rows, sql, params))

    async def applied_migrations(self) -> list[int]:
        rows = await self.fetchall("SELECT number FROM schema_migrations ORDER BY number")
        return [int(r["number"]) for r in rows]

    async def migrate(self) -> list[int]:
        """Apply every migration not yet recorded, each in its own transaction."""
        async with self.transaction() as tx:
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL"
                f" DEFAULT ({self.now_text_sql}))"
            )
        applied: list[int] = []
        for migration in self.migrations:
            async with self.transaction() as tx:
                done = await tx.fetchone(
                    "SELECT 1 FROM schema_migrations WHERE number = ?", (migration.number,)
                )
                if done is not None:
                    continue
                for statement in migration.statements:
                    await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_migrations (number, name) VALUES (?, ?)",
                    (migration.number, migration.name),
                )
            logger.info("applied migration %04d %s", migration.number, migration.name)
            applied.append(migration.number)
        return applied


def _connect_at_once(path: str) -> sqlite3.Connection:
    """A connection that gives up at once when the file is locked, and leaves checkpoints
    (which may wait for the disk) to the writer."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in (
        "PRAGMA busy_timeout=0",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA wal_autocheckpoint=0",
    ):
        conn.execute(pragma).close()
    return conn


async def _begin_immediate(conn: aiosqlite.Connection) -> None:
    await _with_patience(lambda: _run(conn, "BEGIN IMMEDIATE"))


async def _run(conn: aiosqlite.Connection, sql: str) -> None:
    """A statement that returns no rows, its cursor closed at once."""
    await in_thread(conn, _statement, sql, ())


async def _with_patience(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run ``attempt()`` again with backoff while SQLite says it is busy, up to the patience."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BUSY_PATIENCE
    pause = 0.005
    while True:
        try:
            return await attempt()
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            if loop.time() >= deadline:
                raise DatabaseBusy(
                    f"the database stayed locked by another process for {BUSY_PATIENCE:.0f} s"
                ) from error
            logger.debug("database busy (%s); trying again in %.3f s", error, pause)
            await asyncio.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.25)


async def _rollback(conn: aiosqlite.Connection) -> None:
    """Roll back whatever is open; safe when nothing is (a failed BEGIN, a finished read)."""
    try:
        await asyncio.shield(_run(conn, "ROLLBACK"))
    except sqlite3.OperationalError as error:
        if "no transaction is active" not in str(error):
            raise


def prepare_private_file(path: Path) -> None:
    """Create the database's folder (0700) and file (0600) before SQLite opens it.

    The file holds unpublished answers and the names of young people: nobody but the bot's
    own user may read it, whatever the umask. Problems become one line (DatabaseUnavailable).
    """
    if str(path) == ":memory:":
        raise DatabaseUnavailable("the database must be a file, not :memory:")
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(parents=True, mode=PRIVATE_FOLDER)
            os.chmod(folder, PRIVATE_FOLDER)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, PRIVATE_FILE)
            os.close(fd)
    except FileExistsError:
        pass
    except OSError as error:
        raise DatabaseUnavailable(
            f"cannot create the database at {path}: {error.strerror or error}"
        ) from None
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseUnavailable(
            f"the database at {path} (or its folder) is not writable by this user"
        )


def make_private(path: Path) -> None:
    """Take group and other permissions off the database and its -wal and -shm files."""
    for item in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(item.stat().st_mode)
            if mode & 0o077:
                os.chmod(item, mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("could not make %s private: %s", item, error)
    try:
        if stat.S_IMODE(path.parent.stat().st_mode) & 0o077:
            logger.warning(
                "the database's folder %s can be listed by other users: chmod 700 it",
                path.parent,
            )
    except OSError:
        pass
