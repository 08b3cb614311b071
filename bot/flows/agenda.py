"""/agenda compile and /agenda export in Slack: build the documents, upload them, summarise
what is missing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.compiling import (
    ISO_DATE,
    MEETING_REFERENCE,
    NameLookup,
    compile_meeting,
    export_meeting,
    find_target_meeting,
    publish_meeting,
)
from bot.core import export
from bot.core.agenda import AgendaSummary, CompiledAgenda
from bot.core.calendar import local_date, short_date
from bot.core.errors import InvalidInput
from bot.core.models import Meeting
from bot.core.mrkdwn import Mrkdwn, join, link, md
from bot.core.permissions import Action, Actor, check
from bot.flows import answers
from bot.flows.slack import dm_channel, names_seen
from bot.open_data import OpenDataFiles, write_published_export
from bot.services import Services

logger = logging.getLogger(__name__)

PUBLISH = "agenda_publish"
EXPORT_USAGE = "/agenda export [meeting reference or date] [csv|json]"


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


@dataclass(frozen=True)
class ExportRequest:
    meeting: str | None
    format: str


def parse_export_args(args: str) -> ExportRequest:
    """``[meeting reference or date] [csv|json]``: the next meeting and CSV unless named."""
    words = args.split()
    if len(words) > 2:
        raise InvalidInput(f"Give at most a meeting and a format. {_usage()}")
    fmt = "csv"
    if words and words[-1].lower() in export.FORMATS:
        fmt = words.pop().lower()
    if len(words) == 2:
        raise InvalidInput(f"{words[1]!r} is not a format: give csv or json. {_usage()}")
    meeting = words[0] if words else None
    if meeting is not None and meeting.lower() in export.FORMATS:
        raise InvalidInput(f"Give one format. {_usage()}")
    if meeting is not None and not _names_a_meeting(meeting):
        raise InvalidInput(f"{meeting!r} is neither a meeting nor a format. {_usage()}")
    return ExportRequest(meeting, fmt)


def _names_a_meeting(word: str) -> bool:
    return bool(MEETING_REFERENCE.match(word.upper()) or ISO_DATE.match(word))


def _usage() -> str:
    return f"Usage: {EXPORT_USAGE} (CSV unless you say json)."


async def target_meeting(services: Services, spec: str | None) -> Meeting:
    today = local_date(services.clock())
    return await find_target_meeting(services.repos, spec, today)


@dataclass(frozen=True)
class Publication:
    """What publishing a meeting did: the answers published now (in agenda order), and its
    open data written into PUBLISH_DIR (None when that is not set)."""

    references: list[str] = field(default_factory=list)
    open_data: OpenDataFiles | None = None


async def publish_for_slack(
    services: Services, client: AsyncWebClient, actor: Actor, meeting: Meeting
) -> Publication:
    """Publish the meeting's answers, note it in their threads, and write its open data."""
    published = await publish_meeting(services.repos, meeting, actor, services.clock())
    await answers.announce_published(services, client, published, meeting.reference)
    folder = services.settings.publish_dir
    if folder is None:
        return Publication(published)
    files = await write_published_export(
        services.repos, meeting, actor, folder, look_up_names=names_from_slack(services, client)
    )
    if files.problem is not None:
        logger.warning("open data for %s not written: %s", meeting.reference, files.problem)
    return Publication(published, files)


def open_data_note(files: OpenDataFiles) -> Mrkdwn:
    """Where the open data went, or, plainly, that it did not and how to put it right."""
    if files.problem is None:
        return md("Open data written to {}: {}.", str(files.folder), ", ".join(files.names))
    return md(
        ":warning: *The answers are published, but their open data could not be written to "
        "PUBLISH_DIR:* {}. Once the folder is fixed, publish again with "
        "`/agenda compile {} --final` to write it, or get the files with `/agenda export {}`.",
        files.problem,
        files.meeting_reference,
        files.meeting_reference,
    )


async def compile_for_slack(
    services: Services, client: AsyncWebClient, user_id: str, meeting: Meeting, *, final: bool
) -> tuple[CompiledAgenda, Publication]:
    """Publish (with --final) and compile; returns the document and what was published."""
    actor = await services.actor(user_id)
    check(actor, Action.COMPILE)
    publication = Publication()
    if final:
        publication = await publish_for_slack(services, client, actor, meeting)

    compiled = await compile_meeting(
        services.repos,
        meeting,
        actor,
        look_up_names=names_from_slack(services, client),
        final=final,
        pack=services.settings.pack,
        today=local_date(services.clock()),
    )
    return compiled, publication


def names_from_slack(services: Services, client: AsyncWebClient) -> NameLookup:
    """Refresh the stored names of the people mentioned in answers through Slack
    (users.info), all at once."""

    async def look_up(ids: frozenset[str]) -> dict[str, str]:
        return await names_seen(services, client, ids)

    return look_up


@dataclass(frozen=True)
class ExportFile:
    """A meeting's questions as open data, ready to upload."""

    meeting_reference: str
    name: str
    content: bytes
    rows: int


async def export_for_slack(
    services: Services, client: AsyncWebClient, user_id: str, meeting: Meeting, fmt: str
) -> ExportFile:
    """The meeting's questions as ``fmt``, people named as the Slack compile names them."""
    actor = await services.actor(user_id)
    target, table = await export_meeting(
        services.repos, meeting, actor, look_up_names=names_from_slack(services, client)
    )
    name = export.file_name(target.reference, fmt)
    return ExportFile(target.reference, name, export.encode(target, table, fmt), len(table))


async def upload_export(
    client: AsyncWebClient, channel: str, user_id: str, exported: ExportFile
) -> str:
    """Upload the export to ``channel`` (or the clerk's DM); returns where it went."""
    files = [{"content": exported.content, "filename": exported.name, "title": exported.name}]
    comment = md(
        "Questions for {} as open data: one row per question, answers once published.",
        exported.meeting_reference,
    )
    return await upload_files(client, channel, user_id, files, comment)


def export_uploaded(exported: ExportFile, *, to_dm: bool) -> Mrkdwn:
    """The clerk's confirmation: which file, how many rows, and where if not here."""
    rows = f"{exported.rows} row{'' if exported.rows == 1 else 's'}"
    where = " in your messages with the bot (it is not in this channel)" if to_dm else ""
    return md(
        "Uploaded {}{}: {}, one per question; answer text only where published.",
        exported.name,
        Mrkdwn(where),
        rows,
    )


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
    return await upload_files(client, channel, user_id, files, comment)


async def upload_files(
    client: AsyncWebClient,
    channel: str,
    user_id: str,
    files: list[dict[str, Any]],
    comment: Mrkdwn,
) -> str:
    """Upload to ``channel``, or to the clerk's DM when the bot is not in it; returns where."""
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
    compiled: CompiledAgenda,
    published: list[str],
    *,
    final: bool,
    meeting_id: int,
    open_data: OpenDataFiles | None = None,
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
        if open_data is not None and open_data.problem is not None:
            out.append(messages.section(open_data_note(open_data)))
        elif open_data is not None:
            out.append(messages.context_line(open_data_note(open_data)))
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
) -> Publication:
    actor = await services.actor(user_id)
    meeting = await services.repos.meetings.get(meeting_id)
    return await publish_for_slack(services, client, actor, meeting)


def published_note(publication: Publication) -> Mrkdwn:
    """The clerk's answer to *Publish these answers*: what was published, and the open data."""
    references = publication.references
    listed = f": {', '.join(references)}." if references else "."
    note = md("Published {} answers{}", len(references), listed)
    if publication.open_data is not None:
        note = Mrkdwn(f"{note}\n{open_data_note(publication.open_data)}")
    return note
