"""What only the PostgreSQL backend does: SQLite's SQL put in PostgreSQL's words, and
migrations that make the same tables and columns as SQLite's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database, IntegrityError
from storage.pg import PostgresDatabase, translate
from storage.pg_migrations import PG_MIGRATIONS
from storage.store import is_postgresql, open_store, store_location
from tests.pg_server import NOT_INSTALLED, create_database, database_name, drop_database

IDS = frozenset({"questions", "event_inbox"})


def test_question_marks_are_numbered_in_order() -> None:
    statement = translate("SELECT * FROM questions WHERE state = ? AND id > ? LIMIT ?")
    assert statement.sql == "SELECT * FROM questions WHERE state = $1 AND id > $2 LIMIT $3"
    assert statement.arguments(("sent", 4, 10)) == ["sent", 4, 10]


def test_a_question_mark_in_a_literal_a_quoted_name_or_a_comment_is_left_alone() -> None:
    statement = translate(
        "SELECT 'why?' AS \"what?\", ? AS x -- is it?\nFROM t WHERE note = 'it''s ?' AND y = ?"
    )
    assert statement.sql == (
        "SELECT 'why?' AS \"what?\", $1 AS x -- is it?\nFROM t WHERE note = 'it''s ?' AND y = $2"
    )


def test_named_parameters_are_numbered_once_each() -> None:
    statement = translate("SELECT 1 FROM q WHERE id = :id AND due < :cutoff OR done < :cutoff")
    assert statement.sql == "SELECT 1 FROM q WHERE id = $1 AND due < $2 OR done < $2"
    assert statement.arguments({"cutoff": "2026", "id": 7}) == [7, "2026"]
    assert translate("SELECT '10:30' AS t, x::text FROM y").sql == (
        "SELECT '10:30' AS t, x::text FROM y"
    )


def test_insert_or_ignore_does_nothing_on_conflict() -> None:
    statement = translate("INSERT OR IGNORE INTO clerks (user_id) VALUES (?)", IDS)
    assert statement.sql == "INSERT INTO clerks (user_id) VALUES ($1) ON CONFLICT DO NOTHING"
    assert not statement.returns_rows


def test_inserts_into_tables_with_an_id_return_it() -> None:
    statement = translate("INSERT OR IGNORE INTO event_inbox (event_key) VALUES (?)", IDS)
    assert statement.sql == (
        "INSERT INTO event_inbox (event_key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id"
    )
    assert statement.returns_rows
    own = translate("INSERT INTO questions (text) VALUES (?) RETURNING id, text", IDS)
    assert own.sql == "INSERT INTO questions (text) VALUES ($1) RETURNING id, text"
    assert translate("UPDATE questions SET text = ? WHERE id = ?", IDS).returns_rows is False


def test_the_settings_choose_the_backend() -> None:
    assert store_location("postgresql://bot@db/scrutiny", "data/scrutiny.db") == (
        "postgresql://bot@db/scrutiny"
    )
    assert store_location(None, "data/scrutiny.db") == "data/scrutiny.db"
    assert is_postgresql("postgres://bot@db/scrutiny")
    assert not is_postgresql(Path("postgresql:"))
    assert not is_postgresql("data/scrutiny.db")


@pytest.fixture
async def fresh_postgresql(postgres_server: str | None) -> AsyncIterator[Database]:
    """An empty PostgreSQL database, migrated from nothing by this test's own open."""
    if postgres_server is None:
        pytest.skip(NOT_INSTALLED)
    name = database_name("fresh")
    store = await open_store(await create_database(postgres_server, name))
    try:
        yield store
    finally:
        await store.close()
        await drop_database(postgres_server, name)


async def _sqlite_columns(db: Database) -> dict[str, set[str]]:
    rows = await db.fetchall(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    tables = [str(r["name"]) for r in rows if not str(r["name"]).startswith("question_search_")]
    columns = {}
    for table in tables:
        found = await db.fetchall("SELECT name FROM pragma_table_info(?)", (table,))
        columns[table] = {str(c["name"]) for c in found}
    return columns


async def _postgresql_columns(db: Database) -> dict[str, set[str]]:
    rows = await db.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(str(row["table_name"]), set()).add(str(row["column_name"]))
    return columns


async def test_migrations_make_the_same_tables_and_columns_on_both(
    fresh_postgresql: Database, tmp_path: Path
) -> None:
    sqlite = await Database.open(tmp_path / "bot.db")
    try:
        on_sqlite = await _sqlite_columns(sqlite)
        assert await sqlite.applied_migrations() == await fresh_postgresql.applied_migrations()
    finally:
        await sqlite.close()
    on_postgresql = await _postgresql_columns(fresh_postgresql)
    assert set(on_sqlite) == set(on_postgresql)
    for table, columns in on_sqlite.items():
        if table == "question_search":  # FTS5 keys rows by rowid; PostgreSQL by question_id
            words = {"question_words", "public_words", "all_words"}
            assert on_postgresql[table] == columns | {"question_id"} | words
        else:
            assert on_postgresql[table] == columns, table


async def test_a_migrated_database_is_not_migrated_again(fresh_postgresql: Database) -> None:
    assert await fresh_postgresql.migrate() == []
    assert await fresh_postgresql.applied_migrations() == [m.number for m in PG_MIGRATIONS]


async def test_inserts_give_their_ids_and_ignored_ones_none(fresh_postgresql: Database) -> None:
    insert = "INSERT OR IGNORE INTO processed_events (event_id, received_at) VALUES (?, ?)"
    first, again = await fresh_postgresql.write_all(
        [(insert, ("Ev1", "2026-04-20T10:00:00Z")), (insert, ("Ev1", "2026-04-20T10:00:01Z"))]
    )
    assert (first.rowcount, again.rowcount) == (1, 0)
    async with fresh_postgresql.transaction() as tx:
        one = await tx.insert(
            "INSERT INTO pending_imports (clerk, pasted, created_at) VALUES (?, ?, ?)",
            ("UCLERK01", "text", "2026-04-20T10:00:00Z"),
        )
        two = await tx.insert(
            "INSERT INTO pending_imports (clerk, pasted, created_at) VALUES (?, ?, ?)",
            ("UCLERK01", "more", "2026-04-20T10:00:00Z"),
        )
    assert two == one + 1


async def test_write_all_is_all_or_nothing(fresh_postgresql: Database) -> None:
    insert = "INSERT INTO processed_events (event_id, received_at) VALUES (?, ?)"
    with pytest.raises(IntegrityError):
        await fresh_postgresql.write_all(
            [(insert, ("Ev1", "2026-04-20")), (insert, ("Ev1", "2026-04-20"))]
        )
    assert await fresh_postgresql.fetchall("SELECT * FROM processed_events") == []


async def test_two_handles_reading_then_writing_at_once_lose_no_update(
    fresh_postgresql: Database,
) -> None:
    """Two processes' units of work, each reading a number then writing it plus one: under
    READ COMMITTED alone some increments would be lost; the write lock loses none."""
    assert isinstance(fresh_postgresql, PostgresDatabase)
    other = await open_store(fresh_postgresql.url)
    try:
        async with fresh_postgresql.transaction() as tx:
            await tx.execute("INSERT INTO clerk_digests (day, claimed_at) VALUES ('counter', '0')")

        async def add_one(db: Database) -> None:
            async with db.transaction() as tx:
                row = await tx.fetchone(
                    "SELECT claimed_at FROM clerk_digests WHERE day = ?", ("counter",)
                )
                assert row is not None
                await asyncio.sleep(0)  # let the others read meanwhile, if they could
                await tx.execute(
                    "UPDATE clerk_digests SET claimed_at = ? WHERE day = ?",
                    (str(int(row["claimed_at"]) + 1), "counter"),
                )

        await asyncio.gather(*(add_one(db) for db in (fresh_postgresql, other) for _ in range(25)))
        row = await other.fetchone("SELECT claimed_at FROM clerk_digests WHERE day = 'counter'")
        assert row is not None and row["claimed_at"] == "50"
    finally:
        await other.close()


async def test_a_snapshot_sees_one_moment(fresh_postgresql: Database) -> None:
    insert = "INSERT INTO processed_events (event_id, received_at) VALUES (?, ?)"
    async with fresh_postgresql.snapshot() as read:
        before = await read.fetchall("SELECT * FROM processed_events")
        await fresh_postgresql.write_all([(insert, ("Ev1", "2026-04-20"))])
        assert await read.fetchall("SELECT * FROM processed_events") == before
    assert len(await fresh_postgresql.fetchall("SELECT * FROM processed_events")) == 1


async def test_events_are_stored_through_the_writer_not_at_once(
    fresh_postgresql: Database,
) -> None:
    insert = "INSERT INTO processed_events (event_id, received_at) VALUES (?, ?)"
    assert fresh_postgresql.write_now([(insert, ("Ev1", "2026-04-20"))]) is None
    assert await fresh_postgresql.fetchall("SELECT * FROM processed_events") == []


async def test_vacuum_and_checkpoint_run(fresh_postgresql: Database) -> None:
    """``VACUUM`` cannot run inside a transaction: the store runs it on its own."""
    assert await fresh_postgresql.vacuum()
    assert await fresh_postgresql.checkpoint()


async def test_a_scheduled_job_runs_in_one_replica_only(fresh_postgresql: Database) -> None:
    """Two replicas' ticks of the same job at once: one runs it, the other skips this run;
    another job, or the same one once finished, is free."""
    assert isinstance(fresh_postgresql, PostgresDatabase)
    other = await open_store(fresh_postgresql.url)
    try:
        async with fresh_postgresql.exclusive("chase_sweep") as first:
            async with other.exclusive("chase_sweep") as second:
                assert (first, second) == (True, False)
            async with other.exclusive("clerk_daily_digest") as different:
                assert different
        async with other.exclusive("chase_sweep") as after:
            assert after
    finally:
        await other.close()
