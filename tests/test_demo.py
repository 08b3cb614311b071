"""The newcomer's demo runs the whole workflow and writes the compiled files."""

from __future__ import annotations

import io
from pathlib import Path

import docx

from bot.demo import run_demo


async def test_demo_tells_the_whole_story_and_writes_the_agenda(tmp_path: Path) -> None:
    lines: list[str] = []
    written = await run_demo(tmp_path / "demo-output", out=lines.append)
    story = "\n".join(lines)
    for step in (
        "/agenda meeting add 2023-12-18",
        "*21 questions to save*",
        "Sent 21 questions to officers",
        "replies in the thread of CYP-2023-12-18-Q02",
        "edits the reply",
        "holding reply on Q17",
        "chase sweep: bank holiday",
        "Dev (deputy to the DCSC) is now chased too",
        "21 questions: 4 answered, 1 holding reply, 16 responses awaited.",
    ):
        assert step in story, step
    names = sorted(p.name for p in written)
    assert names == [
        "CYP-2026-05-11-question-responses.docx",
        "CYP-2026-05-11-question-responses.md",
        "CYP-2026-05-11-questions.csv",
        "CYP-2026-05-11-questions.json",
    ]
    table = (tmp_path / "demo-output" / names[2]).read_text(encoding="utf-8-sig")
    assert table.startswith("reference,committee,meeting,meeting_date,")
    assert ",4.6,The Commission," in table  # the minute number kept from the import
    markdown = (tmp_path / "demo-output" / names[1]).read_text(encoding="utf-8")
    assert "Hackney of Tomorrow" in markdown
    assert "1,420" in markdown and "1,240" not in markdown  # the edit made it in
    document = docx.Document(io.BytesIO((tmp_path / "demo-output" / names[0]).read_bytes()))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Item 4: Children's Social Care Annual Report (2022/23)" in headings
