"""Where the record holds people, and the two rights that reach all of it: subject access
(every row about one person) and erasure (that person replaced by a tombstone everywhere).

``PERSONAL_DATA`` lists, table by table, the columns that hold a person: a Slack user id, a
name, free text that may mention or name them, or JSON holding any of these. Every other
table is in ``NO_PERSONAL_DATA`` with the reason. A test checks the lists against the
migrated schema, so a new table, or a new column named like a person (``…_by``, ``user…``,
``…officer``), fails the suite until it is listed here.

Export and erasure do not trust the lists alone: a user id is looked for in every text column
of every table. Names are looked for in the columns listed as names, text or JSON (a name is
ordinary words, which an id or a key never is).

Credentials (``SECRETS``: Slack tokens, OAuth states) are about no one and are not personal
data; an export never shows them, and an erasure takes the person's own (``OWN_CREDENTIALS``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core import redaction, validation
from bot.core.errors import Conflict, NotFound
from bot.core.lifecycle import LIVE
from bot.core.models import AuditEvent, OnBehalfOf
from storage.audit import record
from storage.db import Database, Row, Tx


class Holds(StrEnum):
    USER_ID = "user id"
    """The whole value is a Slack user id (or names one: ``person:U…``)."""
    NAME = "name"
    """The whole value is a person's name."""
    TEXT = "text"
    """Free text: may @-mention people (``<@U…>``) or name them."""
    JSON = "json"
    """JSON whose strings may be any of the above."""


PERSONAL_DATA: Mapping[str, Mapping[str, Holds]] = {
    "audit_events": {
        "actor": Holds.USER_ID,
        "subject_id": Holds.USER_ID,  # when subject_type is 'person'
        "detail": Holds.JSON,
    },
    "questions": {
        "submitted_by": Holds.USER_ID,
        "assigned_officer": Holds.USER_ID,
        "transfer_to_officer": Holds.USER_ID,
        "transfer_requested_by": Holds.USER_ID,
        "member_name": Holds.NAME,
        "text": Holds.TEXT,
        "transfer_reason": Holds.TEXT,
    },
    "answer_parts": {"author": Holds.USER_ID, "text": Holds.TEXT},
    "answer_part_versions": {"text": Holds.TEXT},
    "holding_replies": {"author": Holds.USER_ID, "note": Holds.TEXT},
    "approvals": {"approved_by": Holds.USER_ID, "answer_text": Holds.TEXT},
    "publications": {"published_by": Holds.USER_ID, "answer_text": Holds.TEXT},
    "corrections": {
        "corrected_by": Holds.USER_ID,
        "original_text": Holds.TEXT,
        "corrected_text": Holds.TEXT,
        "reason": Holds.TEXT,
    },
    "answer_attachments": {"added_by": Holds.USER_ID, "name": Holds.TEXT},
    "question_groups": {"grouped_by": Holds.USER_ID},
    "snoozes": {"snoozed_by": Holds.USER_ID},
    "event_inbox": {
        "user_id": Holds.USER_ID,
        "text": Holds.TEXT,
        "files": Holds.JSON,
        "last_error": Holds.TEXT,
    },
    "deliveries": {"destination": Holds.USER_ID, "last_error": Holds.TEXT},
    "pending_imports": {"clerk": Holds.USER_ID, "pasted": Holds.TEXT},
    "clerks": {"user_id": Holds.USER_ID, "changed_by": Holds.USER_ID},
    "members": {"user_id": Holds.USER_ID, "added_by": Holds.USER_ID},
    "display_names": {"user_id": Holds.USER_ID, "name": Holds.NAME},
    "unnamed_people": {"user_id": Holds.USER_ID},
    "dm_channels": {"user_id": Holds.USER_ID},
    "officer_roles": {"officer": Holds.USER_ID, "deputy": Holds.USER_ID, "title": Holds.TEXT},
    "closure_days": {"added_by": Holds.USER_ID, "reason": Holds.TEXT},
    "committees": {"name": Holds.TEXT},
    "meetings": {"title": Holds.TEXT, "cancel_reason": Holds.TEXT},
    "agenda_items": {"title": Holds.TEXT},
    "slack_installations": {"user_id": Holds.USER_ID},  # who installed the bot
    "workspace_settings": {"changed_by": Holds.USER_ID, "value": Holds.TEXT},
}
"""Every table that can hold a person, and the columns that do."""

NO_PERSONAL_DATA: Mapping[str, str] = {
    "schema_migrations": "the migrations applied",
    "processed_events": "Slack event ids already handled",
    "question_submissions": "form submission keys, to store a double-clicked form once",
    "reminders": "which reminder went for which question on which day",
    "clerk_digests": "the days a clerks' digest went",
    "thread_catch_up": "when each question's thread was last re-read",
    "sweeps": "the host, process id and heartbeat of each chase sweep",
    "question_search": "the full-text index of questions and answers, made from those tables by "
    "triggers and rebuilt by an erasure, so nothing erased stays in it",
    "slack_bots": "each workspace's bot: its token, scopes and the workspace's name",
    "oauth_states": "the random states of installs in progress, each kept for minutes",
}
"""Tables that hold nothing about a person, with what they do hold."""

NOT_A_PERSON: Mapping[tuple[str, str], str] = {
    ("event_inbox", "parent_by_bot"): "whether the thread was started by the bot (0 or 1)",
    ("event_inbox", "claimed_by"): "the bot process (host, process id) recording the entry",
    ("schema_migrations", "name"): "a migration's name",
    ("slack_installations", "bot_user_id"): "the bot's own Slack user",
    ("slack_installations", "team_name"): "the workspace's name",
    ("slack_installations", "user_scopes"): "the scopes the installer's token was given",
    ("slack_installations", "user_token"): "a secret (SECRETS), not about the installer",
    ("slack_installations", "user_refresh_token"): "a secret (SECRETS)",
    ("slack_installations", "user_token_expires_at"): "when the installer's token expires",
    ("slack_bots", "bot_user_id"): "the bot's own Slack user",
    ("slack_bots", "team_name"): "the workspace's name",
}
"""Columns whose names look like a person's but hold something else."""

DELETED_ON_ERASURE: Mapping[str, str] = {
    "display_names": "user_id",
    "members": "user_id",
    "clerks": "user_id",
    "pending_imports": "clerk",
    "unnamed_people": "user_id",
    "dm_channels": "user_id",
}
"""Rows that say only what someone is now (their name, that they are a member or a former
clerk, a list they pasted and never saved): an erasure deletes them."""

SECRETS: Mapping[tuple[str, str], str] = {
    ("slack_installations", "bot_token"): "the workspace's bot token",
    ("slack_installations", "bot_refresh_token"): "what renews the bot token",
    ("slack_installations", "user_token"): "the installer's own token",
    ("slack_installations", "user_refresh_token"): "what renews the installer's token",
    ("slack_installations", "incoming_webhook_url"): "a URL that posts into a channel",
    ("slack_bots", "bot_token"): "the workspace's bot token",
    ("slack_bots", "bot_refresh_token"): "what renews the bot token",
    ("oauth_states", "state"): "the state of an install in progress",
}
"""Credentials. They are about no one, so they are not personal data, but they are never
handed out: a subject access export shows that a row about the person holds one, never the
secret itself."""

WITHHELD = "(a secret, withheld)"
"""What an export shows in place of a secret."""

OWN_CREDENTIALS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "slack_installations": (
        "user_id",
        ("user_token", "user_refresh_token", "user_token_expires_at", "user_scopes"),
    ),
}
"""Credentials that act as the person in the given column (the token an installer gave the
bot over their own account): an erasure removes them. The row stays, naming the tombstone
as any other row does, so the workspace's bot goes on working."""

NAME_OWNERS: Mapping[tuple[str, str], str] = {
    ("questions", "member_name"): "submitted_by",
    ("display_names", "name"): "user_id",
    ("audit_events", "detail"): "actor",
}
"""Whose name a name column (or a JSON column's ``member_name``) holds: the person in the
given column of the same row. A name there is erased only in that person's own rows, never
in the row of someone else who has the same name."""

LINKED: Mapping[str, tuple[str, str, str]] = {
    "answer_part_versions": ("part_id", "answer_parts", "author"),
}
"""Rows about a person through another row: earlier versions of the replies they wrote."""

ID_BATCH = 50
"""User ids looked for in one pass over a table."""

FTS_SHADOWS = ("_data", "_idx", "_content", "_docsize", "_config")


@dataclass(frozen=True)
class Table:
    """A table as the database has it now."""

    name: str
    columns: tuple[str, ...]
    text_columns: tuple[str, ...]
    key: tuple[str, ...]
    """What names one row: ``rowid``, or the primary key of a WITHOUT ROWID table (on
    PostgreSQL, the primary key)."""
    virtual: bool = False
    """A full-text index, made from other tables (SQLite's FTS5 tables; on PostgreSQL the
    tables with ``tsvector`` columns)."""

    def name_columns(self) -> tuple[str, ...]:
        """Columns in which a person's name is looked for (ids are looked for in all)."""
        listed = PERSONAL_DATA.get(self.name, {})
        wanted = {Holds.NAME, Holds.TEXT, Holds.JSON}
        return tuple(c for c in self.text_columns if listed.get(c) in wanted)

    def owner_of(self, column: str) -> str | None:
        """The column naming whose name ``column`` holds, if it holds one person's name."""
        return NAME_OWNERS.get((self.name, column))

    def json_columns(self) -> tuple[str, ...]:
        listed = PERSONAL_DATA.get(self.name, {})
        return tuple(c for c in self.text_columns if listed.get(c) is Holds.JSON)


async def schema(read: Tx) -> list[Table]:
    """The database's tables (not SQLite's own, nor the shadow tables of full-text indexes)."""
    if read.dialect == "postgresql":
        return await _schema_in_postgresql(read)
    rows = await read.fetchall(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    virtual = {
        str(r["name"]) for r in rows if str(r["sql"] or "").upper().startswith("CREATE VIRTUAL")
    }
    tables = []
    for row in rows:
        name = str(row["name"])
        if any(name == f"{v}{suffix}" for v in virtual for suffix in FTS_SHADOWS):
            continue
        columns = await read.fetchall(
            "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", (name,)
        )
        declared = {str(c["name"]): str(c["type"] or "").upper() for c in columns}
        text = tuple(
            c for c, kind in declared.items() if not kind or any(t in kind for t in _TEXTUAL)
        )
        without_rowid = "WITHOUT ROWID" in str(row["sql"] or "").upper()
        key = (
            tuple(str(c["name"]) for c in sorted(columns, key=lambda c: c["pk"]) if c["pk"])
            if without_rowid
            else ("rowid",)
        )
        tables.append(Table(name, tuple(declared), text, key, virtual=name in virtual))
    return tables


async def _schema_in_postgresql(read: Tx) -> list[Table]:
    """The tables of the database's current schema, each named by its primary key."""
    rows = await read.fetchall(
        "SELECT table_name AS name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
    )
    tables = []
    for row in rows:
        name = str(row["name"])
        columns = await read.fetchall(
            "SELECT column_name AS name, data_type AS type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (name,),
        )
        declared = {str(c["name"]): str(c["type"] or "").upper() for c in columns}
        text = tuple(c for c, kind in declared.items() if any(t in kind for t in _TEXTUAL))
        keys = await read.fetchall(
            "SELECT k.column_name AS name FROM information_schema.table_constraints c"
            " JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name"
            " AND k.table_schema = c.table_schema AND k.table_name = c.table_name"
            " WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema()"
            " AND c.table_name = ? ORDER BY k.ordinal_position",
            (name,),
        )
        key = tuple(str(k["name"]) for k in keys) or ("ctid",)
        virtual = "TSVECTOR" in declared.values()
        tables.append(Table(name, tuple(declared), text, key, virtual=virtual))
    return tables


_TEXTUAL = ("TEXT", "CHAR", "CLOB")
ROW_NAMES = ("rowid", "ctid")
"""What names a row that has no primary key: SQLite's and PostgreSQL's own column."""


@dataclass(frozen=True)
class Found:
    """One row that mentions the person, with the table's columns."""

    table: str
    key: tuple[Any, ...]
    values: dict[str, Any]


@dataclass(frozen=True)
class SubjectAccess:
    """Everything held about one person."""

    user_id: str
    names: tuple[str, ...]
    rows: tuple[Found, ...]
    searched: tuple[str, ...]
    """Every table looked in."""

    def by_table(self) -> dict[str, list[dict[str, Any]]]:
        tables: dict[str, list[dict[str, Any]]] = {}
        for found in self.rows:
            tables.setdefault(found.table, []).append(found.values)
        return tables


@dataclass(frozen=True)
class ErasureReport:
    user_id: str
    tombstone: str
    names: int
    """How many names (and spellings) were looked for."""
    changed: dict[str, int] = field(default_factory=dict)
    """Rows now naming the tombstone, by table."""
    deleted: dict[str, int] = field(default_factory=dict)
    """Rows deleted, by table."""
    warnings: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return sum(self.changed.values()) + sum(self.deleted.values())


class _DryRun(Exception):
    def __init__(self, report: ErasureReport) -> None:
        self.report = report


class PersonalData:
    """Subject access and erasure over the whole record."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def export(
        self, user_id: str, operator: str, now: datetime, extra_names: Iterable[str] = ()
    ) -> SubjectAccess:
        """Every row that mentions ``user_id`` or their names; the export is audited.

        NotFound when the id appears nowhere (never seen here, or erased already)."""
        user_id = validation.slack_user(user_id, "The person")
        async with self.db.snapshot() as read:
            names = await known_names(read, user_id, extra_names)
            tables = await schema(read)
            found = await _find(read, tables, user_id, names)
        _require_known(user_id, found)
        async with self.db.transaction() as tx:
            await record(
                tx,
                AuditEvent(
                    operator,
                    "person_exported",
                    "person",
                    user_id,
                    now,
                    {"rows": len(found), "names": len(names)},
                ),
            )
        return SubjectAccess(
            user_id, tuple(names), tuple(found), tuple(t.name for t in tables if not t.virtual)
        )

    async def erase(
        self,
        user_id: str,
        operator: str,
        now: datetime,
        extra_names: Iterable[str] = (),
        *,
        dry_run: bool = False,
    ) -> ErasureReport:
        """Replace ``user_id`` by a tombstone and their names by "Erased person" in every row,
        delete the rows that only describe them now, and audit that it was done (not who).

        NotFound when the id appears nowhere; Conflict while they still hold a part in the
        work (a role, a clerk's place, open questions), naming what to change first. With
        ``dry_run`` nothing is kept: the report says what an erasure would change.
        """
        user_id = validation.slack_user(user_id, "The person")
        tombstone = redaction.erased_id(secrets.token_hex(4))
        try:
            async with self.db.transaction(secure_delete=True) as tx:
                names = await known_names(tx, user_id, extra_names)
                tables = await schema(tx)
                found = await _find(tx, tables, user_id, names)
                _require_known(user_id, found)
                blocking = await blockers(tx, user_id)
                if blocking:
                    raise Conflict(
                        f"{user_id} can't be erased yet: {'; '.join(blocking)}. Then try again."
                    )
                deleted: dict[str, int] = {}
                for table, column in DELETED_ON_ERASURE.items():
                    result = await tx.execute(
                        f'DELETE FROM "{table}" WHERE "{column}" = ?', (user_id,)
                    )
                    if result.rowcount:
                        deleted[table] = result.rowcount
                for table, (owner, columns) in OWN_CREDENTIALS.items():
                    cleared = ", ".join(f'"{column}" = NULL' for column in columns)
                    await tx.execute(
                        f'UPDATE "{table}" SET {cleared} WHERE "{owner}" = ?', (user_id,)
                    )
                replacement = redaction.erasure(user_id, tombstone, names)
                changed = await _replace(tx, tables, replacement)
                warnings = await rebuild_full_text_indexes(tx, tables)
                report = ErasureReport(
                    user_id, tombstone, len(names), changed, deleted, tuple(warnings)
                )
                await record(
                    tx,
                    AuditEvent(
                        operator,
                        "person_erased",
                        "person",
                        tombstone,
                        now,
                        {"rows_changed": changed, "rows_deleted": deleted, "names": len(names)},
                    ),
                )
                if dry_run:
                    raise _DryRun(report)
        except _DryRun as done:
            return done.report
        return report


async def ids_still_held(
    tx: Tx, user_ids: Sequence[str], *, besides: Collection[str] = ()
) -> set[str]:
    """Which of ``user_ids`` still appear in any table (other than those ``besides``)."""
    tables = [t for t in await schema(tx) if t.name not in besides and not t.virtual]
    held: set[str] = set()
    for start in range(0, len(user_ids), ID_BATCH):
        chunk = list(user_ids[start : start + ID_BATCH])
        find = redaction.id_finder(chunk)
        for table in tables:
            for row in await _candidates(tx, table, chunk):
                for column in table.text_columns:
                    if isinstance(row[column], str):
                        held |= find(row[column])
    return held


async def known_names(tx: Tx, user_id: str, extra: Iterable[str] = ()) -> list[str]:
    """The names the record holds for ``user_id``: the name Slack last gave, the name their
    own questions were asked under, and any spellings the operator adds."""
    names = [" ".join(n.split()) for n in extra if n.strip()]
    rows = await tx.fetchall("SELECT name FROM display_names WHERE user_id = ?", (user_id,))
    names += [str(r["name"]) for r in rows]
    rows = await tx.fetchall(
        "SELECT DISTINCT member_name FROM questions WHERE submitted_by = ?"
        " AND on_behalf_of = ? AND member_name IS NOT NULL",
        (user_id, OnBehalfOf.MEMBER.value),
    )
    names += [str(r["member_name"]) for r in rows]
    return sorted({n for n in names if n.strip() and n != user_id})


async def blockers(tx: Tx, user_id: str) -> list[str]:
    """What the person still does in the work, each with what to change first."""
    found = []
    for column, what, fix in (
        ("officer", "they answer for {}", "give it to someone else with /agenda officer set"),
        ("deputy", "they are the deputy for {}", "/agenda officer deputy <ROLE> none"),
    ):
        rows = await tx.fetchall(
            f"SELECT key FROM officer_roles WHERE {column} = ? ORDER BY key", (user_id,)
        )
        if rows:
            found.append(f"{what.format(', '.join(str(r['key']) for r in rows))} ({fix})")
    clerk = await tx.fetchone("SELECT 1 FROM clerks WHERE user_id = ? AND active = 1", (user_id,))
    if clerk is not None:
        found.append("they are a clerk (/agenda clerk remove)")
    live = sorted(state.value for state in LIVE)
    rows = await tx.fetchall(
        "SELECT reference FROM questions WHERE (assigned_officer = ? AND state IN"
        f" ({', '.join('?' for _ in live)})) OR transfer_to_officer = ? ORDER BY reference",
        (user_id, *live, user_id),
    )
    if rows:
        references = ", ".join(str(r["reference"]) for r in rows[:5])
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        found.append(
            f"open questions wait for them ({references}{more}: the role's new officer"
            " takes them over)"
        )
    return found


def _require_known(user_id: str, found: Sequence[Found]) -> None:
    if not found:
        raise NotFound(
            f"{user_id} appears nowhere in the database (never seen here, or erased already)."
        )


def _like(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _spellings(needles: Iterable[str]) -> list[str]:
    """Each needle as stored as text, and as JSON escapes it (``\\u00eb``, ``\\"``)."""
    found = []
    for needle in needles:
        found.append(needle)
        found.append(json.dumps(needle)[1:-1])
        found.append(json.dumps(needle, ensure_ascii=False)[1:-1])
    return sorted(set(found))


async def _candidates(tx: Tx, table: Table, needles: Sequence[str]) -> list[Row]:
    """Rows whose text columns contain a needle (a first filter; SQL's LIKE ignores the case
    of ASCII letters, which only lets more rows through)."""
    if not table.text_columns or not needles:
        return []
    likes = _spellings(needles)
    # PostgreSQL's LIKE minds case: ILIKE under the "C" collation matches as SQLite's LIKE.
    like = 'COLLATE "C" ILIKE' if tx.dialect == "postgresql" else "LIKE"
    where = " OR ".join(f"\"{c}\" {like} ? ESCAPE '\\'" for c in table.text_columns for _ in likes)
    params = [_like(n) for _ in table.text_columns for n in likes]
    return await tx.fetchall(
        f'SELECT {_key_columns(table)}, * FROM "{table.name}" WHERE {where} ORDER BY "_key0"',
        params,
    )


def _key_columns(table: Table) -> str:
    """``rowid AS "_key0"``, or the primary key's columns as ``_key0``, ``_key1``..."""
    return ", ".join(
        f'{k if k in ROW_NAMES else f"{chr(34)}{k}{chr(34)}"} AS "_key{i}"'
        for i, k in enumerate(table.key)
    )


def _new_values(
    table: Table, row: Row, replacement: redaction.Replacement, user_id: str
) -> dict[str, str]:
    """The changed text columns of ``row``: ``user_id`` replaced everywhere, their names in
    text and JSON, and in name columns only where the name is theirs (``NAME_OWNERS``)."""
    names = set(table.name_columns())
    json_columns = set(table.json_columns())
    changed = {}
    for column in table.text_columns:
        value = row[column]
        if not isinstance(value, str):
            continue
        owner = table.owner_of(column)
        own = owner is None or row[owner] == user_id
        new = None
        if column in json_columns:
            new = _json_replaced(value, replacement, own_names=own)
        if new is None:
            new = replacement.text(value, names=column in names and own)
        if new != value:
            changed[column] = new
    return changed


def _json_replaced(
    value: str, replacement: redaction.Replacement, *, own_names: bool
) -> str | None:
    """A JSON column with its strings replaced, written as it was (escaped or not); None if
    the value is not JSON."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    new = replacement.json(parsed, own_names=own_names)
    if new == parsed:
        return value
    return json.dumps(new, ensure_ascii=value.isascii())


async def _find(tx: Tx, tables: Sequence[Table], user_id: str, names: Sequence[str]) -> list[Found]:
    """Rows that mention ``user_id`` (in any text column) or their names (where names go),
    then the rows linked to those (``LINKED``)."""
    replacement = redaction.erasure(user_id, "-", names)
    found: list[Found] = []
    for table in tables:
        if table.virtual:
            continue
        for row in await _candidates(tx, table, replacement.needles):
            if _new_values(table, row, replacement, user_id):
                found.append(_found(table, row))
    by_name = {t.name: t for t in tables}
    for table_name, (column, parent, person_column) in LINKED.items():
        linked = by_name.get(table_name)
        if linked is None:
            continue
        rows = await tx.fetchall(
            f'SELECT {_key_columns(linked)}, * FROM "{table_name}" WHERE "{column}" IN'
            f' (SELECT id FROM "{parent}" WHERE "{person_column}" = ?) ORDER BY "_key0"',
            (user_id,),
        )
        seen = {f.key for f in found if f.table == table_name}
        found += [_found(linked, row) for row in rows if _key_of(linked, row) not in seen]
    return found


def _key_of(table: Table, row: Row) -> tuple[Any, ...]:
    return tuple(row[f"_key{i}"] for i in range(len(table.key)))


def _found(table: Table, row: Row) -> Found:
    key = _key_of(table, row)
    values: dict[str, Any] = {}
    for column in table.columns:
        value = row[column]
        if (table.name, column) in SECRETS and value is not None:
            value = WITHHELD
        elif column in table.json_columns() and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        values[column] = value
    return Found(table.name, key, values)


async def _replace(
    tx: Tx, tables: Sequence[Table], replacement: redaction.Replacement
) -> dict[str, int]:
    """Write the replacement into every row that needs it; rows changed, by table."""
    [user_id] = replacement.ids
    changed: dict[str, int] = {}
    for table in tables:
        if table.virtual:
            continue
        for row in await _candidates(tx, table, replacement.needles):
            new = _new_values(table, row, replacement, user_id)
            if not new:
                continue
            sets = ", ".join(f'"{column}" = ?' for column in new)
            where = " AND ".join(f"{k} = ?" if k in ROW_NAMES else f'"{k}" = ?' for k in table.key)
            key = [row[f"_key{i}"] for i in range(len(table.key))]
            await tx.execute(
                f'UPDATE "{table.name}" SET {sets} WHERE {where}', [*new.values(), *key]
            )
            changed[table.name] = changed.get(table.name, 0) + 1
    return changed


async def rebuild_full_text_indexes(tx: Tx, tables: Sequence[Table]) -> list[str]:
    """Rebuild every FTS5 index from its content, so no erased word stays in its segments.

    On PostgreSQL the search table's rows are rebuilt from the tables (its triggers have done
    so already for every row changed; this makes sure of the rest)."""
    if tx.dialect == "postgresql":
        if any(t.name == "question_search" for t in tables):
            await tx.execute("SELECT question_search_refresh(id) FROM questions")
        return []
    warnings = []
    for table in tables:
        if not table.virtual:
            continue
        try:
            await tx.execute(f'INSERT INTO "{table.name}" ("{table.name}") VALUES (\'rebuild\')')
        except sqlite3.OperationalError as error:
            warnings.append(f"the full-text index {table.name} could not be rebuilt: {error}")
    return warnings
