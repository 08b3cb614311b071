"""Pure Block Kit builders: data in, block dicts out. No Slack calls here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

Block = dict[str, Any]


class HelpEntry(Protocol):
    usage: str
    summary: str
    clerk_only: bool


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context_line(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def agenda_help(entries: Iterable[HelpEntry], *, is_clerk: bool) -> list[Block]:
    """The ``/agenda help`` message: every command, marking those only clerks may use."""
    everyone = [e for e in entries]
    lines = [
        f"`{e.usage}` {e.summary}" + (" _(clerks only)_" if e.clerk_only else "") for e in everyone
    ]
    out = [
        section("*Scrutiny questions: `/agenda` commands*"),
        section("\n".join(lines)),
    ]
    if not is_clerk and any(e.clerk_only for e in everyone):
        out.append(context_line("Commands marked _clerks only_ need the clerk's role."))
    return out
