"""A throwaway PostgreSQL server for the tests, and a fresh database for each test.

``TEST_DATABASE_URL`` (a server where its user may create databases) is used when set.
Otherwise the server's programs are looked for (in ``PG_BIN`` alone when it is set, else in
/usr/lib/postgresql/<version>/bin, then beside ``pg_ctl`` on the PATH) and a private cluster is made
in a temporary folder, listening only on a Unix socket there (so no port is ever shared,
and each pytest-xdist worker can run its own), with fsync off; it is stopped and deleted at
the end. PostgreSQL refuses to run as root: as root, the cluster belongs to ``postgres``.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from storage.store import open_store

NOT_INSTALLED = "PostgreSQL not installed: the PostgreSQL pass was skipped"
SERVER_USER = "postgres"
PORT = 5432
"""Only names the socket file: the server listens on no TCP port."""


def programs() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    if os.environ.get("PG_BIN"):  # only there: PG_BIN=/nowhere runs the suite without
        candidates = [Path(os.environ["PG_BIN"])]
        return candidates[0] if _has_programs(candidates[0]) else None
    candidates = []
    installed = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += [Path(p) for p in installed]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    return next((folder for folder in candidates if _has_programs(folder)), None)


def _has_programs(folder: Path) -> bool:
    return (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix, uid and gid to run the server with (``postgres`` when root)."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise RuntimeError(f"running as root and there is no {SERVER_USER!r} user") from None
    return ["runuser", "-u", SERVER_USER, "--"], user.pw_uid, user.pw_gid


@contextmanager
def throwaway_server(bin_dir: Path) -> Iterator[str]:
    """A new cluster, started; yields the URL of its ``postgres`` database."""
    prefix, uid, gid = _as_server_user()
    top = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data, sockets = top / "data", top / "s"
    sockets.mkdir()
    if uid is not None and gid is not None:
        for path in (top, sockets):
            os.chown(path, uid, gid)
    log = top / "server.log"
    try:
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                SERVER_USER,
                "--auth=trust",
                "--no-locale",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        options = (
            f"-k {sockets} -p {PORT} -c listen_addresses='' -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql://{SERVER_USER}@/postgres?host={quote(str(sockets))}&port={PORT}"
        finally:
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                check=False,
                capture_output=True,
            )
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or b"").decode(errors="replace").strip()
        if log.exists():
            detail += "\n" + log.read_text(errors="replace")
        raise RuntimeError(f"the test PostgreSQL server did not start: {detail}") from None
    finally:
        shutil.rmtree(top, ignore_errors=True)


def with_database(url: str, name: str) -> str:
    """``url`` naming the database ``name`` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(
    server: str, name: str, *, template: str | None = None, migrate: bool = False
) -> str:
    """A new database on ``server`` (a copy of ``template`` if given, else empty; then
    migrated if asked); its URL."""
    conn = await asyncpg.connect(server)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    url = with_database(server, name)
    if migrate:
        store = await open_store(url)
        await store.close()
    return url


async def drop_database(server: str, name: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


_numbers = itertools.count(1)


def database_name(prefix: str) -> str:
    """A name no other test, worker or run uses at the same time."""
    return f"{prefix}_{os.getpid()}_{next(_numbers)}_{uuid.uuid4().hex[:8]}"
