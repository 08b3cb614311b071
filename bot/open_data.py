"""PUBLISH_DIR: publishing a meeting also leaves its open data (CSV and JSON) in a folder the
council's website or committee system picks up from.

The files are what ``/agenda export`` (or ``python -m bot export``) gives right after
publication, and replace the meeting's earlier ones whole: a reader of the folder never sees
half a file. A folder that cannot be written never undoes the publication: the clerk is told
what went wrong and how to write the files again.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.compiling import NameLookup, export_meeting
from bot.core import export
from bot.core.models import Meeting
from bot.core.permissions import Actor
from storage.repositories import Repositories


@dataclass(frozen=True)
class OpenDataFiles:
    """What publishing wrote into PUBLISH_DIR, or why it could not."""

    meeting_reference: str
    folder: Path
    names: tuple[str, ...]
    problem: str | None = None


async def write_published_export(
    repos: Repositories,
    meeting: Meeting,
    actor: Actor,
    folder: Path,
    *,
    look_up_names: NameLookup | None = None,
) -> OpenDataFiles:
    """The meeting's export in every format, written into ``folder`` (after publishing)."""
    target, table = await export_meeting(repos, meeting, actor, look_up_names=look_up_names)
    files = {
        export.file_name(target.reference, fmt): export.encode(target, table, fmt)
        for fmt in export.FORMATS
    }
    return await asyncio.to_thread(write_into, meeting.reference, folder, files)


def write_into(reference: str, folder: Path, files: Mapping[str, bytes]) -> OpenDataFiles:
    """``replace_files``, with a failure described instead of raised."""
    try:
        replace_files(folder, files)
    except OSError as error:
        problem = folder_problem(folder) or f"writing into {folder} failed ({_reason(error)})"
        return OpenDataFiles(reference, folder, (), problem)
    return OpenDataFiles(reference, folder, tuple(files))


def replace_files(folder: Path, files: Mapping[str, bytes], *, mode: int = 0o666) -> None:
    """Write each file beside its final name, then rename each over any earlier one: a reader
    never sees half a file, and a failure before the renames leaves the earlier files alone."""
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            staged.append((_stage(folder, name, data, mode), folder / name))
        for temporary, final in staged:
            os.replace(temporary, final)  # renames over a link, never through it
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def _stage(folder: Path, name: str, data: bytes, mode: int = 0o666) -> Path:
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode & ~current_umask())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written into ``folder``, or None if it looks writable."""
    if not folder.exists():
        return f"there is no folder {folder}"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable"
    return None


def _reason(error: OSError) -> str:
    return str(error.strerror or error)
