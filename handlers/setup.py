"""The clerk's set-up forms: what ``/agenda meeting add``, ``officer set`` and ``closure add``
open when typed with no words after them. They feed the same checks as the text forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import validation
from bot.core.errors import DomainError, InvalidInput
from bot.flows import admin
from bot.flows.slack import dm
from handlers import modals
from handlers.errors import guarded
from handlers.middleware import services_of


def form_values(view: dict[str, Any]) -> dict[str, str]:
    """Every input's value as text: typed text, chosen date, time, person or option."""
    out: dict[str, str] = {}
    for block_id, inputs in view.get("state", {}).get("values", {}).items():
        for state in inputs.values():
            value = (
                state.get("value")
                or state.get("selected_date")
                or state.get("selected_time")
                or state.get("selected_user")
                or (state.get("selected_option") or {}).get("value")
            )
            if value:
                out[block_id] = str(value).strip()
    return out


class FieldError(InvalidInput):
    """A problem with one field of a form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def checked(field: str, check: Callable[[str], str], value: str) -> str:
    """``check(value)``, with any problem reported against ``field``."""
    try:
        return check(value)
    except InvalidInput as problem:
        raise FieldError(field, problem.message) from None


def field_for(message: str, fields: dict[str, tuple[str, ...]], default: str) -> str:
    """Which field an error message is about, by the words it uses."""
    lowered = message.lower()
    for field, words in fields.items():
        if any(word in lowered for word in words):
            return field
    return default


def register(app: AsyncApp) -> None:
    @app.view(modals.MEETING_ADD_CALLBACK)
    async def meeting_added(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        values = form_values(view)
        args = " ".join(
            v
            for v in (
                values.get("date"),
                values.get("time"),
                values.get("committee"),
                values.get("name"),
            )
            if v
        )
        try:
            summary = await admin.add_meeting(services_of(context), body["user"]["id"], args)
        except DomainError as problem:
            field = field_for(
                problem.message,
                {"name": ("new committee",), "committee": ("committee",), "time": ("time",)},
                "date",
            )
            await ack(response_action="errors", errors={field: problem.message})
            return
        await ack()
        async with guarded(body, None, client):
            await dm(
                client,
                body["user"]["id"],
                f"Added {summary.meeting.reference}: {summary.publication}; answers {summary.due}.",
            )

    @app.view(modals.OFFICER_SET_CALLBACK)
    async def officer_saved(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        values = form_values(view)
        services = services_of(context)
        user = body["user"]["id"]
        try:
            key = checked("role", validation.role_key, values.get("role", ""))
            args = f"{key} {values.get('officer', '')} {values.get('title', '')}"
            role = await admin.set_officer(services, user, args)
            if values.get("deputy"):
                role = await admin.set_deputy(services, user, f"{role.key} {values['deputy']}")
        except FieldError as problem:
            await ack(response_action="errors", errors={problem.field: problem.message})
            return
        except DomainError as problem:
            field = field_for(problem.message, {"title": ("title",)}, "officer")
            await ack(response_action="errors", errors={field: problem.message})
            return
        await ack()
        async with guarded(body, None, client):
            deputy = f", deputy <@{role.deputy}>" if role.deputy else ""
            await dm(client, user, f"{role.key} is now {role.title}: <@{role.officer}>{deputy}.")

    @app.view(modals.CLOSURE_ADD_CALLBACK)
    async def closure_added(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        values = form_values(view)
        args = f"{values.get('date', '')} {values.get('reason', '')}".strip()
        try:
            added = await admin.add_closure_day(services_of(context), body["user"]["id"], args)
        except DomainError as problem:
            await ack(response_action="errors", errors={"date": problem.message})
            return
        await ack()
        async with guarded(body, None, client):
            await dm(client, body["user"]["id"], f"Added a council closure day: {added}.")
