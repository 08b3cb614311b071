"""Subject access and erasure for one person (UK GDPR), as ``python -m bot person`` runs them:
the JSON a subject access export writes, and the lines an erasure prints."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from storage.personal_data import ErasureReport, SubjectAccess

SCHEMA = "scrutiny-person/1"


def export_json(access: SubjectAccess, generated_at: datetime) -> bytes:
    """Everything held about the person: ``{"schema", "generated_at", "person": {"user_id",
    "names"}, "tables_searched", "tables": {table: [row, ...]}}``, each row with all its
    columns (JSON columns as JSON)."""
    document = {
        "schema": SCHEMA,
        "generated_at": generated_at.astimezone(UTC).isoformat(timespec="seconds"),
        "person": {"user_id": access.user_id, "names": list(access.names)},
        "tables_searched": sorted(access.searched),
        "tables": access.by_table(),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export_summary(access: SubjectAccess, where: str) -> str:
    tables = access.by_table()
    return (
        f"{access.user_id}: {len(access.rows)} rows in {len(tables)} tables written to {where}."
        " Rows about them can name other people too: check it before it is sent."
    )


def erasure_lines(report: ErasureReport) -> list[str]:
    """One line per table changed, for standard output."""
    lines = [
        f"{table}: {n} row{'' if n == 1 else 's'} now name {report.tombstone}"
        for table, n in sorted(report.changed.items())
    ]
    lines += [
        f"{table}: {n} row{'' if n == 1 else 's'} deleted"
        for table, n in sorted(report.deleted.items())
    ]
    return lines


def erasure_summary(
    report: ErasureReport, operator: str, *, dry_run: bool, postgresql: bool = False
) -> str:
    names = f"{report.names} name{'' if report.names == 1 else 's'}"
    if dry_run:
        return (
            f"Dry run: erasing {report.user_id} would change or delete {report.rows} rows and "
            f"look for {names}; nothing was changed."
        )
    cleaned = (
        "Every table was rewritten (VACUUM FULL): no table holds an old version of their rows, "
        "but PostgreSQL's write-ahead log and its archives keep them until the server recycles "
        "them (backups taken before now still hold them)."
        if postgresql
        else "The database file was vacuumed: nothing of them is left in it (backups taken "
        "before now still hold them)."
    )
    return (
        f"Erased {report.user_id}: {report.rows} rows changed or deleted; the id is now "
        f"{report.tombstone} and {names} now read 'Erased person'. Recorded in the audit as "
        f"person_erased by {operator}. {cleaned}"
    )
