"""/question, the message shortcut, and the modals that collect and import questions."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import DomainError
from bot.core.importer import parse_question_list
from bot.flows import intake, sending
from bot.flows.intake import FormErrors, SubmittedQuestion
from bot.flows.slack import dm
from bot.services import Services
from handlers import blocks, modals
from handlers.errors import guarded, tell_user
from handlers.middleware import services_of

logger = logging.getLogger(__name__)

LOG_QUESTION_SHORTCUT = "log_scrutiny_question"


def values_of(view: dict[str, Any]) -> dict[str, str | None]:
    """Each input's value by block id: text typed or the value of the option chosen."""
    out: dict[str, str | None] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for state in actions.values():
            if "selected_option" in state:
                chosen = state.get("selected_option") or {}
                out[block_id] = chosen.get("value")
            else:
                out[block_id] = state.get("value")
    return out


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
                services_of(context), client, command["trigger_id"], command.get("text") or "", {}
            )

    @app.shortcut(LOG_QUESTION_SHORTCUT)
    async def log_question_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        async with guarded(shortcut, context.respond, client):
            services = services_of(context)
            text = str(shortcut.get("message", {}).get("text") or "")
            user_id = shortcut["user"]["id"]
            source = {
                "channel": shortcut.get("channel", {}).get("id"),
                "ts": shortcut.get("message_ts"),
            }
            if context["is_clerk"] and len(parse_question_list(text).questions) > 1:
                await open_import_review(services, client, shortcut["trigger_id"], user_id, text)
                return
            await open_question_form(services, client, shortcut["trigger_id"], text, source)

    @app.view(modals.QUESTION_CALLBACK)
    async def question_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        services = services_of(context)
        user_id = body["user"]["id"]
        values = values_of(view)
        if "text" not in values:  # the "no meetings yet" notice has nothing to submit
            await ack()
            return
        form = SubmittedQuestion(
            meeting_id=values.get("meeting"),
            agenda_item=values.get("item"),
            on_behalf_of=values.get("asker"),
            addressed_role=values.get("role"),
            text=values.get("text"),
        )
        name = await member_name(client, user_id) if form.on_behalf_of == "member" else ""
        try:
            question, created = await intake.submit_question(
                services, user_id, name, form, submission_key=view["id"]
            )
        except FormErrors as problems:
            await ack(response_action="errors", errors=problems.errors)
            return
        except DomainError as problem:
            await ack(response_action="errors", errors={"text": problem.message})
            return
        await ack()
        if not created:
            return
        async with guarded(body, None, client):
            await dm(
                client,
                user_id,
                f"Your question {question.reference} is recorded.",
                blocks.question_received(question, triage=services.settings.triage_required),
            )
            await sending.on_submitted(services, client, question)

    @app.view(modals.IMPORT_PASTE_CALLBACK)
    async def import_pasted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        services = services_of(context)
        user_id = body["user"]["id"]
        try:
            pending, result = await intake.start_import(
                services, user_id, values_of(view).get("paste") or ""
            )
            choices = await intake.question_form(services)
        except FormErrors as problems:
            await ack(response_action="errors", errors=problems.errors)
            return
        except DomainError as problem:
            await ack(response_action="errors", errors={"paste": problem.message})
            return
        await ack(
            response_action="update", view=modals.import_review_modal(pending, result, choices)
        )

    @app.view(modals.IMPORT_REVIEW_CALLBACK)
    async def import_reviewed(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        services = services_of(context)
        user_id = body["user"]["id"]
        values = values_of(view)
        pending = int(json.loads(view.get("private_metadata") or "{}").get("pending", 0))
        try:
            saved = await intake.save_import(
                services, user_id, pending, values.get("meeting"), values.get("item"), view["id"]
            )
        except FormErrors as problems:
            await ack(response_action="errors", errors=problems.errors)
            return
        except DomainError as problem:
            await ack()
            await tell_user(problem.message, body, None, client)
            return
        await ack()
        async with guarded(body, None, client):
            await dm(
                client,
                user_id,
                f"Imported {len(saved)} questions.",
                blocks.import_saved(saved, triage=services.settings.triage_required),
            )
            for question in saved:
                if not services.settings.triage_required or not question.addressed_role:
                    await sending.on_submitted(services, client, question)

    @app.action(blocks.SEND_IMPORTED)
    async def send_imported(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        async with guarded(body, respond, client):
            services = services_of(context)
            ids = [int(v) for v in str(action["value"]).split(",") if v]
            await respond(replace_original=False, text=f"Sending {len(ids)} questions to officers…")
            outcome = await sending.send_many(services, client, body["user"]["id"], ids)
            await respond(replace_original=True, text=outcome.summary, blocks=outcome.blocks())
