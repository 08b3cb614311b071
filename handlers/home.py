"""The App Home tab and /agenda status: where everything stands at a glance."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core.calendar import short_date
from bot.core.deadlines import Lateness
from bot.core.models import Question
from bot.core.mrkdwn import Mrkdwn, esc, join, link, md, mention
from bot.core.permissions import Action, check
from bot.flows import agenda, status
from bot.flows.sending import thread_base_url
from bot.flows.slack import dm, dm_channel, message_link
from bot.services import Services
from handlers import modals, payload
from handlers.errors import guarded
from handlers.middleware import services_of

Block = dict[str, Any]
HOME_COMPILE = "home_compile"
HOME_IMPORT = "home_import"
LIST_LIMIT = 25
FLAG = {
    Lateness.VERY_OVERDUE: ":red_circle: very overdue",
    Lateness.OVERDUE: ":large_orange_circle: overdue",
    Lateness.DUE_TODAY: ":large_yellow_circle: due today",
}


def question_line(
    question: Question,
    base_url: str,
    late: Lateness | None = None,
    due_reason: str | None = None,
) -> Mrkdwn:
    """A question on one line (reference, due date, flag, state), its first words, and why
    it is due when it is."""
    parts = [md("*{}*", question.reference)]
    if question.thread is not None:
        parts[0] = link(message_link(base_url, question.thread), question.reference)
    if question.due_date:
        parts.append(md("due {}", short_date(question.due_date)))
    if late in FLAG:
        parts.append(Mrkdwn(FLAG[late]))
    parts.append(md("_{}_", question.state))
    text = question.text if len(question.text) <= 120 else question.text[:117] + "…"
    line = md("{}\n{}", join(" · ", parts), text)
    if due_reason:
        line = md("{}\n_{}_", line, due_reason[:1].upper() + due_reason[1:])
    return line


def status_line(item: status.QuestionStatus, base_url: str) -> Mrkdwn:
    return question_line(item.question, base_url, item.lateness, item.due_reason)


def status_blocks(report: status.StatusReport, base_url: str) -> list[Block]:
    """The clerk's summary: next meeting and deadline, counts, overdue first, by officer."""
    out: list[Block] = []
    if report.meeting is not None and report.when == "past":
        held = short_date(report.meeting.date, with_year=True)
        out.append(
            messages.section(
                md(
                    "*Past meeting: {}* (held {}). Its answers can still be compiled; new "
                    "questions go to a later meeting.",
                    report.meeting.reference,
                    held,
                )
            )
        )
    elif report.meeting is not None:
        heading = "Next meeting" if report.when == "next" else "Meeting"
        out.append(
            messages.section(
                md(
                    "*{}: {}*\n{}\nAnswers {}",
                    heading,
                    report.meeting.reference,
                    report.publication or "",
                    report.due or "",
                )
            )
        )
    else:
        out.append(
            messages.section(Mrkdwn("*No upcoming meeting.* Add one with `/agenda meeting add`."))
        )
    counts = ", ".join(f"{n} {state}" for state, n in sorted(report.by_state.items()))
    out.append(messages.context_line(md("Questions: {}.", counts or "none yet")))
    if report.awaiting_triage:
        out.append(messages.section(md("*Waiting for triage:* {}", len(report.awaiting_triage))))
    if report.awaiting_approval:
        refs = ", ".join(q.reference for q in report.awaiting_approval[:LIST_LIMIT])
        out.append(messages.section(md("*Answered, waiting for your approval:* {}", refs)))
    if report.overdue:
        lines = [status_line(s, base_url) for s in report.overdue[:LIST_LIMIT]]
        out.append(messages.section(md("*Overdue*\n{}", join("\n", lines))))
    for officer, items in report.by_officer().items():
        lines = [md("• {}", status_line(s, base_url)) for s in items[:10]]
        more = f"\n…and {len(items) - 10} more" if len(items) > 10 else ""
        who = mention(officer, "nobody yet")
        out.append(
            messages.section(
                md("*Waiting on {}* ({})\n{}{}", who, len(items), join("\n", lines), more)
            )
        )
    return out[:45]


def officer_blocks(items: list[status.QuestionStatus], base_url: str) -> list[Block]:
    if not items:
        return [messages.section(Mrkdwn("*Nothing waiting for your answer.* Thank you!"))]
    lines = [md("• {}", status_line(s, base_url)) for s in items[:LIST_LIMIT]]
    return [
        messages.section(md("*Waiting for your answer* ({})", len(items))),
        messages.section(join("\n", lines)),
        messages.context_line(Mrkdwn("Answer by replying in each question's thread.")),
    ]


def member_blocks(questions: list[Question], base_url: str) -> list[Block]:
    if not questions:
        return [
            messages.section(Mrkdwn("*You have not submitted any questions.* Use `/question`."))
        ]
    lines = [md("• {}", question_line(q, base_url)) for q in questions[-LIST_LIMIT:]]
    return [messages.section(Mrkdwn("*Your questions*")), messages.section(join("\n", lines))]


async def home_view(services: Services, client: AsyncWebClient, user_id: str) -> dict[str, Any]:
    base_url = await thread_base_url(services, client)
    actor = await services.actor(user_id)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Scrutiny questions"}}
    ]
    if actor.is_clerk:
        report = await status.meeting_report(services, await status.next_meeting(services))
        blocks.append(
            messages.actions(
                "home_clerk",
                messages.button("Compile next meeting", HOME_COMPILE, "next", "primary"),
                messages.button("Import questions", HOME_IMPORT, "import"),
            )
        )
        blocks += status_blocks(report, base_url)
    officer_items = await status.officer_questions(services, user_id)
    if officer_items or await services.repos.officers.roles_held_by(user_id):
        blocks += [{"type": "divider"}, *officer_blocks(officer_items, base_url)]
    mine = await status.member_questions(services, user_id, LIST_LIMIT)
    if mine or not actor.is_clerk:
        blocks += [{"type": "divider"}, *member_blocks(mine, base_url)]
    return {"type": "home", "blocks": blocks[:100]}


def register(app: AsyncApp) -> None:
    @app.event("app_home_opened")
    async def publish_home(
        body: dict[str, Any],
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        async with guarded(body, None, client):
            user = payload.text(event, "user")
            await client.views_publish(
                user_id=user, view=await home_view(services_of(context), client, user)
            )

    @app.action(HOME_IMPORT)
    async def home_import(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        async with guarded(body, None, client):
            services = services_of(context)
            check(await services.actor(payload.user_id(body)), Action.IMPORT_QUESTIONS)
            await client.views_open(
                trigger_id=payload.text(body, "trigger_id"), view=modals.import_paste_modal()
            )

    @app.action(HOME_COMPILE)
    async def home_compile(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        async with guarded(body, None, client):
            services = services_of(context)
            user = payload.user_id(body)
            meeting = await agenda.target_meeting(services, None)
            compiled, publication = await agenda.compile_for_slack(
                services, client, user, meeting, final=False
            )
            await agenda.upload(client, await dm_channel(client, user), user, compiled)
            await dm(
                client,
                user,
                esc(compiled.summary.headline),
                agenda.summary_blocks(
                    compiled, publication.references, final=False, meeting_id=meeting.id
                ),
            )


async def status_command(
    services: Services, client: AsyncWebClient, spec: str | None
) -> list[Block]:
    meeting = (
        await agenda.target_meeting(services, spec) if spec else await status.next_meeting(services)
    )
    report = await status.meeting_report(services, meeting)
    return status_blocks(report, await thread_base_url(services, client))
