"""/agenda compile in Slack: build the documents, upload them, summarise what is missing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.compiling import compile_meeting, find_target_meeting, publish_meeting
from bot.core.agenda import AgendaSummary, CompiledAgenda
from bot.core.calendar import local_date, short_date
from bot.core.models import Meeting
from bot.core.mrkdwn import join, link, md
from bot.core.permissions import Action, check
from bot.flows import answers
from bot.flows.slack import dm_channel, names_seen
from bot.services import Services

logger = logging.getLogger(__name__)

PUBLISH = "agenda_publish"


@dataclass(frozen=True)
class CompileRequest:
    meeting: str | None
    final: bool


def parse_compile_args(args: str) -> CompileRequest:
    """``[meeting reference or date] [--final]``."""
    words = args.split()
    final = "--final" in words
    rest = [w for w in words if w != "--final"]
    return CompileRequest(rest[0] if rest else None, final)


async def target_meeting(services: Services, spec: str | None) -> Meeting:
    today = local_date(services.clock())
    return await find_target_meeting(services.repos, spec, today)


async def compile_for_slack(
    services: Services, client: AsyncWebClient, user_id: str, meeting: Meeting, *, final: bool
) -> tuple[CompiledAgenda, list[str]]:
    """Publish (with --final) and compile; returns the document and what was published."""
    actor = await services.actor(user_id)
    check(actor, Action.COMPILE)
    published: list[str] = []
    if final:
        published = await publish_meeting(services.repos, meeting, actor, services.clock())
        await answers.announce_published(services, client, published, meeting.reference)

    async def look_up(ids: frozenset[str]) -> dict[str, str]:
        return await names_seen(services, client, ids)

    compiled = await compile_meeting(
        services.repos,
        meeting,
        actor,
        look_up_names=look_up,
        final=final,
        pack=services.settings.pack,
        today=local_date(services.clock()),
    )
    return compiled, published


async def upload(
    client: AsyncWebClient, channel: str, user_id: str, compiled: CompiledAgenda
) -> str:
    """Upload the .docx and .md to ``channel`` (or the clerk's DM if the bot can't post there)."""
    stem = compiled.file_stem
    files: list[dict[str, Any]] = [
        {"content": compiled.to_docx_bytes(), "filename": f"{stem}.docx", "title": f"{stem}.docx"},
        {"content": compiled.markdown, "filename": f"{stem}.md", "title": f"{stem}.md"},
    ]
    comment = md(
        "Responses for {}: Word for the agenda pack, Markdown.", compiled.meeting.reference
    )
    try:
        await client.files_upload_v2(file_uploads=files, channel=channel, initial_comment=comment)
        return channel
    except SlackApiError as error:
        if error.response.get("error") not in ("not_in_channel", "channel_not_found"):
            raise
    dm = await dm_channel(client, user_id)
    await client.files_upload_v2(file_uploads=files, channel=dm, initial_comment=comment)
    return dm


def summary_blocks(
    compiled: CompiledAgenda, published: list[str], *, final: bool, meeting_id: int
) -> list[messages.Block]:
    summary: AgendaSummary = compiled.summary
    m = compiled.meeting
    out = [
        messages.section(
            md(
                ":page_facing_up: *Responses for {}, {}* ({})\n{}",
                m.committee_name,
                short_date(m.meeting_date, with_year=True),
                m.reference,
                summary.headline,
            )
        )
    ]
    if summary.awaited_questions:
        lines = [
            md("• {}: {}", q.reference, q.role_title or "no officer yet")
            for q in summary.awaited_questions[:40]
        ]
        out.append(messages.section(md("*Still missing:*\n{}", join("\n", lines))))
    if summary.holding_questions:
        lapsed = {q.reference for q in summary.lapsed_holding}
        lines = [
            md(
                "• {}: {}{}{}",
                q.reference,
                q.role_title or "",
                f", promised {short_date(q.promised_date)}" if q.promised_date else "",
                " :warning: date passed" if q.reference in lapsed else "",
            )
            for q in summary.holding_questions[:40]
        ]
        out.append(messages.section(md("*Holding replies:*\n{}", join("\n", lines))))
    if summary.attachments:
        lines = [
            md("• {}: {}", reference, link(f.link, f.name) if f.link else md("*{}*", f.name))
            for reference, f in summary.attachments[:40]
        ]
        out.append(
            messages.section(
                md(
                    "*Attachments to add to the pack by hand* (the document lists them by "
                    "name):\n{}",
                    join("\n", lines),
                )
            )
        )
    if final:
        out.append(
            messages.context_line(md("Published {} answers for this meeting.", len(published)))
        )
    elif summary.answered:
        if summary.not_yet_approved:
            out.append(
                messages.context_line(
                    md(
                        "Not yet approved ({}): {}. Publishing approves them.",
                        len(summary.not_yet_approved),
                        ", ".join(summary.not_yet_approved[:40]),
                    )
                )
            )
        out.append(
            messages.actions(
                "agenda_publish",
                messages.button("Publish these answers", PUBLISH, str(meeting_id), "primary"),
            )
        )
    return out


async def publish_from_button(
    services: Services, client: AsyncWebClient, user_id: str, meeting_id: int
) -> list[str]:
    actor = await services.actor(user_id)
    meeting = await services.repos.meetings.get(meeting_id)
    published = await publish_meeting(services.repos, meeting, actor, services.clock())
    await answers.announce_published(services, client, published, meeting.reference)
    return published
