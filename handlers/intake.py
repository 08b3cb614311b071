"""/question, the message shortcut, and the modals that collect and import questions."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.importer import parse_question_list
from bot.core.markup import mentioned_users, to_plain_text
from bot.core.mrkdwn import esc, md
from bot.flows import intake, sending
from bot.flows.intake import SubmittedQuestion
from bot.flows.similar import similar_blocks, similar_questions
from bot.flows.slack import dm, slack_names
from bot.services import Services
from handlers import blocks, modals, payload
from handlers.errors import guarded
from handlers.middleware import services_of
from handlers.plumbing import AfterAck, Click, Submission, UpdateView, on_click, on_submit

logger = logging.getLogger(__name__)

LOG_QUESTION_SHORTCUT = "log_scrutiny_question"


async def member_name(client: AsyncWebClient, user_id: str) -> str:
    """How a member is named as the asker: their Slack real name."""
    try:
        info = await client.users_info(user=user_id)
    except SlackApiError:
        logger.warning("users.info failed for %s; naming the asker by id", user_id)
        return user_id
    profile = info["user"].get("profile", {})
    return str(profile.get("real_name") or info["user"].get("real_name") or info["user"]["name"])


async def as_typed(client: AsyncWebClient, text: str) -> str:
    """Slack-encoded text (a message, a command's words) as the person reads it: mentions
    named, links showing their address, nothing live; what the question form is filled with."""
    names = await slack_names(client, mentioned_users(text))
    return to_plain_text(text, names)


async def open_question_form(
    services: Services,
    client: AsyncWebClient,
    trigger_id: str,
    text: str,
    metadata: dict[str, Any],
    user_id: str | None = None,
) -> None:
    choices = await intake.question_form(services, user_id)
    await client.views_open(
        trigger_id=trigger_id, view=modals.question_modal(choices, text=text, metadata=metadata)
    )


async def open_import_review(
    services: Services, client: AsyncWebClient, trigger_id: str, user_id: str, pasted: str
) -> None:
    pending, result = await intake.start_import(services, user_id, pasted)
    choices = await intake.question_form(services)
    await client.views_open(
        trigger_id=trigger_id, view=modals.import_review_modal(pending, result, choices)
    )


def register(app: AsyncApp) -> None:
    @app.command("/question")
    async def question_command(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        async with guarded(command, context.respond, client):
            text = await as_typed(client, payload.optional_text(command, "text") or "")
            await open_question_form(
                services_of(context),
                client,
                payload.text(command, "trigger_id"),
                text,
                {},
                payload.optional_text(command, "user_id"),
            )

    @app.shortcut(LOG_QUESTION_SHORTCUT)
    async def log_question_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        async with guarded(shortcut, context.respond, client):
            services = services_of(context)
            text = await as_typed(client, payload.optional_text(shortcut, "message", "text") or "")
            user_id = payload.user_id(shortcut)
            trigger_id = payload.text(shortcut, "trigger_id")
            source = {
                "channel": payload.optional_text(shortcut, "channel", "id"),
                "ts": payload.optional_text(shortcut, "message_ts"),
            }
            if context["is_clerk"] and len(parse_question_list(text).questions) > 1:
                await open_import_review(services, client, trigger_id, user_id, text)
                return
            await open_question_form(services, client, trigger_id, text, source, user_id)

    on_submit(app, modals.QUESTION_CALLBACK, question_submitted, field="text")
    on_submit(app, modals.IMPORT_PASTE_CALLBACK, import_pasted, field="paste")
    on_submit(app, modals.IMPORT_REVIEW_CALLBACK, import_reviewed, field="meeting")
    on_click(app, blocks.SEND_IMPORTED, send_imported)


async def question_submitted(submission: Submission) -> AfterAck:
    services, client, user_id = submission.services, submission.client, submission.user
    values = submission.values
    if "text" not in values:  # the "no meetings yet" notice has nothing to submit
        return None
    form = SubmittedQuestion(
        meeting_id=values.get("meeting"),
        agenda_item=values.get("item"),
        on_behalf_of=values.get("asker"),
        addressed_role=values.get("role"),
        text=values.get("text"),
        source_minute=values.get("minute"),
    )
    name = await member_name(client, user_id) if form.on_behalf_of == "member" else ""
    question, created = await intake.submit_question(
        services, user_id, name, form, submission_key=submission.view_id
    )
    if not created:
        return None

    async def after() -> None:
        triage = services.settings.triage_required
        earlier = similar_blocks(await similar_questions(services, question))
        received = [*blocks.question_received(question, triage=triage), *earlier]
        await dm(client, user_id, md("Your question {} is recorded.", question.reference), received)
        await sending.on_submitted(services, client, question)

    return after


async def import_pasted(submission: Submission) -> AfterAck:
    services = submission.services
    pending, result = await intake.start_import(
        services, submission.user, submission.values.get("paste") or ""
    )
    choices = await intake.question_form(services)
    return UpdateView(modals.import_review_modal(pending, result, choices))


async def import_reviewed(submission: Submission) -> AfterAck:
    services, client, user_id = submission.services, submission.client, submission.user
    values, metadata = submission.values, submission.metadata
    pending = payload.record_id(metadata.get("pending"), "the import")
    page = metadata.get("page") or 0
    if not isinstance(page, int) or not 0 <= page < 1000:
        raise payload.MalformedPayload("the review page is not one the bot made")
    meeting: str | None = values.get("meeting")
    item: object = values.get("item")
    if page:
        meeting, item = str(metadata.get("meeting") or ""), metadata.get("item")
    reviewed: dict[int, intake.ReviewedItem] = {}
    for block_id, value in values.items():
        kind, _, number = block_id.partition("_")
        if kind in ("text", "role") and number.isdigit():
            index = int(number)
            before = reviewed.get(index, intake.ReviewedItem(None, None))
            if kind == "text":
                reviewed[index] = replace(before, text=value)
            elif value == modals.LEAVE_OUT:
                reviewed[index] = replace(before, leave_out=True)
            else:
                reviewed[index] = replace(before, role=value)
    result = await intake.save_import(
        services,
        user_id,
        pending,
        meeting,
        item if isinstance(item, str) else None,
        submission.view_id,
        page=page,
        page_size=modals.REVIEW_PAGE,
        reviewed=reviewed,
        role_for_all=values.get("role_all"),
    )

    async def after() -> None:
        triage = services.settings.triage_required
        summary = blocks.import_saved(result.saved, triage=triage)
        await dm(client, user_id, md("Imported {} questions.", len(result.saved)), summary)
        for question in result.saved:
            if not triage or not question.addressed_role:
                await sending.on_submitted(services, client, question)

    if result.next_page is None:
        return after
    parsed = await intake.review_import(services, user_id, pending)
    choices = await intake.question_form(services)
    return UpdateView(
        modals.import_review_modal(
            pending,
            parsed,
            choices,
            result.next_page,
            meeting_id=result.meeting_id,
            agenda_item=result.agenda_item,
        ),
        after=after,
    )


async def send_imported(click: Click) -> None:
    ids = [payload.record_id(v, "a question in the button") for v in click.value.split(",") if v]
    await click.respond(
        replace_original=False, text=md("Sending {} questions to officers…", len(ids))
    )
    outcome = await sending.send_many(click.services, click.client, click.user, ids)
    await click.respond(replace_original=True, text=esc(outcome.summary), blocks=outcome.blocks())
