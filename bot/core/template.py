"""The Word template the compiled agenda item is written into.

The repository ships a neutral template, ``bot/templates/agenda.docx``: A4 with 2.54 cm
margins, British English, black headings on an Arial body, real Heading and List styles and
"Page X of Y" in the footer. A council can copy it and make it their own (styles, header,
footer, logo) and name theirs in ``AGENDA_TEMPLATE``; a Word template (.dotx) works too.

Whatever the template, the compile empties its body, keeps its page set-up, header and
footer, and adds any paragraph style the agenda needs that the template lacks (copied from
the neutral template, lists with their numbering), so a council's template never makes a
compile fail halfway.
"""

from __future__ import annotations

import copy
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # python-docx is loaded only when a document is written
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph as WordParagraph

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "agenda.docx"
LANGUAGE = "en-GB"
BODY_FONT = "Arial"
HEADING_STYLES = ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4")
LIST_STYLES = ("List Bullet", "List Bullet 2", "List Number", "List Number 2")
NEEDED_STYLES = (*HEADING_STYLES, *LIST_STYLES, "Quote", "No Spacing")
"""Every paragraph style the agenda item uses."""

_TEMPLATE_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
_DOCUMENT_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


class TemplateError(ValueError):
    """The agenda template cannot be used; the message says why, in one line."""


def open_template(path: Path | None = None) -> DocxDocument:
    """A new document from the template at ``path`` (None: the neutral one), body emptied."""
    import docx
    from docx.oxml.ns import qn

    source = path or DEFAULT_TEMPLATE
    try:
        data = source.read_bytes()
    except OSError as error:
        raise TemplateError(
            f"The agenda template {source} cannot be read: {error.strerror or error}"
        ) from None
    try:
        document = docx.Document(io.BytesIO(_as_document(data)))
    except Exception:  # python-docx raises many kinds for a file that is not Word
        raise TemplateError(
            f"The agenda template {source} is not a Word document (.docx or .dotx)"
        ) from None
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    if path is not None:
        _add_missing_styles(document)
    return document


def check_template(path: Path) -> None:
    """Raise TemplateError if the template at ``path`` cannot be used (for start-up)."""
    open_template(path)


def _as_document(data: bytes) -> bytes:
    """A .dotx's bytes as a .docx's (only the main part's content type differs)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        types = source.read("[Content_Types].xml")
        if _TEMPLATE_TYPE not in types:
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for member in source.infolist():
                content = source.read(member.filename)
                if member.filename == "[Content_Types].xml":
                    content = content.replace(_TEMPLATE_TYPE, _DOCUMENT_TYPE)
                target.writestr(member, content)
    return out.getvalue()


def _add_missing_styles(document: DocxDocument) -> None:
    """Copy from the neutral template each needed style the council's template lacks."""
    import docx
    from docx.oxml.ns import qn

    names = {style.name for style in document.styles}
    missing = [name for name in NEEDED_STYLES if name not in names]
    if not missing:
        return
    neutral = docx.Document(str(DEFAULT_TEMPLATE))
    for name in missing:
        element = copy.deepcopy(neutral.styles[name].element)
        num_pr = element.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if num_pr is not None:
            num_id = num_pr.find(qn("w:numId"))
            num_id.set(
                qn("w:val"), str(_copy_numbering(neutral, document, int(num_id.get(qn("w:val")))))
            )
        document.styles.element.append(element)


def _copy_numbering(source: DocxDocument, target: DocxDocument, num_id: int) -> int:
    """Copy list numbering ``num_id`` (and its abstract definition) between documents."""
    from docx.oxml.ns import qn

    numbering = source.part.numbering_part.element
    abstract_id = numbering.num_having_numId(num_id).abstractNumId.val
    abstract = next(
        a
        for a in numbering.findall(qn("w:abstractNum"))
        if int(a.get(qn("w:abstractNumId"))) == abstract_id
    )
    into = target.part.numbering_part.element
    taken = [int(a.get(qn("w:abstractNumId"))) for a in into.findall(qn("w:abstractNum"))]
    new_abstract = copy.deepcopy(abstract)
    new_abstract.set(qn("w:abstractNumId"), str(max(taken, default=-1) + 1))
    for link in new_abstract.findall(qn("w:numStyleLink")) + new_abstract.findall(
        qn("w:styleLink")
    ):
        new_abstract.remove(link)
    first_num = into.find(qn("w:num"))
    if first_num is None:
        into.append(new_abstract)
    else:
        first_num.addprevious(new_abstract)
    return int(into.add_num(int(new_abstract.get(qn("w:abstractNumId")))).numId)


# --- the neutral template ------------------------------------------------------------------


def build_neutral_template() -> bytes:
    """The neutral template's bytes, from python-docx's own with the house style applied
    (``make template`` writes them to DEFAULT_TEMPLATE)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.54))
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(11)
    for name in HEADING_STYLES:
        style = styles[name]
        style.font.name = BODY_FONT
        style.font.color.rgb = RGBColor(0, 0, 0)
    defaults = styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    properties = run_defaults.find(qn("w:rPr")) if run_defaults is not None else None
    if properties is not None:
        lang = properties.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            properties.append(lang)
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    add_field(footer, "PAGE", "1")
    footer.add_run(" of ")
    add_field(footer, "NUMPAGES", "1")
    properties_ = document.core_properties
    properties_.title = "Agenda item template"
    properties_.author = properties_.last_modified_by = "Scrutiny questions bot"
    properties_.language = LANGUAGE
    properties_.revision = 1
    properties_.created = properties_.modified = datetime(2026, 1, 1)
    buffer = io.BytesIO()
    document.save(buffer)
    return reproducible_zip(buffer.getvalue(), date(2026, 1, 1))


def write_neutral_template() -> None:
    """Rewrite the shipped neutral template (``make template``); a test keeps them equal."""
    DEFAULT_TEMPLATE.write_bytes(build_neutral_template())


def reproducible_zip(data: bytes, day: date) -> bytes:
    """The same package with every member's timestamp set from ``day`` (zip needs >= 1980)."""
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(member.filename))
    return out.getvalue()


def add_field(paragraph: WordParagraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the document out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def has_page_numbers(paragraphs: list[WordParagraph]) -> bool:
    """Whether a header or footer already shows a PAGE field."""
    return any("PAGE" in p._p.xml for p in paragraphs)


def is_blank(paragraph: WordParagraph) -> bool:
    """No text, picture or field: a paragraph the compile may write into."""
    return not paragraph.text.strip() and len(paragraph._p) <= 1
