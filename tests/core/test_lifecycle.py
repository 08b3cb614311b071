from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.core import lifecycle
from bot.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, NotPermitted
from bot.core.lifecycle import TRANSITIONS, transition
from bot.core.models import Asker, MessageRef, OnBehalfOf, Question, QuestionState
from bot.core.permissions import Action, Actor

MakeQuestion = Callable[..., Question]
S = QuestionState
LATER = datetime(2026, 4, 21, 9, 30, tzinfo=UTC)

EXPECTED_LEGAL = {
    (S.SUBMITTED, S.SENT),
    (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.REJECTED, S.SUBMITTED),
    (S.WITHDRAWN, S.SUBMITTED),
    (S.SENT, S.HOLDING),
    (S.SENT, S.ANSWERED),
    (S.SENT, S.WITHDRAWN),
    (S.HOLDING, S.HOLDING),
    (S.HOLDING, S.ANSWERED),
    (S.HOLDING, S.WITHDRAWN),
    (S.RETURNED, S.HOLDING),
    (S.RETURNED, S.ANSWERED),
    (S.RETURNED, S.WITHDRAWN),
    (S.ANSWERED, S.APPROVED),
    (S.ANSWERED, S.RETURNED),
    (S.ANSWERED, S.WITHDRAWN),
    (S.APPROVED, S.ANSWERED),
    (S.APPROVED, S.RETURNED),
    (S.APPROVED, S.PUBLISHED),
    (S.APPROVED, S.WITHDRAWN),
    (S.PUBLISHED, S.CORRECTED),
    (S.CORRECTED, S.CORRECTED),
}
GRID = list(itertools.product(S, S))
LEGAL = [pair for pair in GRID if pair in EXPECTED_LEGAL]
ILLEGAL = [pair for pair in GRID if pair not in EXPECTED_LEGAL]

# Who takes each kind of step in the tests.
ACTOR_FOR: dict[Action, str] = {
    Action.SEND: "clerk",
    Action.REJECT_QUESTION: "clerk",
    Action.TRIAGE: "clerk",
    Action.HOLDING_REPLY: "officer",
    Action.ANSWER: "officer",
    Action.APPROVE_ANSWER: "clerk",
    Action.RETURN_ANSWER: "clerk",
    Action.PUBLISH: "clerk",
    Action.CORRECT_ANSWER: "clerk",
    Action.WITHDRAW: "asker",
}


def test_the_table_is_the_documented_lifecycle() -> None:
    assert set(TRANSITIONS) == EXPECTED_LEGAL


@pytest.mark.parametrize(("before", "after"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_transition(
    make_question: MakeQuestion,
    actors: dict[str, Actor],
    before: QuestionState,
    after: QuestionState,
) -> None:
    question = make_question(before)
    actor = actors[ACTOR_FOR[TRANSITIONS[(before, after)]]]
    change = transition(question, after, actor, LATER, note="why")
    assert change.after.state is after
    assert change.after.updated_at == LATER
    assert replace(change.after, state=before, updated_at=question.updated_at) == question
    assert change.before is question and question.state is before  # nothing mutated
    assert change.event.actor == actor.user_id
    assert change.event.action == f"question_{after}"
    assert change.event.subject_type == "question"
    assert change.event.subject_id == question.reference
    assert change.event.occurred_at == LATER
    assert change.event.detail == {"from": before.value, "to": after.value, "note": "why"}


@pytest.mark.parametrize(("before", "after"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_transition_is_refused_to_a_stranger(
    make_question: MakeQuestion,
    actors: dict[str, Actor],
    before: QuestionState,
    after: QuestionState,
) -> None:
    with pytest.raises(NotPermitted):
        transition(make_question(before), after, actors["stranger"], LATER)


@pytest.mark.parametrize(("before", "after"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
@pytest.mark.parametrize("who", ["clerk", "officer", "asker"])
def test_every_illegal_transition(
    make_question: MakeQuestion,
    actors: dict[str, Actor],
    before: QuestionState,
    after: QuestionState,
    who: str,
) -> None:
    question = make_question(before)
    with pytest.raises(IllegalTransition) as error:
        transition(question, after, actors[who], LATER)
    assert question.reference in error.value.message
    assert question.state is before


def test_illegal_transition_message_is_plain_english(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    with pytest.raises(IllegalTransition) as error:
        transition(make_question(S.PUBLISHED), S.WITHDRAWN, actors["clerk"], LATER)
    assert error.value.message == ("CYP-2023-12-18-Q07 is published, so it can't be withdrawn now.")


def test_sending_needs_an_assigned_officer(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    with pytest.raises(IllegalTransition, match="assign an officer"):
        transition(make_question(assigned_officer=None), S.SENT, actors["clerk"], LATER)


def test_the_bot_may_send_when_triage_is_off(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    change = transition(make_question(), S.SENT, actors["bot"], LATER)
    assert change.event.actor == "bot"


def test_publishing_needs_a_target_meeting(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    question = make_question(S.APPROVED, target_meeting_id=None)
    with pytest.raises(IllegalTransition, match="no target meeting"):
        transition(question, S.PUBLISHED, actors["clerk"], LATER)


def test_the_deputy_may_answer_for_the_role(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    assert transition(make_question(S.SENT), S.ANSWERED, actors["deputy"], LATER)
    other_role = make_question(S.SENT, addressed_role="DoE")
    with pytest.raises(NotPermitted):
        transition(other_role, S.ANSWERED, actors["deputy"], LATER)


def test_the_clerk_may_withdraw_but_not_answer(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    assert transition(make_question(S.SENT), S.WITHDRAWN, actors["clerk"], LATER)
    with pytest.raises(NotPermitted):
        transition(make_question(S.SENT), S.ANSWERED, actors["clerk"], LATER)


# Triage, edits and the thread.


def test_triage_records_only_what_changed(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    question = make_question(
        addressed_role=None, assigned_officer=None, target_meeting_id=None, due_date=None
    )
    change = lifecycle.triage(
        question,
        actors["clerk"],
        LATER,
        addressed_role="DCSC",
        assigned_officer="UOFFICER1",
        target_meeting_id=2,
        due_date=date(2026, 4, 27),
    )
    assert change is not None
    assert change.after.assigned_officer == "UOFFICER1"
    assert change.event.action == "question_triaged"
    assert change.event.detail == {
        "changes": {
            "addressed_role": [None, "DCSC"],
            "assigned_officer": [None, "UOFFICER1"],
            "target_meeting_id": [None, 2],
            "due_date": [None, "2026-04-27"],
        }
    }
    same = lifecycle.triage(
        change.after,
        actors["clerk"],
        LATER,
        addressed_role="DCSC",
        assigned_officer="UOFFICER1",
        target_meeting_id=2,
        due_date=date(2026, 4, 27),
    )
    assert same is None


def test_after_sending_only_the_meeting_and_due_date_can_be_retriaged(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    sent = make_question(S.SENT)
    moved = lifecycle.triage(
        sent,
        actors["clerk"],
        LATER,
        addressed_role="DCSC",
        assigned_officer="UOFFICER1",
        target_meeting_id=3,
        due_date=date(2026, 6, 1),
    )
    assert moved is not None and moved.after.target_meeting_id == 3
    with pytest.raises(IllegalTransition, match="transfer"):
        lifecycle.triage(
            sent,
            actors["clerk"],
            LATER,
            addressed_role="DCSC",
            assigned_officer="UOFFICER2",
            target_meeting_id=2,
            due_date=date(2026, 4, 27),
        )


@pytest.mark.parametrize("state", sorted(lifecycle.CLOSED))
def test_closed_questions_cannot_be_triaged_or_edited(
    make_question: MakeQuestion, actors: dict[str, Actor], state: QuestionState
) -> None:
    question = make_question(state)
    with pytest.raises(IllegalTransition):
        lifecycle.triage(
            question,
            actors["clerk"],
            LATER,
            addressed_role=None,
            assigned_officer=None,
            target_meeting_id=None,
            due_date=None,
        )
    with pytest.raises(IllegalTransition):
        lifecycle.edit_text(question, "New words?", actors["clerk"], LATER)


def test_triage_is_for_the_clerk(make_question: MakeQuestion, actors: dict[str, Actor]) -> None:
    with pytest.raises(NotPermitted, match="Only the clerk can triage CYP-2023-12-18-Q07"):
        lifecycle.triage(
            make_question(),
            actors["asker"],
            LATER,
            addressed_role=None,
            assigned_officer=None,
            target_meeting_id=None,
            due_date=None,
        )


def test_triage_validates_what_was_typed(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    with pytest.raises(InvalidInput, match="Slack user id"):
        lifecycle.triage(
            make_question(),
            actors["clerk"],
            LATER,
            addressed_role="DCSC",
            assigned_officer="@jane",
            target_meeting_id=2,
            due_date=None,
        )


def test_editing_keeps_the_old_wording_in_the_audit(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    question = make_question()
    change = lifecycle.edit_text(question, "  What is the timetable?  ", actors["clerk"], LATER)
    assert change is not None
    assert change.after.text == "What is the timetable?"
    assert change.event.detail == {"before": question.text, "after": "What is the timetable?"}
    assert lifecycle.edit_text(question, question.text, actors["clerk"], LATER) is None
    with pytest.raises(InvalidInput, match="empty"):
        lifecycle.edit_text(question, "   ", actors["clerk"], LATER)


def test_set_thread_records_what_it_replaces(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    first = lifecycle.set_thread(
        make_question(S.SENT), MessageRef("D1", "1.000001"), actors["clerk"], LATER
    )
    assert first.after.thread == MessageRef("D1", "1.000001")
    second = lifecycle.set_thread(first.after, MessageRef("D1", "2.0"), actors["bot"], LATER)
    assert second.event.detail["replaces"] == {"channel": "D1", "ts": "1.000001"}
    with pytest.raises(IllegalTransition):
        lifecycle.set_thread(make_question(), MessageRef("D1", "3.0"), actors["clerk"], LATER)


# Replies in the thread.


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (S.SENT, S.ANSWERED),
        (S.HOLDING, S.ANSWERED),
        (S.RETURNED, S.ANSWERED),
        (S.APPROVED, S.ANSWERED),
        (S.ANSWERED, None),
        (S.PUBLISHED, None),
        (S.CORRECTED, None),
    ],
)
def test_answer_state(
    make_question: MakeQuestion,
    actors: dict[str, Actor],
    state: QuestionState,
    expected: QuestionState | None,
) -> None:
    assert lifecycle.answer_state(make_question(state), actors["officer"]) is expected


@pytest.mark.parametrize("state", [S.SUBMITTED, S.REJECTED, S.WITHDRAWN])
def test_no_answer_is_taken_when_none_is_needed(
    make_question: MakeQuestion, actors: dict[str, Actor], state: QuestionState
) -> None:
    with pytest.raises(IllegalTransition, match="no answer is needed"):
        lifecycle.answer_state(make_question(state), actors["officer"])


def test_only_the_officer_or_deputy_answers(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    for who in ("clerk", "asker", "other_officer"):
        with pytest.raises(NotPermitted):
            lifecycle.answer_state(make_question(S.SENT), actors[who])


# Transfers: a pending proposal; the first officer stays responsible until acceptance.


def test_transfer_is_proposed_then_accepted(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    question = make_question(S.SENT)
    proposed = lifecycle.propose_transfer(
        question, "UOFFICER2", actors["officer"], LATER, to_role="HoS", reason="Not mine"
    ).after
    assert proposed.state is S.SENT
    assert proposed.assigned_officer == "UOFFICER1"  # still responsible
    assert proposed.pending_transfer is not None
    # The first officer can still answer while the transfer is pending.
    assert lifecycle.answer_state(proposed, actors["officer"]) is S.ANSWERED
    # The officer it is going to cannot accept for someone else, nor can a stranger.
    with pytest.raises(NotPermitted):
        lifecycle.accept_transfer(proposed, actors["stranger"], LATER)
    accepted = lifecycle.accept_transfer(proposed, actors["other_officer"], LATER)
    assert accepted.after.assigned_officer == "UOFFICER2"
    assert accepted.after.addressed_role == "HoS"
    assert accepted.after.pending_transfer is None
    assert accepted.event.detail == {
        "from_officer": "UOFFICER1",
        "to_officer": "UOFFICER2",
        "from_role": "DCSC",
        "to_role": "HoS",
    }


def test_one_pending_transfer_at_a_time(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    proposed = lifecycle.propose_transfer(
        make_question(S.SENT), "UOFFICER2", actors["officer"], LATER, reason="Not mine"
    ).after
    with pytest.raises(Conflict):
        lifecycle.propose_transfer(proposed, "UOTHER3", actors["clerk"], LATER, reason="x")


def test_transfer_refusals(make_question: MakeQuestion, actors: dict[str, Actor]) -> None:
    with pytest.raises(IllegalTransition):
        lifecycle.propose_transfer(
            make_question(S.ANSWERED), "UOFFICER2", actors["officer"], LATER, reason="x"
        )
    with pytest.raises(InvalidInput):
        lifecycle.propose_transfer(
            make_question(S.SENT), "UOFFICER1", actors["officer"], LATER, reason="x"
        )
    with pytest.raises(NotPermitted):
        lifecycle.propose_transfer(
            make_question(S.SENT), "UOFFICER2", actors["asker"], LATER, reason="x"
        )
    with pytest.raises(NotFound):
        lifecycle.accept_transfer(make_question(S.SENT), actors["clerk"], LATER)


def test_transfer_lapses_once_answered(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    proposed = lifecycle.propose_transfer(
        make_question(S.SENT), "UOFFICER2", actors["officer"], LATER, reason="Not mine"
    ).after
    answered = transition(proposed, S.ANSWERED, actors["officer"], LATER).after
    with pytest.raises(IllegalTransition):
        lifecycle.accept_transfer(answered, actors["other_officer"], LATER)
    declined = lifecycle.decline_transfer(answered, actors["officer"], LATER, reason="answered")
    assert declined.after.pending_transfer is None


def test_decline_by_the_incoming_officer_or_requester_only(
    make_question: MakeQuestion, actors: dict[str, Actor]
) -> None:
    proposed = lifecycle.propose_transfer(
        make_question(S.SENT), "UOFFICER2", actors["officer"], LATER, reason="Not mine"
    ).after
    assert lifecycle.decline_transfer(proposed, actors["other_officer"], LATER)
    assert lifecycle.decline_transfer(proposed, actors["officer"], LATER)
    assert lifecycle.decline_transfer(proposed, actors["clerk"], LATER)
    with pytest.raises(NotPermitted):
        lifecycle.decline_transfer(proposed, actors["asker"], LATER)


# New questions.


def test_draft_question_validates_and_records_the_submitter(actors: dict[str, Actor]) -> None:
    draft = lifecycle.draft_question(
        actors["asker"],
        source_meeting_id=1,
        agenda_item=" 4 ",
        asker=Asker(OnBehalfOf.MEMBER, "  Cllr Jane Smith "),
        text=" What is the plan? ",
        addressed_role="DCSC",
    )
    assert draft.submitted_by == actors["asker"].user_id
    assert draft.agenda_item == "4"
    assert draft.text == "What is the plan?"
    assert draft.asker.member_name == "Cllr Jane Smith"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("x" * 3001, "limit is 3000"),
        ("\u200b\u00ad\ufeff \x07", "empty"),
    ],
)
def test_draft_question_refuses_bad_text(actors: dict[str, Actor], text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        lifecycle.draft_question(
            actors["asker"],
            source_meeting_id=1,
            agenda_item=None,
            asker=Asker(OnBehalfOf.COMMISSION),
            text=text,
        )


def test_multiline_questions_and_emoji_are_fine(actors: dict[str, Actor]) -> None:
    draft = lifecycle.draft_question(
        actors["asker"],
        source_meeting_id=1,
        agenda_item=None,
        asker=Asker(OnBehalfOf.COMMISSION),
        text="Line one\n\tLine two 👩‍👧",
    )
    assert "\n" in draft.text


def test_importing_is_for_the_clerk(actors: dict[str, Actor]) -> None:
    with pytest.raises(NotPermitted, match="Only the clerk can import"):
        lifecycle.draft_question(
            actors["asker"],
            source_meeting_id=1,
            agenda_item=None,
            asker=Asker(OnBehalfOf.COMMISSION),
            text="Q?",
            importing=True,
        )
