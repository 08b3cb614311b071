"""Where everything stands: the clerk's summary, an officer's outstanding questions, a member's."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.core.calendar import local_date, short_date
from bot.core.deadlines import Lateness, agenda_publication_day, answer_due_date, lateness
from bot.core.lifecycle import AWAITING_ANSWER
from bot.core.models import Meeting, Question, QuestionState
from bot.services import Services

LATENESS_ORDER = {
    Lateness.VERY_OVERDUE: 0,
    Lateness.OVERDUE: 1,
    Lateness.DUE_TODAY: 2,
    Lateness.ON_TIME: 3,
    Lateness.NOT_AWAITED: 4,
}


@dataclass(frozen=True)
class QuestionStatus:
    question: Question
    lateness: Lateness
    due_reason: str | None = None
    """Why it is due when it is, e.g. 'due Mon 27 Apr: 3 working days before the agenda
    goes out on Thu 30 Apr (meeting Mon 11 May; 4 May bank holiday skipped)'."""


@dataclass
class StatusReport:
    """The summary /agenda status and the clerk's Home tab show."""

    meeting: Meeting | None
    publication: str | None
    due: str | None
    by_state: Counter[QuestionState] = field(default_factory=Counter)
    outstanding: list[QuestionStatus] = field(default_factory=list)
    awaiting_triage: list[Question] = field(default_factory=list)
    awaiting_approval: list[Question] = field(default_factory=list)
    when: str = "next"
    """The meeting is the "next" one, a "past" one, or a "later" one."""

    @property
    def overdue(self) -> list[QuestionStatus]:
        late = (Lateness.OVERDUE, Lateness.VERY_OVERDUE)
        return [s for s in self.outstanding if s.lateness in late]

    def by_officer(self) -> dict[str, list[QuestionStatus]]:
        grouped: dict[str, list[QuestionStatus]] = {}
        for status in self.outstanding:
            grouped.setdefault(status.question.assigned_officer or "", []).append(status)
        return grouped


async def statuses(services: Services, questions: list[Question]) -> list[QuestionStatus]:
    """Each question with its lateness today, overdue first, then by due date."""
    calendar = await services.repos.closure_days.calendar()
    today = local_date(services.clock())
    held = await services.repos.answers.get_many(
        q.id for q in questions if q.state is QuestionState.HOLDING
    )
    meetings: dict[int, Meeting] = {}
    out = []
    for question in questions:
        promised = None
        if question.id in held:
            holding = held[question.id].holding_reply
            promised = holding.promised_date if holding else None
        late = lateness(
            question,
            today,
            calendar,
            very_overdue_after=services.settings.very_overdue_after_working_days,
            promised_date=promised,
        )
        reason = None
        if promised is not None:
            reason = f"full answer promised by {short_date(promised)} in a holding reply"
        elif question.target_meeting_id is not None and question.due_date is not None:
            target = question.target_meeting_id
            if target not in meetings:
                meetings[target] = await services.repos.meetings.get(target)
            due = answer_due_date(
                meetings[target].date,
                calendar,
                services.settings.answer_due_working_days,
                today=today,
            )
            if due.date == question.due_date:
                reason = due.explanation
        out.append(QuestionStatus(question, late, reason))
    out.sort(
        key=lambda s: (LATENESS_ORDER[s.lateness], s.question.due_date or today, s.question.id)
    )
    return out


async def meeting_report(services: Services, meeting: Meeting | None) -> StatusReport:
    """Questions for ``meeting`` (or every open question when None), with its deadlines."""
    repos = services.repos
    publication = due = None
    if meeting is not None:
        calendar = await repos.closure_days.calendar()
        today = local_date(services.clock())
        publication = agenda_publication_day(meeting.date, calendar, today=today).explanation
        due = answer_due_date(
            meeting.date, calendar, services.settings.answer_due_working_days, today=today
        ).explanation
        questions = await repos.questions.search(target_meeting_id=meeting.id)
        by_state = Counter(q.state for q in questions)
    else:
        # Every meeting: count from the index, and read only the questions the report lists.
        by_state = await repos.questions.count_by_state()
        questions = await repos.questions.search(states=[*AWAITING_ANSWER, QuestionState.ANSWERED])
    report = StatusReport(meeting, publication, due)
    if meeting is not None:
        today = local_date(services.clock())
        upcoming = await next_meeting(services)
        report.when = (
            "past"
            if meeting.date < today
            else "next"
            if upcoming is not None and upcoming.id == meeting.id
            else "later"
        )
    report.by_state = by_state
    report.outstanding = await statuses(
        services, [q for q in questions if q.state in AWAITING_ANSWER]
    )
    report.awaiting_triage = await repos.questions.search(states=[QuestionState.SUBMITTED])
    report.awaiting_approval = [q for q in questions if q.state is QuestionState.ANSWERED]
    return report


async def next_meeting(services: Services) -> Meeting | None:
    today = local_date(services.clock())
    upcoming = await services.repos.meetings.all(from_date=today)
    return upcoming[0] if upcoming else None


async def officer_questions(services: Services, user_id: str) -> list[QuestionStatus]:
    """Questions waiting on this officer, or on a role they deputise for."""
    repos = services.repos
    mine = await repos.questions.search(states=AWAITING_ANSWER, officer=user_id)
    deputising = {r.key for r in await repos.officers.roles_deputised_by(user_id)}
    if deputising:
        others = await repos.questions.search(states=AWAITING_ANSWER)
        mine += [q for q in others if q.addressed_role in deputising and q not in mine]
    return await statuses(services, mine)


async def member_questions(services: Services, user_id: str, limit: int) -> list[Question]:
    """The member's latest ``limit`` questions (their Home tab shows no more)."""
    return await services.repos.questions.latest_submitted_by(user_id, limit)
