"""Triage and sending: a question reaches the clerk, then the officer who must answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core import validation
from bot.core.calendar import local_date, short_date
from bot.core.deadlines import Deadline, answer_due_date
from bot.core.errors import DomainError, InvalidInput, NotFound
from bot.core.models import Meeting, MessageRef, Question, QuestionState
from bot.core.mrkdwn import Mrkdwn, join, md, quoted
from bot.core.permissions import Actor
from bot.flows.similar import similar_blocks, similar_questions
from bot.flows.slack import dm, dm_channel, post, workspace_url
from bot.services import Services

logger = logging.getLogger(__name__)


async def thread_base_url(services: Services, client: AsyncWebClient | None) -> str:
    """The workspace's address for links to threads (auth.test, asked once and kept)."""
    if services.workspace_url is None and client is not None:
        services.workspace_url = await workspace_url(client)
    return services.workspace_url or "https://slack.com/"


def meeting_name(meeting: Meeting, committee_name: str) -> str:
    when = short_date(meeting.date, with_year=True)
    return f"{committee_name}, {when}"


async def question_card(services: Services, question: Question) -> messages.QuestionCard:
    """The question with its source meeting, role title, deadline and target spelled out."""
    repos = services.repos
    source = await repos.meetings.get(question.source_meeting_id)
    committee = await repos.meetings.committee(source.committee_key)
    where = meeting_name(source, committee.name)
    if question.agenda_item:
        where += f", item {question.agenda_item}"
    role = (
        await repos.officers.find_role(question.addressed_role) if question.addressed_role else None
    )
    target = None
    due = None
    if question.target_meeting_id is not None:
        meeting = await repos.meetings.get(question.target_meeting_id)
        target = meeting_name(meeting, (await repos.meetings.committee(meeting.committee_key)).name)
        due = (await due_for(services, meeting)).explanation
    title = role.title if role else question.addressed_role
    return messages.QuestionCard(question, where, title, due, target)


async def due_for(services: Services, meeting: Meeting) -> Deadline:
    calendar = await services.repos.closure_days.calendar()
    today = local_date(services.clock())
    return answer_due_date(
        meeting.date, calendar, services.settings.answer_due_working_days, today=today
    )


async def choose_target(
    services: Services, question: Question, meeting_id: int | None = None
) -> tuple[Meeting, Deadline]:
    """The meeting whose agenda will carry the answer, and the answer's due date.

    By default the committee's next meeting whose answer deadline has not passed.
    """
    if meeting_id is not None:
        meeting = await services.repos.meetings.get(meeting_id)
        deadline = await due_for(services, meeting)
        if deadline.passed:
            raise InvalidInput(
                f"Too late for the agenda of {meeting.reference}: {deadline.explanation}. "
                "Choose a later meeting."
            )
        return meeting, deadline
    source = await services.repos.meetings.get(question.source_meeting_id)
    today = local_date(services.clock())
    for meeting in await services.repos.meetings.for_committee(
        source.committee_key, from_date=today
    ):
        deadline = await due_for(services, meeting)
        if not deadline.passed:
            return meeting, deadline
    raise InvalidInput(
        f"No upcoming {source.committee_key} meeting is far enough ahead for an answer: add one "
        f"with `/agenda meeting add <YYYY-MM-DD> {source.committee_key}`, then approve again."
    )


async def clerk_destinations(services: Services, client: AsyncWebClient) -> list[str]:
    """Where clerks are told things: the clerks' channel, or each clerk's DM."""
    if services.settings.clerks_channel:
        return [services.settings.clerks_channel]
    return [await dm_channel(client, clerk) for clerk in sorted(await services.clerk_ids())]


async def tell_clerks(
    services: Services, client: AsyncWebClient, text: Mrkdwn, blocks: list[messages.Block]
) -> list[MessageRef]:
    posted = []
    for channel in await clerk_destinations(services, client):
        posted.append(await post(client, channel, text, blocks))
    if not posted:
        logger.warning("no clerk to tell (set CLERK_USER_IDS or CLERKS_CHANNEL): %s", text)
    return posted


async def on_submitted(services: Services, client: AsyncWebClient, question: Question) -> None:
    """A new question goes to the clerks for triage, or straight to the officer."""
    if services.settings.triage_required:
        card = await question_card(services, question)
        earlier = similar_blocks(await similar_questions(services, question))
        triage = messages.triage_card(card)
        await tell_clerks(
            services,
            client,
            md("New question {}", question.reference),
            [*triage[:-1], *earlier, triage[-1]],
        )
        return
    try:
        await route_and_send(services, client, question.id, Actor.bot())
    except (InvalidInput, NotFound) as problem:
        card = await question_card(services, question)
        why = md("{} could not be sent on its own: {}", question.reference, problem.message)
        await tell_clerks(
            services,
            client,
            why,
            [messages.section(md(":warning: {}", why)), *messages.triage_card(card)[1:]],
        )


async def route_and_send(
    services: Services,
    client: AsyncWebClient,
    question_id: int,
    actor: Actor,
    *,
    meeting_id: int | None = None,
) -> Question:
    """Approve & send: pick the officer, target meeting and due date, then post to the officer."""
    repos = services.repos
    question = await repos.questions.get(question_id)
    if question.state is not QuestionState.SUBMITTED:
        raise InvalidInput(f"{question.reference} has already been dealt with ({question.state}).")
    if not question.addressed_role:
        raise InvalidInput(
            f"{question.reference} has no officer role yet: use Edit to choose who answers it."
        )
    role = await repos.officers.role(question.addressed_role)
    if not role.officer:
        raise InvalidInput(
            f"Nobody answers for {role.key} yet: set them with `/agenda officer set {role.key} "
            "@person <title>`."
        )
    meeting, deadline = await choose_target(services, question, meeting_id)
    now = services.clock()
    question = await repos.questions.triage(
        question.id,
        actor,
        now,
        addressed_role=role.key,
        assigned_officer=role.officer,
        target_meeting_id=meeting.id,
        due_date=deadline.date,
    )
    return await send_to_officer(services, client, question, actor)


async def send_to_officer(
    services: Services, client: AsyncWebClient, question: Question, actor: Actor
) -> Question:
    """Post the parent message the officer answers under, then record it as sent."""
    officer = question.assigned_officer
    if officer is None:
        raise InvalidInput(f"{question.reference} has no officer assigned.")
    card = await question_card(services, question)
    channel = services.settings.responses_channel
    text = md("Scrutiny question {}: please answer in this thread.", question.reference)
    if channel:
        parent = await post(
            client, channel, text, messages.officer_question(card, officer, greet=True)
        )
    else:
        parent = await dm(
            client, officer, text, messages.officer_question(card, officer, greet=False)
        )
        # Kept, so that the chase sweep of a bot just started need not open it again.
        await services.repos.people.remember_dm_channels(
            {officer: parent.channel}, services.clock()
        )
    now = services.clock()
    if question.state is QuestionState.SUBMITTED:
        question = await services.repos.questions.send(question.id, actor, now)
    return await services.repos.questions.set_thread(question.id, parent, actor, now)


async def post_unsent(services: Services, client: AsyncWebClient, question_ids: list[int]) -> None:
    """Post to the officer each question sent but never posted: one that left its group
    (it followed the group's lead without a message of its own) now needs its own thread."""
    for question_id in question_ids:
        question = await services.repos.questions.get(question_id)
        if (
            question.state is QuestionState.SENT
            and question.thread is None
            and question.assigned_officer is not None
        ):
            await send_to_officer(services, client, question, Actor.bot())


async def edit_question(
    services: Services,
    clerk_id: str,
    question_id: int,
    *,
    text: str | None,
    role_key: str | None,
    meeting_id: int | None,
) -> Question:
    """The clerk's Edit: wording, addressed role and target meeting (before sending)."""
    actor = await services.actor(clerk_id)
    repos = services.repos
    question = await repos.questions.get(question_id)
    now = services.clock()
    if text is not None:
        text = validation.text(text, "The question", validation.QUESTION_TEXT_LIMIT)
    if text is not None and text != question.text:
        question = await repos.questions.edit_text(question.id, text, actor, now)
    if role_key is not None:
        await repos.officers.role(role_key)
    target, due = (None, None)
    if meeting_id is not None:
        meeting, deadline = await choose_target(services, question, meeting_id)
        target, due = meeting.id, deadline.date
    return await repos.questions.triage(
        question.id,
        actor,
        now,
        addressed_role=role_key or question.addressed_role,
        assigned_officer=question.assigned_officer,
        target_meeting_id=target or question.target_meeting_id,
        due_date=due or question.due_date,
    )


async def reject_question(
    services: Services, clerk_id: str, question_id: int, reason: str
) -> Question:
    """Turn a question down (state rejected), with the reason on record."""
    actor = await services.actor(clerk_id)
    reason = validation.text(reason, "The reason", validation.NOTE_LIMIT)
    return await services.repos.questions.reject(
        question_id, actor, services.clock(), reason=reason
    )


async def tell_submitter_rejected(client: AsyncWebClient, question: Question, reason: str) -> None:
    await dm(
        client,
        question.submitted_by,
        md("Your question {} was not taken forward.", question.reference),
        [
            messages.section(
                md("Your question *{}* was not taken forward by the clerk.", question.reference)
            ),
            messages.section(md("*Reason:* {}", reason)),
            messages.section(quoted(question.text, 1500)),
        ],
    )


@dataclass
class SendOutcome:
    sent: list[Question] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = f"Sent {len(self.sent)} question{'s' if len(self.sent) != 1 else ''} to officers."
        if self.problems:
            text += f" {len(self.problems)} not sent."
        return text

    def blocks(self) -> list[messages.Block]:
        out = [messages.section(md(":white_check_mark: {}", self.summary))]
        if self.problems:
            out.append(messages.section(join("\n", (md("• {}", p) for p in self.problems[:40]))))
        return out


async def send_many(
    services: Services, client: AsyncWebClient, clerk_id: str, question_ids: list[int]
) -> SendOutcome:
    """Approve & send several questions; one that can't go is reported, the rest still go."""
    actor = await services.actor(clerk_id)
    outcome = SendOutcome()
    for question_id in question_ids:
        try:
            outcome.sent.append(await route_and_send(services, client, question_id, actor))
        except DomainError as problem:
            question = await services.repos.questions.get(question_id)
            outcome.problems.append(f"{question.reference}: {problem.message}")
    return outcome
