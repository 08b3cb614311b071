"""Full-text search: kept in step by the write path, stemmed, ranked, drafts only for clerks,
and built for a database that existed before it."""

from __future__ import annotations

from datetime import date

from bot.core.lifecycle import draft_question
from bot.core.models import Asker, MessageRef, OnBehalfOf, Question
from storage.repositories import Repositories
from storage.search import MARK_END, MARK_START
from storage.store import open_store
from tests.storage.storage_support import (
    ASKER,
    CLERK,
    NOW,
    OFFICER,
    Seeded,
    route_and_send,
)


async def ask(seeded: Seeded, text: str) -> Question:
    draft = draft_question(
        ASKER,
        source_meeting_id=seeded.source.id,
        agenda_item="4",
        asker=Asker(OnBehalfOf.COMMISSION),
        text=text,
        addressed_role="DCSC",
    )
    return await seeded.repos.questions.create(draft, NOW)


async def found(seeded: Seeded, words: str, *, clerk: bool = True) -> list[int]:
    hits = await seeded.repos.search.search(words.split(), include_drafts=clerk)
    return [hit.question_id for hit in hits]


async def test_questions_are_found_by_stemmed_words_best_first(seeded: Seeded) -> None:
    moves = await ask(seeded, "Why do children in care move placements so often?")
    housing = await ask(seeded, "How many care leavers live in unsuitable housing?")
    both = await ask(seeded, "Placement moves: how many moved twice, and why?")
    assert await found(seeded, "moving") == [both.id, moves.id]  # "moving" finds "move(s)"
    assert await found(seeded, "care leavers") == [housing.id]
    assert await found(seeded, "ofsted") == []
    # Typed text is words, never query syntax: quotes, operators, brackets are harmless.
    assert await found(seeded, '"care OR ( * leavers* -') == [housing.id]
    # Only common words typed: they are searched for after all.
    assert set(await found(seeded, "how many")) == {housing.id, both.id}
    [hit] = await seeded.repos.search.search(["housing"], include_drafts=True)
    assert f"{MARK_START}housing{MARK_END}" in hit.snippet


async def test_answers_are_searched_drafts_only_for_clerks(seeded: Seeded) -> None:
    question = await route_and_send(seeded, await ask(seeded, "How is the service doing?"))
    await seeded.repos.answers.add_part(
        question.id, MessageRef("D1", "1.1"), "Ofsted rated the service good.", OFFICER, NOW
    )
    assert await found(seeded, "ofsted") == [question.id]
    assert await found(seeded, "ofsted", clerk=False) == []  # not published yet
    await seeded.repos.answers.approve(question.id, CLERK, NOW)
    await seeded.repos.answers.publish(question.id, CLERK, NOW)
    assert await found(seeded, "ofsted", clerk=False) == [question.id]
    [hit] = await seeded.repos.search.search(["rated"], include_drafts=False)
    assert f"{MARK_START}rated{MARK_END}" in hit.snippet
    # An edit after publication is on record for the clerk; others still see what was published.
    await seeded.repos.answers.edit_part(
        MessageRef("D1", "1.1"), "Inspectors rated it outstanding.", OFFICER, NOW
    )
    assert await found(seeded, "outstanding") == [question.id]
    assert await found(seeded, "outstanding", clerk=False) == []
    await seeded.repos.answers.delete_part(MessageRef("D1", "1.1"), OFFICER, NOW)
    assert await found(seeded, "inspectors") == []


async def test_filters_by_committee_and_date(seeded: Seeded) -> None:
    question = await ask(seeded, "How many care leavers live in unsuitable housing?")
    search = seeded.repos.search
    assert [h.question_id for h in await search.search(["housing"], include_drafts=True,
            committee_key="CYP")] == [question.id]  # fmt: skip
    assert await search.search(["housing"], include_drafts=True, committee_key="OTHER") == []
    assert await search.search(["housing"], include_drafts=True, since=date(2026, 4, 21)) == []
    since = await search.search(["housing"], include_drafts=True, since=date(2026, 4, 20))
    assert [h.question_id for h in since] == [question.id]


async def test_similar_earlier_questions_share_words(seeded: Seeded) -> None:
    first = await ask(seeded, "Why do children in care move placements so often?")
    await ask(seeded, "What is the budget for school meals?")
    again = await ask(seeded, "Why are children in care moving placement so often?")
    [hit, *rest] = await seeded.repos.search.similar(again.id, again.text)
    assert hit.question_id == first.id and hit.rank >= 0.8
    assert all(other.rank < hit.rank for other in rest)
    assert await seeded.repos.search.similar(first.id, first.text) == []  # nothing earlier


async def test_an_existing_database_is_indexed_by_the_migration(seeded: Seeded) -> None:
    question = await ask(seeded, "How many care leavers live in unsuitable housing?")
    # As a database made before search existed: no index, migration 16 not applied.
    async with seeded.db.transaction() as tx:
        if seeded.db.dialect == "postgresql":  # its triggers go with their function
            await tx.execute("DROP FUNCTION question_search_on_write() CASCADE")
            await tx.execute("DROP FUNCTION question_search_refresh(BIGINT)")
        else:
            triggers = await tx.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%search%'"
            )
            for row in triggers:
                await tx.execute(f"DROP TRIGGER {row['name']}")
        await tx.execute("DROP TABLE question_search")
        await tx.execute("DELETE FROM schema_migrations WHERE number = 16")
    await seeded.db.close()
    reopened = await open_store(seeded.path)
    try:
        hits = await Repositories.on(reopened).search.search(["housing"], include_drafts=True)
        assert [hit.question_id for hit in hits] == [question.id]
    finally:
        await reopened.close()
