"""``python -m bot person export|erase`` end to end, as processes, against a real database that
another process (standing in for the running bot) holds open: a SQLite file, and a PostgreSQL
database (``DATABASE_URL``)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.db import Database
from storage.store import is_postgresql, open_store
from tests.paths import ROOT
from tests.storage.people_support import ZEB, Record, file_bytes, record_of_zebedee, traces
from tests.storage.storage_support import OFFICER, Seeded, seed


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


async def person(database: Path | str, *args: str, cwd: Path = ROOT) -> Run:
    """``python -m bot person ...`` with DATABASE_PATH (a file) or DATABASE_URL (a
    postgresql:// URL) set, and no Slack settings."""
    store = "DATABASE_URL" if is_postgresql(database) else "DATABASE_PATH"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), store: str(database)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        os.devnull,
        "person",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
async def record(tmp_path: Path) -> AsyncIterator[Record]:
    db = await Database.open(tmp_path / "bot.db")
    seeded: Seeded = await seed(db, tmp_path / "bot.db")
    yield await record_of_zebedee(seeded)
    await db.close()


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


async def test_export_writes_everything_about_them_for_their_eyes_only(
    record: Record, tmp_path: Path
) -> None:
    out = tmp_path / "zeb.json"
    run = await person(record.seeded.path, "export", ZEB, "--by", "Jo Clerk", "--out", str(out))
    assert run.code == 0, run.stderr
    assert one_line(run.stderr).startswith(f"{ZEB}: ")
    assert stat.S_IMODE(out.stat().st_mode) & 0o077 == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["schema"] == "scrutiny-person/1"
    assert document["person"] == {"user_id": ZEB, "names": ["Zebedee Quillfeather"]}
    assert {"questions", "audit_events", "answer_parts", "display_names"} <= set(document["tables"])
    assert "sweeps" in document["tables_searched"]
    assert document["tables"]["slack_installations"][0]["user_id"] == ZEB
    assert "xox" not in out.read_text(encoding="utf-8")  # tokens are never handed out
    events = await record.seeded.repos.audit.for_subject("person", ZEB)
    assert (events[-1].action, events[-1].actor) == ("person_exported", "cli:Jo Clerk")
    again = await person(record.seeded.path, "export", ZEB, "--by", "Jo", "--out", str(out))
    assert again.code == 2 and "already exists" in one_line(again.stderr)


async def test_export_to_standard_output(record: Record) -> None:
    run = await person(record.seeded.path, "export", ZEB, "--by", "Jo Clerk", "--out", "-")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["person"]["user_id"] == ZEB


async def test_erase_while_the_bot_holds_the_database_leaves_no_byte_of_them(
    record: Record,
) -> None:
    path = record.seeded.path
    assert traces(await file_bytes(path))
    run = await person(path, "erase", ZEB, "--by", "Jo Clerk")
    assert run.code == 0, run.stderr
    assert "questions: 2 rows now name U-ERASED-" in run.stdout
    assert "display_names: 1 row deleted" in run.stdout
    summary = one_line(run.stderr)
    assert summary.startswith(f"Erased {ZEB}: ") and "by cli:Jo Clerk" in summary
    # The test's own connections are still open, as the bot's would be.
    assert traces(await file_bytes(path)) == []
    again = await person(path, "erase", ZEB, "--by", "Jo Clerk")
    assert again.code == 2
    assert one_line(again.stderr) == (
        f"Error: {ZEB} appears nowhere in the database (never seen here, or erased already)."
    )


async def test_a_dry_run_says_what_would_change_and_changes_nothing(record: Record) -> None:
    run = await person(record.seeded.path, "erase", ZEB, "--by", "Jo Clerk", "--dry-run")
    assert run.code == 0, run.stderr
    assert "questions: 2 rows now name U-ERASED-" in run.stdout
    assert one_line(run.stderr).startswith(f"Dry run: erasing {ZEB} would change or delete ")
    assert (await record.seeded.repos.questions.get(record.own.id)).submitted_by == ZEB


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("erase", "U0NOBODY1", "--by", "Jo"), "Error: U0NOBODY1 appears nowhere"),
        (("export", "U0NOBODY1", "--by", "Jo"), "Error: U0NOBODY1 appears nowhere"),
        (("erase", "zebedee", "--by", "Jo"), "Error: The person must be a Slack user id"),
        (("erase", ZEB, "--by", " "), "Error: --by (who is running this)"),
        (("erase", OFFICER.user_id, "--by", "Jo"), f"Error: {OFFICER.user_id} can't be erased"),
    ],
)
async def test_refusals_are_one_line_and_exit_code_2(
    record: Record, args: tuple[str, ...], error: str
) -> None:
    run = await person(record.seeded.path, *args)
    assert run.code == 2
    assert one_line(run.stderr).startswith(error)


async def test_by_is_required(record: Record) -> None:
    run = await person(record.seeded.path, "erase", ZEB)
    assert run.code == 2 and "--by" in run.stderr
    assert (await record.seeded.repos.questions.get(record.own.id)).submitted_by == ZEB


# --- the record in PostgreSQL ---------------------------------------------------------------


@pytest.fixture
async def record_in_postgresql(empty_postgresql: str) -> AsyncIterator[Record]:
    db = await open_store(empty_postgresql)
    seeded: Seeded = await seed(db, empty_postgresql)
    yield await record_of_zebedee(seeded)
    await db.close()


async def table_files(db: Database) -> dict[str, int]:
    """Each table's file on the server (a rewritten table gets a new one)."""
    rows = await db.fetchall(
        "SELECT tablename, pg_relation_filenode(quote_ident(tablename)) AS file"
        " FROM pg_tables WHERE schemaname = current_schema()"
    )
    return {str(row["tablename"]): int(row["file"]) for row in rows}


async def test_export_from_postgresql(record_in_postgresql: Record, tmp_path: Path) -> None:
    url = str(record_in_postgresql.seeded.path)
    out = tmp_path / "zeb.json"
    run = await person(url, "export", ZEB, "--by", "Jo Clerk", "--out", str(out))
    assert run.code == 0, run.stderr
    assert one_line(run.stderr).startswith(f"{ZEB}: ")
    assert stat.S_IMODE(out.stat().st_mode) & 0o077 == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["person"] == {"user_id": ZEB, "names": ["Zebedee Quillfeather"]}
    assert {"questions", "audit_events", "answer_parts", "display_names"} <= set(document["tables"])
    events = await record_in_postgresql.seeded.repos.audit.for_subject("person", ZEB)
    assert (events[-1].action, events[-1].actor) == ("person_exported", "cli:Jo Clerk")


async def test_erase_in_postgresql_rewrites_every_table_and_says_what_it_cannot_reach(
    record_in_postgresql: Record,
) -> None:
    seeded = record_in_postgresql.seeded
    url = str(seeded.path)
    before = await table_files(seeded.db)
    dry = await person(url, "erase", ZEB, "--by", "Jo Clerk", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert await table_files(seeded.db) == before  # a dry run rewrites nothing

    run = await person(url, "erase", ZEB, "--by", "Jo Clerk")
    assert run.code == 0, run.stderr
    assert "questions: 2 rows now name U-ERASED-" in run.stdout
    assert "display_names: 1 row deleted" in run.stdout
    summary = one_line(run.stderr)
    assert summary.startswith(f"Erased {ZEB}: ") and "by cli:Jo Clerk" in summary
    assert "Every table was rewritten (VACUUM FULL)" in summary
    assert "write-ahead log" in summary and "file was vacuumed" not in summary
    after = await table_files(seeded.db)
    assert set(after) == set(before)
    assert [table for table in before if after[table] == before[table]] == []
    # The running bot's connections (the test's here) go on working.
    assert (await seeded.repos.questions.get(record_in_postgresql.own.id)).submitted_by != ZEB
    again = await person(url, "erase", ZEB, "--by", "Jo Clerk")
    assert again.code == 2
    assert one_line(again.stderr) == (
        f"Error: {ZEB} appears nowhere in the database (never seen here, or erased already)."
    )
