"""Command line: ``python -m bot run`` connects to Slack using ``.env``;
``python -m bot compile`` writes a meeting's agenda item from the database, without Slack."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import subject_rights
from bot.app import create_web_client
from bot.chasing import SweepReport, sweep
from bot.compiling import compile_meeting, export_meeting, find_target_meeting, publish_meeting
from bot.config import (
    COUNCIL_SETTINGS,
    ConfigError,
    Settings,
    council_fields,
    load_settings,
    pack_from_env,
    publish_dir_from_env,
    settings_from_env,
)
from bot.core import export, history, validation
from bot.core.agenda import CompiledAgenda
from bot.core.calendar import use_time_zone
from bot.core.clock import FixedClock, system_clock
from bot.core.errors import DomainError
from bot.core.permissions import Actor
from bot.open_data import OpenDataFiles, replace_files, write_published_export
from bot.pdf import PdfFailed, convert_to_pdf, find_libreoffice
from bot.runtime import Runtime, StartupFailed
from bot.services import Services
from storage.backup import (
    LOCK_SUFFIX,
    BackupProblem,
    DatabaseInUse,
    RunLock,
    backup_database,
    restore_database,
)
from storage.db import Database, DatabaseUnavailable, StorageError
from storage.personal_data import ErasureReport, SubjectAccess
from storage.repositories import Repositories
from storage.store import TEAM_ID, described, is_postgresql, open_store, workspace_store

if TYPE_CHECKING:
    from storage.transfer import TransferReport

logger = logging.getLogger("bot")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime = Runtime(settings)
    await runtime.start()
    mode = "Socket Mode" if settings.socket_mode else f"HTTP mode on port {runtime.port}"
    logger.info("scrutiny questions bot running (%s); Ctrl+C stops it", mode)
    try:
        await stop.wait()
    finally:
        logger.info("stopping")
        await runtime.stop()


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings(args.env_file)
    try:
        asyncio.run(serve(settings))
    except StartupFailed as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    return 0


CLI_CLERK = Actor("cli", is_clerk=True)
"""Who compiles and publishes from the command line (audit events say "cli")."""

DEFAULT_DATABASE = "data/scrutiny.db"
STDOUT = "-"


class CommandFailed(Exception):
    """An expected failure of a command: one line for the operator, exit code 2."""


def cli_environment(env_file: str | None) -> dict[str, str]:
    """``.env`` under the real environment (which wins), as ``load_settings`` reads them."""
    from dotenv import dotenv_values

    values: dict[str, str] = {}
    if env_file is not None:
        values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    return {**values, **os.environ}


def command_environment(args: argparse.Namespace) -> dict[str, str]:
    """The settings a command works with. Installed in many workspaces (SLACK_CLIENT_ID), it
    works on the one named by ``--workspace``: its record, its bot token and its council's
    own settings take the place of the deployment's, so the command runs as it would for a
    bot serving that workspace alone."""
    env = cli_environment(args.env_file)
    team_id = getattr(args, "workspace", None)
    many = bool((env.get("SLACK_CLIENT_ID") or "").strip())
    if team_id is None and many:
        raise CommandFailed(
            "this bot is installed in many workspaces (SLACK_CLIENT_ID): say which with "
            "--workspace T…; python -m bot workspace list names them"
        )
    if team_id is None:
        return env
    if not many:
        raise CommandFailed(
            "--workspace is for a bot installed in many workspaces; SLACK_CLIENT_ID is not set"
        )
    return asyncio.run(workspace_environment(env, team_id))


async def workspace_environment(env: Mapping[str, str], team_id: str) -> dict[str, str]:
    from storage.installations import InstallationStore, WorkspaceSettings

    if not TEAM_ID.match(team_id):
        raise CommandFailed(f"--workspace {team_id!r} is not a Slack workspace id (T012AB3CD)")
    deployment = store_from_env(env)
    async with store_for_command(deployment) as db:
        installation = await InstallationStore(db, system_clock).async_find_installation(
            enterprise_id=None, team_id=team_id
        )
        own = await WorkspaceSettings(db).of(team_id)
    if installation is None:
        raise CommandFailed(
            f"the bot is not installed in workspace {team_id}: python -m bot workspace list "
            "names those it is"
        )
    chosen = {k: v for k, v in env.items() if k not in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")}
    chosen.update(own)
    chosen["SLACK_BOT_TOKEN"] = installation.bot_token or ""
    record = workspace_store(deployment, team_id)
    if is_postgresql(record):
        chosen["DATABASE_URL"] = str(record)
    else:
        chosen["DATABASE_PATH"] = str(record)
    return chosen


def database_setting(env: Mapping[str, str]) -> Path:
    """DATABASE_PATH (default data/scrutiny.db): where the database is, or is to be.

    The command-line tools work on the SQLite file only: with DATABASE_URL set they refuse
    rather than act on a file that is not the bot's record."""
    if (env.get("DATABASE_URL") or "").strip():
        raise ConfigError(
            "DATABASE_URL is set: this command works on the SQLite file (DATABASE_PATH) only "
            "so far; the bot's record is in PostgreSQL"
        )
    path_text = (env.get("DATABASE_PATH") or "").strip() or DEFAULT_DATABASE
    path = Path(path_text)
    if path_text == ":memory:" or path.is_dir():
        raise ConfigError(f"DATABASE_PATH={path_text!r} must be the bot's database file")
    return path


def store_from_env(env: Mapping[str, str]) -> Path | str:
    """DATABASE_URL when set (the record in PostgreSQL), else the DATABASE_PATH file, which
    must exist: for the tools that read the record and work on either."""
    url = (env.get("DATABASE_URL") or "").strip()
    if url:
        if not is_postgresql(url):
            raise CommandFailed(f"DATABASE_URL={described(url)!r} is not a postgresql:// URL")
        return url
    return database_path_from_env(env)


def database_path_from_env(env: Mapping[str, str]) -> Path:
    """DATABASE_PATH (default data/scrutiny.db), which must be an existing database file.

    Unlike ``load_settings`` this needs no Slack tokens, and it never creates a database.
    """
    path = database_setting(env)
    if not path.is_file():
        raise CommandFailed(
            f"There is no database at {path}: set DATABASE_PATH (in .env or the environment) "
            "to the bot's database file."
        )
    return path


def timezone_from_env(env: Mapping[str, str]) -> ZoneInfo:
    """TIMEZONE (default Europe/London): what "today" means for the next meeting."""
    name = (env.get("TIMEZONE") or "").strip() or "Europe/London"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"TIMEZONE={name!r} is not a known time zone: use a name such as Europe/London"
        ) from None


def output_format(args: argparse.Namespace) -> str:
    """--format, else Markdown for stdout and *.md files, PDF for *.pdf, Word for the rest."""
    if args.format:
        if args.format == "docx" and args.out == STDOUT:
            raise CommandFailed("Word output can't go to standard output: give --out FILE.docx")
        if args.format == "pdf" and args.out == STDOUT:
            raise CommandFailed("PDF output can't go to standard output: give --out FILE.pdf")
        return str(args.format)
    out = (args.out or "").lower()
    if out.endswith(".pdf"):
        return "pdf"
    return "md" if out == STDOUT or out.endswith(".md") else "docx"


def pdf_paths(out: str | None, stem: str) -> tuple[Path, Path]:
    """Where a PDF compile writes: the PDF, and the Word document it is made from beside it."""
    pdf = Path(out or f"{stem}.pdf")
    docx = pdf.with_suffix(".docx")
    if docx == pdf:
        raise CommandFailed("--format pdf writes a PDF and a .docx beside it: give --out FILE.pdf")
    return pdf, docx


def write_agenda(agenda: CompiledAgenda, out: str | None, fmt: str, force: bool = False) -> str:
    """Write the agenda as ``fmt`` (not PDF: ``write_pdf``); returns where it went."""
    data = agenda.to_docx_bytes() if fmt == "docx" else agenda.markdown.encode("utf-8")
    if out == STDOUT:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return "standard output"
    path = Path(out or f"{agenda.file_stem}.{fmt}")
    write_output(path, data, force)
    return str(path)


def write_pdf(agenda: CompiledAgenda, out: str | None, force: bool, program: str) -> str:
    """Write the Word document, then its PDF made by LibreOffice; returns where they went.

    If the conversion fails the Word document stays written, and the error says where.
    """
    pdf, docx = pdf_paths(out, agenda.file_stem)
    write_output(docx, agenda.to_docx_bytes(), force)
    try:
        write_output(pdf, convert_to_pdf(docx, program), force)
    except PdfFailed as error:
        raise CommandFailed(f"{error}. The Word document is written to {docx}") from None
    return f"{pdf} (and {docx})"


@contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Writing ``path``: a refusal (it exists, or it cannot be written) as one line for the
    operator."""
    try:
        yield
    except FileExistsError:
        raise CommandFailed(f"{path} already exists: give --force to replace it") from None
    except OSError as error:
        raise CommandFailed(f"Could not write {path}: {error.strerror or error}") from None


def write_output(path: Path, data: bytes, force: bool, mode: int = 0o666) -> None:
    """``write_file`` with its refusals as one line for the operator."""
    with writing(path):
        write_file(path, data, replace=force, mode=mode)


def deliver_output(
    out: str | None, data: bytes, default: str, force: bool, mode: int = 0o666
) -> str:
    """Write ``data`` to ``--out`` (``-``: standard output; none: ``default`` here); where
    it went, in words for the summary line."""
    if out == STDOUT:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return "standard output"
    path = Path(out or default)
    write_output(path, data, force, mode)
    return str(path)


def destinations(out: str | None, fmt: str) -> list[str | None]:
    """The files ``--out`` stands for: a PDF compile writes the .docx beside the PDF too."""
    if fmt != "pdf" or out is None:
        return [out]
    return [str(path) for path in pdf_paths(out, "")]


def published_anyway(published: list[str] | None, final: bool) -> str:
    """After an error: whether --final had already published (it checks what it can first)."""
    if not final or published is None:
        return ""
    count = len(published)
    return f"; --final had already published {count} answer{'' if count == 1 else 's'}"


def check_destination(out: str | None, force: bool) -> None:
    """Before compiling (and publishing with --final): could ``--out`` be written at all?"""
    if out is None or out == STDOUT:
        return
    path = Path(out)
    if path.is_symlink():
        raise CommandFailed(f"{path} is a symbolic link: give the real file's path")
    if path.exists() and not force:
        raise CommandFailed(f"{path} already exists: give --force to replace it")
    folder = path.parent
    if not folder.is_dir():
        raise CommandFailed(f"Could not write {path}: there is no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandFailed(f"Could not write {path}: the folder {folder} is not writable")


def write_file(path: Path, data: bytes, *, replace: bool, mode: int = 0o666) -> None:
    """Write a new file, never through a symbolic link. With ``replace`` an existing file is
    replaced whole (written beside it, then renamed over it); without, it is left alone.
    ``mode`` (less the umask) is its permissions: 0o600 for a file about a person."""
    if path.is_symlink():
        raise CommandFailed(f"{path} is a symbolic link: give the real file's path")
    if not replace:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(path, flags, mode), "wb") as file:
            file.write(data)
        return
    replace_files(path.parent, {path.name: data}, mode=mode)


@asynccontextmanager
async def database_for_command(database: Path | str) -> AsyncIterator[Repositories]:
    """The store a command-line tool reads, as the repositories."""
    async with store_for_command(database) as db:
        yield Repositories.on(db)


@asynccontextmanager
async def store_for_command(database: Path | str) -> AsyncIterator[Database]:
    """The store a command-line tool reads (a SQLite file, or PostgreSQL), migrated; one that
    cannot be opened is one line."""
    if is_postgresql(database):
        from storage.pg import PostgresDatabase  # asyncpg is loaded only when it is used

        db: Database = PostgresDatabase(str(database))
    else:
        db = Database(database)
    try:
        try:
            await db.connect()
            await db.migrate()
        except DatabaseUnavailable as error:
            raise CommandFailed(
                f"{described(database)} is not a database the bot can read: {error}"
            ) from None
        yield db
    finally:
        await db.close()


@dataclass(frozen=True)
class Compiled:
    """What ``compile`` did: the document, the answers --final published, and the open data
    it wrote into PUBLISH_DIR (None without --final or PUBLISH_DIR)."""

    agenda: CompiledAgenda
    published: list[str]
    open_data: OpenDataFiles | None


async def compile_from_database(
    args: argparse.Namespace, database: Path | str, env: Mapping[str, str]
) -> Compiled:
    """Find the meeting, publish its answers (and open data) if --final, then compile it."""
    tz = timezone_from_env(env)
    use_time_zone(tz)
    now = system_clock()
    generated = parse_moment(args.generated_at, tz, "--generated-at")
    folder = publish_dir_from_env(env)
    async with database_for_command(database) as repos:
        meeting = await find_target_meeting(
            repos, args.meeting, now.astimezone(tz).date(), args.committee
        )
        published: list[str] = []
        open_data = None
        if args.final:
            published = await publish_meeting(repos, meeting, CLI_CLERK, now)
            if folder is not None:
                open_data = await write_published_export(repos, meeting, CLI_CLERK, folder)
        compiled = await compile_meeting(
            repos,
            meeting,
            CLI_CLERK,
            final=args.final,
            pack=pack_from_env(env),
            today=generated.astimezone(tz).date(),
        )
        return Compiled(compiled, published, open_data)


def compile_summary(agenda: CompiledAgenda, published: list[str] | None, where: str) -> str:
    """One line for stderr: the meeting, the counts, what --final did, where it went."""
    line = f"{agenda.meeting.reference}: {agenda.summary.headline}"
    waiting = len(agenda.summary.not_yet_approved)
    if published is not None:
        line += f" Published {len(published)} answer{'' if len(published) == 1 else 's'}."
    elif waiting:
        line += f" {waiting} not yet approved (--final approves and publishes them)."
    return f"{line} Written to {where}."


def open_data_report(files: OpenDataFiles | None) -> tuple[str, str | None]:
    """For stderr: what to add to the summary, and a warning line if the files were not
    written (the publication stands)."""
    if files is None:
        return "", None
    if files.problem is None:
        return f" Open data written to {files.folder}: {', '.join(files.names)}.", None
    return "", (
        "Warning: the answers are published, but their open data could not be written to "
        f"PUBLISH_DIR: {files.problem}. Once the folder is fixed, run compile --final again "
        "to write it, or use python -m bot export."
    )


def cmd_compile(args: argparse.Namespace) -> int:
    env = command_environment(args)
    done: Compiled | None = None
    try:
        fmt = output_format(args)
        libreoffice = find_libreoffice() if fmt == "pdf" else None
        for destination in destinations(args.out, fmt):
            check_destination(destination, args.force)
        database = store_from_env(env)
        done = asyncio.run(compile_from_database(args, database, env))
        if libreoffice is not None:
            where = write_pdf(done.agenda, args.out, args.force, libreoffice)
        else:
            where = write_agenda(done.agenda, args.out, fmt, force=args.force)
    except (CommandFailed, DomainError, PdfFailed) as error:
        published = done.published if done else None
        print(f"Error: {error}{published_anyway(published, args.final)}", file=sys.stderr)
        warn_about_open_data(done)
        return 2
    added, _ = open_data_report(done.open_data)
    summary = compile_summary(done.agenda, done.published if args.final else None, where)
    print(summary + added, file=sys.stderr)
    return 1 if warn_about_open_data(done) else 0


def warn_about_open_data(done: Compiled | None) -> bool:
    """Print the warning if PUBLISH_DIR could not be written; whether it was printed."""
    _, warning = open_data_report(done.open_data if done else None)
    if warning is not None:
        print(warning, file=sys.stderr)
    return warning is not None


COMPILE_HELP = """\
Compile the responses addressed to a meeting into the agenda item, as Word, Markdown or PDF,
from the database in DATABASE_PATH (read from the environment or --env-file; no Slack tokens
are needed and Slack is not contacted). People mentioned in answers are named as the bot
last saw them in Slack (an officer by their role's title), so the file is the one /agenda
compile uploads: the same record and --generated-at date give the same bytes.
--final also marks the answers in it published: answers not yet approved are approved first,
as the clerk's act (recorded in the audit as "cli"). PDF is made from the Word document
(written beside it) by LibreOffice, which must be installed (soffice on PATH). Prints a
one-line summary to stderr; errors print one line and exit with code 2."""


def add_compile_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "compile",
        help="write a meeting's question responses for the agenda pack (no Slack needed)",
        description=COMPILE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "--meeting",
        metavar="REF|DATE",
        help="the meeting: a reference such as CYP-2026-05-11 or a date such as 2026-05-11 "
        "(default: the next meeting from today)",
    )
    command.add_argument(
        "--committee", metavar="KEY", help="with a date or the default: that committee's meeting"
    )
    command.add_argument(
        "--format",
        choices=("docx", "md", "pdf"),
        help="docx (Word), md (Markdown) or pdf (needs LibreOffice; the .docx is written "
        "beside it); default from --out: .md and - are Markdown, .pdf is PDF",
    )
    command.add_argument(
        "--out",
        metavar="FILE",
        help="where to write; - writes Markdown to stdout "
        "(default: <meeting>-question-responses.docx here)",
    )
    command.add_argument(
        "--force",
        action="store_true",
        help="replace the --out file if it exists (a symbolic link is never followed)",
    )
    command.add_argument(
        "--final",
        action="store_true",
        help="also mark the answers in it published (approving any not yet approved)",
    )
    command.add_argument(
        "--generated-at",
        metavar="WHEN",
        help="the date and time the document is prepared at, such as 2026-05-01T09:30 "
        "(default: now); its date goes into the document's properties",
    )
    command.set_defaults(func=cmd_compile)


async def export_from_database(
    args: argparse.Namespace, database: Path | str, tz: ZoneInfo
) -> tuple[str, bytes, int]:
    """The meeting's questions as CSV or JSON: (its reference, the bytes, how many rows)."""
    use_time_zone(tz)
    async with database_for_command(database) as repos:
        today = system_clock().astimezone(tz).date()
        meeting = await find_target_meeting(repos, args.meeting, today, args.committee)
        target, table = await export_meeting(repos, meeting, CLI_CLERK)
    return target.reference, export.encode(target, table, args.format), len(table)


def cmd_export(args: argparse.Namespace) -> int:
    env = command_environment(args)
    try:
        check_destination(args.out, args.force)
        database = store_from_env(env)
        reference, data, count = asyncio.run(
            export_from_database(args, database, timezone_from_env(env))
        )
        where = deliver_output(args.out, data, export.file_name(reference, args.format), args.force)
    except (CommandFailed, DomainError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    print(f"{reference}: {count} questions written to {where}.", file=sys.stderr)
    return 0


def add_export_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "export",
        help="a meeting's questions and published answers as open data (CSV or JSON)",
        description="One row per question addressed to the meeting; answer text only once "
        "published. The JSON's fields are described in the README. No Slack needed.",
    )
    command.add_argument("--meeting", metavar="REF|DATE", help="the meeting (default: the next)")
    command.add_argument("--committee", metavar="KEY", help="with a date: that committee's")
    command.add_argument("--format", choices=export.FORMATS, default="csv")
    command.add_argument(
        "--out",
        metavar="FILE",
        help="where to write; - for stdout (default: <meeting>-questions.csv)",
    )
    command.add_argument("--force", action="store_true", help="replace the --out file")
    command.set_defaults(func=cmd_export)


async def audit_from_database(
    args: argparse.Namespace, database: Path | str, tz: ZoneInfo
) -> tuple[str, list[dict[str, str]]]:
    """The audit events asked for: (what they are about, the rows)."""
    since = None
    if args.since:
        try:
            day = date.fromisoformat(args.since)
        except ValueError:
            raise CommandFailed(
                f"--since {args.since!r} is not a date such as 2026-05-01"
            ) from None
        since = datetime.combine(day, time(0, 0), tzinfo=tz)
    async with database_for_command(database) as repos:
        subjects: list[tuple[str, str]] | None = None
        about = "every subject"
        if args.question:
            question = await repos.questions.by_reference(args.question)
            subjects, about = [("question", question.reference)], question.reference
        elif args.meeting:
            today = system_clock().astimezone(tz).date()
            meeting = await find_target_meeting(repos, args.meeting, today)
            asked = await repos.questions.search(source_meeting_id=meeting.id)
            answered = await repos.questions.search(target_meeting_id=meeting.id)
            subjects = [("meeting", str(meeting.id))]
            subjects += [("question", q.reference) for q in [*asked, *answered]]
            about = f"{meeting.reference} and its questions"
        events = await repos.audit.matching(subjects=subjects, since=since)
    return about, history.audit_rows(events)


def cmd_audit(args: argparse.Namespace) -> int:
    env = command_environment(args)
    try:
        check_destination(args.out, args.force)
        database = store_from_env(env)
        about, rows = asyncio.run(audit_from_database(args, database, timezone_from_env(env)))
        data = history.audit_data(rows, args.format)
        where = deliver_output(args.out, data, f"audit.{args.format}", args.force)
    except (CommandFailed, DomainError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    print(f"Audit of {about}: {len(rows)} events written to {where}.", file=sys.stderr)
    return 0


def add_audit_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "audit",
        help="the audit trail (who changed what, when) as CSV or JSON",
        description="Every recorded event, or those about one question or one meeting (the "
        "meeting's own changes and its questions'), optionally since a date. The fields are "
        "described in the README. No Slack needed.",
    )
    which = command.add_mutually_exclusive_group()
    which.add_argument("--question", metavar="REF", help="one question, e.g. CYP-2023-12-18-Q04")
    which.add_argument("--meeting", metavar="REF|DATE", help="one meeting and its questions")
    command.add_argument("--since", metavar="DATE", help="only events on or after this date")
    command.add_argument("--format", choices=export.FORMATS, default="csv")
    command.add_argument(
        "--out", metavar="FILE", help="where to write; - for stdout (default: audit.csv)"
    )
    command.add_argument("--force", action="store_true", help="replace the --out file")
    command.set_defaults(func=cmd_audit)


def size_text(size: int) -> str:
    """A file's size as people say it: 812 KB, 3.4 MB."""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1_000_000:.1f} MB"


def sqlite_only(env: Mapping[str, str], command: str, instead: str) -> None:
    """Refuse ``command``, which works on the SQLite file, when the record is in PostgreSQL."""
    if (env.get("DATABASE_URL") or "").strip():
        raise CommandFailed(
            f"{command} works on the SQLite file (DATABASE_PATH) only, and DATABASE_URL puts "
            f"the bot's record in PostgreSQL: {instead}"
        )


def cmd_backup(args: argparse.Namespace) -> int:
    env = cli_environment(args.env_file)
    try:
        sqlite_only(env, "backup", "back it up with pg_dump (e.g. pg_dump -Fc -f FILE URL)")
        if args.file == STDOUT:
            raise CommandFailed("a backup cannot go to standard output: give a file name")
        check_destination(args.file, args.force)
        database = database_path_from_env(env)
        with writing(args.file):
            copy = backup_database(database, Path(args.file), replace=args.force)
    except (CommandFailed, BackupProblem) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    print(
        f"Backed up {database} to {copy.path} ({size_text(copy.size)}, migration "
        f"{copy.latest_migration}); integrity check ok.",
        file=sys.stderr,
    )
    return 0


def add_backup_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "backup",
        help="copy the database to a file, safely while the bot runs, and check the copy",
        description="SQLite's online backup of DATABASE_PATH into FILE (readable by this user "
        "only), consistent even while the bot is writing, then PRAGMA integrity_check on the "
        "copy. Errors print one line and exit with code 2.",
    )
    command.add_argument("file", metavar="FILE", help="the backup file to write")
    command.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it exists (a symbolic link is never followed)",
    )
    command.set_defaults(func=cmd_backup)


def cmd_restore(args: argparse.Namespace) -> int:
    env = cli_environment(args.env_file)
    try:
        sqlite_only(env, "restore", "restore a pg_dump backup with pg_restore")
        database = database_setting(env)
        try:
            restored = restore_database(Path(args.file), database, system_clock())
        except DatabaseInUse as error:
            raise CommandFailed(
                f"{error}: stop the bot first (systemctl stop, docker compose stop), then restore"
            ) from None
        except OSError as error:
            raise CommandFailed(
                f"Could not restore {database}: {error.strerror or error}"
            ) from None
    except (CommandFailed, BackupProblem) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    kept = (
        f"; the database it replaced is kept as {restored.aside}"
        if restored.aside is not None
        else ""
    )
    print(
        f"Restored {database} from {restored.backup} (migration {restored.latest_migration}, "
        f"integrity check ok){kept}. Start the bot again.",
        file=sys.stderr,
    )
    return 0


async def migrate_record(source_path: Path, url: str) -> tuple[TransferReport, dict[str, int]]:
    """Copy the SQLite record into PostgreSQL; the report, and PostgreSQL's counts after."""
    from storage.pg import PostgresDatabase  # asyncpg is loaded only when it is used
    from storage.transfer import copy_record, count_rows

    async with store_for_command(source_path) as source:
        try:
            target = await PostgresDatabase.open(url)
        except DatabaseUnavailable as error:
            raise CommandFailed(str(error)) from None
        try:
            report = await copy_record(source, target)
            return report, await count_rows(target, list(report.rows))
        except StorageError as error:
            raise CommandFailed(str(error)) from None
        finally:
            await target.close()


def cmd_migrate_to_postgres(args: argparse.Namespace) -> int:
    try:
        if not is_postgresql(args.to):
            raise CommandFailed(f"--to must be a postgresql:// URL, not {described(args.to)!r}")
        source_path = Path(args.source)
        if not source_path.is_file():
            raise CommandFailed(f"There is no database at {source_path}")
        try:
            lock = RunLock.take(source_path, "migrate-to-postgres")
        except DatabaseInUse as error:
            raise CommandFailed(f"{error}: stop the bot first, then move its record") from None
        try:
            report, counted = asyncio.run(migrate_record(source_path, args.to))
        finally:
            lock.release()
    except CommandFailed as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    for table, rows in report.rows.items():
        print(f"{table}: {rows} copied, {counted[table]} in PostgreSQL", file=sys.stderr)
    if counted != report.rows:
        print("Error: the row counts differ (see above)", file=sys.stderr)
        return 1
    print(
        f"Moved {report.total} rows in {len(report.rows)} tables from {source_path} to "
        f"{described(args.to)}; every table's rows counted on both sides. Set DATABASE_URL "
        "and start the bot.",
        file=sys.stderr,
    )
    return 0


def add_migrate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "migrate-to-postgres",
        help="copy the SQLite record into an empty PostgreSQL database",
        description="Copy every row of the SQLite file (--from) into an empty PostgreSQL "
        "database (--to), ids and all, in one transaction, then count every table's rows on "
        "both sides. Stop the bot first. Errors print one line and exit with code 2.",
    )
    command.add_argument("--from", dest="source", required=True, metavar="FILE")
    command.add_argument("--to", required=True, metavar="URL", help="postgresql://...")
    command.set_defaults(func=cmd_migrate_to_postgres)


def add_restore_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "restore",
        help="put a backup in place of the database (the bot must be stopped)",
        description="Refuses while the bot runs on DATABASE_PATH (it holds DATABASE_PATH"
        f"{LOCK_SUFFIX}). Checks the backup's integrity and that it is this bot's database, "
        "keeps the current database as DATABASE_PATH.before-restore-<time> (with its -wal and "
        "-shm files), then renames the checked copy into place. Errors print one line and "
        "exit with code 2.",
    )
    command.add_argument("file", metavar="FILE", help="the backup to restore")
    command.set_defaults(func=cmd_restore)


def cmd_check(args: argparse.Namespace) -> int:
    from bot.checks import Finding, check_deployment

    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        settings = load_settings(args.env_file)
    except ConfigError as error:
        print(Finding(False, "settings", str(error)).line)
        return 1
    source = (
        f"read from {args.env_file} and the environment"
        if args.env_file
        else ("read from the environment")
    )
    mode = "Socket Mode" if settings.socket_mode else f"HTTP mode on port {settings.port}"
    findings = [Finding(True, "settings", f"{source}; {mode}")]
    findings += asyncio.run(check_deployment(settings, system_clock(), Path(args.manifest)))
    for finding in findings:
        print(finding.line)
    return 0 if all(finding.ok for finding in findings) else 1


def add_check_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.manifest import MANIFEST_PATH

    command = sub.add_parser(
        "check",
        help="check a deployment: settings, Slack tokens and scopes, database, permissions, "
        "backups",
        description="Checks what the bot needs, one line per item starting OK or FAILED: the "
        "settings (read as `run` reads them), the bot token (auth.test) and its scopes against "
        "the app manifest, the app token in Socket Mode, that the database opens and is "
        "migrated, that its folder is closed to other users, and the nightly backups. Exit "
        "code 1 if anything failed. Safe to run while the bot runs.",
    )
    command.add_argument(
        "--manifest",
        metavar="FILE",
        default=str(MANIFEST_PATH),
        help="the app manifest whose bot scopes the token should have (default: the one "
        "beside the code)",
    )
    command.set_defaults(func=cmd_check)


def operator_from(args: argparse.Namespace) -> str:
    """The audit's actor for ``--by``: ``cli:<who>``."""
    by = validation.text(
        args.by, "--by (who is running this)", validation.NAME_LIMIT, multiline=False
    )
    return f"cli:{by}"


async def export_person(
    args: argparse.Namespace, database: Path | str, operator: str
) -> SubjectAccess:
    async with database_for_command(database) as repos:
        return await repos.personal_data.export(
            args.user_id.strip(), operator, system_clock(), args.name
        )


def cmd_person_export(args: argparse.Namespace) -> int:
    env = command_environment(args)
    try:
        operator = operator_from(args)
        check_destination(args.out, args.force)
        database = store_from_env(env)
        access = asyncio.run(export_person(args, database, operator))
        data = subject_rights.export_json(access, system_clock())
        default = f"{access.user_id}-subject-access.json"
        where = deliver_output(args.out, data, default, args.force, mode=0o600)
    except (CommandFailed, DomainError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    print(subject_rights.export_summary(access, where), file=sys.stderr)
    return 0


async def erase_person(
    args: argparse.Namespace, database: Path | str, operator: str
) -> tuple[ErasureReport, bool]:
    """The erasure, then (unless a dry run) the store's ``vacuum()``: (the report, whether
    the file is clean). On PostgreSQL that is VACUUM FULL of every table."""
    async with database_for_command(database) as repos:
        report = await repos.personal_data.erase(
            args.user_id.strip(), operator, system_clock(), args.name, dry_run=args.dry_run
        )
        clean = True if args.dry_run else await repos.personal_data.db.vacuum()
        return report, clean


def cmd_person_erase(args: argparse.Namespace) -> int:
    env = command_environment(args)
    try:
        operator = operator_from(args)
        database = store_from_env(env)
        report, clean = asyncio.run(erase_person(args, database, operator))
    except (CommandFailed, DomainError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    for line in subject_rights.erasure_lines(report):
        print(line)
    for warning in report.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    print(
        subject_rights.erasure_summary(
            report, operator, dry_run=args.dry_run, postgresql=is_postgresql(database)
        ),
        file=sys.stderr,
    )
    if not clean:
        print(
            f"Warning: another process kept reading {database}, so earlier pages may stay in "
            f"{database}-wal until its next checkpoint: stop the bot and run "
            f"sqlite3 {database} 'PRAGMA wal_checkpoint(TRUNCATE)'.",
            file=sys.stderr,
        )
        return 1
    return 0


PERSON_HELP = """\
Subject access and erasure (UK GDPR) for one person, named by their Slack member id, in the
bot's record (DATABASE_URL when set, else the file DATABASE_PATH; no Slack needed). For
clerks and operators: --by names who runs it, and the audit records it. An id that
appears nowhere is refused (exit code 2)."""

ERASE_HELP = """\
Replace the person's id everywhere by a tombstone (U-ERASED-...), and their @-mentions and
names (as Slack last gave them, as their questions were asked, and any --name) by 'Erased
person', in every table, audit detail and text; delete their display name, membership and
former clerk's place; then VACUUM so nothing of them stays in the file (on PostgreSQL,
VACUUM FULL of every table, which holds each table for a moment while the bot runs; the
server's write-ahead log, archives and backups are left to expire there). Published
attributions (The Commission, Hackney of Tomorrow, role titles) stay. Refused while they
hold a role, a clerk's place or open questions: the message says what to change first.
Exit code 1 if another process kept the old pages in the -wal file."""


def add_person_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    person = sub.add_parser(
        "person",
        help="everything held about one person (export), or erase them (UK GDPR)",
        description=PERSON_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = person.add_subparsers(dest="person_command", metavar="ACTION", required=True)

    def common(command: argparse.ArgumentParser) -> None:
        command.add_argument("user_id", metavar="U…", help="their Slack member id, e.g. U012AB3CD")
        command.add_argument(
            "--by",
            required=True,
            metavar="WHO",
            help="who is running this (your name or Slack member id), recorded in the audit",
        )
        command.add_argument(
            "--name",
            action="append",
            default=[],
            metavar="NAME",
            help="another spelling of their name to look for, e.g. a nickname (repeatable)",
        )

    export_command = actions.add_parser(
        "export",
        help="write everything held about them as JSON (subject access)",
        description="Every row of every table that holds their id, an @-mention of them or "
        "their name, and earlier versions of replies they wrote, as JSON. The file is "
        "readable by you only; other people's details in those rows are yours to check.",
    )
    common(export_command)
    export_command.add_argument(
        "--out",
        metavar="FILE",
        help="where to write; - for stdout (default: <U…>-subject-access.json)",
    )
    export_command.add_argument("--force", action="store_true", help="replace the --out file")
    export_command.set_defaults(func=cmd_person_export)
    add_workspace_option(export_command)

    erase_command = actions.add_parser(
        "erase",
        help="replace their id and name everywhere with a tombstone",
        description=ERASE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(erase_command)
    erase_command.add_argument(
        "--dry-run", action="store_true", help="say what would change, and change nothing"
    )
    erase_command.set_defaults(func=cmd_person_erase)
    add_workspace_option(erase_command)


def parse_moment(text: str | None, tz: ZoneInfo, option: str = "--now") -> datetime:
    """An ISO date and time (local time in TIMEZONE unless it says otherwise); now if none."""
    if not text:
        return system_clock()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandFailed(
            f"{option} {text!r} is not a date and time such as 2026-05-01T09:30"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def chase_settings(env: Mapping[str, str], dry_run: bool) -> Settings:
    """Settings for a sweep; a dry run needs no Slack tokens."""
    if dry_run:
        env = {"SLACK_BOT_TOKEN": "xoxb-dry-run", "SLACK_SIGNING_SECRET": "dry-run", **env}
    return settings_from_env(env)


async def run_sweep(settings: Settings, now: datetime, dry_run: bool) -> SweepReport:
    if settings.database_url:  # PostgreSQL: bots and sweeps on other machines share it
        db = await open_store(settings.database_url)
    else:
        db = await Database.open(database_path_from_env({"DATABASE_PATH": settings.database_path}))
    try:
        services = Services(settings=settings, db=db, clock=FixedClock(now))
        await services.seed()
        client = None if dry_run else create_web_client(settings)
        return await sweep(services, client, now, dry_run=dry_run)
    finally:
        await db.close()


def cmd_chase(args: argparse.Namespace) -> int:
    env = command_environment(args)
    try:
        settings = chase_settings(env, args.dry_run)
        use_time_zone(settings.tz)
        now = parse_moment(args.now, settings.tz)
        report = asyncio.run(run_sweep(settings, now, args.dry_run))
    except (CommandFailed, DomainError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    when = now.astimezone(settings.tz).strftime("%a %d %b %Y %H:%M")
    for line in report.lines:
        print(line)
    if args.dry_run:
        print(f"Dry run at {when}: {report.planned} reminder(s) would be sent.", file=sys.stderr)
    else:
        print(
            f"Sweep at {when}: {report.sent} reminder(s) sent, {report.failed} still due.",
            file=sys.stderr,
        )
    return 0 if report.failed == 0 else 1


def add_chase_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "chase",
        help="run one chase sweep now (or at --now) and exit",
        description="Send the reminders due at a moment: one digest per officer, one nudge per "
        "thread, nothing twice. Outside working days and hours nothing is due. Exit code 1 "
        "if some reminders could not be sent (they stay due for the next sweep).",
    )
    command.add_argument(
        "--now", metavar="WHEN", help="the moment to sweep at, e.g. 2026-05-01T09:30 (local time)"
    )
    command.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send and record nothing"
    )
    command.set_defaults(func=cmd_chase)


async def workspace_command(args: argparse.Namespace, env: Mapping[str, str]) -> list[str]:
    """``workspace list|show|set``: the lines to print."""
    from storage.installations import InstallationStore, WorkspaceSettings

    async with store_for_command(store_from_env(env)) as db:
        installations, own = InstallationStore(db, system_clock), WorkspaceSettings(db)
        teams = await installations.teams()
        if args.action == "list":
            return [
                f"{t.team_id}  {t.team_name or '(no name)'}  installed "
                f"{t.installed_at:%Y-%m-%d} by {t.installer_user_id or 'unknown'}"
                for t in teams
            ] or ["The bot is not installed in any workspace yet: open /slack/install."]
        team_id = args.team
        if team_id not in {t.team_id for t in teams}:
            raise CommandFailed(
                f"the bot is not installed in workspace {team_id}: python -m bot workspace list "
                "names those it is"
            )
        values = await own.of(team_id)
        if args.action == "set":
            changes = setting_changes(args.settings)
            merged = {k: v for k, v in {**values, **changes}.items() if v is not None}
            council_fields({**council_defaults(env), **merged})  # checked as .env's are
            await own.change(team_id, changes, system_clock(), operator_from(args))
            values = await own.of(team_id)
        lines = [f"{key}={values[key]}" for key in COUNCIL_SETTINGS if key in values]
        return lines or [f"{team_id} has no settings of its own: the environment's apply."]


def council_defaults(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k in COUNCIL_SETTINGS and v.strip()}


def setting_changes(words: Sequence[str]) -> dict[str, str | None]:
    """``KEY=VALUE`` words (``KEY=`` removes the workspace's own value)."""
    changes: dict[str, str | None] = {}
    for word in words:
        key, equals, value = word.partition("=")
        key = key.strip().upper()
        if not equals:
            raise CommandFailed(
                f"{word!r}: give settings as KEY=VALUE, e.g. TIMEZONE=Europe/London"
            )
        if key not in COUNCIL_SETTINGS:
            raise CommandFailed(
                f"{key} is not a setting a workspace can have its own of: "
                + ", ".join(COUNCIL_SETTINGS)
            )
        changes[key] = value.strip() or None
    if not changes:
        raise CommandFailed("nothing to set: give KEY=VALUE, e.g. CONTACT_NAME='Jo Clerk'")
    return changes


def cmd_workspace(args: argparse.Namespace) -> int:
    env = cli_environment(args.env_file)
    try:
        if not (env.get("SLACK_CLIENT_ID") or "").strip():
            raise CommandFailed(
                "this bot serves one workspace (SLACK_CLIENT_ID is not set): its settings are "
                "in .env"
            )
        lines = asyncio.run(workspace_command(args, env))
    except (CommandFailed, ConfigError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    if args.action == "set":
        print(
            f"{args.team}: saved; a running bot uses them within a minute.",
            file=sys.stderr,
        )
    return 0


def add_workspace_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--workspace",
        metavar="TEAM",
        help="installed in many workspaces: the one to work on (its team id, T…)",
    )


def add_workspace_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "workspace",
        help="installed in many workspaces: list them, and each council's own settings",
        description="Installed in many workspaces (SLACK_CLIENT_ID), each council may have its "
        "own settings, laid over those of the environment: " + ", ".join(COUNCIL_SETTINGS) + ".",
    )
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="the workspaces the bot is installed in")
    show = actions.add_parser("show", help="a workspace's own settings")
    show.add_argument("team", metavar="TEAM", help="the workspace's id (T…)")
    change = actions.add_parser(
        "set", help="set (KEY=VALUE) or remove (KEY=) a workspace's own settings"
    )
    change.add_argument("team", metavar="TEAM", help="the workspace's id (T…)")
    change.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    change.add_argument(
        "--by", required=True, metavar="WHO", help="who is making the change (for the record)"
    )
    command.set_defaults(func=cmd_workspace)


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import OutputFolderUnusable
    from bot.demo import main as demo_main

    try:
        return demo_main(args.out)
    except OutputFolderUnusable as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2


def settings_file(given: str | None) -> str | None:
    """``--env-file``, which must be readable when given; without it, ``.env`` if present."""
    if given is None:
        return DEFAULT_ENV_FILE if Path(DEFAULT_ENV_FILE).is_file() else None
    try:
        with open(given, encoding="utf-8"):
            pass
    except OSError as error:
        raise ConfigError(f"--env-file {given}: {error.strerror or error}") from None
    return given


DEFAULT_ENV_FILE = ".env"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The scrutiny questions bot: collect, send, chase and compile council "
        "scrutiny questions in Slack.",
    )
    parser.add_argument(
        "--env-file", help="settings file to read, which must exist (default: .env if there is one)"
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="connect to the Slack workspace in .env and serve")
    run.set_defaults(func=cmd_run)
    add_compile_parser(sub)
    add_export_parser(sub)
    add_audit_parser(sub)
    add_chase_parser(sub)
    add_backup_parser(sub)
    add_restore_parser(sub)
    add_migrate_parser(sub)
    add_check_parser(sub)
    add_person_parser(sub)
    add_workspace_parser(sub)
    for name in ("compile", "export", "audit", "chase"):
        add_workspace_option(sub.choices[name])
    demo = sub.add_parser(
        "demo",
        help="run the whole workflow locally against the built-in Slack double (no Slack account)",
    )
    demo.add_argument("--out", default="demo-output", help="folder for the compiled files")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    configure_logging(args.log_level)
    try:
        args.env_file = settings_file(args.env_file)
        result: int = args.func(args)
        return result
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except CommandFailed as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
