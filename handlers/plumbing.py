"""The Slack plumbing every button and form shares, written once.

``on_click`` and ``on_submit`` acknowledge, find the services and the acting user, and turn
errors into a private message or errors next to the form's fields. A form's work returns
what to do after the ack (posting to Slack never delays the ack past Slack's 3 seconds),
or an ``UpdateView`` to show next.
"""

from __future__ import annotations

import json
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
from handlers.errors import guarded
from handlers.middleware import services_of


def values_of(view: dict[str, Any]) -> dict[str, str | None]:
    """Each input's value by block id: text typed, date chosen, or the option's value."""
    out: dict[str, str | None] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for state in actions.values():
            if "selected_option" in state:
                out[block_id] = (state.get("selected_option") or {}).get("value")
            elif state.get("type") == "datepicker":
                out[block_id] = state.get("selected_date")
            elif state.get("type") == "timepicker":
                out[block_id] = state.get("selected_time")
            elif state.get("type") == "users_select":
                out[block_id] = state.get("selected_user")
            else:
                out[block_id] = state.get("value")
    return out


@dataclass(frozen=True)
class UpdateView:
    """Answer a submission by replacing the modal with this view."""

    view: dict[str, Any]


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
        return int(self.value)

    async def check(self, action: Action, question_id: int | None = None) -> None:
        question = None
        if question_id is not None:
            question = await self.services.repos.questions.get(question_id)
        check(await self.services.actor(self.user), action, question)

    async def open(self, view: dict[str, Any]) -> None:
        await self.client.views_open(trigger_id=self.body["trigger_id"], view=view)

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
        loaded: dict[str, Any] = json.loads(self.view.get("private_metadata") or "{}")
        return loaded

    @property
    def question_id(self) -> int:
        return int(self.metadata["question"])


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
            user = body["user"]["id"]
            value = str(action.get("value") or "")
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
        submission = Submission(services_of(context), client, body["user"]["id"], view, body)
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
            return
        await ack()
        if after is not None:
            async with guarded(body, None, client):
                await after()

    app.view(callback_id)(listener)


def note_required(text: str | None, message: str) -> str:
    if not (text or "").strip():
        raise FormErrors({"note": message})
    return str(text)
