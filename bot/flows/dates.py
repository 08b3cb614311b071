"""Due dates that follow the calendar: a meeting moved or cancelled, a closure day added or
removed. Each open question's due date is worked out again, changed where it moved (and
audited), and each officer affected gets one message listing their questions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core.calendar import local_date, short_date
from bot.core.deadlines import answer_due_date
from bot.core.lifecycle import AWAITING_ANSWER
from bot.core.models import Meeting, Question, QuestionState
from bot.core.mrkdwn import Mrkdwn, esc, join, link, md
from bot.core.permissions import Actor
from bot.flows.sending import thread_base_url
from bot.flows.slack import dm, message_link
from bot.services import Services

FOLLOWING = frozenset({*AWAITING_ANSWER, QuestionState.SUBMITTED})
"""Questions whose due date follows their meeting: waiting for triage or for an answer."""

MOVING = frozenset({*FOLLOWING, QuestionState.ANSWERED, QuestionState.APPROVED})
"""Questions that go with the agenda when their meeting is cancelled (not yet published)."""


@dataclass(frozen=True)
class DueDateChange:
    question: Question
    before: date | None
    reason: str
    """Why the new date is what it is, e.g. '3 working days before the agenda goes out...'."""


async def recompute_due_dates(
    services: Services,
    actor: Actor,
    *,
    meeting_ids: Collection[int] | None = None,
    moves: dict[int, Meeting] | None = None,
) -> list[DueDateChange]:
    """Work out open questions' due dates again (those for ``meeting_ids``, or all).

    ``moves`` sends the questions of a meeting (by id) to another meeting first, as when a
    meeting is cancelled. Questions whose date stays the same are left alone.
    """
    repos = services.repos
    calendar = await repos.closure_days.calendar()
    today = local_date(services.clock())
    moves = moves or {}
    wanted = None if meeting_ids is None else {*meeting_ids, *moves}
    meetings: dict[int, Meeting] = {}
    changes = []
    for question in await repos.questions.search(states=MOVING if moves else FOLLOWING):
        target = question.target_meeting_id
        if target is None or (wanted is not None and target not in wanted):
            continue
        if target in moves:
            meetings[moves[target].id] = moves[target]
            target = moves[target].id
        elif question.state not in FOLLOWING:
            continue
        if target not in meetings:
            meetings[target] = await repos.meetings.get(target)
        deadline = answer_due_date(
            meetings[target].date,
            calendar,
            services.settings.answer_due_working_days,
            today=today,
        )
        if deadline.date == question.due_date and target == question.target_meeting_id:
            continue
        after = await repos.questions.triage(
            question.id,
            actor,
            services.clock(),
            addressed_role=question.addressed_role,
            assigned_officer=question.assigned_officer,
            target_meeting_id=target,
            due_date=deadline.date,
        )
        changes.append(DueDateChange(after, question.due_date, deadline.explanation))
    return changes


async def tell_officers(
    services: Services, client: AsyncWebClient, changes: list[DueDateChange], why: str
) -> int:
    """One message to each officer whose questions got a new due date; how many were sent."""
    base_url = await thread_base_url(services, client)
    why = esc(why)
    by_officer: dict[str, list[DueDateChange]] = {}
    for change in changes:
        officer = change.question.assigned_officer
        if officer and change.question.state in AWAITING_ANSWER:
            by_officer.setdefault(officer, []).append(change)
    for officer, theirs in by_officer.items():
        count = len(theirs)
        head = md(
            ":calendar: {}: {} for {} of your scrutiny questions.",
            why,
            "a new due date" if count == 1 else "new due dates",
            count,
        )
        lines = []
        for change in theirs[:40]:
            question = change.question
            name = esc(question.reference)
            if question.thread is not None:
                name = link(message_link(base_url, question.thread), question.reference)
            new = short_date(question.due_date) if question.due_date else "no due date"
            old = md(" (was {})", short_date(change.before)) if change.before else Mrkdwn("")
            lines.append(md("• {}: now due *{}*{}: {}", name, new, old, change.reason))
        await dm(
            client,
            officer,
            head,
            [messages.section(head), messages.section(join("\n", lines))],
        )
    return len(by_officer)
