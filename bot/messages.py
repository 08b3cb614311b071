"""Pure builders for the messages the bot posts: data in, Block Kit dicts out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.calendar import short_date
from bot.core.markup import slack_text
from bot.core.models import Question
from bot.core.mrkdwn import Mrkdwn, esc, fit, join, link, md, mention, quoted

Block = dict[str, Any]
SECTION_LIMIT = 3000

TRIAGE_APPROVE = "triage_approve"
TRIAGE_EDIT = "triage_edit"
TRIAGE_REJECT = "triage_reject"
HOLDING_REPLY = "holding_reply"
ASK_TRANSFER = "ask_transfer"
SNOOZE = "snooze_reminder"
ANSWER_APPROVE = "answer_approve"
ANSWER_RETURN = "answer_return"
QUESTION_HISTORY = "question_history"
GROUP_WITH = "group_with"
TRANSFER_ACCEPT = "transfer_accept"
TRANSFER_DECLINE = "transfer_decline"
CORRECT_ANSWER = "correct_answer"


@dataclass(frozen=True)
class QuestionCard:
    """A question with everything a reader needs spelled out."""

    question: Question
    source: str  # "Children and Young People Scrutiny Commission, Mon 18 Dec 2023, item 4"
    role_title: str | None
    due: str | None  # the due date's explanation
    target: str | None  # the meeting whose agenda publishes the answer


def section(text: Mrkdwn) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, SECTION_LIMIT)}}


def context_line(text: Mrkdwn) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(text, SECTION_LIMIT)}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75]},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def actions(block_id: str, *elements: dict[str, Any]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def question_lines(card: QuestionCard) -> list[Block]:
    q = card.question
    out = [
        section(md("*{}* · {}\n*Asked by:* {}", q.reference, card.source, q.asker.label)),
        section(quoted(q.text)),
    ]
    facts = []
    if card.role_title:
        facts.append(md("*For:* {}", card.role_title))
    if card.target:
        facts.append(md("*Published in the agenda for:* {}", card.target))
    if facts:
        out.append(context_line(join(" · ", facts)))
    return out


def triage_card(card: QuestionCard) -> list[Block]:
    """For the clerk: a new question to approve and send, edit or reject."""
    q = card.question
    return [
        section(md(":inbox_tray: New scrutiny question from {}", mention(q.submitted_by))),
        *question_lines(card),
        actions(
            f"triage:{q.id}",
            button("Approve & send", TRIAGE_APPROVE, str(q.id), "primary"),
            button("Edit", TRIAGE_EDIT, str(q.id)),
            button("Reject", TRIAGE_REJECT, str(q.id), "danger"),
            button("Group with…", GROUP_WITH, str(q.id)),
            button("History", QUESTION_HISTORY, q.reference),
        ),
    ]


def triage_done(card: QuestionCard, what: Mrkdwn) -> list[Block]:
    """The clerk's card once someone has acted on it (buttons removed)."""
    return [*question_lines(card), context_line(what)]


def officer_question(card: QuestionCard, officer: str, *, greet: bool) -> list[Block]:
    """The parent message the officer answers under."""
    q = card.question
    greeting = md("{}, a", mention(officer)) if greet else Mrkdwn("A")
    due = md("Please answer by *{}*", short_date(q.due_date)) if q.due_date else "Please answer"
    return [
        section(md(":question: {} scrutiny question for you to answer.", greeting)),
        *question_lines(card),
        section(md("{}: *reply in this thread*. Several replies form one answer.", due)),
        *([context_line(esc(card.due[:1].upper() + card.due[1:]))] if card.due else []),
        actions(
            f"officer:{q.id}",
            button("Holding reply", HOLDING_REPLY, str(q.id)),
            button("Ask to transfer", ASK_TRANSFER, str(q.id)),
            button("Snooze reminder", SNOOZE, str(q.id)),
        ),
    ]


def answer_for_review(
    card: QuestionCard,
    answer_text: str,
    permalink: str | None,
    names: Mapping[str, str] | None = None,
) -> list[Block]:
    """For the clerk: an answer has arrived, shown with nothing in it live (see slack_text);
    ``names`` names the people it mentions."""
    q = card.question
    thread = md(" ({})", link(permalink, "thread")) if permalink else ""
    return [
        section(md(":speech_balloon: Answer received for *{}*{}", q.reference, thread)),
        section(quoted(q.text, 600)),
        section(quoted(slack_text(answer_text, names))),
        actions(
            f"review:{q.id}",
            button("Approve", ANSWER_APPROVE, str(q.id), "primary"),
            button("Return with comment", ANSWER_RETURN, str(q.id)),
            button("History", QUESTION_HISTORY, q.reference),
        ),
    ]


def transfer_request(card: QuestionCard, to_officer: str, reason: str, by: str) -> list[Block]:
    q = card.question
    return [
        section(
            md(
                ":arrow_right: {} asks for *{}* to go to {}.\n*Reason:* {}",
                mention(by),
                q.reference,
                mention(to_officer),
                reason,
            )
        ),
        *question_lines(card),
        actions(
            f"transfer:{q.id}",
            button("Accept transfer", TRANSFER_ACCEPT, str(q.id), "primary"),
            button("Decline", TRANSFER_DECLINE, str(q.id)),
        ),
    ]


def published_note(reference: str, meeting_reference: str, question_id: int) -> list[Block]:
    """In the question's thread once its answer is published, with a way to correct it."""
    return [
        section(
            md(
                ":page_facing_up: The answer to *{}* is published in the agenda for {}. If it "
                "needs correcting, the officer or the clerk can do it here; the original stays "
                "on record.",
                reference,
                meeting_reference,
            )
        ),
        actions(
            f"published_{question_id}",
            button("Correct answer", CORRECT_ANSWER, str(question_id)),
        ),
    ]
