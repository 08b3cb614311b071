"""Slash commands. ``/agenda <subcommand>`` routes to one small handler per subcommand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import command_text
from bot.core.permissions import Action, check
from bot.flows import admin, agenda, answers
from handlers import blocks, home, modals, payload
from handlers.errors import guarded
from handlers.middleware import services_of

AgendaHandler = Callable[[str, dict[str, Any], AsyncBoltContext, AsyncRespond], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    words: str
    usage: str
    summary: str
    clerk_only: bool
    run: AgendaHandler


def typed_by(command: dict[str, Any]) -> str:
    """Who typed the command."""
    return payload.text(command, "user_id")


async def say(
    respond: AsyncRespond, text: str, block_list: list[dict[str, Any]] | None = None
) -> None:
    await respond(text=text, blocks=block_list, response_type="ephemeral")


async def agenda_help(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await say(
        respond,
        "/agenda commands",
        blocks.agenda_help(AGENDA_SUBCOMMANDS, is_clerk=bool(context["is_clerk"])),
    )


async def open_form(
    command: dict[str, Any], context: AsyncBoltContext, action: Action, view: dict[str, Any]
) -> None:
    """Open a set-up form, for those allowed to use it."""
    check(await services_of(context).actor(typed_by(command)), action)
    assert context.client is not None
    await context.client.views_open(trigger_id=payload.text(command, "trigger_id"), view=view)


async def meeting_add(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    if not args.strip():
        await open_form(command, context, Action.MANAGE_MEETINGS, modals.meeting_add_modal())
        return
    summary = await admin.add_meeting(services_of(context), typed_by(command), args)
    await say(respond, f"Added {summary.meeting.reference}", blocks.meeting_added(summary))


async def meeting_list(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    summaries = await admin.list_meetings(services_of(context))
    await say(respond, "Meetings", blocks.meeting_list(summaries))


async def item_add(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    added = await admin.add_agenda_item(services_of(context), typed_by(command), args)
    await say(respond, f"Added {added}.")


async def officer_set(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    if not args.strip():
        await open_form(command, context, Action.MANAGE_OFFICERS, modals.officer_set_modal())
        return
    role = await admin.set_officer(services_of(context), typed_by(command), args)
    await say(respond, f"{role.key} is now {role.title}: <@{role.officer}>.")


async def officer_deputy(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    role = await admin.set_deputy(services_of(context), typed_by(command), args)
    deputy = f"<@{role.deputy}>" if role.deputy else "nobody"
    await say(respond, f"Deputy for {role.key} ({role.title}): {deputy}.")


async def officer_list(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    roles = await services_of(context).repos.officers.roles()
    await say(respond, "Officer directory", blocks.officer_list(roles))


async def closure_add(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    if not args.strip():
        await open_form(command, context, Action.ADD_CLOSURE_DAY, modals.closure_add_modal())
        return
    added = await admin.add_closure_day(services_of(context), typed_by(command), args)
    await say(
        respond,
        f"Added a council closure day: {added}. It no longer counts as a working day for "
        "deadlines and reminders.",
    )


async def import_questions(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    services = services_of(context)
    check(await services.actor(typed_by(command)), Action.IMPORT_QUESTIONS)
    assert context.client is not None
    await context.client.views_open(
        trigger_id=payload.text(command, "trigger_id"), view=modals.import_paste_modal()
    )


async def withdraw_question(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    words = args.split(maxsplit=1)
    if not words:
        await say(respond, f"Say which question. Usage: `{WITHDRAW_USAGE}`")
        return
    assert context.client is not None
    question = await answers.withdraw(
        services_of(context),
        context.client,
        typed_by(command),
        words[0],
        words[1] if len(words) > 1 else None,
    )
    await say(respond, f"{question.reference} is withdrawn; reminders for it have stopped.")


WITHDRAW_USAGE = "/agenda withdraw <reference> [reason]"
COMPILE_USAGE = "/agenda compile [meeting reference or date] [--final]"


async def agenda_status(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    services = services_of(context)
    check(await services.actor(typed_by(command)), Action.COMPILE)
    assert context.client is not None
    block_list = await home.status_command(services, context.client, args.strip() or None)
    await say(respond, "Scrutiny questions: status", block_list)


async def compile_agenda(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    services = services_of(context)
    client = context.client
    assert client is not None
    user = typed_by(command)
    check(await services.actor(user), Action.COMPILE)
    request = agenda.parse_compile_args(args)
    meeting = await agenda.target_meeting(services, request.meeting)
    await say(respond, f"Compiling the responses for {meeting.reference}…")
    compiled, published = await agenda.compile_for_slack(
        services, client, user, meeting, final=request.final
    )
    await agenda.upload(client, payload.text(command, "channel_id"), user, compiled)
    await say(
        respond,
        compiled.summary.headline,
        agenda.summary_blocks(compiled, published, final=request.final, meeting_id=meeting.id),
    )


AGENDA_SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "/agenda help", "List these commands.", False, agenda_help),
    Subcommand(
        "meeting add",
        command_text.MEETING_ADD_USAGE,
        "Add a meeting (and a new committee); on its own, opens a form.",
        True,
        meeting_add,
    ),
    Subcommand(
        "meeting list",
        "/agenda meeting list",
        "Upcoming meetings with their agenda deadlines.",
        False,
        meeting_list,
    ),
    Subcommand(
        "item add",
        command_text.ITEM_ADD_USAGE,
        "Record an agenda item of a meeting (its title appears in the compiled answers).",
        True,
        item_add,
    ),
    Subcommand(
        "officer set",
        command_text.OFFICER_SET_USAGE,
        "Say who answers for a role; on its own, opens a form.",
        True,
        officer_set,
    ),
    Subcommand(
        "officer deputy",
        command_text.OFFICER_DEPUTY_USAGE,
        "Name the deputy for a role.",
        True,
        officer_deputy,
    ),
    Subcommand(
        "officer list", "/agenda officer list", "The officer directory.", False, officer_list
    ),
    Subcommand(
        "import",
        "/agenda import",
        "Paste a list of questions (e.g. from the minutes) to review and save.",
        True,
        import_questions,
    ),
    Subcommand(
        "status",
        "/agenda status [meeting]",
        "Where everything stands: deadlines, overdue first, by officer.",
        True,
        agenda_status,
    ),
    Subcommand(
        "compile",
        COMPILE_USAGE,
        "The answers for a meeting as Word and Markdown (default: the next meeting).",
        True,
        compile_agenda,
    ),
    Subcommand(
        "withdraw",
        WITHDRAW_USAGE,
        "Withdraw a question (the asker or a clerk).",
        False,
        withdraw_question,
    ),
    Subcommand(
        "closure add",
        command_text.CLOSURE_ADD_USAGE,
        "Add a council closure day (not a working day); on its own, opens a form.",
        True,
        closure_add,
    ),
)


def find_subcommand(text: str) -> tuple[Subcommand | None, str]:
    """The subcommand named by the first one or two words, and the words after it."""
    words = text.split()
    if not words:
        return AGENDA_SUBCOMMANDS[0], ""
    for take in (2, 1):
        name = " ".join(w.lower() for w in words[:take])
        for subcommand in AGENDA_SUBCOMMANDS:
            if subcommand.words == name:
                return subcommand, " ".join(words[take:])
    return None, text


def register(app: AsyncApp) -> None:
    @app.command("/agenda")
    async def agenda(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        async with guarded(command, respond, client):
            text = payload.optional_text(command, "text") or ""
            subcommand, args = find_subcommand(text)
            if subcommand is None:
                await say(respond, blocks.unknown_subcommand(text))
                return
            await subcommand.run(args, command, context, respond)
