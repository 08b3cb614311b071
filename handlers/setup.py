"""The clerk's set-up forms: what ``/agenda meeting add``, ``officer set`` and ``closure add``
open when typed with no words after them. They feed the same checks as the text forms."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from slack_bolt.async_app import AsyncApp

from bot.core import validation
from bot.core.errors import DomainError, InvalidInput
from bot.core.mrkdwn import md, mention
from bot.flows import admin
from bot.flows.intake import FormErrors
from bot.flows.slack import dm
from handlers import modals
from handlers.plumbing import AfterAck, Submission, on_submit


def checked(field: str, check: Callable[[str], str], value: str | None) -> str:
    """``check(value)``, with any problem shown next to ``field``."""
    try:
        return check(value or "")
    except InvalidInput as problem:
        raise FormErrors({field: problem.message}) from None


def field_for(message: str, fields: Mapping[str, tuple[str, ...]], default: str) -> str:
    """Which field an error message is about, by the words it uses."""
    lowered = message.lower()
    for field, words in fields.items():
        if any(word in lowered for word in words):
            return field
    return default


async def meeting_added(submission: Submission) -> AfterAck:
    values = submission.values
    key = checked("committee", validation.committee_key, values.get("committee"))
    parts = (values.get("date"), values.get("time"), key, values.get("name"))
    try:
        summary = await admin.add_meeting(
            submission.services, submission.user, " ".join(v for v in parts if v)
        )
    except DomainError as problem:
        words = {"name": ("new committee",), "committee": ("committee",), "time": ("time",)}
        raise FormErrors({field_for(problem.message, words, "date"): problem.message}) from None

    async def after() -> None:
        await dm(
            submission.client,
            submission.user,
            md(
                "Added {}: {}; answers {}.",
                summary.meeting.reference,
                summary.publication,
                summary.due,
            ),
        )

    return after


async def officer_saved(submission: Submission) -> AfterAck:
    values = submission.values
    services, user = submission.services, submission.user
    key = checked("role", validation.role_key, values.get("role"))
    try:
        change = await admin.set_officer(
            services, user, f"{key} {values.get('officer') or ''} {values.get('title') or ''}"
        )
        role = change.role
        if values.get("deputy"):
            role = await admin.set_deputy(services, user, f"{role.key} {values['deputy']}")
    except DomainError as problem:
        field = field_for(problem.message, {"title": ("title",)}, "officer")
        raise FormErrors({field: problem.message}) from None

    async def after() -> None:
        deputy = md(", deputy {}", mention(role.deputy)) if role.deputy else ""
        await dm(
            submission.client,
            user,
            md(
                "{} is now {}: {}{}.{}",
                role.key,
                role.title,
                mention(role.officer),
                deputy,
                change.moved_text,
            ),
        )
        await admin.hand_over(services, submission.client, change)

    return after


async def closure_added(submission: Submission) -> AfterAck:
    values = submission.values
    args = f"{values.get('date') or ''} {values.get('reason') or ''}".strip()
    change = await admin.add_closure_day(submission.services, submission.user, args)

    async def after() -> None:
        await dm(
            submission.client,
            submission.user,
            md("Added a council closure day: {}. {}", change.done, change.moved_text),
        )
        await admin.announce(submission.services, submission.client, change)

    return after


def register(app: AsyncApp) -> None:
    on_submit(app, modals.MEETING_ADD_CALLBACK, meeting_added, field="date")
    on_submit(app, modals.OFFICER_SET_CALLBACK, officer_saved, field="officer")
    on_submit(app, modals.CLOSURE_ADD_CALLBACK, closure_added, field="date")
