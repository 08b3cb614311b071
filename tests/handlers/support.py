"""Shared steps for the end-to-end tests: set up a commission through Slack as a clerk would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.config import Settings
from bot.runtime import Runtime
from bot.sandbox import SlackDouble, StoredView
from bot.services import Services
from tests.conftest import CLERK, DCSC_OFFICER, DEPUTY, DOE_OFFICER, HOS_OFFICER

T = TypeVar("T")

SOURCE_MEETING = "2023-12-18"
TARGET_MEETING = "2026-05-11"


def services(bot: Runtime) -> Services:
    assert bot.services is not None
    return bot.services


async def ephemeral_containing(slack: SlackDouble, user: str, needle: str) -> str:
    found = await slack.wait_for(
        lambda: [e.all_text() for e in slack.ephemerals(user) if needle in e.all_text()],
        description=f"an ephemeral to {user} containing {needle!r}",
    )
    return str(found[-1])


async def dm_containing(slack: SlackDouble, user: str, needle: str) -> str:
    found = await slack.wait_for(
        lambda: [m.all_text() for m in slack.dm_messages(user) if needle in m.all_text()],
        description=f"a DM to {user} containing {needle!r}",
    )
    return str(found[-1])


async def set_up_commission(slack: SlackDouble) -> None:
    """Two meetings and the directory, added with the clerk's commands."""
    name = "Children and Young People Scrutiny Commission"
    for words in (
        f"meeting add {SOURCE_MEETING} 19:00 CYP {name}",
        f"meeting add {TARGET_MEETING} 19:00 CYP",
        f"officer set DCSC <@{DCSC_OFFICER}> Director of Children's Social Care",
        f"officer set HoS <@{HOS_OFFICER}> Head of Service, Children's Social Care",
        f"officer set DoE <@{DOE_OFFICER}> Director of Education",
        f"officer deputy DCSC <@{DEPUTY}>",
    ):
        # One at a time, as a clerk would: the second meeting needs the committee the first
        # one adds, and a command's work goes on after Slack has its answer.
        told = len(slack.ephemerals(CLERK)) + len(slack.responses)
        result = await slack.send_command("/agenda", words, CLERK)
        assert result.status == 200
        await slack.wait_for(
            lambda told=told: len(slack.ephemerals(CLERK)) + len(slack.responses) > told,
            description=f"the reply to /agenda {words}",
        )
    await ephemeral_containing(slack, CLERK, "Deputy for DCSC")


async def open_modal(slack: SlackDouble, user: str, callback_id: str) -> StoredView:
    views = await slack.wait_for(
        lambda: [v for v in slack.open_views(user) if v.callback_id == callback_id],
        description=f"a {callback_id} modal open for {user}",
    )
    return views[-1]


async def submit_question(
    slack: SlackDouble,
    user: str,
    text: str,
    *,
    role: str | None = "DCSC",
    asker: str = "commission",
) -> None:
    """A member submits a question through /question, as in Slack."""
    before = len([m for m in slack.dm_messages(user) if "is recorded" in m.all_text()])
    await slack.send_command("/question", text, user)
    view = await open_modal(slack, user, "question_submit")
    values = {"item": "4", "asker": asker}
    if role:
        values["role"] = role
    await slack.submit_view(user, view.id, values)
    await slack.wait_for(
        lambda: len([m for m in slack.dm_messages(user) if "is recorded" in m.all_text()]) > before
    )


def card_text(message: Any) -> str:
    """A card's own text: its blocks, less the "Asked before?" list of other questions."""
    own = [b for b in message.blocks if "Asked before?" not in json.dumps(b)]
    return json.dumps(own, ensure_ascii=False)


def dm_with_button(slack: SlackDouble, user: str, action_id: str, needle: str = "") -> Any:
    """The newest message in the user's DM with that button (and text, not counting other
    questions it lists as asked before), if any."""
    for message in reversed(slack.dm_messages(user)):
        text = json.dumps(message.blocks)
        if f'"action_id": "{action_id}"' in text and needle in card_text(message):
            return message
    return None


async def clerk_approves(slack: SlackDouble, reference: str) -> None:
    card = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "triage_approve", reference))
    await slack.click_button(CLERK, card, "triage_approve")


async def officer_parent(
    slack: SlackDouble, officer: str, reference: str, bot: Runtime | None = None
) -> Any:
    """The parent message the officer answers under (in their DM).

    With ``bot``, also waits until the bot has recorded it as the question's thread: the
    bot posts first and records after, so a reply sent in between would find no question.
    """
    parent = await slack.wait_for(
        lambda: dm_with_button(slack, officer, "holding_reply", reference),
        description=f"{reference} posted to {officer}",
    )
    if bot is not None:
        repos = services(bot).repos
        await eventually(
            lambda: repos.questions.by_reference(reference),
            lambda q: q.thread is not None and q.thread.ts == parent.ts,
        )
    return parent


async def eventually(
    read: Callable[[], Awaitable[T]], condition: Callable[[T], bool], attempts: int = 500
) -> T:
    """Read (e.g. from the database) until ``condition`` holds: work after an ack is async."""
    value = await read()
    for _ in range(attempts):
        if condition(value):
            return value
        await asyncio.sleep(0.01)
        value = await read()
    raise AssertionError(f"never true: {value!r}")


def store_of(settings: Settings) -> dict[str, str]:
    """The setting that names the bot's store: its PostgreSQL database, or its SQLite file."""
    if settings.database_url:
        return {"DATABASE_URL": settings.database_url}
    return {"DATABASE_PATH": settings.database_path}
