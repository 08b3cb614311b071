"""Moving a council's record from its SQLite file to PostgreSQL, as it is.

Every table is copied row for row, ids and all, parents before children, in one PostgreSQL
transaction: the target is either the whole record or left as it was. The search index is
not copied: PostgreSQL's triggers build it from the rows as they arrive. Then each table's
identity column is moved past the largest id copied, and the rows of every table counted on
both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage.db import Database, StorageError

if TYPE_CHECKING:
    from storage.pg import PostgresDatabase

DERIVED = ("question_search",)
"""Tables made from the others (the search index, with SQLite's FTS5 shadow tables)."""


class TargetNotEmpty(StorageError):
    """The PostgreSQL database already holds a record: nothing is copied into it."""


@dataclass(frozen=True)
class TransferReport:
    rows: dict[str, int]
    """Rows copied, by table, in the order copied."""

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def tables_in_order(source: Database) -> list[str]:
    """The record's tables, each after the tables its foreign keys point to."""
    rows = await source.fetchall(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    names = [
        str(r["name"])
        for r in rows
        if str(r["name"]) != "schema_migrations" and not str(r["name"]).startswith(DERIVED)
    ]
    parents = {
        name: {
            str(f["table"])
            for f in await source.fetchall("SELECT * FROM pragma_foreign_key_list(?)", (name,))
        }
        - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise StorageError("the tables' foreign keys go round in a circle")
        ordered.extend(ready)
    return ordered


async def copy_record(source: Database, target: PostgresDatabase) -> TransferReport:
    """Copy every row of ``source`` (SQLite, migrated) into ``target`` (PostgreSQL, migrated
    to the same migration and empty)."""
    mine, theirs = await source.applied_migrations(), await target.applied_migrations()
    if mine != theirs:
        raise StorageError(
            f"the SQLite file is at migration {max(mine)} and PostgreSQL at {max(theirs)}: "
            "start the bot once on each to bring them to the same"
        )
    tables = await tables_in_order(source)
    for table in tables:
        if await target.fetchone(f"SELECT 1 FROM {table} LIMIT 1") is not None:
            raise TargetNotEmpty(
                f"the PostgreSQL database already has rows in {table}: give an empty one"
            )
    copied: dict[str, int] = {}
    async with source.snapshot() as read, target.transaction() as tx:
        for table in tables:
            rows = await read.fetchall(f"SELECT * FROM {table}")
            if rows:
                columns = list(rows[0].keys())
                await tx.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)})"
                    f" VALUES ({', '.join('?' for _ in columns)})",
                    [tuple(row[c] for c in columns) for row in rows],
                )
            copied[table] = len(rows)
        for table in tables:
            if table in target.id_tables:  # new rows' ids go on from the largest copied
                await tx.execute(
                    "SELECT setval(pg_get_serial_sequence(?, 'id'), COALESCE(MAX(id), 0) + 1,"
                    f" false) FROM {table}",
                    (table,),
                )
    return TransferReport(copied)


async def count_rows(db: Database, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
        counts[table] = int(row["n"]) if row is not None else 0
    return counts
