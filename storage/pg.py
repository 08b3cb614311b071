"""The bot's store on PostgreSQL (asyncpg), behind the same interface as the SQLite ``Database``.

Repositories keep writing SQLite-flavoured SQL with ``?`` (or ``:name``) placeholders;
``translate`` turns each statement into PostgreSQL's once and remembers it:

* ``?`` becomes ``$1, $2...`` and ``:name`` a numbered parameter, never inside a string
  literal, a quoted name or a comment;
* ``INSERT OR IGNORE`` becomes ``INSERT ... ON CONFLICT DO NOTHING``;
* an ``INSERT`` into a table with an ``id`` column gets ``RETURNING id``, so that
  ``Result.lastrowid`` and ``Tx.insert`` give the new row's id as they do on SQLite.

Values are stored as they are on SQLite (moments as ISO text, yes/no as 0/1), so the codecs
are the same. Writes keep SQLite's rule of one unit of work at a time: each write transaction
takes one advisory lock first, so no two read-then-write units of work interleave, whichever
process (on whichever machine) they run in.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import asyncpg

from storage.db import (
    Database,
    DatabaseUnavailable,
    IntegrityError,
    Params,
    Result,
    Row,
    StorageError,
    Tx,
    WriterTurns,
)
from storage.pg_migrations import PG_MIGRATIONS

logger = logging.getLogger(__name__)

POOL_SIZE = 5
"""Connections: one for the writer, the rest for reads that run alongside it."""

WRITE_LOCK = 0x5C2_0001
"""The advisory lock every write transaction takes first (any number the bot alone uses)."""

JOB_LOCKS = 0x5C2
"""The first key of each scheduled job's advisory lock (the second is from its name). Locks
on two 32-bit keys never conflict with the single 64-bit ``WRITE_LOCK``."""

SCHEMA_WRITE_LOCKS = 0x5C3
"""The first key of a workspace schema's write lock (the second is from the schema's name):
one workspace's writes never wait for another's."""

SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_TOKENS = re.compile(
    r"""
      (?P<dollar>\$\$.*?\$\$)
    | (?P<literal>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<comment>--[^\n]*)
    | (?P<cast>::)
    | (?P<mark>\?)
    | (?P<named>:[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.DOTALL,
)
_INSERT = re.compile(r"^\s*INSERT\s+(?P<ignore>OR\s+IGNORE\s+)?INTO\s+\"?(?P<table>\w+)\"?", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)


@dataclass(frozen=True)
class Statement:
    """One statement in PostgreSQL's words, and how to give it its parameters."""

    sql: str
    names: tuple[str, ...] | None
    """For ``:name`` placeholders, the name of each ``$n`` in turn; None for ``?``."""
    returns_rows: bool

    def arguments(self, params: Params) -> list[Any]:
        if self.names is None:
            if isinstance(params, Mapping):
                raise StorageError("named parameters given to a statement with ? placeholders")
            return list(params)
        if not isinstance(params, Mapping):
            raise StorageError("a statement with :name placeholders needs named parameters")
        return [params[name] for name in self.names]


def placeholders(sql: str) -> tuple[str, tuple[str, ...] | None]:
    """``sql`` with ``?`` and ``:name`` as ``$n`` (outside literals, quoted names and
    comments), and the names in order when they were named."""
    numbered = 0
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        nonlocal numbered
        if match.lastgroup == "mark":
            numbered += 1
            return f"${numbered}"
        if match.lastgroup == "named":
            name = match.group()[1:]
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        return match.group()

    text = _TOKENS.sub(replace, sql)
    if numbered and names:
        raise StorageError("a statement mixes ? and :name placeholders")
    return text, (tuple(names) if names else None)


def translate(sql: str, id_tables: frozenset[str] = frozenset()) -> Statement:
    """``sql`` (as written for SQLite) for PostgreSQL. ``id_tables``: the tables with an
    ``id`` column, whose INSERTs return the new id."""
    text, names = placeholders(sql.strip().rstrip(";"))
    insert = _INSERT.match(text)
    returns_rows = bool(_RETURNING.search(_without_literals(text)))
    if insert is not None:
        if insert.group("ignore"):
            text = text[: insert.start("ignore")] + text[insert.end("ignore") :]
            returning = _RETURNING.search(_without_literals(text))
            at = returning.start() if returning else len(text)
            text = f"{text[:at].rstrip()} ON CONFLICT DO NOTHING {text[at:]}".rstrip()
        if not returns_rows and insert.group("table").lower() in id_tables:
            text += " RETURNING id"
            returns_rows = True
    return Statement(text, names, returns_rows)


def _without_literals(sql: str) -> str:
    return _TOKENS.sub(
        lambda m: "''" if m.lastgroup in ("dollar", "literal", "quoted", "comment") else m.group(),
        sql,
    )


def _rowcount(status: str) -> int:
    """Rows affected, from a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgTx(Tx):
    """One unit of work's connection, inside its PostgreSQL transaction."""

    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection, store: PostgresDatabase) -> None:
        self._pg = conn
        self._store = store

    async def execute(self, sql: str, params: Params = ()) -> Result:
        statement = self._store.statement(sql)
        arguments = statement.arguments(params)
        try:
            if statement.returns_rows:
                rows = await self._pg.fetch(statement.sql, *arguments)
                last = rows[-1]["id"] if rows and "id" in rows[-1] else None
                return Result(len(rows), int(last) if last is not None else None)
            status = await self._pg.execute(statement.sql, *arguments)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise IntegrityError(str(error)) from error
        return Result(_rowcount(status), None)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        for params in rows:
            await self.execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        statement = self._store.statement(sql)
        try:
            rows = await self._pg.fetch(statement.sql, *statement.arguments(params))
        except asyncpg.IntegrityConstraintViolationError as error:
            raise IntegrityError(str(error)) from error
        return cast(list[Row], rows)


def _text(value: Any) -> str:
    """Text parameters take what SQLite would have stored as text: a number given for a
    text column is stored and compared as its digits, as SQLite's column affinity does,
    where asyncpg alone would refuse it."""
    return value if isinstance(value, str) else str(value)


async def _prepare(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "text", schema="pg_catalog", encoder=_text, decoder=str, format="text"
    )


class PostgresDatabase(Database):
    """The bot's store in a PostgreSQL database: ``transaction()`` for writes,
    ``fetchone``/``fetchall`` to read, exactly as on SQLite.

    It is a ``Database`` so that every repository takes it as it is; it overrides every
    method that reaches a connection and never opens a SQLite file.
    """

    dialect = "postgresql"
    migrations = PG_MIGRATIONS
    now_text_sql = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE, schema: str | None = None) -> None:
        if schema is None and "#" in url:  # one workspace's record: url#schema
            url, schema = url.split("#", 1)
        if schema is not None and not SCHEMA_NAME.match(schema):
            raise StorageError(f"{schema!r} is not a schema name this store would make")
        super().__init__(without_password(url) + (f" (schema {schema})" if schema else ""))
        self.url = url
        self.schema = schema
        """A schema of its own (one workspace's record), or None: the URL's default."""
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._turns = WriterTurns()
        self._statements: dict[str, Statement] = {}
        self._id_tables: frozenset[str] = frozenset()

    @classmethod
    async def open(cls, url: str | Path, *, schema: str | None = None) -> PostgresDatabase:
        """Connect to the database at ``url`` (in ``schema``, made if missing) and apply the
        migrations it has not had."""
        db = cls(str(url), schema=schema)
        try:
            await db.connect()
            await db.migrate()
        except BaseException:
            await db.close()
            raise
        return db

    async def connect(self) -> None:
        settings = {}
        try:
            if self.schema is not None:
                # Every name the bot's SQL uses is found in this schema alone.
                conn = await asyncpg.connect(self.url)
                try:
                    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                finally:
                    await conn.close()
                settings["search_path"] = f'"{self.schema}"'
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self._pool_size,
                init=_prepare,
                server_settings=settings,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {self.path}: {error}"
            ) from None
        await self._learn_id_tables()

    @property
    def id_tables(self) -> frozenset[str]:
        """The tables with an ``id`` identity column."""
        return self._id_tables

    async def _learn_id_tables(self) -> None:
        rows = await self.fetchall(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'id'"
        )
        self._id_tables = frozenset(str(r["table_name"]) for r in rows)
        self._statements.clear()

    def statement(self, sql: str) -> Statement:
        """``sql`` translated for PostgreSQL (each text once)."""
        found = self._statements.get(sql)
        if found is None:
            found = self._statements[sql] = translate(sql, self._id_tables)
        return found

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    def _the_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageError("the database is not open")
        return self._pool

    @asynccontextmanager
    async def transaction(
        self, *, urgent: bool = False, secure_delete: bool = False
    ) -> AsyncIterator[Tx]:
        """One unit of work in its own transaction, after every other unit of work (in any
        process) has finished: committed, or rolled back on an exception.

        ``urgent`` units go before the others waiting in this process. ``secure_delete``
        changes nothing here: PostgreSQL keeps no free-page copies for it to overwrite
        (space freed by deletes is reused after ``VACUUM``)."""
        async with (
            self._turns.turn(urgent=urgent),
            self._the_pool().acquire() as conn,
            conn.transaction(),
        ):
            if self.schema is None:
                await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            else:
                await conn.execute(
                    "SELECT pg_advisory_xact_lock($1, $2)", SCHEMA_WRITE_LOCKS, _key(self.schema)
                )
            yield PgTx(conn, self)

    async def write(self, sql: str, params: Params = (), *, urgent: bool = False) -> list[Row]:
        """One statement as a transaction of its own; the rows it returns, if any."""
        async with self.transaction(urgent=urgent) as tx:
            statement = self.statement(sql)
            if statement.returns_rows:
                return await tx.fetchall(sql, params)
            await tx.execute(sql, params)
            return []

    async def write_all(
        self, statements: Sequence[tuple[str, Params]], *, urgent: bool = False
    ) -> list[Result]:
        """Statements that need nothing read in between, in one transaction. All or nothing."""
        async with self.transaction(urgent=urgent) as tx:
            return [await tx.execute(sql, params) for sql, params in statements]

    def write_now(self, statements: Sequence[tuple[str, Params]]) -> list[Result] | None:
        """Always None: asyncpg cannot write without awaiting, so the caller stores the
        event with ``write_all`` (its urgent turn) instead."""
        return None

    @asynccontextmanager
    async def exclusive(self, job: str) -> AsyncIterator[bool]:
        """True for the one replica that gets ``job``'s advisory lock, held until the block
        ends; False at once for the others, which skip this run of the job. The lock is on a
        connection of its own, so a long job holds none of the pool's."""
        key = _key(job if self.schema is None else f"{self.schema}:{job}")
        try:
            conn = await asyncpg.connect(self.url)
        except (OSError, asyncpg.PostgresError) as error:
            raise DatabaseUnavailable(str(error)) from None
        try:
            mine = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", JOB_LOCKS, key))
            yield mine
        finally:
            await conn.close()  # ends the session, and with it the lock

    async def checkpoint(self) -> bool:
        """Nothing to do: the server looks after its own write-ahead log. Always True."""
        return True

    async def vacuum(self) -> bool:
        """``VACUUM FULL`` of every table of the bot's schema, as SQLite's VACUUM rewrites
        its file: each table (and its indexes) is written anew without the old versions of
        its rows, and the old files are dropped. Each table is locked while it is rewritten
        (a moment for the bot's tables). What the server keeps elsewhere (its write-ahead
        log, archives, backups) is its own to manage. Returns True."""
        rows = await self.fetchall(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
        names = ", ".join('"' + str(r["tablename"]).replace('"', '""') + '"' for r in rows)
        if names:
            await self._the_pool().execute(f"VACUUM (FULL) {names}")
        return True

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Tx]:
        """Several reads that see the same moment: one read-only repeatable-read transaction."""
        async with (
            self._the_pool().acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield PgTx(conn, self)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._the_pool().acquire() as conn:
            return await PgTx(conn, self).fetchall(sql, params)

    async def migrate(self) -> list[int]:
        """``Database.migrate`` with PostgreSQL's migrations; then the tables with an id."""
        applied = await super().migrate()
        await self._learn_id_tables()
        return applied


def _key(name: str) -> int:
    """A lock's 32-bit key from a name."""
    return zlib.crc32(name.encode()) & 0x7FFF_FFFF


def without_password(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    return re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", url)
