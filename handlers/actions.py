"""Buttons on the bot's messages and the modals they open.

Each button is a small function of a ``Click``; each modal a function of a ``Submission``.
``on_click`` and ``on_submit`` do the Slack plumbing once: acknowledge, find the services and
the acting user, and turn errors into a private message or errors next to the form's fields.
"""

from __future__ import annotations

from datetime import date

from slack_bolt.async_app import AsyncApp

from bot import chasing, messages
from bot.core.calendar import local_date, short_date
from bot.core.errors import DomainError, InvalidInput
from bot.core.mrkdwn import md, mention
from bot.core.permissions import Action
from bot.flows import agenda, answers, groups, history, intake, sending
from bot.flows.intake import FormErrors
from bot.flows.slack import dm
from handlers import modals, payload
from handlers.plumbing import AfterAck, Click, Submission, note_required, on_click, on_submit

# --- Triage ---------------------------------------------------------------------------


async def approve_and_send(click: Click) -> None:
    services = click.services
    question = await sending.route_and_send(
        services, click.client, click.question_id, await services.actor(click.user)
    )
    card = await sending.question_card(services, question)
    due = short_date(question.due_date) if question.due_date else "no date"
    outcome = md(
        ":white_check_mark: Sent to {} by {}; due {}.",
        mention(question.assigned_officer),
        mention(click.user),
        due,
    )
    await click.replace(md("{} sent", question.reference), messages.triage_done(card, outcome))


async def open_edit(click: Click) -> None:
    await click.check(Action.EDIT_QUESTION)
    services = click.services
    question = await services.repos.questions.get(click.question_id)
    choices = await intake.question_form(services)
    today = local_date(services.clock())
    upcoming = sorted((m for m in choices.meetings if m.date > today), key=lambda m: m.date)
    await click.open(modals.edit_modal(question, choices, upcoming))


async def edit_submitted(submission: Submission) -> AfterAck:
    values = submission.values
    meeting = values.get("meeting")
    try:
        await sending.edit_question(
            submission.services,
            submission.user,
            submission.question_id,
            text=values.get("text"),
            role_key=values.get("role"),
            meeting_id=payload.record_id(meeting, "meeting") if meeting else None,
        )
    except DomainError as problem:
        field = "meeting" if "agenda" in problem.message and meeting else "text"
        raise FormErrors({field: problem.message}) from None
    return None


async def open_reject(click: Click) -> None:
    await click.check(Action.REJECT_QUESTION)
    question = await click.services.repos.questions.get(click.question_id)
    await click.open(
        modals.note_modal(
            modals.TRIAGE_REJECT_CALLBACK,
            "Reject question",
            "Reject",
            question.id,
            "Reason (the submitter is told)",
            md("Reject *{}*? Say why: the person who submitted it is told.", question.reference),
        )
    )


async def reject_submitted(submission: Submission) -> AfterAck:
    reason = note_required(submission.values.get("note"), "Say why it is rejected.")
    question = await sending.reject_question(
        submission.services, submission.user, submission.question_id, reason
    )

    async def after() -> None:
        await sending.tell_submitter_rejected(submission.client, question, reason.strip())

    return after


# --- The officer's buttons ------------------------------------------------------------


async def open_holding(click: Click) -> None:
    await click.check(Action.HOLDING_REPLY, click.question_id)
    question = await click.services.repos.questions.get(click.question_id)
    await click.open(modals.holding_modal(question, local_date(click.services.clock())))


async def holding_submitted(submission: Submission) -> AfterAck:
    values = submission.values
    try:
        promised = date.fromisoformat(values.get("promised") or "")
    except ValueError:
        raise FormErrors({"promised": "Pick a date."}) from None
    try:
        question, holding = await answers.record_holding_reply(
            submission.services,
            submission.user,
            submission.question_id,
            values.get("note") or "",
            promised,
        )
    except InvalidInput as problem:
        field = "promised" if "date" in problem.message else "note"
        raise FormErrors({field: problem.message}) from None

    async def after() -> None:
        await answers.announce_holding_reply(
            submission.services, submission.client, question, holding
        )

    return after


async def open_transfer(click: Click) -> None:
    await click.check(Action.REQUEST_TRANSFER, click.question_id)
    question = await click.services.repos.questions.get(click.question_id)
    roles = await click.services.repos.officers.roles()
    await click.open(modals.transfer_modal(question, roles))


async def transfer_submitted(submission: Submission) -> AfterAck:
    values = submission.values
    question = await answers.request_transfer(
        submission.services,
        submission.user,
        submission.question_id,
        values.get("role") or "",
        values.get("note") or "",
    )

    async def after() -> None:
        await answers.announce_transfer_request(submission.services, submission.client, question)

    return after


async def transfer_accepted(click: Click) -> None:
    question = await answers.accept_transfer(
        click.services, click.client, click.user, click.question_id
    )
    await click.replace(
        md(
            ":white_check_mark: *{}* now goes to {} (accepted by {}).",
            question.reference,
            mention(question.assigned_officer),
            mention(click.user),
        )
    )


async def transfer_declined(click: Click) -> None:
    question = await answers.decline_transfer(
        click.services, click.client, click.user, click.question_id
    )
    await click.replace(
        md(
            "Transfer of *{}* declined by {}; it stays with {}.",
            question.reference,
            mention(click.user),
            mention(question.assigned_officer),
        )
    )


async def open_snooze(click: Click) -> None:
    await click.check(Action.SNOOZE, click.question_id)
    question = await click.services.repos.questions.get(click.question_id)
    await click.open(modals.snooze_modal(question))


async def snooze_submitted(submission: Submission) -> AfterAck:
    reference, until = await chasing.snooze(
        submission.services,
        submission.user,
        submission.question_id,
        submission.values.get("choice") or "",
    )

    async def after() -> None:
        await dm(
            submission.client,
            submission.user,
            md(
                "Reminders for {} are paused until {}; the due date is unchanged.",
                reference,
                short_date(until),
            ),
        )

    return after


# --- The clerk's review ---------------------------------------------------------------


async def answer_approved(click: Click) -> None:
    question = await answers.approve_answer(click.services, click.user, click.question_id)
    await click.replace(
        md(
            ":white_check_mark: The answer to *{}* was approved by {}. It goes in the agenda "
            "when you compile.",
            question.reference,
            mention(click.user),
        )
    )


async def open_return(click: Click) -> None:
    await click.check(Action.RETURN_ANSWER)
    question = await click.services.repos.questions.get(click.question_id)
    await click.open(
        modals.note_modal(
            modals.RETURN_CALLBACK,
            "Return answer",
            "Return",
            question.id,
            "What is missing",
            md(
                "Ask the officer for more on *{}*. Your comment is posted in the question's "
                "thread.",
                question.reference,
            ),
        )
    )


async def return_submitted(submission: Submission) -> AfterAck:
    comment = note_required(submission.values.get("note"), "Say what is missing.")
    question = await answers.return_answer(
        submission.services, submission.user, submission.question_id, comment
    )

    async def after() -> None:
        await answers.announce_return(submission.client, question, comment.strip())

    return after


async def open_correct(click: Click) -> None:
    question = await click.services.repos.questions.get(click.question_id)
    question = await answers.check_correctable(click.services, click.user, question.reference)
    text = await answers.published_text(click.services, question.id)
    await click.open(modals.correct_modal(question, text))


async def correct_submitted(submission: Submission) -> AfterAck:
    reason = note_required(submission.values.get("note"), "Say why the answer is corrected.")
    text = submission.values.get("text") or ""
    if not text.strip():
        raise FormErrors({"text": "Give the corrected answer."})
    question = await answers.correct_answer(
        submission.services, submission.user, submission.question_id, text, reason
    )

    async def after() -> None:
        await answers.announce_correction(
            submission.services, submission.client, question, submission.user, reason.strip()
        )

    return after


async def publish_answers(click: Click) -> None:
    publication = await agenda.publish_from_button(
        click.services, click.client, click.user, payload.record_id(click.value, "meeting")
    )
    await click.respond(
        replace_original=False,
        response_type="ephemeral",
        text=agenda.published_note(publication),
    )


async def open_group_with(click: Click) -> None:
    await click.check(Action.EDIT_QUESTION)
    question = await click.services.repos.questions.get(click.question_id)
    await click.open(modals.group_with_modal(question))


async def group_with_submitted(submission: Submission) -> AfterAck:
    lead = await submission.services.repos.questions.get(submission.question_id)
    others = (submission.values.get("references") or "").replace(",", " ").split()
    if not others:
        raise FormErrors({"references": "Give at least one other question's reference."})
    group = await groups.group_questions(
        submission.services, submission.client, submission.user, [lead.reference, *others]
    )

    async def after() -> None:
        await dm(submission.client, submission.user, groups.grouped_note(group))

    return after


async def show_history(click: Click) -> None:
    text, blocks = await history.question_history(click.services, click.user, click.value)
    await click.respond(replace_original=False, response_type="ephemeral", text=text, blocks=blocks)


def register(app: AsyncApp) -> None:
    on_click(app, messages.TRIAGE_APPROVE, approve_and_send)
    on_click(app, messages.TRIAGE_EDIT, open_edit)
    on_submit(app, modals.TRIAGE_EDIT_CALLBACK, edit_submitted, field="text")
    on_click(app, messages.TRIAGE_REJECT, open_reject)
    on_submit(app, modals.TRIAGE_REJECT_CALLBACK, reject_submitted)
    on_click(app, messages.HOLDING_REPLY, open_holding)
    on_submit(app, modals.HOLDING_CALLBACK, holding_submitted)
    on_click(app, messages.ASK_TRANSFER, open_transfer)
    on_submit(app, modals.TRANSFER_CALLBACK, transfer_submitted)
    on_click(app, messages.TRANSFER_ACCEPT, transfer_accepted)
    on_click(app, messages.TRANSFER_DECLINE, transfer_declined)
    on_click(app, messages.SNOOZE, open_snooze)
    on_submit(app, modals.SNOOZE_CALLBACK, snooze_submitted, field="choice")
    on_click(app, messages.ANSWER_APPROVE, answer_approved)
    on_click(app, messages.ANSWER_RETURN, open_return)
    on_submit(app, modals.RETURN_CALLBACK, return_submitted)
    on_click(app, agenda.PUBLISH, publish_answers)
    on_click(app, messages.CORRECT_ANSWER, open_correct)
    on_click(app, messages.QUESTION_HISTORY, show_history)
    on_click(app, messages.GROUP_WITH, open_group_with)
    on_submit(app, modals.GROUP_WITH_CALLBACK, group_with_submitted, field="references")
    on_submit(app, modals.CORRECT_CALLBACK, correct_submitted, field="text")
