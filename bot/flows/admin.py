"""The clerk's set-up: meetings, the officer directory and council closure days."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import command_text
from bot.core.calendar import london_date, short_date
from bot.core.deadlines import agenda_publication_day, answer_due_date
from bot.core.errors import InvalidInput, NotFound
from bot.core.models import Meeting, OfficerRole
from bot.core.permissions import Action, check
from bot.services import Services


@dataclass(frozen=True)
class MeetingSummary:
    meeting: Meeting
    committee_name: str
    publication: str
    due: str


async def describe_meeting(services: Services, meeting: Meeting) -> MeetingSummary:
    """A meeting with its agenda deadline and answer due date, each explained."""
    calendar = await services.repos.closure_days.calendar()
    committee = await services.repos.meetings.committee(meeting.committee_key)
    today = london_date(services.clock())
    publication = agenda_publication_day(meeting.date, calendar, today=today)
    due = answer_due_date(
        meeting.date, calendar, services.settings.answer_due_working_days, today=today
    )
    return MeetingSummary(meeting, committee.name, publication.explanation, due.explanation)


async def add_meeting(services: Services, user_id: str, args: str) -> MeetingSummary:
    """``/agenda meeting add <YYYY-MM-DD> [HH:MM] <committee key> [committee name]``."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    request = command_text.parse_meeting_add(args)
    now = services.clock()
    meetings = services.repos.meetings
    try:
        committee = await meetings.committee(request.committee_key)
    except NotFound:
        if not request.committee_name:
            raise InvalidInput(
                f"{request.committee_key} is a new committee: give its name after the key, e.g. "
                f"`/agenda meeting add {request.meeting_date} {request.committee_key} "
                "Children and Young People Scrutiny Commission`."
            ) from None
        committee = await meetings.save_committee(
            request.committee_key, request.committee_name, actor, now
        )
    meeting = await meetings.add_meeting(
        committee.key, request.meeting_date, committee.name, actor, now, start=request.start
    )
    return await describe_meeting(services, meeting)


async def list_meetings(services: Services) -> list[MeetingSummary]:
    """Meetings from today on, with their deadlines."""
    today = london_date(services.clock())
    meetings = await services.repos.meetings.all(from_date=today)
    return [await describe_meeting(services, m) for m in meetings]


async def set_officer(services: Services, user_id: str, args: str) -> OfficerRole:
    """``/agenda officer set <ROLE> <@person> <title>``."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_OFFICERS)
    request = command_text.parse_officer_set(args)
    return await services.repos.officers.set_role(
        request.role_key, request.title, request.officer, actor, services.clock()
    )


async def set_deputy(services: Services, user_id: str, args: str) -> OfficerRole:
    """``/agenda officer deputy <ROLE> <@person | none>``."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_OFFICERS)
    request = command_text.parse_officer_deputy(args)
    return await services.repos.officers.set_deputy(
        request.role_key, request.deputy, actor, services.clock()
    )


async def add_closure_day(services: Services, user_id: str, args: str) -> str:
    """``/agenda closure add <YYYY-MM-DD> [reason]``; returns what was added."""
    actor = await services.actor(user_id)
    check(actor, Action.ADD_CLOSURE_DAY)
    day, reason = command_text.parse_closure_add(args)
    added = await services.repos.closure_days.add(day, reason, actor, services.clock())
    return f"{short_date(added.day, with_year=True)} ({added.reason})"


async def add_agenda_item(services: Services, user_id: str, args: str) -> str:
    """``/agenda item add <meeting reference> <number> <title>``; returns what was added."""
    actor = await services.actor(user_id)
    check(actor, Action.MANAGE_MEETINGS)
    reference, number, title = command_text.parse_item_add(args)
    meeting = await services.repos.meetings.by_reference(reference)
    item = await services.repos.meetings.add_agenda_item(
        meeting.id, number, title, actor, services.clock()
    )
    return f"{meeting.reference} item {item.number}: {item.title}"
