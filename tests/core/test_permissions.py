from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core.errors import NotPermitted
from bot.core.models import PendingTransfer, Question, QuestionState
from bot.core.permissions import PERMISSIONS, Action, Actor, Role, check, is_allowed, roles_of

MakeQuestion = Callable[..., Question]

CLERK_ONLY = {
    Action.EDIT_QUESTION,
    Action.REJECT_QUESTION,
    Action.APPROVE_ANSWER,
    Action.RETURN_ANSWER,
    Action.COMPILE,
    Action.PUBLISH,
    Action.MANAGE_MEETINGS,
    Action.MANAGE_OFFICERS,
    Action.IMPORT_QUESTIONS,
    Action.ADD_CLOSURE_DAY,
    Action.MANAGE_PEOPLE,
    Action.VIEW_HISTORY,
}

# Who may act, by the names of the actors in conftest (the question is assigned to
# "officer", for role DCSC which "deputy" covers, submitted by "asker", and has a
# pending transfer to "other_officer").
EXPECTED: dict[Action, set[str]] = {
    Action.SUBMIT_QUESTION: {"clerk", "asker", "officer", "deputy", "other_officer", "stranger"},
    Action.VIEW_QUESTION: {"clerk", "asker", "officer", "deputy", "other_officer"},
    Action.SEND: {"clerk", "bot"},
    # The bot routes questions itself when the clerk switches triage off.
    Action.TRIAGE: {"clerk", "bot"},
    Action.ANSWER: {"officer", "deputy"},
    Action.HOLDING_REPLY: {"officer", "deputy"},
    Action.REQUEST_TRANSFER: {"officer", "deputy", "clerk"},
    Action.ACCEPT_TRANSFER: {"other_officer", "clerk"},
    Action.SNOOZE: {"officer", "deputy", "clerk"},
    Action.WITHDRAW: {"asker", "clerk"},
    # The officer who gave a published answer, or the clerk, corrects it.
    Action.CORRECT_ANSWER: {"officer", "deputy", "clerk"},
    **{action: {"clerk"} for action in CLERK_ONLY},
}


def test_every_action_has_a_rule() -> None:
    assert set(PERMISSIONS) == set(Action)
    assert set(EXPECTED) == set(Action)


@pytest.fixture
def question(make_question: MakeQuestion) -> Question:
    transfer = PendingTransfer("UOFFICER2", "HoS", "UOFFICER1", make_question().created_at, "x")
    return make_question(QuestionState.SENT, pending_transfer=transfer)


@pytest.mark.parametrize("action", list(Action))
def test_permissions_table(actors: dict[str, Actor], question: Question, action: Action) -> None:
    for name, actor in actors.items():
        allowed = name in EXPECTED[action]
        assert is_allowed(actor, action, question) is allowed, (name, action)
        if allowed:
            check(actor, action, question)
        else:
            with pytest.raises(NotPermitted):
                check(actor, action, question)


def test_roles_of(actors: dict[str, Actor], question: Question) -> None:
    assert roles_of(actors["stranger"]) == {Role.MEMBER}
    assert roles_of(actors["clerk"]) == {Role.MEMBER, Role.CLERK}
    assert roles_of(actors["asker"], question) == {Role.MEMBER, Role.ASKER}
    assert roles_of(actors["officer"], question) == {Role.MEMBER, Role.OFFICER}
    assert roles_of(actors["deputy"], question) == {Role.MEMBER, Role.DEPUTY}
    assert roles_of(actors["other_officer"], question) == {Role.MEMBER, Role.INCOMING_OFFICER}
    assert roles_of(actors["bot"], question) == {Role.BOT}


def test_deputy_role_keys_match_without_case(make_question: MakeQuestion) -> None:
    deputy = Actor("UDEPUTY1", deputy_for=frozenset({"dcsc"}))
    assert Role.DEPUTY in roles_of(deputy, make_question(addressed_role="DCSC"))


def test_a_clerk_who_asked_is_both(make_question: MakeQuestion) -> None:
    clerk = Actor("UMEMBER1", is_clerk=True)
    assert roles_of(clerk, make_question()) == {Role.MEMBER, Role.CLERK, Role.ASKER}


@pytest.mark.parametrize(
    ("who", "action", "message"),
    [
        (
            "asker",
            Action.APPROVE_ANSWER,
            "Only the clerk can approve the answer to CYP-2023-12-18-Q07.",
        ),
        (
            "stranger",
            Action.WITHDRAW,
            "Only the person who submitted it or the clerk can withdraw CYP-2023-12-18-Q07.",
        ),
        (
            "clerk",
            Action.ANSWER,
            "Only the officer it is assigned to or that officer's deputy can answer "
            "CYP-2023-12-18-Q07.",
        ),
        ("stranger", Action.SEND, "Only the clerk can send CYP-2023-12-18-Q07 to an officer."),
    ],
)
def test_refusals_say_who_may(
    actors: dict[str, Actor], question: Question, who: str, action: Action, message: str
) -> None:
    with pytest.raises(NotPermitted) as error:
        check(actors[who], action, question)
    assert error.value.message == message


def test_refusal_without_a_question(actors: dict[str, Actor]) -> None:
    with pytest.raises(NotPermitted) as error:
        check(actors["officer"], Action.MANAGE_MEETINGS)
    assert error.value.message == "Only the clerk can manage meetings."


def test_question_scoped_actions_without_a_question_need_the_general_role(
    actors: dict[str, Actor],
) -> None:
    assert not is_allowed(actors["officer"], Action.ANSWER)
    assert is_allowed(actors["clerk"], Action.WITHDRAW)
