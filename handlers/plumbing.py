"""The Slack plumbing every button and form shares, written once.

``on_click`` and ``on_submit`` acknowledge, find the services and the acting user, and turn
errors into a private message or errors next to the form's fields. A form's work returns
what to do after the ack (posting to Slack never delays the ack past Slack's 3 seconds),
or an ``UpdateView`` to show next.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core.errors import DomainError
from bot.core.mrkdwn import Mrkdwn
from bot.core.permissions import Action, check
from bot.flows.intake import FormErrors
from bot.services import Services
from handlers import payload
from handlers.errors import guarded
from handlers.middleware import services_of


def values_of(view: dict[str, Any]) -> dict[str, str | None]:
    """Each input's value by block id: text typed, date chosen, or the option's value."""
    out: dict[str, str | None] = {}
    blocks = payload.optional_field(view, "state", "values") or {}
    if not isinstance(blocks, dict):
        raise payload.MalformedPayload("view.state.values is not an object")
    for block_id, actions in blocks.items():
        if not isinstance(actions, dict):
            raise payload.MalformedPayload(f"the state of {block_id} is not an object")
        for state in actions.values():
            out[block_id] = input_value(state, block_id)
    return out


def input_value(state: Any, block_id: str) -> str | None:
    """What one input holds, which must be text (or nothing chosen)."""
    if not isinstance(state, dict):
        raise payload.MalformedPayload(f"an input in {block_id} is not an object")
    if "selected_option" in state:
        return payload.optional_text(state, "selected_option", "value")
    key = STATE_KEYS.get(str(state.get("type")), "value")
    return payload.optional_text(state, key)


STATE_KEYS = {
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "users_select": "selected_user",
}


@dataclass(frozen=True)
class UpdateView:
    """Answer a submission by replacing the modal with this view."""

    view: dict[str, Any]
    after: Callable[[], Awaitable[None]] | None = None
    """Work to do once the new view is shown (as for a plain ``AfterAck``)."""


AfterAck = Callable[[], Awaitable[None]] | UpdateView | None


@dataclass(frozen=True)
class Click:
    """A button click: who clicked, on what, and how to answer them."""

    services: Services
    client: AsyncWebClient
    user: str
    value: str
    body: dict[str, Any]
    respond: AsyncRespond

    @property
    def question_id(self) -> int:
        return payload.record_id(self.value, "the button's value")

    async def check(self, action: Action, question_id: int | None = None) -> None:
        question = None
        if question_id is not None:
            question = await self.services.repos.questions.get(question_id)
        check(await self.services.actor(self.user), action, question)

    async def open(self, view: dict[str, Any]) -> None:
        await self.client.views_open(trigger_id=payload.text(self.body, "trigger_id"), view=view)

    async def replace(self, text: Mrkdwn, blocks: list[messages.Block] | None = None) -> None:
        """Replace the message the button was on (its buttons go)."""
        await self.respond(
            replace_original=True, text=text, blocks=blocks or [messages.section(text)]
        )


@dataclass(frozen=True)
class Submission:
    """A submitted modal: its values, and the question it is about."""

    services: Services
    client: AsyncWebClient
    user: str
    view: dict[str, Any]
    body: dict[str, Any]

    @property
    def values(self) -> dict[str, str | None]:
        return values_of(self.view)

    @property
    def metadata(self) -> dict[str, Any]:
        return payload.json_object(self.view.get("private_metadata"), "private_metadata")

    @property
    def question_id(self) -> int:
        return payload.record_id(self.metadata.get("question"), "the form's question")

    @property
    def view_id(self) -> str:
        return payload.text(self.view, "id")


def on_click(app: AsyncApp, action_id: str, work: Callable[[Click], Awaitable[None]]) -> None:
    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        async with guarded(body, respond, client):
            user = payload.user_id(body)
            value = payload.optional_text(action, "value") or ""
            await work(Click(services_of(context), client, user, value, body, respond))

    app.action(action_id)(listener)


def on_submit(
    app: AsyncApp,
    callback_id: str,
    work: Callable[[Submission], Awaitable[AfterAck]],
    *,
    field: str = "note",
) -> None:
    """``work`` checks and stores (errors go next to ``field``); what it returns runs after
    the ack, so posting to Slack never delays it past Slack's 3 seconds."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        submission = Submission(services_of(context), client, payload.user_id(body), view, body)
        try:
            after = await work(submission)
        except FormErrors as problems:
            await ack(response_action="errors", errors=problems.errors)
            return
        except DomainError as problem:
            await ack(response_action="errors", errors={field: problem.message})
            return
        if isinstance(after, UpdateView):
            await ack(response_action="update", view=after.view)
            after = after.after
        else:
            await ack()
        if after is not None:
            async with guarded(body, None, client):
                await after()

    app.view(callback_id)(listener)


def note_required(text: str | None, message: str) -> str:
    if not (text or "").strip():
        raise FormErrors({"note": message})
    return str(text)
