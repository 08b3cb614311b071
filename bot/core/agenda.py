"""The compiled agenda item: questions not reached at a meeting, with the officers' responses.

Pure and deterministic: the same meeting and entries (in any order) give byte-identical
Markdown and a byte-identical .docx (core properties and zip timestamps come from the input).
The lead maps domain models onto the small frozen inputs below; everything typed in Slack
(question, responses, notes) goes through ``bot.core.markup``, so it is escaped and safe:
text typed into a form (the question, notes) is escaped before parsing, so nothing in it
becomes a link or a mention.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from itertools import groupby
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.coreprops import CoreProperties
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph as WordParagraph

from bot.core.markup import (
    Block,
    Heading,
    Line,
    Paragraph,
    Style,
    Styled,
    Text,
    UserNames,
    add_to_document,
    clean_text,
    parse,
    parse_inline,
    parse_plain,
    to_markdown,
)
from bot.core.models import agenda_item_order
from bot.core.mrkdwn import esc

TITLE = "Responses to questions not reached at the meeting"
HACKNEY_OF_TOMORROW = "Hackney of Tomorrow"
PRODUCER = "Scrutiny questions bot"
NO_ITEM_HEADING = "Questions not linked to an agenda item"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class EntryStatus(StrEnum):
    ANSWERED = "answered"
    APPROVED = "approved"
    PUBLISHED = "published"
    HOLDING = "holding"
    AWAITED = "awaited"
    WITHDRAWN = "withdrawn"
    CORRECTED = "corrected"


ANSWERED_STATUSES = frozenset(
    {EntryStatus.ANSWERED, EntryStatus.APPROVED, EntryStatus.PUBLISHED, EntryStatus.CORRECTED}
)


@dataclass(frozen=True)
class AgendaMeeting:
    """The target meeting: the one whose agenda publishes the responses."""

    committee_name: str
    title: str
    meeting_date: date
    reference: str
    publication_date: date | None = None
    """When the agenda goes out (five clear working days before the meeting)."""


@dataclass(frozen=True)
class PackDetails:
    """What the agenda pack's title block needs beyond the record (settings)."""

    item_number: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None


@dataclass(frozen=True)
class AgendaEntry:
    """One question for the agenda, as the lead maps it from the domain.

    ``responder_role_title`` is the role that answered or, while no answer has come, the role
    the question is addressed to. For a correction, ``response_parts`` hold the corrected
    text and ``original_text`` what was first published.
    """

    reference: str
    source_meeting_label: str
    source_meeting_date: date
    item_number: str | None
    item_title: str | None
    sequence: int
    asked_by: str
    question_text: str
    status: EntryStatus
    response_parts: tuple[str, ...] = ()
    responder_role_title: str | None = None
    answered_on: date | None = None
    hackney_of_tomorrow: bool = False
    holding_note: str | None = None
    promised_date: date | None = None
    correction_note: str | None = None
    corrected_on: date | None = None
    original_text: str | None = None
    source_minute: str | None = None
    """The minute it was recorded under (4.21), for cross-reference with the minutes."""
    due_date: date | None = None


@dataclass(frozen=True)
class OutstandingQuestion:
    """A question still without a full response, and the role responsible for it."""

    reference: str
    role_title: str | None
    promised_date: date | None = None


@dataclass(frozen=True)
class AgendaSummary:
    """Counts for the Slack summary; ``answered`` includes corrected answers."""

    answered: int
    holding: int
    awaited: int
    withdrawn: int
    corrected: int
    awaited_questions: tuple[OutstandingQuestion, ...]
    holding_questions: tuple[OutstandingQuestion, ...]
    not_yet_approved: tuple[str, ...]

    @property
    def total(self) -> int:
        return self.answered + self.holding + self.awaited + self.withdrawn

    @property
    def headline(self) -> str:
        """'3 questions: 1 answered, 1 holding reply, 1 response awaited.'"""
        if not self.total:
            return "No questions are addressed to this meeting."
        counts = (
            (self.answered, "answered", "answered"),
            (self.holding, "holding reply", "holding replies"),
            (self.awaited, "response awaited", "responses awaited"),
            (self.withdrawn, "withdrawn", "withdrawn"),
        )
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
        return f"{_count(self.total, 'question')}: {', '.join(parts)}."


@dataclass(frozen=True)
class CompiledAgenda:
    """The compiled item: Markdown now, Word on demand, both from the same blocks."""

    meeting: AgendaMeeting
    blocks: tuple[Block, ...]
    markdown: str
    summary: AgendaSummary
    prepared_on: date
    final: bool = False
    """Compiled to be published (``--final``): no draft marks in the document."""

    @property
    def file_stem(self) -> str:
        """'CYP-2026-05-11-question-responses', safe as a file name."""
        reference = re.sub(r"[^A-Za-z0-9_-]+", "-", self.meeting.reference).strip("-")
        return f"{reference or 'meeting'}-question-responses"

    def to_docx_bytes(self) -> bytes:
        document = docx.Document()
        _set_core_properties(document.core_properties, self)
        _house_style(document, self)
        add_to_document(document, self.blocks)
        buffer = io.BytesIO()
        document.save(buffer)
        return _reproducible_zip(buffer.getvalue(), self.prepared_on)

    def write_docx(self, path: Path) -> None:
        path.write_bytes(self.to_docx_bytes())


def compile_agenda(
    meeting: AgendaMeeting,
    entries: Iterable[AgendaEntry],
    resolve_user: UserNames | None,
    *,
    prepared_on: date | None = None,
    final: bool = False,
    pack: PackDetails | None = None,
) -> CompiledAgenda:
    """Build the agenda item; ``prepared_on`` defaults to the latest date in the data."""
    ordered = sorted(entries, key=_entry_order)
    summary = summarise(ordered)
    blocks = (
        *_front_matter(meeting, ordered, summary, pack or PackDetails()),
        *_body(ordered, resolve_user),
    )
    return CompiledAgenda(
        meeting=meeting,
        blocks=blocks,
        markdown=to_markdown(blocks) + "\n",
        summary=summary,
        prepared_on=prepared_on or _latest_date(meeting, ordered),
        final=final,
    )


def summarise(entries: Sequence[AgendaEntry]) -> AgendaSummary:
    """Counts by status, and what is still outstanding (in agenda order)."""
    ordered = sorted(entries, key=_entry_order)

    def having(*statuses: EntryStatus) -> list[AgendaEntry]:
        return [entry for entry in ordered if entry.status in statuses]

    return AgendaSummary(
        answered=len(having(*ANSWERED_STATUSES)),
        holding=len(having(EntryStatus.HOLDING)),
        awaited=len(having(EntryStatus.AWAITED)),
        withdrawn=len(having(EntryStatus.WITHDRAWN)),
        corrected=len(having(EntryStatus.CORRECTED)),
        awaited_questions=tuple(_outstanding(e) for e in having(EntryStatus.AWAITED)),
        holding_questions=tuple(_outstanding(e) for e in having(EntryStatus.HOLDING)),
        not_yet_approved=tuple(e.reference for e in having(EntryStatus.ANSWERED)),
    )


def asked_by_label(entry: AgendaEntry) -> str:
    """Who asked, as published: Hackney of Tomorrow young people are never named."""
    if entry.hackney_of_tomorrow:
        return HACKNEY_OF_TOMORROW
    return " ".join(clean_text(entry.asked_by).split()) or "Not recorded"


# --- dates and words ------------------------------------------------------------------------


def long_date(day: date) -> str:
    """'21 April 2026', as the council's minutes write dates."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def meeting_date(day: date) -> str:
    """'Monday 11 May 2026'."""
    return f"{_WEEKDAYS[day.weekday()]} {long_date(day)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _join_words(words: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


# --- ordering -------------------------------------------------------------------------------


def _entry_order(entry: AgendaEntry) -> tuple[object, ...]:
    """Source meeting (chronological), agenda item ('4' before '10'), then sequence."""
    item = entry.item_number or ""
    return (
        entry.source_meeting_date,
        entry.source_meeting_label,
        entry.item_number is None,
        agenda_item_order(item),
        item,
        entry.sequence,
        entry.reference,
    )


def _latest_date(meeting: AgendaMeeting, entries: Sequence[AgendaEntry]) -> date:
    dates = [d for e in entries for d in (e.answered_on, e.corrected_on) if d is not None]
    return max(dates, default=meeting.meeting_date)


def _outstanding(entry: AgendaEntry) -> OutstandingQuestion:
    return OutstandingQuestion(entry.reference, entry.responder_role_title, entry.promised_date)


# --- building blocks ------------------------------------------------------------------------


def _plain(text: str) -> Text:
    return Text(" ".join(clean_text(text).split()))


def _bold(text: str) -> Styled:
    return Styled(Style.BOLD, (Text(text),))


def _labelled(label: str, value: str) -> Paragraph:
    """'**Response from:** Director of Children's Social Care' (the value is plain text)."""
    return Paragraph(((_bold(f"{label}:"), Text(" "), _plain(value)),))


def _with_label(label: str, blocks: Sequence[Block]) -> list[Block]:
    """Put a bold label before the first paragraph, or on its own line before a list."""
    if blocks and isinstance(blocks[0], Paragraph):
        first = blocks[0]
        opening: Line = (_bold(f"{label}:"), Text(" "), *first.lines[0])
        return [Paragraph((opening, *first.lines[1:])), *blocks[1:]]
    return [Paragraph(((_bold(f"{label}:"),),)), *blocks]


def _with_ending(blocks: Sequence[Block], ending: str) -> list[Block]:
    """Add a sentence to the end of the last paragraph, or as a paragraph of its own."""
    if blocks and isinstance(blocks[-1], Paragraph):
        last = blocks[-1]
        closing: Line = (*last.lines[-1], Text(f" {ending}"))
        return [*blocks[:-1], Paragraph((*last.lines[:-1], closing))]
    return [*blocks, Paragraph(((Text(ending),),))]


def _sentence(text: str) -> Paragraph:
    return Paragraph(((_plain(text),),))


def _meeting_line(meeting: AgendaMeeting) -> str:
    names = [_plain(meeting.committee_name).text]
    title = _plain(meeting.title).text
    if title and title.casefold() != names[0].casefold():
        names.append(title)
    return ", ".join([*filter(None, names), meeting_date(meeting.meeting_date)])


def _source_labels(entries: Sequence[AgendaEntry]) -> list[str]:
    labels = [_plain(entry.source_meeting_label).text for entry in entries]
    return list(dict.fromkeys(label for label in labels if label))


def _the(name: str) -> str:
    """'the Children and Young People Scrutiny Commission' (no 'the The …')."""
    return name if name.casefold().startswith("the ") else f"the {name}"


def _intro(meeting: AgendaMeeting, entries: Sequence[AgendaEntry]) -> str:
    target = (
        f"the meeting of {_the(_plain(meeting.committee_name).text)} "
        f"on {meeting_date(meeting.meeting_date)}"
    )
    if not entries:
        return (
            f"No questions from earlier meetings are addressed to {target}, "
            "so there are no responses to publish."
        )
    earlier = [e for e in entries if e.source_meeting_date < meeting.meeting_date]
    ahead = [e for e in entries if e.source_meeting_date >= meeting.meeting_date]
    sentences = []
    if earlier:
        sources = _join_words(_source_meetings(earlier))
        sentences.append(
            f"The questions below were not reached in the time available at {sources} and "
            "were sent to officers for a written response."
        )
    if ahead:
        which = "Other questions below were" if earlier else "The questions below were"
        sentences.append(
            f"{which} raised for {_join_words(_source_meetings(ahead))} and sent to officers "
            "for a written response ahead of it."
        )
    sentences.append(f"The responses are published for {target}.")
    return " ".join(sentences)


def _source_meetings(entries: Sequence[AgendaEntry]) -> list[str]:
    """'the meeting of the Children and Young People Scrutiny Commission on 18 December
    2023', once for each meeting the entries come from."""
    found: dict[tuple[str, date], str] = {}
    for entry in entries:
        label = _plain(entry.source_meeting_label).text
        day = entry.source_meeting_date
        name = label.removesuffix(f", {long_date(day)}").strip() or "an earlier committee"
        found.setdefault((label, day), f"the meeting of {_the(name)} on {long_date(day)}")
    return list(found.values())


RECOMMENDATION = "The Commission is asked to note the responses."


def _front_matter(
    meeting: AgendaMeeting,
    entries: Sequence[AgendaEntry],
    summary: AgendaSummary,
    pack: PackDetails,
) -> list[Block]:
    """The agenda pack's title block, the introduction and the counts."""
    contact = ", ".join(
        _plain(part).text for part in (pack.contact_name, pack.contact_email) if part
    )
    return [
        Heading(_title(entries), 1),
        *([_labelled("Agenda item", _plain(pack.item_number).text)] if pack.item_number else []),
        _labelled("Meeting", _meeting_line(meeting)),
        _labelled("Reference", meeting.reference),
        *(
            [_labelled("Date of publication", long_date(meeting.publication_date))]
            if meeting.publication_date
            else []
        ),
        *([_labelled("Contact officer", contact)] if contact else []),
        _labelled("Recommendation", RECOMMENDATION),
        _sentence(_intro(meeting, entries)),
        *([_sentence(summary.headline)] if entries else []),
    ]


def _title(entries: Sequence[AgendaEntry]) -> str:
    """'Responses to questions not reached at the meeting of the … on 18 December 2023'
    when the questions come from one meeting; the general title otherwise."""
    sources = _source_meetings(entries)
    if len(sources) == 1 and entries[0].source_meeting_date:
        return f"Responses to questions not reached at {sources[0]}"
    return TITLE


def _body(entries: Sequence[AgendaEntry], users: UserNames | None) -> list[Block]:
    blocks: list[Block] = []
    numbered = list(enumerate(entries, start=1))
    by_meeting = groupby(
        numbered, key=lambda pair: (pair[1].source_meeting_date, pair[1].source_meeting_label)
    )
    for (_, label), meeting_group in by_meeting:
        blocks.append(Heading(_plain(label).text or "Earlier meeting", 2))
        for _, item_group in groupby(meeting_group, key=lambda pair: pair[1].item_number):
            item_entries = list(item_group)
            blocks.append(Heading(_item_heading(item_entries[0][1]), 3))
            for number, entry in item_entries:
                blocks.extend(_entry_blocks(number, entry, users))
    return blocks


def _item_heading(entry: AgendaEntry) -> str:
    if entry.item_number is None:
        return NO_ITEM_HEADING
    title = _plain(entry.item_title or "").text
    number = _plain(entry.item_number).text
    return f"Item {number}: {title}" if title else f"Item {number}"


def _entry_blocks(number: int, entry: AgendaEntry, users: UserNames | None) -> list[Block]:
    question = parse_plain(entry.question_text, users) or (
        _sentence("(No question text recorded.)"),
    )
    return [
        Heading(f"Question {number} ({_plain(entry.reference).text})", 4),
        *([_labelled("Minute", _plain(entry.source_minute).text)] if entry.source_minute else []),
        _labelled("Asked by", asked_by_label(entry)),
        *_with_label("Question", question),
        *_response_blocks(entry, users),
    ]


def _response_blocks(entry: AgendaEntry, users: UserNames | None) -> list[Block]:
    if entry.status is EntryStatus.WITHDRAWN:
        return [_labelled("Response", "Withdrawn.")]
    if entry.status is EntryStatus.AWAITED:
        return [
            _labelled("Response", "Response awaited."),
            *_role_line(entry, "Response requested from"),
        ]
    if entry.status is EntryStatus.HOLDING:
        return [*_holding_blocks(entry, users), *_role_line(entry, "Response from")]
    return [
        *_with_label("Response", _parts(entry.response_parts, users)),
        *_role_line(entry, "Response from"),
        *([_labelled("Date answered", long_date(entry.answered_on))] if entry.answered_on else []),
        *(_correction_blocks(entry, users) if entry.status is EntryStatus.CORRECTED else []),
    ]


def _parts(parts: Sequence[str], users: UserNames | None) -> list[Block]:
    """Each thread reply in order; an answer with no text says so rather than vanishing."""
    blocks = [block for part in parts for block in parse(part, users)]
    return blocks or [_sentence("No response text was recorded.")]


def _role_line(entry: AgendaEntry, label: str) -> list[Block]:
    role = _plain(entry.responder_role_title or "").text
    return [_labelled(label, role)] if role else []


def _holding_blocks(entry: AgendaEntry, users: UserNames | None) -> list[Block]:
    """Any partial response, then 'Holding reply: … (full response promised by …)'."""
    partial = _with_label("Response", _parts(entry.response_parts, users))
    note = list(parse_plain(entry.holding_note or "", users))
    promised = (
        f"(full response promised by {long_date(entry.promised_date)})"
        if entry.promised_date
        else "(a full response will follow)"
    )
    holding = _with_label("Holding reply", _with_ending(note, promised))
    return [*(partial if entry.response_parts else []), *holding]


def _correction_blocks(entry: AgendaEntry, users: UserNames | None) -> list[Block]:
    when = f" on {long_date(entry.corrected_on)}" if entry.corrected_on else ""
    status = f"Corrected{when}; the original response is kept on record."
    reason = parse_inline(esc(entry.correction_note or ""), users)
    original = parse(entry.original_text or "", users) or (_sentence("(Not recorded.)"),)
    return [
        Paragraph(((_bold("Status:"), Text(f" {status}")),)),
        *(
            [Paragraph(((_bold("Reason for the correction:"), Text(" "), *reason),))]
            if reason
            else []
        ),
        *_with_label("Original response", original),
    ]


# --- Word file ------------------------------------------------------------------------------


def _set_core_properties(properties: CoreProperties, agenda: CompiledAgenda) -> None:
    """Fixed metadata from the input, so two compiles of the same data are identical."""
    day = agenda.prepared_on
    reference = _plain(agenda.meeting.reference).text
    properties.title = _property(TITLE)
    properties.subject = _property(_meeting_line(agenda.meeting))
    properties.author = _property(PRODUCER)
    properties.last_modified_by = _property(PRODUCER)
    properties.comments = _property(f"Compiled for {reference}.")
    properties.keywords = _property(reference)
    properties.category = "Agenda item"
    properties.language = LANGUAGE
    properties.revision = 1
    properties.created = properties.modified = datetime(day.year, day.month, day.day)


LANGUAGE = "en-GB"
DRAFT_MARK = "DRAFT – not for publication"
BODY_FONT = "Arial"
HEADING_STYLES = ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4")


def _house_style(document: DocxDocument, agenda: CompiledAgenda) -> None:
    """A4 with 2.54 cm margins, British English, black headings on a sans-serif body, the
    committee and date in the header (with DRAFT until the compile is final), and
    "Page X of Y" in the footer."""
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
    header = section.header.paragraphs[0]
    header.text = _property(_meeting_line(agenda.meeting))
    if not agenda.final:
        mark = section.header.add_paragraph()
        mark.add_run(DRAFT_MARK).bold = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES", "1")


def _field(paragraph: WordParagraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the document out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


PROPERTY_LIMIT = 255
"""Word refuses a core property longer than this (python-docx raises ``ValueError``)."""


def _property(text: str) -> str:
    """``text`` cut to fit a document property, ending in an ellipsis when it was cut."""
    if len(text) <= PROPERTY_LIMIT:
        return text
    return text[: PROPERTY_LIMIT - 1].rstrip() + "…"


def _reproducible_zip(data: bytes, day: date) -> bytes:
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
