"""The Word template: the shipped neutral one, and a council's own (AGENDA_TEMPLATE)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import RGBColor
from lxml import etree

from bot.config import ConfigError, pack_from_env
from bot.core.agenda import PackDetails, compile_agenda
from bot.core.template import (
    DEFAULT_TEMPLATE,
    NEEDED_STYLES,
    TemplateError,
    build_neutral_template,
    open_template,
)
from tests.core.test_agenda import TARGET, december_entries, names

COUNCIL_HEADER = "London Borough of Hackney"


def house_style(document: docx.document.Document) -> dict[str, object]:
    """What the code that builds the neutral template sets (not python-docx's own bytes,
    which may differ from one release to the next)."""
    section = document.sections[0]
    styles = document.styles
    return {
        "page": (section.page_width, section.page_height),
        "margins": [getattr(section, f"{side}_margin") for side in ("left", "right", "top")],
        "body": (styles["Normal"].font.name, styles["Normal"].font.size),
        "headings": [
            (styles[name].font.name, styles[name].font.color.rgb)
            for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4")
        ],
        "language": etree.tostring(styles.element.find(qn("w:docDefaults"))).count(b"en-GB"),
        "footer": [p.text for p in section.footer.paragraphs],
        "fields": section.footer.paragraphs[0]._p.xml.count("w:fldSimple"),
    }


def test_the_shipped_template_is_the_one_the_code_builds() -> None:
    # `make template` rebuilds it; a change to the house style without it fails here.
    built = docx.Document(io.BytesIO(build_neutral_template()))
    assert house_style(docx.Document(str(DEFAULT_TEMPLATE))) == house_style(built)


def test_the_neutral_template_is_a4_british_english_with_real_styles() -> None:
    document = docx.Document(str(DEFAULT_TEMPLATE))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert {round(getattr(section, f"{s}_margin").cm, 2) for s in ("left", "top")} == {2.54}
    assert document.styles["Normal"].font.name == "Arial"
    for name in NEEDED_STYLES:
        assert document.styles[name] is not None
    assert document.styles["Heading 2"].font.color.rgb == RGBColor(0, 0, 0)


def council_template(folder: Path, *, drop: tuple[str, ...] = ()) -> Path:
    """A council's template: its own header, a red Heading 1, some styles missing."""
    document = docx.Document(str(DEFAULT_TEMPLATE))
    document.sections[0].header.paragraphs[0].text = COUNCIL_HEADER
    document.styles["Heading 1"].font.color.rgb = RGBColor(0xC0, 0, 0)
    for name in drop:
        element = document.styles[name].element
        element.getparent().remove(element)
    document.add_paragraph("Delete me: the template's own sample text.")
    path = folder / "council.docx"
    document.save(str(path))
    return path


def compiled_with(template: Path, *, final: bool = False) -> docx.document.Document:
    pack = PackDetails(template=template)
    agenda = compile_agenda(TARGET, december_entries(), names, pack=pack, final=final)
    return docx.Document(io.BytesIO(agenda.to_docx_bytes()))


def test_a_councils_template_keeps_its_styles_and_header(tmp_path: Path) -> None:
    document = compiled_with(council_template(tmp_path))
    assert document.styles["Heading 1"].font.color.rgb == RGBColor(0xC0, 0, 0)
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert header[0] == COUNCIL_HEADER
    assert "Children and Young People Scrutiny Commission, Monday 11 May 2026" in header
    assert "DRAFT – not for publication" in header
    texts = [p.text for p in document.paragraphs]
    assert not any("Delete me" in text for text in texts)  # the template's body is emptied
    assert texts[0].startswith("Responses to questions not reached")
    final = compiled_with(council_template(tmp_path), final=True)
    assert "DRAFT" not in " ".join(p.text for p in final.sections[0].header.paragraphs)


def test_styles_a_councils_template_lacks_are_added_lists_numbered(tmp_path: Path) -> None:
    template = council_template(tmp_path, drop=("List Bullet", "List Number", "Heading 4"))
    assert "List Bullet" not in {s.name for s in docx.Document(str(template)).styles}
    document = compiled_with(template)
    bullets = [p for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets and all(p.style.element.pPr.numPr is not None for p in bullets)
    numbering = document.part.numbering_part.element
    num_id = bullets[0].style.element.pPr.numPr.numId.val
    assert numbering.num_having_numId(num_id) is not None
    assert any(p.style.name == "Heading 4" for p in document.paragraphs)


def test_a_word_template_file_dotx_works(tmp_path: Path) -> None:
    docx_path = council_template(tmp_path)
    dotx = tmp_path / "council.dotx"
    with zipfile.ZipFile(docx_path) as source, zipfile.ZipFile(dotx, "w") as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml"
                )
            target.writestr(member, data)
    header = [p.text for p in compiled_with(dotx).sections[0].header.paragraphs]
    assert header[0] == COUNCIL_HEADER


def test_a_template_that_cannot_be_used_is_one_clear_line(tmp_path: Path) -> None:
    not_word = tmp_path / "notes.docx"
    not_word.write_text("not a Word file", encoding="utf-8")
    with pytest.raises(TemplateError, match="is not a Word document"):
        open_template(not_word)
    with pytest.raises(ConfigError) as refused:
        pack_from_env({"AGENDA_TEMPLATE": str(tmp_path / "missing.docx")})
    assert str(refused.value).startswith("AGENDA_TEMPLATE: The agenda template ")
    assert "cannot be read" in str(refused.value) and "\n" not in str(refused.value)
    pack = pack_from_env({"AGENDA_TEMPLATE": str(council_template(tmp_path))})
    assert pack == replace(PackDetails(), template=tmp_path / "council.docx")
