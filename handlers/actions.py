"""Buttons on the bot's messages and the modals they open."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import chasing, messages
from bot.core.calendar import london_date, short_date
from bot.core.errors import DomainError, InvalidInput
from bot.core.permissions import Action, check
from bot.flows import agenda, answers, intake, sending
from bot.flows.slack import dm
from handlers import modals
from handlers.errors import guarded
from handlers.intake import values_of
from handlers.middleware import services_of


def question_id_of(view: dict[str, Any]) -> int:
    return int(json.loads(view.get("private_metadata") or "{}")["question"])


def register(app: AsyncApp) -> None:
    @app.action(messages.TRIAGE_APPROVE)
    async def approve_and_send(
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
            user = body["user"]["id"]
            question = await sending.route_and_send(
                services, client, int(action["value"]), await services.actor(user)
            )
            card = await sending.question_card(services, question)
            due = short_date(question.due_date) if question.due_date else "no date"
            await respond(
                replace_original=True,
                text=f"{question.reference} sent",
                blocks=messages.triage_done(
                    card,
                    f":white_check_mark: Sent to <@{question.assigned_officer}> by <@{user}>; "
                    f"due {due}.",
                ),
            )

    @app.action(messages.TRIAGE_EDIT)
    async def open_edit(
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
            check(await services.actor(body["user"]["id"]), Action.EDIT_QUESTION)
            question = await services.repos.questions.get(int(action["value"]))
            choices = await intake.question_form(services)
            today = london_date(services.clock())
            upcoming = [m for m in choices.meetings if m.date > today]
            upcoming.sort(key=lambda m: m.date)
            await client.views_open(
                trigger_id=body["trigger_id"], view=modals.edit_modal(question, choices, upcoming)
            )

    @app.view(modals.TRIAGE_EDIT_CALLBACK)
    async def edit_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        values = values_of(view)
        meeting = values.get("meeting")
        try:
            await sending.edit_question(
                services_of(context),
                body["user"]["id"],
                question_id_of(view),
                text=values.get("text"),
                role_key=values.get("role"),
                meeting_id=int(meeting) if meeting else None,
            )
        except DomainError as problem:
            field = "meeting" if "agenda" in problem.message and meeting else "text"
            await ack(response_action="errors", errors={field: problem.message})
            return
        await ack()

    @app.action(messages.TRIAGE_REJECT)
    async def open_reject(
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
            check(await services.actor(body["user"]["id"]), Action.REJECT_QUESTION)
            question = await services.repos.questions.get(int(action["value"]))
            view = modals.note_modal(
                modals.TRIAGE_REJECT_CALLBACK,
                "Reject question",
                "Reject",
                question.id,
                "Reason (the submitter is told)",
                f"Reject *{question.reference}*? Say why: the person who submitted it is told.",
            )
            await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(modals.TRIAGE_REJECT_CALLBACK)
    async def reject_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        reason = values_of(view).get("note") or ""
        if not reason.strip():
            await ack(response_action="errors", errors={"note": "Say why it is rejected."})
            return
        await ack()
        async with guarded(body, None, client):
            await sending.reject_question(
                services_of(context), client, body["user"]["id"], question_id_of(view), reason
            )

    @app.action(messages.HOLDING_REPLY)
    async def open_holding(
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
            question = await services.repos.questions.get(int(action["value"]))
            check(await services.actor(body["user"]["id"]), Action.HOLDING_REPLY, question)
            today = london_date(services.clock())
            await client.views_open(
                trigger_id=body["trigger_id"], view=modals.holding_modal(question, today)
            )

    @app.view(modals.HOLDING_CALLBACK)
    async def holding_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        values = values_of_view_with_dates(view)
        try:
            promised = date.fromisoformat(values.get("promised") or "")
        except ValueError:
            await ack(response_action="errors", errors={"promised": "Pick a date."})
            return
        services = services_of(context)
        try:
            question, holding = await answers.record_holding_reply(
                services,
                body["user"]["id"],
                question_id_of(view),
                values.get("note") or "",
                promised,
            )
        except InvalidInput as problem:
            field = "promised" if "date" in problem.message else "note"
            await ack(response_action="errors", errors={field: problem.message})
            return
        except DomainError as problem:
            await ack(response_action="errors", errors={"note": problem.message})
            return
        await ack()
        async with guarded(body, None, client):
            await answers.announce_holding_reply(services, client, question, holding)

    @app.action(messages.ASK_TRANSFER)
    async def open_transfer(
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
            question = await services.repos.questions.get(int(action["value"]))
            check(await services.actor(body["user"]["id"]), Action.REQUEST_TRANSFER, question)
            roles = await services.repos.officers.roles()
            await client.views_open(
                trigger_id=body["trigger_id"], view=modals.transfer_modal(question, roles)
            )

    @app.view(modals.TRANSFER_CALLBACK)
    async def transfer_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        values = values_of(view)
        services = services_of(context)
        try:
            question = await answers.request_transfer(
                services,
                body["user"]["id"],
                question_id_of(view),
                values.get("role") or "",
                values.get("note") or "",
            )
        except DomainError as problem:
            await ack(response_action="errors", errors={"note": problem.message})
            return
        await ack()
        async with guarded(body, None, client):
            await answers.announce_transfer_request(services, client, question)

    @app.action(messages.TRANSFER_ACCEPT)
    async def transfer_accepted(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        async with guarded(body, respond, client):
            user = body["user"]["id"]
            question = await answers.accept_transfer(
                services_of(context), client, user, int(action["value"])
            )
            await respond(
                replace_original=True,
                text=f"{question.reference} transferred",
                blocks=[
                    messages.section(
                        f":white_check_mark: *{question.reference}* now goes to "
                        f"<@{question.assigned_officer}> (accepted by <@{user}>)."
                    )
                ],
            )

    @app.action(messages.TRANSFER_DECLINE)
    async def transfer_declined(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        async with guarded(body, respond, client):
            user = body["user"]["id"]
            question = await answers.decline_transfer(
                services_of(context), client, user, int(action["value"])
            )
            await respond(
                replace_original=True,
                text=f"Transfer of {question.reference} declined",
                blocks=[
                    messages.section(
                        f"Transfer of *{question.reference}* declined by <@{user}>; it stays "
                        f"with <@{question.assigned_officer}>."
                    )
                ],
            )

    @app.action(messages.ANSWER_APPROVE)
    async def answer_approved(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        async with guarded(body, respond, client):
            user = body["user"]["id"]
            question = await answers.approve_answer(
                services_of(context), user, int(action["value"])
            )
            await respond(
                replace_original=True,
                text=f"{question.reference} approved",
                blocks=[
                    messages.section(
                        f":white_check_mark: The answer to *{question.reference}* was approved by "
                        f"<@{user}>. It goes in the agenda when you compile."
                    )
                ],
            )

    @app.action(messages.ANSWER_RETURN)
    async def open_return(
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
            check(await services.actor(body["user"]["id"]), Action.RETURN_ANSWER)
            question = await services.repos.questions.get(int(action["value"]))
            view = modals.note_modal(
                modals.RETURN_CALLBACK,
                "Return answer",
                "Return",
                question.id,
                "What is missing",
                f"Ask the officer for more on *{question.reference}*. Your comment is posted in "
                "the question's thread.",
            )
            await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(modals.RETURN_CALLBACK)
    async def return_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        comment = values_of(view).get("note") or ""
        try:
            question = await answers.return_answer(
                services_of(context), body["user"]["id"], question_id_of(view), comment
            )
        except DomainError as problem:
            await ack(response_action="errors", errors={"note": problem.message})
            return
        await ack()
        async with guarded(body, None, client):
            await answers.announce_return(client, question, comment.strip())


def values_of_view_with_dates(view: dict[str, Any]) -> dict[str, str | None]:
    """Like values_of, also reading date pickers."""
    out = values_of(view)
    for block_id, inputs in view.get("state", {}).get("values", {}).items():
        for state in inputs.values():
            if state.get("type") == "datepicker":
                out[block_id] = state.get("selected_date")
    return out


def register_snooze(app: AsyncApp) -> None:
    @app.action(messages.SNOOZE)
    async def open_snooze(
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
            question = await services.repos.questions.get(int(action["value"]))
            check(await services.actor(body["user"]["id"]), Action.SNOOZE, question)
            await client.views_open(
                trigger_id=body["trigger_id"], view=modals.snooze_modal(question)
            )

    @app.view(modals.SNOOZE_CALLBACK)
    async def snooze_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        try:
            reference, until = await chasing.snooze(
                services_of(context),
                body["user"]["id"],
                question_id_of(view),
                values_of(view).get("choice") or "",
            )
        except DomainError as problem:
            await ack(response_action="errors", errors={"choice": problem.message})
            return
        await ack()
        async with guarded(body, None, client):
            await dm(
                client,
                body["user"]["id"],
                f"Reminders for {reference} are paused until {short_date(until)}; "
                "the due date is unchanged.",
            )


def register_agenda(app: AsyncApp) -> None:
    @app.action(agenda.PUBLISH)
    async def publish_answers(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        async with guarded(body, respond, client):
            user = body["user"]["id"]
            published = await agenda.publish_from_button(
                services_of(context), client, user, int(action["value"])
            )
            await respond(
                replace_original=False,
                response_type="ephemeral",
                text=f"Published {len(published)} answers"
                + (f": {', '.join(published)}." if published else "."),
            )
