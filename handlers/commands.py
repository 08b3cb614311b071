"""Slash commands. ``/agenda <subcommand>`` routes to one small handler per subcommand."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core import command_text
from bot.core.calendar import short_date
from bot.core.markup import to_command_text
from bot.core.mrkdwn import Mrkdwn, esc, join, md, mention
from bot.core.permissions import Action, check
from bot.flows import admin, agenda, answers, groups, history, search
from handlers import blocks, home, modals, payload
from handlers.errors import guarded
from handlers.middleware import services_of
from handlers.plumbing import Click, on_click

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
    respond: AsyncRespond, text: Mrkdwn, block_list: list[dict[str, Any]] | None = None
) -> None:
    await respond(text=text, blocks=block_list, response_type="ephemeral")


async def agenda_help(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await say(
        respond,
        Mrkdwn("/agenda commands"),
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
    await say(respond, md("Added {}", summary.meeting.reference), blocks.meeting_added(summary))


MEETING_CANCEL_CONFIRM = "meeting_cancel_confirm"


async def meeting_cancel(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    plan = await admin.plan_cancel(services_of(context), typed_by(command), args)
    count = len(plan.questions)
    what = (
        md(
            "Its {} open question{} will move to {}, and their officers will be told.",
            count,
            "s" if count != 1 else "",
            plan.to.reference,
        )
        if plan.to is not None and count
        else Mrkdwn("No open question is addressed to it.")
    )
    text = md("Cancel {}? {}", plan.meeting.reference, what)
    value = json.dumps({"meeting": plan.meeting.id, "reason": plan.reason})
    await say(
        respond,
        text,
        [
            messages.section(text),
            messages.actions(
                "meeting_cancel",
                messages.button(
                    "Cancel the meeting", MEETING_CANCEL_CONFIRM, value[:2000], style="danger"
                ),
            ),
        ],
    )


async def meeting_cancel_confirmed(click: Click) -> None:
    try:
        chosen = json.loads(click.value)
        meeting_id = payload.record_id(str(chosen["meeting"]), "the meeting in the button")
        reason = chosen.get("reason")
    except (ValueError, KeyError, TypeError):
        raise payload.MalformedPayload(
            "the cancel button's value is not one the bot made"
        ) from None
    change = await admin.cancel_meeting(
        click.services, click.user, meeting_id, reason if isinstance(reason, str) else None
    )
    await click.replace(md("{}. {}", change.done, change.moved_text))
    await admin.announce(click.services, click.client, change)


async def member_add(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    member = await admin.add_member(services_of(context), typed_by(command), args)
    group = (
        " of Hackney of Tomorrow: their questions are the group's, and they are never named in "
        "anything the bot publishes, compiles or sends to officers"
        if member.hackney_of_tomorrow
        else ""
    )
    await say(respond, md("{} is a member{}.", mention(member.user_id), group))


async def member_remove(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    person = await admin.remove_member(services_of(context), typed_by(command), args)
    await say(respond, md("{} is no longer on the members list.", mention(person)))


async def member_list(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    members = await admin.list_members(services_of(context), typed_by(command))
    services = services_of(context)
    mode = services.settings.membership
    head = md(
        "*Members* (MEMBERSHIP={}: {})",
        mode,
        "anyone in the workspace may submit"
        if mode == "open"
        else "only these, the clerks and the officers may submit",
    )
    if not members:
        await say(respond, md("{}\nNobody is listed yet: `/agenda member add @person`.", head))
        return
    lines = [
        md(
            "• {}{}",
            mention(m.user_id),
            " (Hackney of Tomorrow)" if m.hackney_of_tomorrow else "",
        )
        for m in members[:200]
    ]
    await say(respond, md("{}\n{}", head, join("\n", lines)))


async def clerk_add(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    person = await admin.set_clerk(services_of(context), typed_by(command), args, active=True)
    await say(respond, md("{} is a clerk now.", mention(person)))


async def clerk_remove(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    person = await admin.set_clerk(services_of(context), typed_by(command), args, active=False)
    await say(respond, md("{} is no longer a clerk.", mention(person)))


async def clerk_list(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    clerks = sorted(await services_of(context).clerk_ids())
    await say(respond, md("*Clerks*: {}", join(", ", [mention(c) for c in clerks])))


async def committee_rename(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    old, new = await admin.rename_committee(services_of(context), typed_by(command), args)
    await say(
        respond, md("Committee {} is now {}: its meetings' references start {}-.", old, new, new)
    )


async def committee_list(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    committees = await services_of(context).repos.meetings.committees()
    await say(respond, Mrkdwn("Committees"), blocks.committee_list(committees))


async def meeting_list(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    summaries = await admin.list_meetings(services_of(context), args)
    await say(respond, Mrkdwn("Meetings"), blocks.meeting_list(summaries))


async def item_add(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    added = await admin.add_agenda_item(services_of(context), typed_by(command), args)
    await say(respond, md("Added {}.", added))


async def officer_set(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    if not args.strip():
        await open_form(command, context, Action.MANAGE_OFFICERS, modals.officer_set_modal())
        return
    change = await admin.set_officer(services_of(context), typed_by(command), args)
    role = change.role
    await say(
        respond,
        md("{} is now {}: {}.{}", role.key, role.title, mention(role.officer), change.moved_text),
    )
    assert context.client is not None
    await admin.hand_over(services_of(context), context.client, change)


async def officer_remove(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    role = await admin.remove_officer_role(services_of(context), typed_by(command), args)
    await say(respond, md("Removed {} ({}) from the officer directory.", role.key, role.title))


async def item_remove(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    removed = await admin.remove_agenda_item(services_of(context), typed_by(command), args)
    await say(respond, md("Removed {}.", removed))


async def officer_deputy(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    role = await admin.set_deputy(services_of(context), typed_by(command), args)
    await say(respond, md("Deputy for {} ({}): {}.", role.key, role.title, mention(role.deputy)))


async def officer_list(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    roles = await services_of(context).repos.officers.roles()
    await say(respond, Mrkdwn("Officer directory"), blocks.officer_list(roles))


async def closure_add(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    if not args.strip():
        await open_form(command, context, Action.ADD_CLOSURE_DAY, modals.closure_add_modal())
        return
    change = await admin.add_closure_day(services_of(context), typed_by(command), args)
    await say(
        respond,
        md(
            "Added a council closure day: {}. It no longer counts as a working day for "
            "deadlines and reminders. {}",
            change.done,
            change.moved_text,
        ),
    )
    assert context.client is not None
    await admin.announce(services_of(context), context.client, change)


async def closure_remove(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    change = await admin.remove_closure_day(services_of(context), typed_by(command), args)
    await say(
        respond,
        md(
            "Removed the closure day: {} counts as a working day again. {}",
            change.done,
            change.moved_text,
        ),
    )
    assert context.client is not None
    await admin.announce(services_of(context), context.client, change)


async def closure_list(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    days = await admin.list_closure_days(services_of(context))
    if not days:
        await say(
            respond, Mrkdwn("No council closure days ahead. Add one with `/agenda closure add`.")
        )
        return
    lines = [md("• {}: {}", short_date(d.day, with_year=True), d.reason) for d in days]
    await say(respond, md("Council closure days ahead:\n{}", join("\n", lines)))


async def meeting_move(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    summary, change = await admin.move_meeting(services_of(context), typed_by(command), args)
    await say(
        respond,
        md("{}. {}", change.done, change.moved_text),
        blocks.meeting_added(summary),
    )
    assert context.client is not None
    await admin.announce(services_of(context), context.client, change)


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
        await say(respond, md("Say which question. Usage: `{}`", WITHDRAW_USAGE))
        return
    assert context.client is not None
    question = await answers.withdraw(
        services_of(context),
        context.client,
        typed_by(command),
        words[0],
        words[1] if len(words) > 1 else None,
    )
    await say(respond, md("{} is withdrawn; reminders for it have stopped.", question.reference))


async def reopen_question(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    words = args.split()
    if len(words) != 1:
        await say(respond, md("Say which question. Usage: `{}`", REOPEN_USAGE))
        return
    assert context.client is not None
    question = await answers.reopen(
        services_of(context), context.client, typed_by(command), words[0]
    )
    await say(respond, md("{} is reopened and waits for triage again.", question.reference))


async def search_questions(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    assert context.client is not None
    text, found = await search.search(services_of(context), context.client, typed_by(command), args)
    await say(respond, text, found)


async def group_questions(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    references = args.split()
    if len(references) < 2:
        await say(respond, md("Name the questions to group. Usage: `{}`", groups.GROUP_USAGE))
        return
    assert context.client is not None
    group = await groups.group_questions(
        services_of(context), context.client, typed_by(command), references
    )
    await say(respond, groups.grouped_note(group))


async def ungroup_question(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    words = args.split()
    if len(words) != 1:
        await say(respond, md("Say which question. Usage: `{}`", groups.UNGROUP_USAGE))
        return
    assert context.client is not None
    group = await groups.ungroup_question(
        services_of(context), context.client, typed_by(command), words[0]
    )
    await say(
        respond,
        md(
            "{} is no longer answered with the group of {}; if it had followed the group "
            "past being sent, it waits for its own answer again.",
            words[0].upper(),
            group.lead.reference,
        ),
    )


HISTORY_USAGE = "/agenda history <question reference>"


async def question_history(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    words = args.split()
    if len(words) != 1:
        await say(respond, md("Say which question. Usage: `{}`", HISTORY_USAGE))
        return
    text, block_list = await history.question_history(
        services_of(context), typed_by(command), words[0]
    )
    await say(respond, text, block_list)


async def correct_published(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    words = args.split()
    if len(words) != 1:
        await say(respond, md("Say which question. Usage: `{}`", CORRECT_USAGE))
        return
    services = services_of(context)
    question = await answers.check_correctable(services, typed_by(command), words[0])
    text = await answers.published_text(services, question.id)
    assert context.client is not None
    await context.client.views_open(
        trigger_id=command["trigger_id"], view=modals.correct_modal(question, text)
    )


CORRECT_USAGE = "/agenda correct <reference>"
WITHDRAW_USAGE = "/agenda withdraw <reference> [reason]"
REOPEN_USAGE = "/agenda reopen <reference>"
COMPILE_USAGE = "/agenda compile [meeting reference or date] [--final]"


async def agenda_status(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    services = services_of(context)
    check(await services.actor(typed_by(command)), Action.COMPILE)
    assert context.client is not None
    block_list = await home.status_command(services, context.client, args.strip() or None)
    await say(respond, Mrkdwn("Scrutiny questions: status"), block_list)


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
    await say(respond, md("Compiling the responses for {}…", meeting.reference))
    compiled, publication = await agenda.compile_for_slack(
        services, client, user, meeting, final=request.final
    )
    await agenda.upload(client, payload.text(command, "channel_id"), user, compiled)
    await say(
        respond,
        esc(compiled.summary.headline),
        agenda.summary_blocks(
            compiled,
            publication.references,
            final=request.final,
            meeting_id=meeting.id,
            open_data=publication.open_data,
        ),
    )


async def export_questions(
    args: str, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    services = services_of(context)
    client = context.client
    assert client is not None
    user = typed_by(command)
    check(await services.actor(user), Action.COMPILE)
    request = agenda.parse_export_args(args)
    meeting = await agenda.target_meeting(services, request.meeting)
    exported = await agenda.export_for_slack(services, client, user, meeting, request.format)
    channel = payload.text(command, "channel_id")
    where = await agenda.upload_export(client, channel, user, exported)
    await say(respond, agenda.export_uploaded(exported, to_dm=where != channel))


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
        "/agenda meeting list [--all]",
        "Meetings with their agenda deadlines, from 60 days ago (--all: every one).",
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
        "item remove",
        command_text.ITEM_REMOVE_USAGE,
        "Take an item off a meeting's agenda.",
        True,
        item_remove,
    ),
    Subcommand(
        "officer set",
        command_text.OFFICER_SET_USAGE,
        "Say who answers for a role (a new holder takes over its live questions); on its "
        "own, opens a form.",
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
        "officer remove",
        command_text.OFFICER_REMOVE_USAGE,
        "Take a role out of the directory (not while it has live questions).",
        True,
        officer_remove,
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
        "export",
        agenda.EXPORT_USAGE,
        "A meeting's questions and published answers as open data, CSV or JSON "
        "(default: the next meeting, CSV).",
        True,
        export_questions,
    ),
    Subcommand(
        "withdraw",
        WITHDRAW_USAGE,
        "Withdraw a question (the asker or a clerk).",
        False,
        withdraw_question,
    ),
    Subcommand(
        "group",
        groups.GROUP_USAGE,
        "Answer questions together (the first leads): the officer answers once, and the "
        "agenda shows them together. Also *Group with…* on your cards.",
        True,
        group_questions,
    ),
    Subcommand(
        "ungroup",
        groups.UNGROUP_USAGE,
        "Take a question out of its group (its lead: the group ends).",
        True,
        ungroup_question,
    ),
    Subcommand(
        "search",
        search.SEARCH_USAGE,
        'Questions and answers with these words ("moving" finds "move"), best first; '
        "answers only once published, except for clerks.",
        False,
        search_questions,
    ),
    Subcommand(
        "history",
        HISTORY_USAGE,
        "Everything that happened to a question: who, when and what (also a button on your cards).",
        True,
        question_history,
    ),
    Subcommand(
        "correct",
        CORRECT_USAGE,
        "Correct a published answer (the officer or a clerk); opens a form.",
        False,
        correct_published,
    ),
    Subcommand(
        "reopen",
        REOPEN_USAGE,
        "Return a rejected or withdrawn question to triage.",
        True,
        reopen_question,
    ),
    Subcommand(
        "closure add",
        command_text.CLOSURE_ADD_USAGE,
        "Add a council closure day (not a working day); on its own, opens a form. Open "
        "questions' due dates follow.",
        True,
        closure_add,
    ),
    Subcommand(
        "closure remove",
        command_text.CLOSURE_REMOVE_USAGE,
        "Make a closure day a working day again; open questions' due dates follow.",
        True,
        closure_remove,
    ),
    Subcommand(
        "closure list",
        "/agenda closure list",
        "The council closure days ahead.",
        True,
        closure_list,
    ),
    Subcommand(
        "member add",
        command_text.MEMBER_ADD_USAGE,
        "Put someone on the members list (hackney-of-tomorrow: a young person, never named).",
        True,
        member_add,
    ),
    Subcommand(
        "member remove",
        "/agenda member remove <@person>",
        "Take someone off the members list.",
        True,
        member_remove,
    ),
    Subcommand(
        "member list",
        "/agenda member list",
        "The members list, and who may submit questions.",
        True,
        member_list,
    ),
    Subcommand(
        "clerk add",
        "/agenda clerk add <@person>",
        "Make someone a clerk (no restart needed).",
        True,
        clerk_add,
    ),
    Subcommand(
        "clerk remove",
        "/agenda clerk remove <@person>",
        "Stop someone being a clerk (never the last one).",
        True,
        clerk_remove,
    ),
    Subcommand(
        "clerk list",
        "/agenda clerk list",
        "The clerks.",
        False,
        clerk_list,
    ),
    Subcommand(
        "committee list",
        "/agenda committee list",
        "The committees and their keys.",
        False,
        committee_list,
    ),
    Subcommand(
        "committee rename",
        command_text.COMMITTEE_RENAME_USAGE,
        "Give a committee another key (before any question uses it).",
        True,
        committee_rename,
    ),
    Subcommand(
        "meeting cancel",
        command_text.MEETING_CANCEL_USAGE,
        "Cancel a meeting; after you confirm, its open questions move to the committee's "
        "next meeting and the officers are told.",
        True,
        meeting_cancel,
    ),
    Subcommand(
        "meeting move",
        command_text.MEETING_MOVE_USAGE,
        "Move a meeting to another day (and time); its deadlines and its questions' due dates "
        "follow, and the officers are told.",
        True,
        meeting_move,
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
    on_click(app, MEETING_CANCEL_CONFIRM, meeting_cancel_confirmed)

    @app.command("/agenda")
    async def agenda(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        await services_of(context).foreground.turn()
        async with guarded(command, respond, client):
            text = payload.optional_text(command, "text") or ""
            subcommand, args = find_subcommand(to_command_text(text))
            if subcommand is None:
                await say(respond, blocks.unknown_subcommand(text))
                return
            await subcommand.run(args, command, context, respond)
