"""Compile: an agenda item of many answered questions to Markdown and Word.

The questions go through the repositories as in the bot (created against agenda items, sent,
each answered by its officer in the thread with some Slack formatting). The product's path is
``compile_meeting`` (read the record, map it, render Markdown) then ``to_docx_bytes``. The
baseline writes the same formatted content with python-docx, efficiently: the agenda's
paragraphs are flattened beforehand (outside the timing) into a style and runs (text, bold,
italic, strike, code, link), and written with each style's id looked up once, runs set
directly, links as hyperlinks, then saved. That is what a Word file with this content costs
on this machine, written well. The two are timed in turn (A B A B).
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from bench.fixtures import (
    CLERK_ACTOR,
    SENT_AT,
    Commission,
    create_sent_question,
    fake_thread,
    median_seconds,
    paired_medians,
    set_up_commission,
    shuffled_assignments,
)
from bench.processes import pin
from bench.report import Emit, count, duration, figure, note, ratio_goal
from bot.compiling import agenda_meeting, compile_meeting, gather_entries
from bot.core.agenda import CompiledAgenda, compile_agenda
from bot.core.markup import (
    Block,
    Code,
    CodeBlock,
    Heading,
    Inline,
    Link,
    ListItem,
    Quote,
    Style,
    Styled,
)
from bot.core.models import MessageRef
from bot.core.permissions import Actor
from bot.core.word import CODE_FONT, HYPERLINK_COLOUR
from storage.db import Database
from storage.repositories import Repositories

RATIO_GOAL = 1.5
OFFICERS = 10
AGENDA_ITEMS = 8
ANSWER = (
    "Thank you for the question. As at 31 March there were *78* care leavers aged 18 to 25 "
    "living outside the borough:\n"
    "- 41 in neighbouring boroughs\n"
    "- 25 elsewhere in London\n"
    "- 12 outside London\n"
    "Each has a personal adviser who visits at least every _eight weeks_. The local offer is "
    "at <https://hackney.gov.uk/care-leavers|the council's website>; <@UOFF00001> can give "
    "more detail on request."
)


@dataclass(frozen=True)
class Sizes:
    questions: int
    repeats: int


FULL = Sizes(questions=500, repeats=3)
QUICK = Sizes(questions=100, repeats=2)


@dataclass(frozen=True)
class Timings:
    """Medians: the product's whole path against the baseline, and the path's three parts."""

    product: float
    baseline: float
    gather: float
    render: float
    docx: float
    agenda: CompiledAgenda
    docx_size: int


async def answered_questions(repos: Repositories, commission: Commission, count: int) -> None:
    """``count`` questions on the source meeting's items, each answered in its thread."""
    for number in range(1, AGENDA_ITEMS + 1):
        title = f"Support for care leavers, part {number}"
        await repos.meetings.add_agenda_item(
            commission.source.id, str(number), title, CLERK_ACTOR, SENT_AT
        )
    for n, officer in enumerate(shuffled_assignments(count, OFFICERS)):
        question = await create_sent_question(
            repos,
            commission,
            officer + 1,
            fake_thread,
            text=f"Question {n + 1}: how many care leavers live out of borough, and why?",
            agenda_item=str(n % AGENDA_ITEMS + 1),
        )
        assert question.thread is not None
        reply = MessageRef(question.thread.channel, question.thread.ts + "1")
        author = Actor(commission.officers[officer])
        answered_at = SENT_AT + timedelta(days=1)
        await repos.answers.add_part(question.id, reply, ANSWER, author, answered_at)


@dataclass(frozen=True)
class RunSpec:
    text: str
    styles: frozenset[Style] = frozenset()
    code: bool = False
    href: str | None = None


@dataclass(frozen=True)
class ParagraphSpec:
    """One Word paragraph: its style (None: the default) and its lines of runs."""

    style: str | None
    lines: tuple[tuple[RunSpec, ...], ...]


def runs(nodes: Sequence[Inline], styles: frozenset[Style] = frozenset()) -> list[RunSpec]:
    out: list[RunSpec] = []
    for node in nodes:
        if isinstance(node, Styled):
            out += runs(node.children, styles | {node.style})
        elif isinstance(node, Link):
            out.append(RunSpec(node.label, styles, href=node.href))
        else:
            out.append(RunSpec(node.text, styles, code=isinstance(node, Code)))
    return out


def paragraph_specs(blocks: Sequence[Block]) -> list[ParagraphSpec]:
    """The agenda's blocks as Word paragraphs: the same styles, text and formatting."""
    out: list[ParagraphSpec] = []
    for block in blocks:
        if isinstance(block, Heading):
            style = "Title" if block.level == 0 else f"Heading {block.level}"
            out.append(ParagraphSpec(style, ((RunSpec(" ".join(block.text.split())),),)))
        elif isinstance(block, CodeBlock):
            out.append(ParagraphSpec("No Spacing", ((RunSpec(block.text, code=True),),)))
        elif isinstance(block, ListItem):
            base = "List Number" if block.ordered else "List Bullet"
            style = base if block.level == 0 else f"{base} 2"
            out.append(ParagraphSpec(style, (tuple(runs(block.content)),)))
        else:
            quote = "Quote" if isinstance(block, Quote) else None
            out.append(ParagraphSpec(quote, tuple(tuple(runs(line)) for line in block.lines)))
    return out


def write_formatted(document: Document, paragraphs: Sequence[ParagraphSpec]) -> None:
    style_ids: dict[str, str] = {}
    for spec in paragraphs:
        paragraph = document.add_paragraph()
        if spec.style is not None:
            if spec.style not in style_ids:
                style_ids[spec.style] = str(document.styles[spec.style].style_id)
            paragraph._p.get_or_add_pPr().style = style_ids[spec.style]
        for index, line in enumerate(spec.lines):
            if index:
                paragraph.add_run().add_break()
            for run_spec in line:
                run = paragraph.add_run(run_spec.text)
                if Style.BOLD in run_spec.styles:
                    run.bold = True
                if Style.ITALIC in run_spec.styles:
                    run.italic = True
                if Style.STRIKE in run_spec.styles:
                    run.font.strike = True
                if run_spec.code:
                    run.font.name = CODE_FONT
                if run_spec.href is not None:
                    run.font.underline = True
                    run.font.color.rgb = HYPERLINK_COLOUR
                    rel = paragraph.part.relate_to(
                        run_spec.href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True
                    )
                    hyperlink = OxmlElement("w:hyperlink")
                    hyperlink.set(qn("r:id"), rel)
                    hyperlink.append(run._r)
                    paragraph._p.append(hyperlink)


def formatted_docx(paragraphs: Sequence[ParagraphSpec]) -> bytes:
    """The baseline: the same formatted paragraphs written straight with python-docx."""
    document = docx.Document()
    write_formatted(document, paragraphs)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def timings(repos: Repositories, commission: Commission, repeats: int) -> Timings:
    names = {officer: f"Officer {n}" for n, officer in enumerate(commission.officers, start=1)}

    async def compile_once() -> CompiledAgenda:
        return await compile_meeting(repos, commission.target, CLERK_ACTOR, names)

    agenda = await compile_once()
    paragraphs = paragraph_specs(agenda.blocks)
    entries = await gather_entries(repos, commission.target)
    target = await agenda_meeting(repos, commission.target)

    async def product_once() -> bytes:
        return (await compile_once()).to_docx_bytes()

    async def baseline_once() -> bytes:
        return formatted_docx(paragraphs)

    async def render_once() -> CompiledAgenda:
        return compile_agenda(target, entries, names)

    async def docx_once() -> bytes:
        return agenda.to_docx_bytes()

    product, baseline = await paired_medians(product_once, baseline_once, repeats)
    return Timings(
        product=product,
        baseline=baseline,
        gather=await median_seconds(lambda: gather_entries(repos, commission.target), 1),
        render=await median_seconds(render_once, 1),
        docx=await median_seconds(docx_once, 1),
        agenda=agenda,
        docx_size=len(agenda.to_docx_bytes()),
    )


async def measure(sizes: Sizes) -> Timings:
    pin(0, "app")
    with tempfile.TemporaryDirectory(prefix="bench-compile-") as folder:
        db = await Database.open(Path(folder) / "scrutiny.db")
        try:
            repos = Repositories.on(db)
            commission = await set_up_commission(repos, OFFICERS)
            started = time.perf_counter()
            await answered_questions(repos, commission, sizes.questions)
            took = time.perf_counter() - started
            note(f"compile: {sizes.questions} answered questions stored in {took:.1f} s")
            return await timings(repos, commission, sizes.repeats)
        finally:
            await db.close()


def run(quick: bool, emit: Emit) -> None:
    sizes = QUICK if quick else FULL
    t = asyncio.run(measure(sizes))
    emit(
        figure(
            "compile",
            f"{count(sizes.questions)} answered questions to .docx (and .md) {duration(t.product)}"
            f" vs python-docx writing the same formatted content {duration(t.baseline)} "
            f"{ratio_goal(t.product, t.baseline, RATIO_GOAL)}  "
            f"(reading the record {duration(t.gather)}, rendering .md {duration(t.render)}, "
            f".docx {duration(t.docx)}; {count(len(t.agenda.blocks))} paragraphs, "
            f"{t.docx_size // 1024} KB .docx, {len(t.agenda.markdown) // 1024} KB .md)",
        )
    )
