from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.core.errors import IllegalTransition, InvalidInput, NotPermitted
from bot.core.lifecycle import draft_question
from bot.core.models import Asker, MessageRef, OnBehalfOf, Question, QuestionState
from storage.db import IntegrityError
from tests.storage.storage_support import (
    ASKER,
    CLERK,
    DEPUTY,
    NOW,
    OFFICER,
    Seeded,
    count,
    route_and_send,
)

S = QuestionState
THREAD = "D0OFFICER"
T1 = NOW + timedelta(hours=1)
T2 = NOW + timedelta(hours=2)
T3 = NOW + timedelta(hours=3)


def reply(ts: str) -> MessageRef:
    return MessageRef(THREAD, ts)


async def sent(seeded: Seeded) -> Question:
    draft = draft_question(
        ASKER,
        source_meeting_id=seeded.source.id,
        agenda_item="4",
        asker=Asker(OnBehalfOf.COMMISSION),
        text="How is the service preparing for inspection?",
        addressed_role="DCSC",
    )
    question = await seeded.repos.questions.create(draft, NOW)
    return await route_and_send(seeded, question)


async def actions(seeded: Seeded, question: Question) -> list[str]:
    events = await seeded.repos.audit.for_subject("question", question.reference)
    return [e.action for e in events]


async def test_first_reply_answers_the_question(seeded: Seeded) -> None:
    question = await sent(seeded)
    recorded = await seeded.repos.answers.add_part(
        question.id, reply("1776679200.000100"), "The service is well prepared.", OFFICER, T1
    )
    assert recorded.created
    assert recorded.question.state is S.ANSWERED
    assert recorded.part.text == "The service is well prepared."
    assert recorded.part.author == OFFICER.user_id
    assert recorded.part.posted_at == T1
    assert (await seeded.repos.questions.get(question.id)).state is S.ANSWERED
    assert (await seeded.repos.answers.parts(question.id)) == [recorded.part]
    assert (await actions(seeded, question))[-2:] == ["answer_part_added", "question_answered"]
    # A second reply is recorded; the state stays answered.
    more = await seeded.repos.answers.add_part(
        question.id, reply("1776679300.000100"), "Audits are complete.", DEPUTY, T2
    )
    assert more.created and more.question.state is S.ANSWERED
    answer = await seeded.repos.answers.get(question.id)
    assert answer.text == "The service is well prepared.\n\nAudits are complete."


async def test_a_repeated_event_records_the_reply_once(seeded: Seeded) -> None:
    question = await sent(seeded)
    message = reply("1776679200.000100")
    first = await seeded.repos.answers.add_part(question.id, message, "Answer.", OFFICER, T1)
    events = await count(seeded.db, "audit_events")
    again = await seeded.repos.answers.add_part(question.id, message, "Answer.", OFFICER, T1)
    assert not again.created
    assert again.part == first.part
    assert await count(seeded.db, "answer_parts") == 1
    assert await count(seeded.db, "audit_events") == events


async def test_the_channel_and_ts_pair_is_unique_in_the_schema(seeded: Seeded) -> None:
    question = await sent(seeded)
    await seeded.repos.answers.add_part(question.id, reply("1.000001"), "A.", OFFICER, T1)
    with pytest.raises(IntegrityError, match=r"(?i)unique"):  # each backend's own words
        async with seeded.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO answer_parts (question_id, channel, ts, author, text, posted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (question.id, THREAD, "1.000001", "U1", "B.", "2026-04-20T10:00:00+00:00"),
            )


async def test_parts_are_in_thread_order(seeded: Seeded) -> None:
    question = await sent(seeded)
    answers = seeded.repos.answers
    await answers.add_part(question.id, reply("1776679200.000200"), "Second.", OFFICER, T2)
    await answers.add_part(question.id, reply("1776679200.000100"), "First.", OFFICER, T1)
    await answers.add_part(question.id, reply("999999999.000300"), "Earliest.", OFFICER, T1)
    assert [p.text for p in await answers.parts(question.id)] == ["Earliest.", "First.", "Second."]


async def test_edits_keep_every_version(seeded: Seeded) -> None:
    question = await sent(seeded)
    answers = seeded.repos.answers
    message = reply("1776679200.000100")
    await answers.add_part(question.id, message, "Draft one.", OFFICER, T1)
    edited = await answers.edit_part(message, "Draft two.", OFFICER, T2)
    assert edited is not None and edited.text == "Draft two." and edited.edited_at == T2
    final = await answers.edit_part(message, "Final.", OFFICER, T3)
    assert final is not None
    [stored] = await answers.parts(question.id)
    assert stored == final
    assert [(v.text, v.replaced_at) for v in stored.versions] == [
        ("Draft one.", T2),
        ("Draft two.", T3),
    ]
    # Slack re-sends unchanged text (unfurls): no new version.
    same = await answers.edit_part(message, "Final.", OFFICER, T3)
    assert same == stored
    assert await answers.edit_part(reply("5.5"), "Not an answer", OFFICER, T3) is None
    event = (await seeded.repos.audit.for_subject("question", question.reference))[-1]
    assert event.action == "answer_part_edited"
    assert event.detail["before"] == "Draft two." and event.detail["after"] == "Final."


async def test_deleting_keeps_the_text_on_record(seeded: Seeded) -> None:
    question = await sent(seeded)
    answers = seeded.repos.answers
    await answers.add_part(question.id, reply("1.1"), "Keep.", OFFICER, T1)
    await answers.add_part(question.id, reply("1.2"), "Oops.", OFFICER, T1)
    deleted = await answers.delete_part(reply("1.2"), OFFICER, T2)
    assert deleted is not None and deleted.deleted and deleted.text == "Oops."
    answer = await answers.get(question.id)
    assert answer.text == "Keep."
    assert len(answer.parts) == 2
    assert await answers.delete_part(reply("9.9"), OFFICER, T2) is None


async def test_holding_reply(seeded: Seeded) -> None:
    question = await sent(seeded)
    answers = seeded.repos.answers
    holding = await answers.give_holding_reply(
        question.id, "Waiting for the data.", date(2026, 5, 5), OFFICER, T1
    )
    assert (await seeded.repos.questions.get(question.id)).state is S.HOLDING
    revised = await answers.give_holding_reply(
        question.id, "Data is late.", date(2026, 5, 8), DEPUTY, T2
    )
    answer = await answers.get(question.id)
    assert answer.holding_replies == (holding, revised)
    assert answer.holding_reply == revised
    event = (await seeded.repos.audit.for_subject("question", question.reference))[-1]
    assert event.detail["promised_date"] == "2026-05-08"
    with pytest.raises(InvalidInput, match="already passed"):
        await answers.give_holding_reply(question.id, "x", date(2026, 4, 19), OFFICER, T1)
    with pytest.raises(NotPermitted):
        await answers.give_holding_reply(question.id, "x", date(2026, 5, 9), CLERK, T1)
    assert len((await answers.get(question.id)).holding_replies) == 2


async def test_approve_return_reanswer_publish_correct(seeded: Seeded) -> None:
    question = await sent(seeded)
    answers, questions = seeded.repos.answers, seeded.repos.questions
    message = reply("1.1")
    await answers.add_part(question.id, message, "Short answer.", OFFICER, T1)

    await questions.return_answer(question.id, CLERK, T1, note="Please add the figures.")
    assert (await questions.get(question.id)).state is S.RETURNED
    await answers.edit_part(message, "Answer with figures: 390.", OFFICER, T2)
    assert (await questions.get(question.id)).state is S.ANSWERED

    approval = await answers.approve(question.id, CLERK, T2)
    assert approval.answer_text == "Answer with figures: 390."
    assert (await questions.get(question.id)).state is S.APPROVED

    # An edit after approval needs approving again.
    await answers.edit_part(message, "Answer with figures: 391.", OFFICER, T2)
    assert (await questions.get(question.id)).state is S.ANSWERED
    with pytest.raises(IllegalTransition):
        await answers.publish(question.id, CLERK, T3)
    await answers.approve(question.id, CLERK, T3)

    publication = await answers.publish(question.id, CLERK, T3)
    assert publication.meeting_id == seeded.target.id
    assert publication.answer_text == "Answer with figures: 391."
    assert (await questions.get(question.id)).state is S.PUBLISHED

    # A later edit in Slack is kept, but the published text stands.
    await answers.edit_part(message, "Changed after publishing.", OFFICER, T3)
    assert (await questions.get(question.id)).state is S.PUBLISHED

    correction = await answers.correct(
        question.id, "Answer with figures: 390.", "Typo in the figure", CLERK, T3
    )
    assert correction.original_text == "Answer with figures: 391."
    second = await answers.correct(question.id, "390 children.", "Clearer", CLERK, T3)
    assert second.original_text == "Answer with figures: 390."
    answer = await answers.get(question.id)
    assert answer.publication == publication
    assert answer.publication is not None
    assert answer.publication.answer_text == "Answer with figures: 391."  # on record
    assert answer.corrections == (correction, second)
    assert answer.published_text == "390 children."
    assert len(answer.approvals) == 2
    assert (await questions.get(question.id)).state is S.CORRECTED
    assert await actions(seeded, question) == [
        "question_submitted",
        "question_triaged",
        "question_sent",
        "answer_part_added",
        "question_answered",
        "question_returned",
        "answer_part_edited",
        "question_answered",
        "question_approved",
        "answer_part_edited",
        "question_answered",
        "question_approved",
        "question_published",
        "answer_part_edited",
        "question_corrected",
        "question_corrected",
    ]


async def test_approving_nothing_writes_nothing(seeded: Seeded) -> None:
    question = await sent(seeded)
    answers = seeded.repos.answers
    await answers.add_part(question.id, reply("1.1"), "Gone.", OFFICER, T1)
    await answers.delete_part(reply("1.1"), OFFICER, T1)
    events = await count(seeded.db, "audit_events")
    with pytest.raises(InvalidInput, match="no answer text"):
        await answers.approve(question.id, CLERK, T2)
    assert (await seeded.repos.questions.get(question.id)).state is S.ANSWERED
    assert await count(seeded.db, "audit_events") == events
    assert await count(seeded.db, "approvals") == 0


async def test_deleting_after_approval_needs_reapproval(seeded: Seeded) -> None:
    question = await sent(seeded)
    answers = seeded.repos.answers
    await answers.add_part(question.id, reply("1.1"), "One.", OFFICER, T1)
    await answers.add_part(question.id, reply("1.2"), "Two.", OFFICER, T1)
    await answers.approve(question.id, CLERK, T2)
    await answers.delete_part(reply("1.2"), OFFICER, T3)
    assert (await seeded.repos.questions.get(question.id)).state is S.ANSWERED


async def test_replies_are_refused_when_no_answer_is_needed(seeded: Seeded) -> None:
    question = await sent(seeded)
    await seeded.repos.questions.withdraw(question.id, ASKER, T1)
    with pytest.raises(IllegalTransition, match="withdrawn"):
        await seeded.repos.answers.add_part(question.id, reply("1.1"), "Late.", OFFICER, T2)
    assert await count(seeded.db, "answer_parts") == 0


async def test_only_the_officer_or_deputy_can_answer(seeded: Seeded) -> None:
    question = await sent(seeded)
    for actor in (CLERK, ASKER):
        with pytest.raises(NotPermitted):
            await seeded.repos.answers.add_part(question.id, reply("1.1"), "Hi.", actor, T1)
    assert await count(seeded.db, "answer_parts") == 0
    assert (await seeded.repos.questions.get(question.id)).state is S.SENT


async def test_only_the_clerk_approves_and_publishes_and_a_stranger_cannot_correct(
    seeded: Seeded,
) -> None:
    question = await sent(seeded)
    answers = seeded.repos.answers
    await answers.add_part(question.id, reply("1.1"), "Answer.", OFFICER, T1)
    with pytest.raises(NotPermitted):
        await answers.approve(question.id, OFFICER, T2)
    await answers.approve(question.id, CLERK, T2)
    with pytest.raises(NotPermitted):
        await answers.publish(question.id, ASKER, T2)
    await answers.publish(question.id, CLERK, T2)
    with pytest.raises(NotPermitted):
        await answers.correct(question.id, "New.", "Why", ASKER, T3)
    assert (await answers.get(question.id)).corrections == ()
    await answers.correct(question.id, "New.", "A figure was wrong.", OFFICER, T3)
    assert [c.corrected_text for c in (await answers.get(question.id)).corrections] == ["New."]


async def test_answers_for_many_questions_are_read_together_and_alike(seeded: Seeded) -> None:
    answers = seeded.repos.answers
    first, second, silent = await sent(seeded), await sent(seeded), await sent(seeded)
    await answers.add_part(first.id, reply("1776679200.000300"), "Second part.", OFFICER, T2)
    await answers.add_part(first.id, reply("1776679200.000100"), "First part.", OFFICER, T1)
    await answers.edit_part(reply("1776679200.000100"), "First part, edited.", OFFICER, T3)
    await answers.give_holding_reply(second.id, "By Friday.", date(2026, 5, 1), OFFICER, T1)
    together = await answers.get_many([silent.id, first.id, second.id, first.id])
    assert sorted(together) == sorted([first.id, second.id, silent.id])
    assert list(together[first.id].parts) == await answers.parts(first.id)
    assert [p.text for p in together[first.id].parts] == ["First part, edited.", "Second part."]
    assert [v.text for v in together[first.id].parts[0].versions] == ["First part."]
    assert together[second.id].holding_reply is not None
    assert together[second.id].parts == () and together[silent.id].parts == ()
    for question_id, answer in together.items():
        assert await answers.get(question_id) == answer
    assert await answers.get_many([]) == {}
