"""The question lifecycle: allowed transitions as data, and the changes that respect them.

Every function here takes the question and returns a QuestionChange (the new question and
the audit event recording the change), or raises a DomainError and changes nothing.
Transfers are a pending proposal on the question, not a state: see ``propose_transfer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from bot.core import validation
from bot.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from bot.core.models import (
    Asker,
    AuditEvent,
    MessageRef,
    PendingTransfer,
    Question,
    QuestionChange,
    QuestionDraft,
    QuestionState,
)
from bot.core.permissions import Action, Actor, check

S = QuestionState

AWAITING_ANSWER = frozenset({S.SENT, S.HOLDING, S.RETURNED})
"""States in which an officer owes an answer: chased, can be transferred."""

CLOSED = frozenset({S.REJECTED, S.WITHDRAWN, S.PUBLISHED, S.CORRECTED})
"""States in which the question itself can no longer be edited or re-routed."""

AFTER_PUBLICATION = frozenset({S.PUBLISHED, S.CORRECTED})

TRANSITIONS: Mapping[tuple[QuestionState, QuestionState], Action] = {
    (S.SUBMITTED, S.SENT): Action.SEND,
    (S.SUBMITTED, S.REJECTED): Action.REJECT_QUESTION,
    (S.REJECTED, S.SUBMITTED): Action.TRIAGE,
    (S.WITHDRAWN, S.SUBMITTED): Action.TRIAGE,
    (S.SENT, S.HOLDING): Action.HOLDING_REPLY,
    (S.RETURNED, S.HOLDING): Action.HOLDING_REPLY,
    (S.HOLDING, S.HOLDING): Action.HOLDING_REPLY,
    (S.SENT, S.ANSWERED): Action.ANSWER,
    (S.HOLDING, S.ANSWERED): Action.ANSWER,
    (S.RETURNED, S.ANSWERED): Action.ANSWER,
    (S.APPROVED, S.ANSWERED): Action.ANSWER,
    (S.ANSWERED, S.APPROVED): Action.APPROVE_ANSWER,
    (S.ANSWERED, S.RETURNED): Action.RETURN_ANSWER,
    (S.APPROVED, S.RETURNED): Action.RETURN_ANSWER,
    (S.APPROVED, S.PUBLISHED): Action.PUBLISH,
    (S.PUBLISHED, S.CORRECTED): Action.CORRECT_ANSWER,
    (S.CORRECTED, S.CORRECTED): Action.CORRECT_ANSWER,
    **{
        (before, S.WITHDRAWN): Action.WITHDRAW
        for before in (S.SUBMITTED, S.SENT, S.HOLDING, S.ANSWERED, S.RETURNED, S.APPROVED)
    },
}
"""Every allowed (from, to) pair and the action whose permission it needs."""

STATE_DESCRIPTIONS: Mapping[QuestionState, str] = {
    S.SUBMITTED: "waiting for triage",
    S.REJECTED: "rejected",
    S.SENT: "with the officer",
    S.HOLDING: "waiting for the answer the officer promised",
    S.ANSWERED: "answered and waiting for approval",
    S.RETURNED: "back with the officer",
    S.APPROVED: "approved",
    S.PUBLISHED: "published",
    S.CORRECTED: "published and corrected",
    S.WITHDRAWN: "withdrawn",
}

_BECOMING: Mapping[QuestionState, str] = {
    S.SUBMITTED: "reinstated",
    S.REJECTED: "rejected",
    S.SENT: "sent",
    S.HOLDING: "given a holding reply",
    S.ANSWERED: "answered",
    S.RETURNED: "returned to the officer",
    S.APPROVED: "approved",
    S.PUBLISHED: "published",
    S.CORRECTED: "corrected",
    S.WITHDRAWN: "withdrawn",
}


def is_allowed_transition(before: QuestionState, after: QuestionState) -> bool:
    return (before, after) in TRANSITIONS


def transition(
    question: Question,
    to_state: QuestionState,
    actor: Actor,
    now: datetime,
    *,
    note: str | None = None,
) -> QuestionChange:
    """Move the question to ``to_state``, or raise IllegalTransition / NotPermitted."""
    action = TRANSITIONS.get((question.state, to_state))
    if action is None:
        raise IllegalTransition(
            f"{question.reference} is {STATE_DESCRIPTIONS[question.state]}, "
            f"so it can't be {_BECOMING[to_state]} now."
        )
    check(actor, action, question)
    if to_state is S.SENT and question.assigned_officer is None:
        raise IllegalTransition(
            f"{question.reference} can't be sent yet: assign an officer to answer it first."
        )
    if to_state is S.PUBLISHED and question.target_meeting_id is None:
        raise IllegalTransition(
            f"{question.reference} can't be published: it has no target meeting."
        )
    detail: dict[str, Any] = {"from": question.state.value, "to": to_state.value}
    note = validation.optional_text(note, "The note", validation.NOTE_LIMIT)
    if note:
        detail["note"] = note
    return _change(
        question, replace(question, state=to_state), actor, now, f"question_{to_state}", detail
    )


def draft_question(
    actor: Actor,
    *,
    source_meeting_id: int,
    agenda_item: str | None,
    asker: Asker,
    text: str,
    addressed_role: str | None = None,
    importing: bool = False,
    source_minute: str | None = None,
) -> QuestionDraft:
    """A validated new question submitted (or imported by the clerk) by ``actor``."""
    check(actor, Action.IMPORT_QUESTIONS if importing else Action.SUBMIT_QUESTION)
    if asker.member_name is not None:
        asker = replace(
            asker,
            member_name=validation.text(
                asker.member_name, "Member's name", validation.NAME_LIMIT, multiline=False
            ),
        )
    return QuestionDraft(
        source_meeting_id=source_meeting_id,
        agenda_item=validation.agenda_item_number(agenda_item) if agenda_item else None,
        asker=asker,
        submitted_by=actor.user_id,
        text=validation.text(text, "The question", validation.QUESTION_TEXT_LIMIT),
        addressed_role=validation.role_key(addressed_role) if addressed_role else None,
        source_minute=validation.optional_text(source_minute, "Minute number", 20),
    )


def triage(
    question: Question,
    actor: Actor,
    now: datetime,
    *,
    addressed_role: str | None,
    assigned_officer: str | None,
    target_meeting_id: int | None,
    due_date: date | None,
) -> QuestionChange | None:
    """Set who answers, for which meeting, by when. None when nothing changes.

    The role and officer can change only before sending (afterwards, transfer it);
    the target meeting and due date can change until the question is closed.
    """
    check(actor, Action.TRIAGE, question)
    if question.state in CLOSED:
        raise IllegalTransition(
            f"{question.reference} is {STATE_DESCRIPTIONS[question.state]}, so it can't be "
            "re-routed."
        )
    after = replace(
        question,
        addressed_role=validation.role_key(addressed_role) if addressed_role else None,
        assigned_officer=validation.slack_user(assigned_officer, "Officer")
        if assigned_officer
        else None,
        target_meeting_id=target_meeting_id,
        due_date=due_date,
    )
    changes = _differences(
        question, after, ("addressed_role", "assigned_officer", "target_meeting_id", "due_date")
    )
    if not changes:
        return None
    if question.state is not S.SUBMITTED and (
        "addressed_role" in changes or "assigned_officer" in changes
    ):
        raise IllegalTransition(
            f"{question.reference} has already been sent: ask for a transfer to change who "
            "answers it."
        )
    return _change(question, after, actor, now, "question_triaged", {"changes": changes})


def edit_text(question: Question, text: str, actor: Actor, now: datetime) -> QuestionChange | None:
    """The clerk's edit of the question's wording; the previous wording goes in the audit."""
    check(actor, Action.EDIT_QUESTION, question)
    if question.state in CLOSED:
        raise IllegalTransition(
            f"{question.reference} is {STATE_DESCRIPTIONS[question.state]}, so its wording can't "
            "be changed."
        )
    new_text = validation.text(text, "The question", validation.QUESTION_TEXT_LIMIT)
    if new_text == question.text:
        return None
    return _change(
        question,
        replace(question, text=new_text),
        actor,
        now,
        "question_edited",
        {"before": question.text, "after": new_text},
    )


def set_thread(
    question: Question, message: MessageRef, actor: Actor, now: datetime
) -> QuestionChange:
    """Record the message the officer answers under (set when the question is sent)."""
    check(actor, Action.SEND, question)
    if question.state in (S.SUBMITTED, S.REJECTED):
        raise IllegalTransition(f"{question.reference} has not been sent yet.")
    before = question.thread
    detail: dict[str, Any] = {"channel": message.channel, "ts": message.ts}
    if before is not None:
        detail["replaces"] = {"channel": before.channel, "ts": before.ts}
    return _change(question, replace(question, thread=message), actor, now, "thread_set", detail)


LIVE = frozenset({S.SUBMITTED, *AWAITING_ANSWER})
"""Questions that follow their role when a new officer takes it over."""


def reassign(
    question: Question, officer: str, actor: Actor, now: datetime, *, role_key: str
) -> QuestionChange | None:
    """A new officer holds the question's role: the live question goes with the role.

    Unlike a transfer, nobody accepts it: the clerk changed who holds the role. None when
    the question is not live or already with ``officer``.
    """
    check(actor, Action.MANAGE_OFFICERS)
    officer = validation.slack_user(officer, "Officer")
    if question.state not in LIVE or question.assigned_officer in (None, officer):
        return None
    after = replace(question, assigned_officer=officer, pending_transfer=None)
    detail: dict[str, Any] = {
        "role": role_key,
        "from_officer": question.assigned_officer,
        "to_officer": officer,
    }
    if question.pending_transfer is not None:
        detail["cancelled_transfer_to"] = question.pending_transfer.to_officer
    return _change(question, after, actor, now, "officer_reassigned", detail)


def answer_state(question: Question, actor: Actor) -> QuestionState | None:
    """What a new or edited reply from ``actor`` does to the question's state.

    Returns ANSWERED when the state moves, None when it stays (already answered, or
    after publication: the reply is kept on record, the published text is unchanged).
    Raises when no answer is expected (not sent, rejected, withdrawn).
    """
    check(actor, Action.ANSWER, question)
    if question.state in AWAITING_ANSWER or question.state is S.APPROVED:
        return S.ANSWERED
    if question.state is S.ANSWERED or question.state in AFTER_PUBLICATION:
        return None
    raise IllegalTransition(
        f"{question.reference} is {STATE_DESCRIPTIONS[question.state]}, so no answer is needed."
    )


def propose_transfer(
    question: Question,
    to_officer: str,
    actor: Actor,
    now: datetime,
    *,
    to_role: str | None = None,
    reason: str,
) -> QuestionChange:
    """Ask for the question to go to another officer; the current one stays responsible."""
    check(actor, Action.REQUEST_TRANSFER, question)
    if question.state not in AWAITING_ANSWER:
        raise IllegalTransition(
            f"{question.reference} is {STATE_DESCRIPTIONS[question.state]}, so it can't be "
            "transferred."
        )
    if question.pending_transfer is not None:
        raise Conflict(
            f"{question.reference} already has a transfer waiting to be accepted by the "
            "officer it was offered to."
        )
    to_officer = validation.slack_user(to_officer, "The officer to transfer to")
    if to_officer == question.assigned_officer:
        raise InvalidInput(f"{question.reference} is already assigned to that officer.")
    transfer = PendingTransfer(
        to_officer=to_officer,
        to_role=validation.role_key(to_role) if to_role else None,
        requested_by=actor.user_id,
        requested_at=now,
        reason=validation.text(reason, "The reason for the transfer", validation.NOTE_LIMIT),
    )
    detail = {
        "from_officer": question.assigned_officer,
        "to_officer": transfer.to_officer,
        "to_role": transfer.to_role,
        "reason": transfer.reason,
    }
    after = replace(question, pending_transfer=transfer)
    return _change(question, after, actor, now, "transfer_requested", detail)


def accept_transfer(question: Question, actor: Actor, now: datetime) -> QuestionChange:
    """The incoming officer (or the clerk) takes the question on."""
    transfer = _pending(question)
    check(actor, Action.ACCEPT_TRANSFER, question)
    if question.state not in AWAITING_ANSWER:
        raise IllegalTransition(
            f"{question.reference} is {STATE_DESCRIPTIONS[question.state]}, so the transfer "
            "no longer applies."
        )
    after = replace(
        question,
        assigned_officer=transfer.to_officer,
        addressed_role=transfer.to_role or question.addressed_role,
        pending_transfer=None,
    )
    detail = {
        "from_officer": question.assigned_officer,
        "to_officer": transfer.to_officer,
        "from_role": question.addressed_role,
        "to_role": after.addressed_role,
    }
    return _change(question, after, actor, now, "transfer_accepted", detail)


def decline_transfer(
    question: Question, actor: Actor, now: datetime, *, reason: str | None = None
) -> QuestionChange:
    """The incoming officer declines, or the requester or clerk cancels, a pending transfer."""
    transfer = _pending(question)
    if actor.user_id != transfer.requested_by:
        check(actor, Action.ACCEPT_TRANSFER, question)
    detail: dict[str, Any] = {"to_officer": transfer.to_officer}
    reason = validation.optional_text(reason, "The reason", validation.NOTE_LIMIT)
    if reason:
        detail["reason"] = reason
    after = replace(question, pending_transfer=None)
    return _change(question, after, actor, now, "transfer_declined", detail)


def _pending(question: Question) -> PendingTransfer:
    if question.pending_transfer is None:
        raise NotFound(f"{question.reference} has no transfer waiting to be accepted.")
    return question.pending_transfer


def _differences(before: Question, after: Question, names: tuple[str, ...]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in names:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
    return changes


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _change(
    before: Question,
    after: Question,
    actor: Actor,
    now: datetime,
    action: str,
    detail: Mapping[str, Any],
) -> QuestionChange:
    event = AuditEvent(
        actor=actor.user_id,
        action=action,
        subject_type="question",
        subject_id=before.reference,
        occurred_at=now,
        detail=dict(detail),
    )
    return QuestionChange(before=before, after=replace(after, updated_at=now), event=event)
