from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.core.errors import Conflict, IllegalTransition, NotFound, NotPermitted
from bot.core.lifecycle import draft_question, transition
from bot.core.models import Asker, MessageRef, OnBehalfOf, Question, QuestionState
from bot.core.permissions import Actor
from storage.questions import load_question, save_change
from tests.storage.storage_support import (
    ASKER,
    CLERK,
    NOW,
    OFFICER,
    OTHER_OFFICER,
    STRANGER,
    Seeded,
    count,
    route_and_send,
)

S = QuestionState
LATER = NOW + timedelta(hours=1)


async def submit(
    seeded: Seeded,
    text: str = "What did the audit find?",
    *,
    actor: Actor = ASKER,
    meeting_id: int | None = None,
) -> Question:
    draft = draft_question(
        actor,
        source_meeting_id=seeded.source.id if meeting_id is None else meeting_id,
        agenda_item="4",
        asker=Asker(OnBehalfOf.HACKNEY_OF_TOMORROW),
        text=text,
        addressed_role="DCSC",
    )
    return await seeded.repos.questions.create(draft, NOW)


async def sent(seeded: Seeded) -> Question:
    question = await submit(seeded)
    return await route_and_send(seeded, question)


async def test_create_round_trip(seeded: Seeded) -> None:
    question = await submit(seeded)
    assert question.reference == "CYP-2023-12-18-Q01"
    assert question.state is S.SUBMITTED
    assert question.asker == Asker(OnBehalfOf.HACKNEY_OF_TOMORROW)
    assert question.agenda_item == "4"
    assert question.submitted_by == ASKER.user_id
    assert question.created_at == question.updated_at == NOW
    assert await seeded.repos.questions.get(question.id) == question
    assert await seeded.repos.questions.by_reference("cyp-2023-12-18-q1") == question
    events = await seeded.repos.audit.for_subject("question", question.reference)
    assert [(e.action, e.actor) for e in events] == [("question_submitted", ASKER.user_id)]
    assert events[0].detail["on_behalf_of"] == "hackney_of_tomorrow"


async def test_references_number_within_the_source_meeting(seeded: Seeded) -> None:
    first = await submit(seeded)
    second = await submit(seeded)
    other = await submit(seeded, meeting_id=seeded.target.id)
    assert [first.reference, second.reference, other.reference] == [
        "CYP-2023-12-18-Q01",
        "CYP-2023-12-18-Q02",
        "CYP-2026-05-11-Q01",
    ]


async def test_concurrent_submissions_get_distinct_references(seeded: Seeded) -> None:
    created = await asyncio.gather(*(submit(seeded, f"Question {n}?") for n in range(12)))
    references = sorted(q.reference for q in created)
    assert references == [f"CYP-2023-12-18-Q{n:02d}" for n in range(1, 13)]


async def test_create_refusals_write_nothing(seeded: Seeded) -> None:
    before = await count(seeded.db, "audit_events")
    with pytest.raises(NotFound):
        await submit(seeded, meeting_id=999)
    draft = draft_question(
        ASKER,
        source_meeting_id=seeded.source.id,
        agenda_item="9",
        asker=Asker(OnBehalfOf.COMMISSION),
        text="Q?",
    )
    with pytest.raises(NotFound, match="Item 9 is not on"):
        await seeded.repos.questions.create(draft, NOW)
    assert await count(seeded.db, "questions") == 0
    assert await count(seeded.db, "audit_events") == before
    with pytest.raises(NotFound):
        await seeded.repos.questions.by_reference("CYP-2023-12-18-Q05")
    with pytest.raises(NotFound):
        await seeded.repos.questions.get(42)


async def test_any_item_is_accepted_when_the_agenda_is_not_recorded(seeded: Seeded) -> None:
    draft = draft_question(
        ASKER,
        source_meeting_id=seeded.target.id,
        agenda_item="7",
        asker=Asker(OnBehalfOf.MEMBER, "Cllr Smith"),
        text="Q?",
    )
    question = await seeded.repos.questions.create(draft, NOW)
    assert question.asker.label == "Cllr Smith"


async def test_triage_send_and_thread(seeded: Seeded) -> None:
    questions = seeded.repos.questions
    question = await sent(seeded)
    assert question.state is S.SENT
    assert question.assigned_officer == OFFICER.user_id
    assert question.target_meeting_id == seeded.target.id
    assert question.due_date == date(2026, 4, 27)
    thread = MessageRef("D0OFFICER", "1776675600.000100")
    with_thread = await questions.set_thread(question.id, thread, CLERK, LATER)
    assert with_thread.thread == thread
    assert await questions.by_thread(thread) == with_thread
    assert await questions.by_thread(MessageRef("D0OFFICER", "1.0")) is None
    events = await seeded.repos.audit.for_subject("question", question.reference)
    assert [e.action for e in events] == [
        "question_submitted",
        "question_triaged",
        "question_sent",
        "thread_set",
    ]


async def test_triage_needs_a_real_meeting(seeded: Seeded) -> None:
    question = await submit(seeded)
    with pytest.raises(NotFound):
        await seeded.repos.questions.triage(
            question.id,
            CLERK,
            NOW,
            addressed_role="DCSC",
            assigned_officer=None,
            target_meeting_id=999,
            due_date=None,
        )


async def test_search_filters(seeded: Seeded) -> None:
    questions = seeded.repos.questions
    one = await sent(seeded)
    two = await submit(seeded, actor=CLERK)
    three = await submit(seeded, meeting_id=seeded.target.id)
    assert await questions.search() == [one, two, three]
    assert await questions.search(states=[S.SUBMITTED]) == [two, three]
    assert await questions.search(states=[]) == []
    assert await questions.search(officer=OFFICER.user_id) == [one]
    assert await questions.search(target_meeting_id=seeded.target.id) == [one]
    assert await questions.search(source_meeting_id=seeded.target.id) == [three]
    assert await questions.search(submitted_by=CLERK.user_id) == [two]
    assert await questions.search(due_on_or_before=date(2026, 4, 26)) == []
    assert await questions.search(states=[S.SENT], due_on_or_before=date(2026, 4, 27)) == [one]


async def test_an_illegal_transition_writes_nothing(seeded: Seeded) -> None:
    question = await submit(seeded)
    before = await count(seeded.db, "audit_events")
    with pytest.raises(IllegalTransition):
        await seeded.repos.questions.return_answer(question.id, CLERK, LATER, note="More")
    with pytest.raises(IllegalTransition, match="assign an officer"):
        await seeded.repos.questions.send(question.id, CLERK, LATER)
    with pytest.raises(NotPermitted):
        await seeded.repos.questions.withdraw(question.id, STRANGER, LATER)
    assert await seeded.repos.questions.get(question.id) == question
    assert await count(seeded.db, "audit_events") == before


async def test_answer_states_go_through_the_answer_repository(seeded: Seeded) -> None:
    question = await sent(seeded)
    with pytest.raises(ValueError, match="AnswerRepository"):
        await seeded.repos.questions.transition(question.id, S.ANSWERED, OFFICER, LATER)


async def test_withdraw_reject_and_reinstate(seeded: Seeded) -> None:
    questions = seeded.repos.questions
    mine = await submit(seeded)
    withdrawn = await questions.withdraw(mine.id, ASKER, LATER, reason="Answered elsewhere")
    assert withdrawn.state is S.WITHDRAWN and withdrawn.updated_at == LATER
    other = await submit(seeded)
    assert (await questions.reject(other.id, CLERK, LATER, reason="Duplicate")).state is (
        S.REJECTED
    )
    assert (await questions.reinstate(other.id, CLERK, LATER)).state is S.SUBMITTED
    events = await seeded.repos.audit.for_subject("question", mine.reference)
    assert events[-1].detail == {
        "from": "submitted",
        "to": "withdrawn",
        "note": "Answered elsewhere",
    }


async def test_edit_text_keeps_the_old_wording(seeded: Seeded) -> None:
    question = await submit(seeded)
    edited = await seeded.repos.questions.edit_text(question.id, "Reworded?", CLERK, LATER)
    assert edited.text == "Reworded?"
    assert (await seeded.repos.questions.get(question.id)).text == "Reworded?"
    event = (await seeded.repos.audit.for_subject("question", question.reference))[-1]
    assert event.detail == {"before": question.text, "after": "Reworded?"}
    unchanged = await seeded.repos.questions.edit_text(question.id, "Reworded?", CLERK, LATER)
    assert unchanged == edited


async def test_transfer_round_trip(seeded: Seeded) -> None:
    questions = seeded.repos.questions
    question = await sent(seeded)
    proposed = await questions.propose_transfer(
        question.id, OTHER_OFFICER.user_id, OFFICER, LATER, to_role="HoS", reason="HoS leads"
    )
    stored = await questions.get(question.id)
    assert stored == proposed
    assert stored.pending_transfer is not None
    assert stored.pending_transfer.requested_at == LATER
    assert stored.assigned_officer == OFFICER.user_id
    accepted = await questions.accept_transfer(question.id, OTHER_OFFICER, LATER)
    assert accepted.assigned_officer == OTHER_OFFICER.user_id
    assert accepted.addressed_role == "HoS"
    assert await questions.get(question.id) == accepted
    assert await questions.search(officer=OTHER_OFFICER.user_id) == [accepted]
    again = await questions.propose_transfer(
        question.id, OFFICER.user_id, OTHER_OFFICER, LATER, reason="Back"
    )
    declined = await questions.decline_transfer(question.id, OFFICER, LATER, reason="No")
    assert again.pending_transfer is not None and declined.pending_transfer is None
    actions = [
        e.action for e in await seeded.repos.audit.for_subject("question", question.reference)
    ]
    assert actions[-4:] == [
        "transfer_requested",
        "transfer_accepted",
        "transfer_requested",
        "transfer_declined",
    ]


async def test_a_change_from_a_stale_read_is_refused(seeded: Seeded) -> None:
    question = await sent(seeded)
    await seeded.repos.questions.withdraw(question.id, CLERK, LATER)
    stale = transition(question, S.HOLDING, OFFICER, LATER)
    async with seeded.db.transaction() as tx:
        with pytest.raises(Conflict, match="changed by someone else"):
            await save_change(tx, stale)
    assert (await seeded.repos.questions.get(question.id)).state is S.WITHDRAWN


async def test_the_change_and_its_audit_event_commit_or_roll_back_together(
    seeded: Seeded,
) -> None:
    question = await sent(seeded)
    events_before = await count(seeded.db, "audit_events")
    with pytest.raises(RuntimeError, match="crash"):
        async with seeded.db.transaction() as tx:
            current = await load_question(tx, question.id)
            await save_change(tx, transition(current, S.WITHDRAWN, CLERK, LATER))
            raise RuntimeError("crash after the write, before the commit")
    assert (await seeded.repos.questions.get(question.id)).state is S.SENT
    assert await count(seeded.db, "audit_events") == events_before

    async with seeded.db.transaction() as tx:
        current = await load_question(tx, question.id)
        await save_change(tx, transition(current, S.WITHDRAWN, CLERK, LATER))
    assert (await seeded.repos.questions.get(question.id)).state is S.WITHDRAWN
    assert await count(seeded.db, "audit_events") == events_before + 1


async def test_the_deputy_actor_from_the_directory_may_act(seeded: Seeded) -> None:
    question = await sent(seeded)
    deputy: Actor = await seeded.repos.officers.actor("UDEPUTY1", {CLERK.user_id})
    moved = await seeded.repos.questions.propose_transfer(
        question.id, OTHER_OFFICER.user_id, deputy, LATER, reason="Covering"
    )
    assert moved.pending_transfer is not None
    assert replace(moved, pending_transfer=None, updated_at=question.updated_at) == question
