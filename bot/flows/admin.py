"""The clerk's set-up: meetings, the officer directory and council closure days."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.compiling import find_target_meeting
from bot.core import command_text
from bot.core.calendar import local_date, short_date
from bot.core.deadlines import agenda_publication_day, answer_due_date
from bot.core.errors import InvalidInput, NotFound
from bot.core.models import ClosureDay, Meeting, OfficerRole, Question, QuestionState
from bot.core.mrkdwn import Mrkdwn, esc, join, link, md, mention
from bot.core.permissions import Action, Actor, check
from bot.flows import dates
from bot.flows.dates import DueDateChange
from bot.flows.sending import send_to_officer, thread_base_url
from bot.flows.slack import dm, message_link, post
from bot.services import Services
from storage.people import Member


@dataclass(frozen=True)
class MeetingSummary:
    meeting: Meeting
    committee_name: str
    publication: str
    due: str
    new_committee_key: bool = False
    """The committee was new and its key was made from its name's initials."""
    past: bool = False


async def describe_meeting(services: Services, meeting: Meeting) -> MeetingSummary:
    """A meeting with its agenda deadline and answer due date, each explained."""
    calendar = await services.repos.closure_days.calendar()
    committee = await services.repos.meetings.committee(meeting.committee_key)
    today = local_date(services.clock())
    publication = agenda_publication_day(meeting.date, calendar, today=today)
    due = answer_due_date(
        meeting.date, calendar, services.settings.answer_due_working_days, today=today
    )
    return MeetingSummary(
        meeting,
        committee.name,
        publication.explanation,
        due.explanation,
        past=meeting.date < today,
    )


async def add_meeting(services: Services, user_id: str, args: str) -> MeetingSummary:
    """``/agenda meeting add <YYYY-MM-DD> [HH:MM] <committee key or name> [name]``."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    request = command_text.parse_meeting_add(args)
    now = services.clock()
    meetings = services.repos.meetings
    made_key = False
    if request.committee_key is None:
        assert request.committee_name is not None
        found = await meetings.committee_named(request.committee_name)
        if found is None:
            key = await _free_key(services, command_text.key_from_name(request.committee_name))
            found = await meetings.save_committee(key, request.committee_name, actor, now)
            made_key = True
        committee = found
    else:
        try:
            committee = await meetings.committee(request.committee_key)
        except NotFound:
            if not request.committee_name:
                raise InvalidInput(
                    f"{request.committee_key} is a new committee: give its name after the key, "
                    f"e.g. `/agenda meeting add {request.meeting_date} {request.committee_key} "
                    "Children and Young People Scrutiny Commission`."
                ) from None
            committee = await meetings.save_committee(
                request.committee_key, request.committee_name, actor, now
            )
    meeting = await meetings.add_meeting(
        committee.key, request.meeting_date, committee.name, actor, now, start=request.start
    )
    summary = await describe_meeting(services, meeting)
    return replace(summary, new_committee_key=made_key)


async def _free_key(services: Services, wanted: str) -> str:
    """``wanted``, or with a number after it if another committee has it."""
    taken = {c.key for c in await services.repos.meetings.committees()}
    if wanted not in taken:
        return wanted
    for n in range(2, 100):
        key = f"{wanted[:10]}{n}"
        if key not in taken:
            return key
    raise InvalidInput("Too many committees share those initials: give a key before the name.")


async def rename_committee(services: Services, user_id: str, args: str) -> tuple[str, str]:
    """``/agenda committee rename <key> <new key>``; (old key, new key)."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    key, new_key = command_text.parse_committee_rename(args)
    committee = await services.repos.meetings.rename_committee_key(
        key, new_key, actor, services.clock()
    )
    return key, committee.key


PAST_MEETINGS_SHOWN = timedelta(days=60)
"""``meeting list`` shows meetings held this recently too (usually a source meeting)."""


async def list_meetings(services: Services, args: str = "") -> list[MeetingSummary]:
    """Meetings from 60 days ago on (``--all``: every one), with their deadlines."""
    words = args.split()
    if words not in ([], ["--all"]):
        raise InvalidInput("Usage: /agenda meeting list [--all]")
    today = local_date(services.clock())
    since = None if words else today - PAST_MEETINGS_SHOWN
    meetings = await services.repos.meetings.all(from_date=since)
    return [await describe_meeting(services, m) for m in meetings]


@dataclass(frozen=True)
class OfficerChange:
    """A role given to an officer, and the live questions that moved with it."""

    role: OfficerRole
    previous_officer: str | None
    moved: list[Question]

    @property
    def moved_text(self) -> Mrkdwn:
        if not self.moved:
            return Mrkdwn("")
        count = len(self.moved)
        return md(
            " {} live question{} moved from {} to {}: {}{}.",
            count,
            "s" if count != 1 else "",
            mention(self.previous_officer),
            mention(self.role.officer),
            ", ".join(q.reference for q in self.moved[:20]),
            "…" if count > 20 else "",
        )


async def set_officer(services: Services, user_id: str, args: str) -> OfficerChange:
    """``/agenda officer set <ROLE> <@person> <title>``: a new holder of a role takes over
    its live questions (waiting for triage or an answer)."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_OFFICERS)
    request = command_text.parse_officer_set(args)
    repos, now = services.repos, services.clock()
    before = await repos.officers.find_role(request.role_key)
    role = await repos.officers.set_role(
        request.role_key, request.title, request.officer, actor, now
    )
    previous = before.officer if before is not None else None
    moved: list[Question] = []
    if previous and role.officer and previous != role.officer:
        moved = await repos.questions.reassign_role(role.key, previous, role.officer, actor, now)
    return OfficerChange(role, previous, moved)


async def hand_over(services: Services, client: AsyncWebClient, change: OfficerChange) -> None:
    """After a role changed hands: each moved question gets a thread the new holder can
    answer in, the new holder one message listing them, the previous holder one notice."""
    new, old, role = change.role.officer, change.previous_officer, change.role
    if not change.moved or new is None or old is None:
        return
    base_url = await thread_base_url(services, client)
    lines = []
    for question in change.moved:
        if question.state is not QuestionState.SUBMITTED:
            question = await _thread_for_new_holder(services, client, question, old)
        name = (
            link(message_link(base_url, question.thread), question.reference)
            if question.thread
            else esc(question.reference)
        )
        due = md(", due {}", short_date(question.due_date)) if question.due_date else ""
        lines.append(md("• {}{}", name, due))
    count = len(change.moved)
    plural = "s" if count != 1 else ""
    head = md(
        ":wave: You now answer for {} ({}): {} scrutiny question{} passed to you from {}. Reply "
        "in each question's thread; your replies are the answer.",
        role.key,
        role.title,
        count,
        plural,
        mention(old),
    )
    await dm(client, new, head, [messages.section(head), messages.section(join("\n", lines))])
    note = md(
        "{} ({}) is now with {}: {} question{} you held moved to them. Thank you.",
        role.key,
        role.title,
        mention(new),
        count,
        plural,
    )
    await dm(client, old, note, [messages.section(note)])


async def _thread_for_new_holder(
    services: Services, client: AsyncWebClient, question: Question, old: str
) -> Question:
    """A question answered in the previous holder's DM is posted to the new holder (their
    own thread, linked to the earlier one); one in a shared channel keeps its thread."""
    earlier = question.thread
    if earlier is None or not earlier.channel.startswith("D"):
        if earlier is not None:
            await post(
                client,
                earlier.channel,
                md(
                    "{} now answers this, taking over from {}. Reply in this thread.",
                    mention(question.assigned_officer),
                    mention(old),
                ),
                thread_ts=earlier.ts,
            )
        return question
    question = await send_to_officer(services, client, question, Actor.bot())
    if question.thread is not None:
        address = message_link(await thread_base_url(services, client), earlier)
        await post(
            client,
            question.thread.channel,
            md("Taken over from {}: {}.", mention(old), link(address, "earlier thread")),
            thread_ts=question.thread.ts,
        )
    await post(
        client,
        earlier.channel,
        md(
            "This question now goes to {}, who answers in a new thread.",
            mention(question.assigned_officer),
        ),
        thread_ts=earlier.ts,
    )
    return question


async def set_deputy(services: Services, user_id: str, args: str) -> OfficerRole:
    """``/agenda officer deputy <ROLE> <@person | none>``."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_OFFICERS)
    request = command_text.parse_officer_deputy(args)
    return await services.repos.officers.set_deputy(
        request.role_key, request.deputy, actor, services.clock()
    )


@dataclass(frozen=True)
class CalendarChange:
    """What a change to the calendar did: in words, and the due dates it moved."""

    done: str
    moved: list[DueDateChange]
    why: str
    """What happened, as the officers told of new due dates read it."""

    @property
    def moved_text(self) -> str:
        count = len(self.moved)
        if not count:
            return "No open question's due date changed."
        officers = {c.question.assigned_officer for c in self.moved if c.question.assigned_officer}
        told = f"; {len(officers)} officer(s) told" if officers else ""
        return (
            f"{count} open question{'s' if count != 1 else ''} got a new due date{told}: "
            + ", ".join(c.question.reference for c in self.moved[:20])
            + ("…" if count > 20 else "")
        )


async def add_closure_day(services: Services, user_id: str, args: str) -> CalendarChange:
    """``/agenda closure add <YYYY-MM-DD> [reason]``: the day stops counting as a working
    day, and open questions' due dates are worked out again."""
    actor = await services.actor(user_id)
    check(actor, Action.ADD_CLOSURE_DAY)
    day, reason = command_text.parse_closure_add(args)
    added = await services.repos.closure_days.add(day, reason, actor, services.clock())
    when = short_date(added.day, with_year=True)
    return await _recomputed(
        services, actor, f"{when} ({added.reason})", f"{when} is now a closure day"
    )


async def remove_closure_day(services: Services, user_id: str, args: str) -> CalendarChange:
    """``/agenda closure remove <YYYY-MM-DD>``: a working day again; due dates follow."""
    actor = await services.actor(user_id)
    check(actor, Action.ADD_CLOSURE_DAY)
    day = command_text.parse_closure_remove(args)
    await services.repos.closure_days.remove(day, actor, services.clock())
    when = short_date(day, with_year=True)
    return await _recomputed(services, actor, when, f"{when} is a working day again")


async def list_closure_days(services: Services) -> list[ClosureDay]:
    """Closure days from today on."""
    today = local_date(services.clock())
    return await services.repos.closure_days.days(from_date=today)


async def move_meeting(
    services: Services, user_id: str, args: str
) -> tuple[MeetingSummary, CalendarChange]:
    """``/agenda meeting move <meeting> <YYYY-MM-DD> [HH:MM]``: the meeting's deadlines and
    the due dates of every question for it follow."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    request = command_text.parse_meeting_move(args)
    today = local_date(services.clock())
    meeting = await find_target_meeting(services.repos, request.meeting, today)
    if request.new_date < today:
        raise InvalidInput(
            f"{short_date(request.new_date, with_year=True)} has passed: a meeting can only "
            f"move to today or later. Usage: {command_text.MEETING_MOVE_USAGE}"
        )
    before = meeting.reference
    moved = await services.repos.meetings.update_meeting(
        meeting.id,
        actor,
        services.clock(),
        meeting_date=request.new_date,
        title=meeting.title,
        start=request.start or meeting.time,
    )
    summary = await describe_meeting(services, moved)
    when = short_date(moved.date, with_year=True)
    change = await _recomputed(
        services,
        actor,
        f"{before} moved to {when}",
        f"The {summary.committee_name} meeting moved to {when}",
        meeting_ids=[moved.id],
    )
    return summary, change


async def _recomputed(
    services: Services,
    actor: Actor,
    done: str,
    why: str,
    *,
    meeting_ids: list[int] | None = None,
) -> CalendarChange:
    moved = await dates.recompute_due_dates(services, actor, meeting_ids=meeting_ids)
    return CalendarChange(done, moved, why)


async def announce(services: Services, client: AsyncWebClient, change: CalendarChange) -> None:
    """Tell each officer whose questions got new due dates, in one message each."""
    await dates.tell_officers(services, client, change.moved, change.why)


async def add_agenda_item(services: Services, user_id: str, args: str) -> str:
    """``/agenda item add <meeting reference> <number> <title>``; returns what was added."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    reference, number, title = command_text.parse_item_add(args)
    meeting = await find_target_meeting(services.repos, reference, local_date(services.clock()))
    item = await services.repos.meetings.add_agenda_item(
        meeting.id, number, title, actor, services.clock()
    )
    return f"{meeting.reference} item {item.number}: {item.title}"


async def remove_agenda_item(services: Services, user_id: str, args: str) -> str:
    """``/agenda item remove <meeting> <number>``; returns what was removed."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    spec, number = command_text.parse_item_remove(args)
    meeting = await find_target_meeting(services.repos, spec, local_date(services.clock()))
    item = await services.repos.meetings.remove_agenda_item(
        meeting.id, number, actor, services.clock()
    )
    return f"{meeting.reference} item {item.number}: {item.title}"


async def remove_officer_role(services: Services, user_id: str, args: str) -> OfficerRole:
    """``/agenda officer remove <ROLE>``: refused while the role has live questions."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_OFFICERS)
    key = command_text.parse_officer_remove(args)
    role = await services.repos.officers.role(key)
    live = await services.repos.questions.live_for_role(role.key)
    if live:
        count = len(live)
        raise InvalidInput(
            f"{role.key} still has {count} live question{'s' if count != 1 else ''} ("
            + ", ".join(q.reference for q in live[:10])
            + ("…" if count > 10 else "")
            + f"): give the role to someone else with `/agenda officer set {role.key} @person "
            f"{role.title}`, or close those questions, before removing it."
        )
    return await services.repos.officers.remove_role(role.key, actor, services.clock())


async def add_member(services: Services, user_id: str, args: str) -> Member:
    """``/agenda member add <@person> [hackney-of-tomorrow]``."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_PEOPLE)
    person, hackney_of_tomorrow = command_text.parse_member_add(args)
    return await services.repos.people.add_member(
        person, hackney_of_tomorrow, actor, services.clock()
    )


async def remove_member(services: Services, user_id: str, args: str) -> str:
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_PEOPLE)
    person = command_text.parse_person(args, "/agenda member remove <@person>")
    await services.repos.people.remove_member(person, actor, services.clock())
    return person


async def list_members(services: Services, user_id: str) -> list[Member]:
    check(await services.actor(user_id), Action.MANAGE_PEOPLE)
    return await services.repos.people.members()


async def set_clerk(services: Services, user_id: str, args: str, *, active: bool) -> str:
    """``/agenda clerk add|remove <@person>``; the last clerk cannot be removed."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_PEOPLE)
    person = command_text.parse_person(args, command_text.CLERK_USAGE)
    changed = await services.repos.people.set_clerk(person, active, actor, services.clock())
    if not changed:
        raise InvalidInput(
            f"That person ({person}) is {'already' if active else 'not'} a clerk: nothing changed."
        )
    return person


@dataclass(frozen=True)
class CancelPlan:
    """What cancelling a meeting would do, for the clerk to confirm."""

    meeting: Meeting
    reason: str | None
    to: Meeting | None
    questions: list[Question]


async def plan_cancel(services: Services, user_id: str, args: str) -> CancelPlan:
    """``/agenda meeting cancel <meeting> [reason]``: what would move where (nothing yet)."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    spec, reason = command_text.parse_meeting_cancel(args)
    today = local_date(services.clock())
    meeting = await find_target_meeting(services.repos, spec, today)
    if meeting.date < today:
        raise InvalidInput(f"{meeting.reference} has been held: it can't be cancelled.")
    to = await services.repos.meetings.next_after(meeting.committee_key, meeting.date)
    questions = [
        q
        for q in await services.repos.questions.search(target_meeting_id=meeting.id)
        if q.state in dates.MOVING
    ]
    if questions and to is None:
        raise InvalidInput(
            f"{meeting.reference} has {len(questions)} open question(s) and there is no later "
            f"{meeting.committee_key} meeting to move them to: add it with `/agenda meeting add` "
            "first."
        )
    return CancelPlan(meeting, reason, to, questions)


async def cancel_meeting(
    services: Services, user_id: str, meeting_id: int, reason: str | None
) -> CalendarChange:
    """The clerk confirmed: the meeting is cancelled, its open questions go to the
    committee's next meeting with due dates worked out again."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    meeting = await services.repos.meetings.get(meeting_id)
    to = await services.repos.meetings.next_after(meeting.committee_key, meeting.date)
    await services.repos.meetings.cancel(meeting.id, reason, actor, services.clock())
    moved: list[DueDateChange] = []
    if to is not None:
        moved = await dates.recompute_due_dates(
            services, actor, meeting_ids=[], moves={meeting.id: to}
        )
    where = f"; its questions go to {to.reference}" if to is not None and moved else ""
    return CalendarChange(
        f"{meeting.reference} is cancelled{where}",
        moved,
        f"The {meeting.reference} meeting was cancelled"
        + (f" (they now go to {to.reference})" if to is not None else ""),
    )
