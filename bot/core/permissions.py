"""Who may do what, as data. Checked on every action, not only by hiding buttons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.errors import NotPermitted
from bot.core.models import Question

BOT_USER = "bot"
"""The actor recorded when the bot acts on its own (sending when triage is switched off)."""


class Role(StrEnum):
    """A role an actor holds, in general or towards one question."""

    MEMBER = "member"
    ASKER = "asker"
    OFFICER = "officer"
    DEPUTY = "deputy"
    INCOMING_OFFICER = "incoming officer"
    CLERK = "clerk"
    BOT = "bot"


class Action(StrEnum):
    SUBMIT_QUESTION = "submit a question"
    VIEW_QUESTION = "see {question}"
    TRIAGE = "triage {question}"
    EDIT_QUESTION = "edit {question}"
    REJECT_QUESTION = "reject {question}"
    SEND = "send {question} to an officer"
    ANSWER = "answer {question}"
    HOLDING_REPLY = "give a holding reply to {question}"
    REQUEST_TRANSFER = "ask for {question} to be transferred"
    ACCEPT_TRANSFER = "accept the transfer of {question}"
    SNOOZE = "snooze reminders for {question}"
    APPROVE_ANSWER = "approve the answer to {question}"
    RETURN_ANSWER = "return the answer to {question}"
    WITHDRAW = "withdraw {question}"
    CORRECT_ANSWER = "correct the published answer to {question}"
    COMPILE = "compile an agenda"
    PUBLISH = "publish answers"
    MANAGE_MEETINGS = "manage meetings"
    MANAGE_OFFICERS = "manage the officer directory"
    IMPORT_QUESTIONS = "import a list of questions"
    ADD_CLOSURE_DAY = "add council closure days"
    MANAGE_PEOPLE = "manage the lists of clerks and members"
    VIEW_HISTORY = "read the audit trail"


_ANSWERING = frozenset({Role.OFFICER, Role.DEPUTY})
_CLERK = frozenset({Role.CLERK})

PERMISSIONS: Mapping[Action, frozenset[Role]] = {
    Action.SUBMIT_QUESTION: frozenset({Role.MEMBER, Role.CLERK}),
    Action.VIEW_QUESTION: frozenset(
        {Role.ASKER, Role.OFFICER, Role.DEPUTY, Role.INCOMING_OFFICER, Role.CLERK}
    ),
    Action.TRIAGE: frozenset({Role.CLERK, Role.BOT}),  # the bot routes when triage is off
    Action.EDIT_QUESTION: _CLERK,
    Action.REJECT_QUESTION: _CLERK,
    Action.SEND: frozenset({Role.CLERK, Role.BOT}),
    Action.ANSWER: _ANSWERING,
    Action.HOLDING_REPLY: _ANSWERING,
    Action.REQUEST_TRANSFER: _ANSWERING | _CLERK,
    Action.ACCEPT_TRANSFER: frozenset({Role.INCOMING_OFFICER, Role.CLERK}),
    Action.SNOOZE: _ANSWERING | _CLERK,
    Action.APPROVE_ANSWER: _CLERK,
    Action.RETURN_ANSWER: _CLERK,
    Action.WITHDRAW: frozenset({Role.ASKER, Role.CLERK}),
    Action.CORRECT_ANSWER: _ANSWERING | _CLERK,
    Action.COMPILE: _CLERK,
    Action.PUBLISH: _CLERK,
    Action.MANAGE_MEETINGS: _CLERK,
    Action.MANAGE_OFFICERS: _CLERK,
    Action.IMPORT_QUESTIONS: _CLERK,
    Action.ADD_CLOSURE_DAY: _CLERK,
    Action.MANAGE_PEOPLE: _CLERK,
    Action.VIEW_HISTORY: _CLERK,
}
"""Each action and the roles allowed to take it."""

ROLE_NAMES: Mapping[Role, str] = {
    Role.MEMBER: "commission members",
    Role.ASKER: "the person who submitted it",
    Role.OFFICER: "the officer it is assigned to",
    Role.DEPUTY: "that officer's deputy",
    Role.INCOMING_OFFICER: "the officer it is being transferred to",
    Role.CLERK: "the clerk",
    Role.BOT: "the bot",
}


@dataclass(frozen=True)
class Actor:
    """Someone acting, with what the wiring knows about them.

    ``deputy_for`` holds the role keys (e.g. "DCSC") this person deputises for, from
    the officer directory.
    """

    user_id: str
    is_clerk: bool = False
    deputy_for: frozenset[str] = field(default_factory=frozenset)
    is_member: bool = True
    """May submit questions: everyone with MEMBERSHIP=open; with listed, the members list,
    the clerks and the officers."""
    hackney_of_tomorrow: bool = False
    """A Hackney of Tomorrow young person: never named in anything the bot publishes."""

    @classmethod
    def bot(cls) -> Actor:
        return cls(BOT_USER)


def roles_of(actor: Actor, question: Question | None = None) -> frozenset[Role]:
    """The actor's roles, in general and towards ``question`` when one is given."""
    if actor.user_id == BOT_USER:
        return frozenset({Role.BOT})
    roles = {Role.MEMBER} if actor.is_member else set()
    if actor.is_clerk:
        roles.add(Role.CLERK)
    if question is not None:
        if question.submitted_by == actor.user_id:
            roles.add(Role.ASKER)
        if question.assigned_officer == actor.user_id:
            roles.add(Role.OFFICER)
        role = question.addressed_role
        if role is not None and role.casefold() in {key.casefold() for key in actor.deputy_for}:
            roles.add(Role.DEPUTY)
        transfer = question.pending_transfer
        if transfer is not None and transfer.to_officer == actor.user_id:
            roles.add(Role.INCOMING_OFFICER)
    return frozenset(roles)


def is_allowed(actor: Actor, action: Action, question: Question | None = None) -> bool:
    return bool(PERMISSIONS[action] & roles_of(actor, question))


def check(actor: Actor, action: Action, question: Question | None = None) -> None:
    """Raise NotPermitted, naming who may, unless the actor may take the action."""
    if is_allowed(actor, action, question):
        return
    allowed = [ROLE_NAMES[role] for role in Role if role in PERMISSIONS[action] - {Role.BOT}]
    who = allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"
    what = action.value.format(question=question.reference if question else "a question")
    raise NotPermitted(f"Only {who} can {what}.")
