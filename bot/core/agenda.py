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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.markup import (
    Block,
    Heading,
    Line,
    ListItem,
    Paragraph,
    Style,
    Styled,
    Text,
    UserNames,
    clean_text,
    parse,
    parse_inline,
    parse_plain,
    to_markdown,
)
from bot.core.models import agenda_item_order

if TYPE_CHECKING:  # python-docx is loaded only when a document is written
    from docx.document import Document as DocxDocument
    from docx.opc.coreprops import CoreProperties
from bot.core.mrkdwn import esc
from bot.core.template import (
    LANGUAGE,
    add_field,
    has_page_numbers,
    is_blank,
    open_template,
    reproducible_zip,
)

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
    template: Path | None = None
    """The council's Word template (``AGENDA_TEMPLATE``); None for the neutral one."""


@dataclass(frozen=True)
class AttachedFile:
    """A file the officer shared with the answer: listed by name in the document, linked
    in the clerk's summary so that it can be added to the pack by hand."""

    name: str
    link: str | None = None


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
    attachments: tuple[AttachedFile, ...] = ()
    answered_together: tuple[str, ...] = ()
    """The references of the questions answered together with this one, the group's lead
    (whose response is shown) first; empty for a question answered on its own."""


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
    lapsed_holding: tuple[OutstandingQuestion, ...] = ()
    """Holding replies whose promised date has passed (before the day it was compiled)."""
    attachments: tuple[tuple[str, AttachedFile], ...] = ()
    """(reference, file) for every file listed in the document: each is added by hand."""

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
    template: Path | None = None
    """The council's Word template (``AGENDA_TEMPLATE``); None for the neutral one."""

    @property
    def file_stem(self) -> str:
        """'CYP-2026-05-11-question-responses', safe as a file name."""
        reference = re.sub(r"[^A-Za-z0-9_-]+", "-", self.meeting.reference).strip("-")
        return f"{reference or 'meeting'}-question-responses"

    def to_docx_bytes(self) -> bytes:
        from bot.core.word import add_to_document  # python-docx loads here, not at start-up

        document = open_template(self.template)
        _set_core_properties(document.core_properties, self)
        _house_style(document, self)
        add_to_document(document, self.blocks)
        buffer = io.BytesIO()
        document.save(buffer)
        return reproducible_zip(buffer.getvalue(), self.prepared_on)

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
    """Build the agenda item; ``prepared_on`` defaults to the latest date in the data.

    A draft (not ``final``) says, after the counts, what stands in the way of publishing:
    answers not yet approved and holding replies whose promised date has passed.
    """
    ordered = sorted(entries, key=_entry_order)
    prepared_on = prepared_on or _latest_date(meeting, ordered)
    summary = summarise(ordered, prepared_on)
    pack = pack or PackDetails()
    blocks = (
        *_front_matter(meeting, ordered, summary, pack),
        *([] if final else _draft_notes(summary)),
        *_body(ordered, resolve_user),
    )
    return CompiledAgenda(
        meeting=meeting,
        blocks=blocks,
        markdown=to_markdown(blocks) + "\n",
        summary=summary,
        prepared_on=prepared_on,
        final=final,
        template=pack.template,
    )


def summarise(entries: Sequence[AgendaEntry], today: date | None = None) -> AgendaSummary:
    """Counts by status, and what is still outstanding (in agenda order); a holding reply
    has lapsed when its promised date is before ``today``."""
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
        lapsed_holding=tuple(
            _outstanding(e)
            for e in having(EntryStatus.HOLDING)
            if today is not None and e.promised_date is not None and e.promised_date < today
        ),
        attachments=tuple((e.reference, f) for e in ordered for f in _shown_files(e)),
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


DRAFT_NOTES_HEADING = "Before publication"


def _draft_notes(summary: AgendaSummary) -> list[Block]:
    """What the clerk must settle before publishing: only ever in a draft."""
    notes = [
        *(
            f"Answer not yet approved: {_plain(reference).text}."
            for reference in summary.not_yet_approved
        ),
        *(
            f"Holding reply date passed: {_plain(q.reference).text} "
            f"(a full response was promised by {long_date(q.promised_date)})."
            for q in summary.lapsed_holding
            if q.promised_date is not None
        ),
    ]
    if not notes:
        return []
    return [
        Heading(DRAFT_NOTES_HEADING, 2),
        _sentence("This is a draft. Before it is published:"),
        *(ListItem((_plain(note),), ordered=False) for note in notes),
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
    numbers = {entry.reference: number for number, entry in numbered}
    by_meeting = groupby(
        numbered, key=lambda pair: (pair[1].source_meeting_date, pair[1].source_meeting_label)
    )
    for (_, label), meeting_group in by_meeting:
        blocks.append(Heading(_plain(label).text or "Earlier meeting", 2))
        for _, item_group in groupby(meeting_group, key=lambda pair: pair[1].item_number):
            item_entries = list(item_group)
            blocks.append(Heading(_item_heading(item_entries[0][1]), 3))
            for number, entry in item_entries:
                blocks.extend(_entry_blocks(number, entry, users, numbers))
    return blocks


def _item_heading(entry: AgendaEntry) -> str:
    if entry.item_number is None:
        return NO_ITEM_HEADING
    title = _plain(entry.item_title or "").text
    number = _plain(entry.item_number).text
    return f"Item {number}: {title}" if title else f"Item {number}"


def _entry_blocks(
    number: int, entry: AgendaEntry, users: UserNames | None, numbers: dict[str, int]
) -> list[Block]:
    question = parse_plain(entry.question_text, users) or (
        _sentence("(No question text recorded.)"),
    )
    return [
        Heading(f"Question {number} ({_plain(entry.reference).text})", 4),
        *([_labelled("Minute", _plain(entry.source_minute).text)] if entry.source_minute else []),
        _labelled("Asked by", asked_by_label(entry)),
        *_with_label("Question", question),
        *_together_blocks(entry, users, numbers),
    ]


def _together_blocks(
    entry: AgendaEntry, users: UserNames | None, numbers: dict[str, int]
) -> list[Block]:
    """'Questions 3 and 7, answered together.' and the response, given once under the
    group's lead; the others point to it."""
    if len(entry.answered_together) < 2:
        return _response_blocks(entry, users)
    shown = sorted(numbers[ref] for ref in entry.answered_together if ref in numbers)
    together = _sentence(f"Questions {_join_words([str(n) for n in shown])}, answered together.")
    lead = entry.answered_together[0]
    if entry.reference == lead or lead not in numbers:
        return [together, *_response_blocks(entry, users)]
    return [together, _labelled("Response", f"See the response to Question {numbers[lead]}.")]


def _shown_files(entry: AgendaEntry) -> tuple[AttachedFile, ...]:
    """The files the document lists: none while a response is awaited or withdrawn."""
    if entry.status in (EntryStatus.WITHDRAWN, EntryStatus.AWAITED):
        return ()
    return entry.attachments


def _attachment_lines(entry: AgendaEntry) -> list[Block]:
    return [_labelled("Attachment", attached.name) for attached in _shown_files(entry)]


def _response_blocks(entry: AgendaEntry, users: UserNames | None) -> list[Block]:
    if entry.status is EntryStatus.WITHDRAWN:
        return [_labelled("Response", "Withdrawn.")]
    if entry.status is EntryStatus.AWAITED:
        return [
            _labelled("Response", "Response awaited."),
            *_role_line(entry, "Response requested from"),
        ]
    if entry.status is EntryStatus.HOLDING:
        return [
            *_holding_blocks(entry, users),
            *_attachment_lines(entry),
            *_role_line(entry, "Response from"),
        ]
    return [
        *_with_label("Response", _parts(entry.response_parts, users)),
        *_attachment_lines(entry),
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


DRAFT_MARK = "DRAFT – not for publication"


def _house_style(document: DocxDocument, agenda: CompiledAgenda) -> None:
    """The committee and date in the header, with DRAFT until the compile is final, and
    "Page X of Y" in the footer unless the template already numbers its pages. The page,
    language and styles come from the template."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section = document.sections[0]
    header = section.header
    first = header.paragraphs[0] if header.paragraphs else None
    line = first if first is not None and is_blank(first) else header.add_paragraph()
    line.text = _property(_meeting_line(agenda.meeting))
    if not agenda.final:
        mark = header.add_paragraph()
        mark.add_run(DRAFT_MARK).bold = True
    footer = section.footer
    if has_page_numbers([*footer.paragraphs, *header.paragraphs]):
        return
    last = footer.paragraphs[-1] if footer.paragraphs else None
    numbers = last if last is not None and is_blank(last) else footer.add_paragraph()
    numbers.alignment = WD_ALIGN_PARAGRAPH.CENTER
    numbers.add_run("Page ")
    add_field(numbers, "PAGE", "1")
    numbers.add_run(" of ")
    add_field(numbers, "NUMPAGES", "1")


PROPERTY_LIMIT = 255
"""Word refuses a core property longer than this (python-docx raises ``ValueError``)."""


def _property(text: str) -> str:
    """``text`` cut to fit a document property, ending in an ellipsis when it was cut."""
    if len(text) <= PROPERTY_LIMIT:
        return text
    return text[: PROPERTY_LIMIT - 1].rstrip() + "…"
