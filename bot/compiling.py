"""Compiling a meeting's agenda item from the record, and publishing it.

Used by ``/agenda compile`` in Slack and by ``python -m bot compile``. Reads through the
repositories, maps questions and answers onto ``bot.core.agenda`` entries and renders them;
nothing here reads the clock or the environment (``today``/``now`` are arguments).

The decisions, in one place:

- **Which questions.** Every question whose target meeting is this one, except rejected ones.
  Withdrawn questions are listed as "Withdrawn"; questions the clerk has routed to the meeting
  but not yet sent, and answers the clerk returned for more, show "Response awaited".
- **Which text.** Answered: the officer's live thread replies, in thread order. Approved and
  published: the replies as they stood when the clerk approved them (later edits stay on record
  but are not what was published); if they no longer add up to the recorded text, the recorded
  text is used as one part. Corrected: the latest correction, with the text first published as
  the original. A holding reply shows any earlier replies as a partial response.
- **Dates.** "Date answered" is the London date of the latest reply (or edit) in that text, so
  compiling before and after publication gives the same document.
- **Publishing.** Published needs approved. Publishing is the clerk's act on the document they
  compiled, which shows answered-but-unapproved answers, so ``publish_meeting`` approves those
  on the clerk's behalf (recorded in the audit under the acting clerk) and then publishes every
  approved answer. It refuses, changing nothing, if an answered question has no text left.
  Holding, awaited and withdrawn questions are left as they are; already published or
  corrected ones are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.core import export
from bot.core.agenda import (
    AgendaEntry,
    AgendaMeeting,
    AttachedFile,
    CompiledAgenda,
    EntryStatus,
    PackDetails,
    compile_agenda,
    long_date,
)
from bot.core.calendar import local_date, short_date
from bot.core.command_text import MEETING_ADD_USAGE
from bot.core.deadlines import agenda_publication_day
from bot.core.errors import InvalidInput, NotFound
from bot.core.markup import mentioned_users as mentioned_in
from bot.core.models import (
    Answer,
    AnswerPart,
    Meeting,
    OnBehalfOf,
    Question,
    QuestionState,
    parse_question_reference,
)
from bot.core.permissions import Action, Actor, check
from storage.repositories import Repositories

S = QuestionState

MEETING_REFERENCE = re.compile(r"^[A-Z][A-Z0-9]{1,11}-\d{4}-\d{2}-\d{2}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MEETING_HELP = (
    "give the meeting's reference such as CYP-2026-05-11, its date such as 2026-05-11, "
    "or nothing for the next meeting"
)

LEFT_OUT = frozenset({S.REJECTED})
"""States whose questions never appear on the agenda, even with a target meeting."""

STATUS: dict[QuestionState, EntryStatus] = {
    S.SUBMITTED: EntryStatus.AWAITED,
    S.SENT: EntryStatus.AWAITED,
    S.RETURNED: EntryStatus.AWAITED,
    S.HOLDING: EntryStatus.HOLDING,
    S.ANSWERED: EntryStatus.ANSWERED,
    S.APPROVED: EntryStatus.APPROVED,
    S.PUBLISHED: EntryStatus.PUBLISHED,
    S.CORRECTED: EntryStatus.CORRECTED,
    S.WITHDRAWN: EntryStatus.WITHDRAWN,
}
"""How each state reads on the agenda (rejected questions are left out)."""

PUBLISHABLE = frozenset({S.ANSWERED, S.APPROVED})

NameLookup = Callable[[frozenset[str]], Awaitable[object]]
"""Refreshes the stored display names of these Slack users, all at once (the Slack
handler's users.info)."""


# --- which meeting ----------------------------------------------------------------------------


async def find_target_meeting(
    repos: Repositories, spec: str | None, today: date, committee_key: str | None = None
) -> Meeting:
    """The meeting named by ``spec``: a reference, a date, or None for the next one.

    ``committee_key`` narrows a date or "the next meeting" to one committee.
    """
    text = (spec or "").strip()
    if not text:
        return await _next_meeting(repos, today, committee_key)
    if MEETING_REFERENCE.match(text.upper()):
        return await repos.meetings.by_reference(text)
    if ISO_DATE.match(text):
        return await _meeting_on(repos, _iso_date(text), committee_key)
    raise InvalidInput(f"{text!r} is not a meeting: {MEETING_HELP}.")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a real date: {MEETING_HELP}.") from None


async def _committee_keys(repos: Repositories, committee_key: str | None) -> list[str]:
    if committee_key is not None:
        return [(await repos.meetings.committee(committee_key)).key]
    return [committee.key for committee in await repos.meetings.committees()]


async def _meeting_on(repos: Repositories, day: date, committee_key: str | None) -> Meeting:
    found = [
        meeting
        for key in await _committee_keys(repos, committee_key)
        if (meeting := await repos.meetings.on_date(key, day)) is not None
    ]
    if not found:
        raise NotFound(f"There is no meeting on {short_date(day, with_year=True)}.")
    return _only_one(found, day)


async def _next_meeting(repos: Repositories, today: date, committee_key: str | None) -> Meeting:
    upcoming = [
        meetings[0]
        for key in await _committee_keys(repos, committee_key)
        if (meetings := await repos.meetings.for_committee(key, from_date=today))
    ]
    if not upcoming:
        of = f" of {committee_key.strip().upper()}" if committee_key else ""
        raise NotFound(f"No upcoming meeting{of}: add one with {MEETING_ADD_USAGE}")
    first = min(meeting.date for meeting in upcoming)
    return _only_one([m for m in upcoming if m.date == first], first)


def _only_one(meetings: Sequence[Meeting], day: date) -> Meeting:
    if len(meetings) == 1:
        return meetings[0]
    references = ", ".join(sorted(meeting.reference for meeting in meetings))
    raise InvalidInput(
        f"Several committees meet on {short_date(day, with_year=True)}: "
        f"say which with its reference ({references})."
    )


# --- from the record to agenda entries ------------------------------------------------------


@dataclass(frozen=True)
class SourceDetails:
    """What the agenda says about where a question was asked."""

    label: str
    meeting_date: date
    item_title: str | None
    role_title: str | None


async def gather_entries(repos: Repositories, meeting: Meeting) -> list[AgendaEntry]:
    """Every question addressed to ``meeting`` (rejected ones aside), as agenda entries."""
    questions = await repos.questions.search(target_meeting_id=meeting.id)
    questions = [q for q in questions if q.state not in LEFT_OUT]
    lookup = _Lookup(repos)
    groups = await repos.groups.groups_of(q.id for q in questions)
    answers = await repos.answers.get_many(
        {q.id for q in questions} | {group[0] for group in groups.values()}
    )
    references = {q.id: q.reference for q in questions}
    entries = []
    for question in questions:
        group = groups.get(question.id, [question.id])
        entry = agenda_entry(question, answers[group[0]], await lookup.details(question))
        together = tuple(references[i] for i in group if i in references)
        if len(together) > 1:
            entry = replace(entry, answered_together=together)
        entries.append(entry)
    return entries


class _Lookup:
    """Committee names, source meetings, agenda items and role titles, each read once."""

    def __init__(self, repos: Repositories) -> None:
        self.repos = repos
        self._labels: dict[int, tuple[str, date]] = {}
        self._items: dict[int, dict[str, str]] = {}
        self._roles: dict[str, str] | None = None

    async def details(self, question: Question) -> SourceDetails:
        label, day = await self._source(question.source_meeting_id)
        items = await self._agenda_items(question.source_meeting_id)
        item_title = items.get(question.agenda_item) if question.agenda_item else None
        return SourceDetails(label, day, item_title, await self._role(question.addressed_role))

    async def _source(self, meeting_id: int) -> tuple[str, date]:
        if meeting_id not in self._labels:
            meeting = await self.repos.meetings.get(meeting_id)
            committee = await self.repos.meetings.committee(meeting.committee_key)
            label = f"{committee.name}, {long_date(meeting.date)}"
            self._labels[meeting_id] = (label, meeting.date)
        return self._labels[meeting_id]

    async def _agenda_items(self, meeting_id: int) -> dict[str, str]:
        if meeting_id not in self._items:
            items = await self.repos.meetings.agenda_items(meeting_id)
            self._items[meeting_id] = {item.number: item.title for item in items}
        return self._items[meeting_id]

    async def _role(self, key: str | None) -> str | None:
        """The role's title from the officer directory, or its key when it is not listed."""
        if key is None:
            return None
        if self._roles is None:
            roles = await self.repos.officers.roles()
            self._roles = {role.key.casefold(): role.title for role in roles}
        return self._roles.get(key.casefold(), key)


def agenda_entry(question: Question, answer: Answer, source: SourceDetails) -> AgendaEntry:
    """One question and everything recorded in answer to it, as the agenda shows it."""
    status = STATUS[question.state]
    holding = answer.holding_reply if status is EntryStatus.HOLDING else None
    parts, answered = _response(status, answer)
    correction = answer.corrections[-1] if status is EntryStatus.CORRECTED else None
    return AgendaEntry(
        reference=question.reference,
        source_meeting_label=source.label,
        source_meeting_date=source.meeting_date,
        item_number=question.agenda_item,
        item_title=source.item_title,
        sequence=parse_question_reference(question.reference)[2],
        asked_by=question.asker.label,
        hackney_of_tomorrow=question.asker.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW,
        question_text=question.text,
        status=status,
        response_parts=parts,
        responder_role_title=source.role_title,
        answered_on=answered,
        holding_note=holding.note if holding else None,
        promised_date=holding.promised_date if holding else None,
        correction_note=correction.reason if correction else None,
        corrected_on=local_date(correction.corrected_at) if correction else None,
        original_text=_first_published(answer) if correction else None,
        source_minute=question.source_minute,
        due_date=question.due_date,
        attachments=_attachments(status, answer),
    )


def _attachments(status: EntryStatus, answer: Answer) -> tuple[AttachedFile, ...]:
    """The files shared with the answer: as they stood when it was approved, once it was
    (as for the text), else as they stand now."""
    cutoff = None
    if status not in (EntryStatus.ANSWERED, EntryStatus.HOLDING) and answer.approval:
        cutoff = answer.approval.approved_at
    return tuple(
        AttachedFile(a.file.name, a.file.permalink)
        for a in answer.attachments
        if a.stood_at(cutoff)
    )


def _response(status: EntryStatus, answer: Answer) -> tuple[tuple[str, ...], date | None]:
    """The response parts to show and the date they were answered (None until answered)."""
    if status in (EntryStatus.AWAITED, EntryStatus.WITHDRAWN):
        return (), None
    if status is EntryStatus.HOLDING:  # any earlier replies are a partial response
        return _texts_and_date(_parts_as_of(answer.parts, None))[0], None
    if status is EntryStatus.ANSWERED or answer.approval is None:
        return _texts_and_date(_parts_as_of(answer.parts, None))
    parts, answered = _texts_and_date(_parts_as_of(answer.parts, answer.approval.approved_at))
    recorded = _first_published(answer) or answer.approval.answer_text
    if "\n\n".join(parts) != recorded:
        parts = (recorded,)
    if status is EntryStatus.CORRECTED:
        parts = (answer.corrections[-1].corrected_text,)
    return parts, answered


def _first_published(answer: Answer) -> str | None:
    if answer.publication is not None:
        return answer.publication.answer_text
    return answer.corrections[0].original_text if answer.corrections else None


def _parts_as_of(
    parts: Iterable[AnswerPart], cutoff: datetime | None
) -> list[tuple[str, datetime]]:
    """Each reply's text and when it was last given, as they stood at ``cutoff`` (None: now).

    ``parts`` come in thread order; a reply posted after ``cutoff``, or deleted by then, is
    left out; an edit made after it is undone from the reply's kept versions.
    """
    if cutoff is None:
        return [(p.text, p.edited_at or p.posted_at) for p in parts if not p.deleted]
    standing: list[tuple[str, datetime]] = []
    for part in parts:
        if part.posted_at > cutoff or (part.deleted_at is not None and part.deleted_at <= cutoff):
            continue
        later = [v for v in part.versions if v.replaced_at > cutoff]
        text = later[0].text if later else part.text
        edits = [v.replaced_at for v in part.versions if v.replaced_at <= cutoff]
        standing.append((text, max([part.posted_at, *edits])))
    return standing


def _texts_and_date(parts: Sequence[tuple[str, datetime]]) -> tuple[tuple[str, ...], date | None]:
    texts = tuple(text for text, _ in parts)
    latest = max((moment for _, moment in parts), default=None)
    return texts, None if latest is None else local_date(latest)


# --- compiling and publishing ---------------------------------------------------------------


async def agenda_meeting(repos: Repositories, meeting: Meeting) -> AgendaMeeting:
    committee = await repos.meetings.committee(meeting.committee_key)
    calendar = await repos.closure_days.calendar()
    return AgendaMeeting(
        committee_name=committee.name,
        title=meeting.title,
        meeting_date=meeting.date,
        reference=meeting.reference,
        publication_date=agenda_publication_day(meeting.date, calendar).date,
    )


async def compile_meeting(
    repos: Repositories,
    meeting: Meeting,
    actor: Actor,
    names: Mapping[str, str] | None = None,
    *,
    look_up_names: NameLookup | None = None,
    final: bool = False,
    pack: PackDetails | None = None,
    today: date | None = None,
) -> CompiledAgenda:
    """The agenda item for ``meeting``; the same record and ``today`` give the same bytes.

    People mentioned in the text are named as :func:`names_for_agenda` says. ``today`` is
    the date the document is prepared on (its properties, and whether a promised holding
    date has passed); without it, the latest date in the record.
    """
    check(actor, Action.COMPILE)
    entries = await gather_entries(repos, meeting)
    resolved = await names_for_agenda(repos, entries, names, look_up_names)
    target = await agenda_meeting(repos, meeting)
    return compile_agenda(target, entries, resolved, final=final, pack=pack, prepared_on=today)


async def export_meeting(
    repos: Repositories,
    meeting: Meeting,
    actor: Actor,
    *,
    look_up_names: NameLookup | None = None,
) -> tuple[AgendaMeeting, list[dict[str, str]]]:
    """The meeting's questions as open-data rows (bot/core/export.py), people named as the
    compiled document names them."""
    check(actor, Action.COMPILE)
    entries = sorted(await gather_entries(repos, meeting), key=lambda e: e.reference)
    resolved = await names_for_agenda(repos, entries, None, look_up_names)
    target = await agenda_meeting(repos, meeting)
    return target, export.rows(target, entries, resolved)


async def names_for_agenda(
    repos: Repositories,
    entries: Iterable[AgendaEntry],
    names: Mapping[str, str] | None = None,
    look_up_names: NameLookup | None = None,
) -> Mapping[str, str]:
    """How each person mentioned in ``entries`` is named in what the bot publishes.

    An officer is named by the title of the role they answer for ("Head of Service"); anyone
    else by the name the bot has stored for them (``look_up_names`` first refreshes those,
    e.g. through Slack's users.info, and is expected to store what it finds), or by
    ``names``. The document is therefore the same whoever compiles it, in Slack or on the
    command line. Anyone not named reads "a colleague", and so does anyone who ever
    submitted a question on behalf of Hackney of Tomorrow: those young people are never
    named in the agenda.
    """
    unnamed = await never_named(repos)
    wanted = frozenset(mentioned_users(entries) - unnamed)
    if not wanted:
        return {}
    if look_up_names is not None:
        await look_up_names(wanted)
    resolved = {**(await repos.people.display_names(wanted)), **(names or {})}
    titles: dict[str, list[str]] = {}
    for role in await repos.officers.roles():
        if role.officer in wanted:
            titles.setdefault(role.officer, []).append(role.title)
    resolved.update((user, " and ".join(sorted(held))) for user, held in titles.items())
    return {user: name for user, name in resolved.items() if user in wanted}


async def never_named(repos: Repositories) -> frozenset[str]:
    """Hackney of Tomorrow's young people on the members list, and everyone who submitted a
    question for Hackney of Tomorrow (the clerk too, if so), including questions since
    pseudonymised after the retention period."""
    submitters = await repos.questions.submitters_for(OnBehalfOf.HACKNEY_OF_TOMORROW)
    return submitters | await repos.people.hackney_of_tomorrow() | await repos.people.unnamed()


async def publish_meeting(
    repos: Repositories, meeting: Meeting, actor: Actor, now: datetime
) -> list[str]:
    """Mark every answered or approved answer addressed to ``meeting`` published.

    Answers not yet approved are approved first by ``actor`` (the clerk publishing the
    document that shows them). Returns the references published now, in agenda order.
    """
    check(actor, Action.PUBLISH)
    questions = await repos.questions.search(states=PUBLISHABLE, target_meeting_id=meeting.id)
    groups = await repos.groups.groups_of(q.id for q in questions)
    # A question answered with its group's lead follows the lead (storage/groups.py).
    questions = [q for q in questions if groups.get(q.id, [q.id])[0] == q.id]
    await _require_text(repos, [q for q in questions if q.state is S.ANSWERED])
    for question in questions:
        if question.state is S.ANSWERED:
            await repos.answers.approve(question.id, actor, now)
        await repos.answers.publish(question.id, actor, now)
    return [question.reference for question in questions]


async def _require_text(repos: Repositories, answered: Iterable[Question]) -> None:
    """Refuse before changing anything if an answer to approve has no text left."""
    answered = list(answered)
    answers = await repos.answers.get_many(q.id for q in answered)
    empty = [q.reference for q in answered if not answers[q.id].text.strip()]
    if empty:
        raise InvalidInput(
            f"Nothing was published: {', '.join(empty)} "
            f"{'has' if len(empty) == 1 else 'have'} no answer text left. "
            "Return it to the officer or withdraw it first."
        )


def mentioned_users(entries: Iterable[AgendaEntry]) -> set[str]:
    """The Slack user ids mentioned (``<@U…>``) in anything the agenda will show."""
    found: set[str] = set()
    for entry in entries:
        texts = (
            entry.question_text,
            *entry.response_parts,
            entry.holding_note or "",
            entry.correction_note or "",
            entry.original_text or "",
        )
        for text in texts:
            found.update(mentioned_in(text))
    return found
