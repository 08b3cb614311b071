"""Writing parsed blocks (bot/core/markup.py) into a Word document with python-docx.

Only compiling needs Word, so python-docx is imported here and nowhere the bot loads at
start-up: it is loaded the first time a document is written.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import RGBColor
from docx.text.paragraph import Paragraph as WordParagraph
from docx.text.run import Run

from bot.core.markup import (
    Block,
    Code,
    CodeBlock,
    Heading,
    Inline,
    Line,
    Link,
    ListItem,
    Quote,
    Style,
    Styled,
    clean_text,
    continuations,
)

CODE_FONT = "Consolas"
HYPERLINK_COLOUR = RGBColor(0x05, 0x63, 0xC1)


def _list_style(item: ListItem) -> str:
    base = "List Number" if item.ordered else "List Bullet"
    return base if item.level == 0 else f"{base} 2"


def _restart_numbering(document: Document, style_name: str, start: int) -> int:
    """A new numbering instance for the style's list, starting at ``start``; its numId."""
    numbering = document.part.numbering_part.element
    style_num_id = document.styles[style_name].element.pPr.numPr.numId.val
    abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(start)
    return int(num.numId)


def _set_numbering(paragraph: WordParagraph, num_id: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def _format_run(run: Run, styles: frozenset[Style], code: bool = False) -> None:
    if Style.BOLD in styles:
        run.bold = True
    if Style.ITALIC in styles:
        run.italic = True
    if Style.STRIKE in styles:
        run.font.strike = True
    if code:
        run.font.name = CODE_FONT


def _add_hyperlink(paragraph: WordParagraph, link: Link, styles: frozenset[Style]) -> None:
    relationship_id = paragraph.part.relate_to(
        link.href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True
    )
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), relationship_id)
    run = paragraph.add_run(clean_text(link.label))
    _format_run(run, styles)
    run.font.underline = True
    run.font.color.rgb = HYPERLINK_COLOUR
    hyperlink.append(run._r)
    paragraph._p.append(hyperlink)


def add_inlines(
    paragraph: WordParagraph, nodes: Sequence[Inline], styles: frozenset[Style] = frozenset()
) -> None:
    """Append inline nodes to a python-docx paragraph as formatted runs and hyperlinks."""
    for node in nodes:
        if isinstance(node, Styled):
            add_inlines(paragraph, node.children, styles | {node.style})
        elif isinstance(node, Link):
            _add_hyperlink(paragraph, node, styles)
        else:
            _format_run(paragraph.add_run(clean_text(node.text)), styles, isinstance(node, Code))


def _add_lines(paragraph: WordParagraph, lines: Sequence[Line]) -> None:
    for index, line in enumerate(lines):
        if index:
            paragraph.add_run().add_break()
        add_inlines(paragraph, line)


_STYLE_IDS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


_SECTION_ENDS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _new_paragraph(document: Document) -> WordParagraph:
    """An empty paragraph at the end of the body, before its closing section properties.

    python-docx's ``add_paragraph`` looks for those properties among every paragraph so far
    on each call, which made writing a long agenda slow in proportion to its length squared;
    here they are found once per document.
    """
    body = document.element.body
    end = _SECTION_ENDS.get(document.part)
    if end is None or end.getparent() is not body:
        end = body.find(qn("w:sectPr"))
        if end is None:
            return document.add_paragraph()
        _SECTION_ENDS[document.part] = end
    element = OxmlElement("w:p")
    end.addprevious(element)
    return WordParagraph(element, document._body)


def _styled_paragraph(document: Document, name: str | None, text: str = "") -> WordParagraph:
    """A new paragraph in paragraph style ``name`` (None: the default style).

    The style's id is looked up once per document and written straight into the paragraph:
    python-docx's own ``style=`` scans every style on each call (twice), which dominated
    the time to write a long agenda.
    """
    paragraph = _new_paragraph(document)
    if text:
        paragraph.add_run(text)
    if name is not None:
        ids = _STYLE_IDS.setdefault(document.part, {})
        if name not in ids:
            ids[name] = document.styles[name].style_id
        paragraph._p.get_or_add_pPr().style = ids[name]
    return paragraph


def _add_block(document: Document, block: Block) -> WordParagraph:
    """Append one block; return its paragraph."""
    if isinstance(block, Heading):
        text = clean_text(" ".join(block.text.split()))
        name = "Title" if block.level == 0 else f"Heading {block.level}"
        return _styled_paragraph(document, name, text)
    if isinstance(block, CodeBlock):
        paragraph = _styled_paragraph(document, "No Spacing")
        _format_run(paragraph.add_run(clean_text(block.text)), frozenset(), code=True)
        return paragraph
    if isinstance(block, ListItem):
        paragraph = _styled_paragraph(document, _list_style(block))
        add_inlines(paragraph, block.content)
        return paragraph
    paragraph = _styled_paragraph(document, "Quote" if isinstance(block, Quote) else None)
    _add_lines(paragraph, block.lines)
    return paragraph


def add_to_document(document: Document, blocks: Sequence[Block]) -> None:
    """Append blocks to a python-docx Document; each numbered list restarts at its first number."""
    num_ids: dict[int, int] = {}
    for block, continues in zip(blocks, continuations(blocks), strict=True):
        paragraph = _add_block(document, block)
        if isinstance(block, ListItem) and block.ordered:
            if not continues:
                num_ids[block.level] = _restart_numbering(
                    document, _list_style(block), block.number
                )
            _set_numbering(paragraph, num_ids[block.level])
