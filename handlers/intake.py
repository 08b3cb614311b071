"""/question, the message shortcut, and the modals that collect and import questions."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.importer import parse_question_list
from bot.flows import intake, sending
from bot.flows.intake import SubmittedQuestion
from bot.flows.slack import dm
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


async def open_question_form(
    services: Services, client: AsyncWebClient, trigger_id: str, text: str, metadata: dict[str, Any]
) -> None:
    choices = await intake.question_form(services)
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
            await open_question_form(
                services_of(context),
                client,
                payload.text(command, "trigger_id"),
                payload.optional_text(command, "text") or "",
                {},
            )

    @app.shortcut(LOG_QUESTION_SHORTCUT)
    async def log_question_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        async with guarded(shortcut, context.respond, client):
            services = services_of(context)
            text = payload.optional_text(shortcut, "message", "text") or ""
            user_id = payload.user_id(shortcut)
            trigger_id = payload.text(shortcut, "trigger_id")
            source = {
                "channel": payload.optional_text(shortcut, "channel", "id"),
                "ts": payload.optional_text(shortcut, "message_ts"),
            }
            if context["is_clerk"] and len(parse_question_list(text).questions) > 1:
                await open_import_review(services, client, trigger_id, user_id, text)
                return
            await open_question_form(services, client, trigger_id, text, source)

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
    )
    name = await member_name(client, user_id) if form.on_behalf_of == "member" else ""
    question, created = await intake.submit_question(
        services, user_id, name, form, submission_key=submission.view_id
    )
    if not created:
        return None

    async def after() -> None:
        triage = services.settings.triage_required
        received = blocks.question_received(question, triage=triage)
        await dm(client, user_id, f"Your question {question.reference} is recorded.", received)
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
    values = submission.values
    saved = await intake.save_import(
        services,
        user_id,
        payload.record_id(submission.metadata.get("pending"), "the import"),
        values.get("meeting"),
        values.get("item"),
        submission.view_id,
    )

    async def after() -> None:
        triage = services.settings.triage_required
        summary = blocks.import_saved(saved, triage=triage)
        await dm(client, user_id, f"Imported {len(saved)} questions.", summary)
        for question in saved:
            if not triage or not question.addressed_role:
                await sending.on_submitted(services, client, question)

    return after


async def send_imported(click: Click) -> None:
    ids = [payload.record_id(v, "a question in the button") for v in click.value.split(",") if v]
    await click.respond(replace_original=False, text=f"Sending {len(ids)} questions to officers…")
    outcome = await sending.send_many(click.services, click.client, click.user, ids)
    await click.respond(replace_original=True, text=outcome.summary, blocks=outcome.blocks())
