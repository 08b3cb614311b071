"""How questions get in: the /question form, the message shortcut and the clerk's pasted list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import validation
from bot.core.calendar import local_date
from bot.core.errors import InvalidInput, NotFound
from bot.core.importer import ImportResult, parse_question_list
from bot.core.lifecycle import draft_question
from bot.core.models import Asker, Meeting, OfficerRole, OnBehalfOf, Question
from bot.core.permissions import Action, check
from bot.services import Services

MEETING_CHOICES = 100
"""Slack allows 100 options in a select."""


@dataclass(frozen=True)
class QuestionFormChoices:
    """What the question form offers: meetings (most recent first) and officer roles."""

    meetings: list[Meeting]
    committee_names: dict[str, str]
    roles: list[OfficerRole]
    default_meeting_id: int | None
    hackney_of_tomorrow: bool = False
    """The person filling the form is a Hackney of Tomorrow young person: their questions
    are the group's, and "Myself" is not offered."""


@dataclass(frozen=True)
class SubmittedQuestion:
    """What a person entered in the question form, as typed."""

    meeting_id: str | None
    agenda_item: str | None
    on_behalf_of: str | None
    addressed_role: str | None
    text: str | None
    source_minute: str | None = None
    """The minute the question is recorded under (e.g. 4.21), if the member gave it."""


MINUTE_NUMBER = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}[a-z]?")


class FormErrors(InvalidInput):
    """Problems to show next to the form's fields (block id → message)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


async def question_form(services: Services, user_id: str | None = None) -> QuestionFormChoices:
    """Meetings a question may come from, most recent first, defaulting to the latest held.

    With ``user_id``, refused to someone who may not submit (``MEMBERSHIP=listed``), and
    shaped for them (a Hackney of Tomorrow young person is never offered "Myself").
    """
    hackney_of_tomorrow = False
    if user_id is not None:
        actor = await services.actor(user_id)
        check(actor, Action.SUBMIT_QUESTION)
        hackney_of_tomorrow = actor.hackney_of_tomorrow
    today = local_date(services.clock())
    meetings = await services.repos.meetings.all()
    held = [m for m in meetings if m.date <= today]
    upcoming = [m for m in meetings if m.date > today]
    ordered = (list(reversed(held)) + upcoming)[:MEETING_CHOICES]
    names = {c.key: c.name for c in await services.repos.meetings.committees()}
    roles = await services.repos.officers.roles()
    default = held[-1].id if held else (upcoming[0].id if upcoming else None)
    return QuestionFormChoices(ordered, names, roles, default, hackney_of_tomorrow)


async def submit_question(
    services: Services,
    user_id: str,
    member_name: str,
    form: SubmittedQuestion,
    submission_key: str | None,
) -> tuple[Question, bool]:
    """Check the form and store the question; ``(question, False)`` for a repeated submit.

    Raises FormErrors naming each field that needs fixing; nothing is stored then.
    """
    errors: dict[str, str] = {}
    meeting = await _meeting(services, form.meeting_id, errors)
    text = (form.text or "").strip()
    try:
        validation.text(text, "The question", validation.QUESTION_TEXT_LIMIT)
    except InvalidInput as problem:
        errors["text"] = problem.message
    item = (form.agenda_item or "").strip() or None
    if item is not None:
        try:
            validation.agenda_item_number(item)
        except InvalidInput as problem:
            errors["item"] = problem.message
    minute = validation.normalise(form.source_minute or "", multiline=False).strip() or None
    if minute is not None and not MINUTE_NUMBER.fullmatch(minute):
        errors["minute"] = "A minute number looks like 4.21 or 4: digits, with dots between."
    role = form.addressed_role or None
    if role is not None and await services.repos.officers.find_role(role) is None:
        errors["role"] = f"{role} is not in the officer directory any more: pick another role."
    actor = await services.actor(user_id)
    choice = form.on_behalf_of
    if actor.hackney_of_tomorrow:
        choice = OnBehalfOf.HACKNEY_OF_TOMORROW.value  # never named, whatever was sent
    asker = _asker(choice, member_name, errors)
    if errors or meeting is None or asker is None:
        raise FormErrors(errors or {"meeting": "Pick the meeting."})
    draft = draft_question(
        actor,
        source_meeting_id=meeting.id,
        agenda_item=item,
        asker=asker,
        text=text,
        addressed_role=role,
        source_minute=minute,
    )
    try:
        return await services.repos.questions.create_once(draft, services.clock(), submission_key)
    except NotFound as problem:  # e.g. the item is not on that meeting's recorded agenda
        raise FormErrors({"item": problem.message}) from None


async def _meeting(services: Services, value: str | None, errors: dict[str, str]) -> Meeting | None:
    if not value:
        errors["meeting"] = "Pick the meeting where the question was not reached."
        return None
    meeting_id = validation.record_id(value)
    try:
        if meeting_id is not None:
            return await services.repos.meetings.get(meeting_id)
    except NotFound:
        pass
    errors["meeting"] = "That meeting is not known (it may have been removed): pick another."
    return None


def _asker(choice: str | None, member_name: str, errors: dict[str, str]) -> Asker | None:
    try:
        on_behalf_of = OnBehalfOf(choice or "")
    except ValueError:
        errors["asker"] = "Say on whose behalf the question is asked."
        return None
    name = member_name if on_behalf_of is OnBehalfOf.MEMBER else None
    return Asker(on_behalf_of, name)


async def start_import(services: Services, user_id: str, pasted: str) -> tuple[int, ImportResult]:
    """Keep the clerk's paste for review and split it; nothing is stored as questions yet."""
    check(await services.actor(user_id), Action.IMPORT_QUESTIONS)
    if not pasted.strip():
        raise FormErrors({"paste": "Paste the questions here."})
    result = await _parse(services, pasted)
    if not result.questions:
        raise FormErrors({"paste": "I found no questions in that text."})
    pending = await services.repos.pending_imports.save(user_id, pasted, services.clock())
    return pending, result


async def review_import(services: Services, user_id: str, pending_id: int) -> ImportResult:
    check(await services.actor(user_id), Action.IMPORT_QUESTIONS)
    return await _parse(services, await services.repos.pending_imports.get(pending_id, user_id))


@dataclass(frozen=True)
class ReviewedItem:
    """What the clerk made of one parsed question: its text, and its role (None: none yet)."""

    text: str | None
    role: str | None
    leave_out: bool = False


@dataclass(frozen=True)
class SavedPage:
    saved: list[Question]
    next_page: int | None
    """The review's next page, or None when every question has been through it."""
    meeting_id: int
    agenda_item: str | None


async def save_import(
    services: Services,
    user_id: str,
    pending_id: int,
    meeting_id: str | None,
    agenda_item: str | None,
    submission_key: str,
    *,
    page: int = 0,
    page_size: int = 1_000_000,
    reviewed: dict[int, ReviewedItem] | None = None,
    role_for_all: str | None = None,
) -> SavedPage:
    """Store one page of the reviewed questions in order: the clerk's text and role for
    each, ``role_for_all`` over those; skipping any left out or flagged with a problem."""
    actor = await services.actor(user_id)
    check(actor, Action.IMPORT_QUESTIONS)
    errors: dict[str, str] = {}
    meeting = await _meeting(services, meeting_id, errors)
    item = (agenda_item or "").strip() or None
    if item is not None:
        try:
            validation.agenda_item_number(item)
        except InvalidInput as problem:
            errors["item"] = problem.message
    reviewed = reviewed or {}
    known = {r.key.casefold(): r.key for r in await services.repos.officers.roles()}
    result = await review_import(services, user_id, pending_id)
    start = page * page_size
    chosen = list(enumerate(result.questions))[start : start + page_size]
    for index, parsed in chosen:
        mine = reviewed.get(index)
        if parsed.problem or (mine is not None and mine.leave_out):
            continue
        if mine is not None and mine.text is not None:
            try:
                validation.text(mine.text, "The question", validation.QUESTION_TEXT_LIMIT)
            except InvalidInput as problem:
                errors[f"text_{index}"] = problem.message
    if errors or meeting is None:
        raise FormErrors(errors or {"meeting": "Pick the meeting."})
    saved = []
    for index, parsed in chosen:
        mine = reviewed.get(index, ReviewedItem(None, None))
        if parsed.problem or mine.leave_out:
            continue
        role = role_for_all or mine.role or parsed.role_hint
        group = OnBehalfOf.HACKNEY_OF_TOMORROW if parsed.hackney_of_tomorrow else None
        draft = draft_question(
            actor,
            source_meeting_id=meeting.id,
            agenda_item=item,
            asker=Asker(group or OnBehalfOf.COMMISSION),
            text=mine.text or parsed.text,
            addressed_role=known.get(role.casefold(), role) if role else None,
            importing=True,
            source_minute=parsed.number,
        )
        try:
            question, _ = await services.repos.questions.create_once(
                draft, services.clock(), f"{submission_key}:{index}"
            )
        except NotFound as problem:
            raise FormErrors({"item": problem.message}) from None
        saved.append(question)
    more = start + page_size < len(result.questions)
    if not more:
        await services.repos.pending_imports.forget(pending_id)
    return SavedPage(saved, page + 1 if more else None, meeting.id, item)


async def _parse(services: Services, pasted: str) -> ImportResult:
    roles = [role.key for role in await services.repos.officers.roles()]
    return parse_question_list(pasted, roles or None)
