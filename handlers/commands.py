"""Slash commands: ``/agenda <subcommand>`` routes to one handler per subcommand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from handlers import blocks

AgendaHandler = Callable[[str, dict[str, Any], AsyncBoltContext, AsyncRespond], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    clerk_only: bool
    run: AgendaHandler


async def agenda_help(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await respond(
        blocks=blocks.agenda_help(AGENDA_SUBCOMMANDS.values(), is_clerk=bool(context["is_clerk"])),
        text="/agenda commands",
        response_type="ephemeral",
    )


AGENDA_SUBCOMMANDS: dict[str, Subcommand] = {
    s.name: s
    for s in (Subcommand("help", "/agenda help", "List the /agenda commands.", False, agenda_help),)
}


def split_subcommand(text: str) -> tuple[str, str]:
    """``"meeting add 2026-05-11"`` -> ``("meeting", "add 2026-05-11")``."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "help", ""
    return parts[0].lower(), parts[1] if len(parts) > 1 else ""


def register(app: AsyncApp) -> None:
    @app.command("/agenda")
    async def agenda(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        name, args = split_subcommand(command.get("text") or "")
        subcommand = AGENDA_SUBCOMMANDS.get(name)
        if subcommand is None:
            await respond(
                text=f"I don't know `/agenda {name}`. Try `/agenda help` for the list.",
                response_type="ephemeral",
            )
            return
        await subcommand.run(args, command, context, respond)
