"""Compile: an agenda item of many answered questions to Markdown and Word.

The questions go through the repositories as in the bot (created against agenda items, sent,
each answered by its officer in the thread with some Slack formatting). The product's path is
``compile_meeting`` (read the record, map it, render Markdown) then ``to_docx_bytes``. The
baseline writes the very same headings and paragraphs, as plain text, into a python-docx
``Document`` and saves it: what a Word file of that size costs on this machine at least.
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
from bench.report import Emit, count, duration, figure, note, ratio
from bot.compiling import agenda_meeting, compile_meeting, gather_entries
from bot.core.agenda import CompiledAgenda, compile_agenda
from bot.core.markup import Block, CodeBlock, Heading, Inline, Link, ListItem, Styled
from bot.core.models import MessageRef
from bot.core.permissions import Actor
from storage.db import Database
from storage.repositories import Repositories

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


FULL = Sizes(questions=500, repeats=2)
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


def inline_text(nodes: Sequence[Inline]) -> str:
    parts = []
    for node in nodes:
        if isinstance(node, Styled):
            parts.append(inline_text(node.children))
        elif isinstance(node, Link):
            parts.append(node.label)
        else:
            parts.append(node.text)
    return "".join(parts)


def plain_paragraphs(blocks: Sequence[Block]) -> list[tuple[int | None, str]]:
    """Each block as (heading level or None, its text without formatting)."""
    out: list[tuple[int | None, str]] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append((block.level, block.text))
        elif isinstance(block, CodeBlock):
            out.append((None, block.text))
        elif isinstance(block, ListItem):
            out.append((None, inline_text(block.content)))
        else:
            out.append((None, "\n".join(inline_text(line) for line in block.lines)))
    return out


def plain_docx(paragraphs: Sequence[tuple[int | None, str]]) -> bytes:
    """The baseline: the same headings and paragraphs written straight with python-docx."""
    document = docx.Document()
    for level, text in paragraphs:
        if level is None:
            document.add_paragraph(text)
        else:
            document.add_heading(text, level)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def timings(repos: Repositories, commission: Commission, repeats: int) -> Timings:
    names = {officer: f"Officer {n}" for n, officer in enumerate(commission.officers, start=1)}

    async def compile_once() -> CompiledAgenda:
        return await compile_meeting(repos, commission.target, CLERK_ACTOR, names)

    agenda = await compile_once()
    paragraphs = plain_paragraphs(agenda.blocks)
    entries = await gather_entries(repos, commission.target)
    target = await agenda_meeting(repos, commission.target)

    async def product_once() -> bytes:
        return (await compile_once()).to_docx_bytes()

    async def baseline_once() -> bytes:
        return plain_docx(paragraphs)

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
            f"{count(sizes.questions)} answered questions to .md + .docx {duration(t.product)} vs "
            f"python-docx alone {duration(t.baseline)} {ratio(t.product, t.baseline)}  "
            f"(reading the record {duration(t.gather)}, rendering .md {duration(t.render)}, "
            f".docx {duration(t.docx)}; {count(len(t.agenda.blocks))} paragraphs, "
            f"{t.docx_size // 1024} KB .docx, {len(t.agenda.markdown) // 1024} KB .md)",
        )
    )
