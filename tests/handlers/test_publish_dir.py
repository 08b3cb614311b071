"""PUBLISH_DIR: publishing in Slack also leaves the meeting's open data in a folder."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble, StoredFile
from tests.conftest import CLERK
from tests.handlers.support import ephemeral_containing, eventually, services
from tests.handlers.test_compile_in_slack import two_questions_one_answered

CSV = "CYP-2026-05-11-questions.csv"
JSON = "CYP-2026-05-11-questions.json"

StartBot = Callable[..., Awaitable[Runtime]]


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def read(path: Path) -> bytes:
    return path.read_bytes()


def make_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "website"
    folder.mkdir()
    return folder


async def exported(slack: SlackDouble, words: str, name: str) -> StoredFile:
    """What ``/agenda export`` uploads now."""
    await slack.send_command("/agenda", f"export {words}", CLERK)
    files = await slack.wait_for(
        lambda: [f for f in slack.files if f.completed and f.name == name] or None
    )
    return files[-1]


async def published(bot: Runtime) -> None:
    await eventually(
        lambda: services(bot).repos.questions.by_reference("CYP-2023-12-18-Q01"),
        lambda q: q.state is QuestionState.PUBLISHED,
    )


async def test_compile_final_writes_what_export_gives_replacing_the_earlier_files(
    slack: SlackDouble, make_bot: StartBot, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path)
    (folder / CSV).write_text("an earlier publication", encoding="utf-8")
    (folder / JSON).write_text("{}", encoding="utf-8")
    (folder / "CYP-2026-06-22-questions.csv").write_text("another meeting's", encoding="utf-8")
    bot = await make_bot(publish_dir=folder)
    await two_questions_one_answered(slack, bot)
    await slack.send_command("/agenda", "compile --final", CLERK)
    summary = await ephemeral_containing(slack, CLERK, "Open data written to")
    assert f"Open data written to {folder}: {CSV}, {JSON}." in summary
    await published(bot)
    assert read(folder / CSV) == (await exported(slack, "csv", CSV)).content
    assert read(folder / JSON) == (await exported(slack, "json", JSON)).content
    assert b"CYP-2023-12-18-Q01" in read(folder / CSV) and b"published" in read(folder / CSV)
    assert listing(folder) == [CSV, JSON, "CYP-2026-06-22-questions.csv"]  # no temporary files


async def test_the_publish_button_writes_the_open_data_too(
    slack: SlackDouble, make_bot: StartBot, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path)
    bot = await make_bot(publish_dir=folder)
    await two_questions_one_answered(slack, bot)
    await slack.send_command("/agenda", "compile", CLERK)
    summary = await slack.wait_for(
        lambda: [e for e in slack.ephemerals(CLERK) if "agenda_publish" in str(e.blocks)]
    )
    assert listing(folder) == []  # compiling is not publishing
    await slack.click_button(CLERK, summary[-1], "agenda_publish")
    note = await ephemeral_containing(slack, CLERK, "Published 1 answers")
    assert note == (
        f"Published 1 answers: CYP-2023-12-18-Q01.\nOpen data written to {folder}: {CSV}, {JSON}."
    )
    assert read(folder / CSV) == (await exported(slack, "", CSV)).content


async def test_a_folder_that_cannot_be_written_is_told_and_publishing_stands(
    slack: SlackDouble, make_bot: StartBot, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path)
    bot = await make_bot(publish_dir=folder)
    shutil.rmtree(folder)  # e.g. a network share that went away after start-up
    await two_questions_one_answered(slack, bot)
    await slack.send_command("/agenda", "compile 2026-05-11 --final", CLERK)
    warning = await ephemeral_containing(slack, CLERK, "could not be written")
    assert (
        ":warning: *The answers are published, but their open data could not be written to "
        f"PUBLISH_DIR:* there is no folder {folder}. Once the folder is fixed, publish again "
        "with `/agenda compile CYP-2026-05-11 --final` to write it, or get the files with "
        "`/agenda export CYP-2026-05-11`."
    ) in warning
    await published(bot)
    documents = await slack.wait_for(lambda: [f for f in slack.files if f.completed] or None)
    assert len(documents) == 2  # the compiled documents went up all the same
    # Once the folder is back, publishing again writes the files.
    folder.mkdir()
    await slack.send_command("/agenda", "compile 2026-05-11 --final", CLERK)
    await ephemeral_containing(slack, CLERK, "Open data written to")
    assert listing(folder) == [CSV, JSON]


async def test_without_publish_dir_nothing_is_written_or_said(
    slack: SlackDouble, bot: Runtime, tmp_path: Path
) -> None:
    before = listing(tmp_path)
    await two_questions_one_answered(slack, bot)
    await slack.send_command("/agenda", "compile --final", CLERK)
    summary = await ephemeral_containing(slack, CLERK, "Published 1 answers for this meeting.")
    assert "Open data" not in summary
    assert listing(tmp_path) == before
