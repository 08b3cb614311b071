"""A question's history for the clerk: ``/agenda history <REF>`` and the *History* button."""

from __future__ import annotations

from bot import messages
from bot.compiling import never_named
from bot.core.calendar import council_zone, short_date
from bot.core.history import HistoryLine, describe
from bot.core.models import parse_question_reference
from bot.core.mrkdwn import Mrkdwn, join, md, mention
from bot.core.permissions import Action, check
from bot.services import Services

SHOWN = 40
"""Events shown in Slack (the latest); the command line exports the whole trail."""


async def question_history(
    services: Services, user_id: str, reference: str
) -> tuple[Mrkdwn, list[messages.Block]]:
    """Every event for one question, oldest first, in plain words: who, when, what."""
    check(await services.actor(user_id), Action.VIEW_HISTORY)
    parse_question_reference(reference)  # a clear error for something that is not one
    question = await services.repos.questions.by_reference(reference)
    events = await services.repos.audit.for_subject("question", question.reference)
    withheld = await never_named(services.repos)
    lines = [_line(describe(event, withheld)) for event in events[-SHOWN:]]
    heading = md("*History of {}* ({} now)", question.reference, question.state.value)
    blocks = [messages.section(heading)]
    if len(events) > SHOWN:
        blocks.append(
            messages.context_line(
                md(
                    "The latest {} of {} events. The whole trail: "
                    "`python -m bot audit --question {}`.",
                    SHOWN,
                    len(events),
                    question.reference,
                )
            )
        )
    for start in range(0, len(lines), 10):
        blocks.append(messages.section(join("\n", lines[start : start + 10])))
    return md("History of {}", question.reference), blocks


def _line(line: HistoryLine) -> Mrkdwn:
    moment = line.event.occurred_at.astimezone(council_zone())
    when = f"{short_date(moment.date(), with_year=True)} {moment:%H:%M}"
    who = mention(line.who) if line.who_is_person else md("{}", line.who)
    text = md("• {}: {} {}", when, who, line.what)
    if line.note:
        text = md("{}: _{}_", text, line.note[:300])
    return text
