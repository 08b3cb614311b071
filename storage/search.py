"""Full-text search over questions and answers (English stemming, ranked): SQLite's FTS5, or
PostgreSQL's text search.

``question_search`` holds, for each question (its rowid, or on PostgreSQL its question_id, is
the question's id), the question text, the answer as it stands and the text as published;
triggers (storage/migrations.py, storage/pg_migrations.py) keep it in step with every write.
What people type is never query syntax here: it is cut into words, each searched for as a
quoted term, so no input is an error or an operator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from storage.db import Database, Row

WORD = re.compile(r"\w+", re.UNICODE)
WORDS_KEPT = 12
"""Search words used at most (the rest are ignored, and the person told so)."""
MARK_START, MARK_END = "\x02", "\x03"
"""Around matched words in a snippet (never in stored text: control characters are removed
from everything people type)."""

STOP_WORDS = frozenset(
    """
    a about an and are as at be been but by can could did do does for from had has have
    how i if in into is it its may more most no not of on or our over should so than that
    the their them there these they this to was we were what when where which who why
    will with would you your please update can commission
    """.split()  # noqa: SIM905 (a list of words reads best as words)
)
"""Words too common to tell questions apart (for finding similar questions)."""


@dataclass(frozen=True)
class SearchHit:
    question_id: int
    snippet: str
    """A short extract around the match, matched words between MARK_START and MARK_END:
    from the answer (published, or as it stands for a clerk) when it matched, else from the
    question."""
    rank: float


def words_of(text: str) -> list[str]:
    """The words of ``text``, lower-cased, in order, each once."""
    return list(dict.fromkeys(word.casefold() for word in WORD.findall(text)))


def searched_words(words: Sequence[str]) -> list[str]:
    """The words a search looks for: real words only, common ones ("how", "the") left out
    unless nothing else was typed, at most WORDS_KEPT."""
    found = words_of(" ".join(words))
    telling = [word for word in found if word not in STOP_WORDS]
    return (telling or found)[:WORDS_KEPT]


def _terms(words: Sequence[str]) -> list[str]:
    return ['"' + word.replace('"', "") + '"' for word in words if word]


class QuestionSearch:
    """Searching ``question_search``: the one place where the SQL differs between SQLite
    (FTS5: ``MATCH``, ``bm25``, ``snippet``) and PostgreSQL (``tsvector`` columns with the
    ``english`` configuration: ``@@``, ``ts_rank``, ``ts_headline``). Both rank lower first
    and mark matched words with MARK_START and MARK_END."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _ranked_in_sqlite(
        self,
        words: Sequence[str],
        include_drafts: bool,
        where: list[str],
        params: list[object],
        limit: int,
    ) -> list[Row]:
        columns = "{question answer published}" if include_drafts else "{question published}"
        snippets = ", ".join(
            f"snippet(question_search, {column}, '{MARK_START}', '{MARK_END}', '…', 24)"
            f" AS in_{name}"
            for column, name in enumerate(("question", "answer", "published"))
        )
        return await self.db.fetchall(
            f"SELECT q.id AS id, bm25(question_search, 1.0, 0.5, 0.8) AS rank, {snippets}"
            " FROM question_search JOIN questions q ON q.id = question_search.rowid"
            " JOIN meetings m ON m.id = q.source_meeting_id"
            f" WHERE {' AND '.join(['question_search MATCH ?', *where])}"
            " ORDER BY rank LIMIT ?",
            (f"{columns} : ({' '.join(_terms(words))})", *params, limit),
        )

    async def _ranked_in_postgresql(
        self,
        words: Sequence[str],
        include_drafts: bool,
        where: list[str],
        params: list[object],
        limit: int,
    ) -> list[Row]:
        searched = "s.all_words" if include_drafts else "s.public_words"
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=12"
        snippets = ", ".join(
            f"ts_headline('english', s.{name}, query, '{options}') AS in_{name}"
            for name in ("question", "answer", "published")
        )
        # Weights for D, C, B, A: the question (A) counts most, then published text (B),
        # then the answer as it stands (C), as bm25's column weights do on SQLite.
        return await self.db.fetchall(
            f"SELECT q.id AS id, -ts_rank('{{0.1, 0.5, 0.8, 1.0}}', {searched}, query) AS rank,"
            f" {snippets} FROM question_search s JOIN questions q ON q.id = s.question_id"
            " JOIN meetings m ON m.id = q.source_meeting_id, to_tsquery('english', ?) AS query"
            f" WHERE {' AND '.join([f'{searched} @@ query', *where])}"
            " ORDER BY rank, q.id LIMIT ?",
            (" & ".join(_lexemes(words)), *params, limit),
        )

    async def search(
        self,
        words: Sequence[str],
        *,
        include_drafts: bool,
        committee_key: str | None = None,
        since: date | None = None,
        limit: int = 10,
    ) -> list[SearchHit]:
        """Questions whose text or answer has every word (stemmed: "moving" finds "move"),
        best first. Without ``include_drafts`` only the question and the published answer
        are searched (and shown): an answer not yet published is not for everyone."""
        wanted = searched_words(words)
        if not _terms(wanted):
            return []
        where: list[str] = []
        params: list[object] = []
        if committee_key is not None:
            where.append("m.committee_key = ?")
            params.append(committee_key)
        if since is not None:
            where.append("q.created_at >= ?")
            params.append(since.isoformat())
        if self.db.dialect == "postgresql":
            rows = await self._ranked_in_postgresql(wanted, include_drafts, where, params, limit)
        else:
            rows = await self._ranked_in_sqlite(wanted, include_drafts, where, params, limit)
        shown = ("published", "answer", "question") if include_drafts else ("published", "question")
        hits = []
        for row in rows:
            extracts = [str(row[f"in_{name}"] or "") for name in shown]
            best = next((e for e in extracts if MARK_START in e), extracts[-1])
            hits.append(SearchHit(int(row["id"]), best, float(row["rank"])))
        return hits

    async def similar(self, question_id: int, text: str, *, limit: int = 3) -> list[SearchHit]:
        """Earlier questions sharing the most words with ``text`` (common words aside), best
        first; each hit's rank is the share of the new question's words it has (0 to 1)."""
        wanted = [w for w in words_of(text) if w not in STOP_WORDS and len(w) > 2]
        terms = _terms(wanted[:30])
        if not terms:
            return []
        if self.db.dialect == "postgresql":
            rows = await self.db.fetchall(
                "SELECT question_id AS id, question FROM question_search,"
                " to_tsquery('english', ?) AS query WHERE question_words @@ query"
                " AND question_id < ? ORDER BY ts_rank(question_words, query) DESC,"
                " question_id LIMIT 20",
                (" | ".join(_lexemes(wanted[:30])), question_id),
            )
        else:
            rows = await self.db.fetchall(
                "SELECT rowid AS id, question FROM question_search WHERE question_search"
                " MATCH ? AND rowid < ? ORDER BY bm25(question_search) LIMIT 20",
                (f"{{question}} : ({' OR '.join(terms)})", question_id),
            )
        mine = {_stem(w) for w in wanted}
        scored = []
        for row in rows:
            theirs = {_stem(w) for w in words_of(str(row["question"]))}
            share = len(mine & theirs) / len(mine)
            scored.append(SearchHit(int(row["id"]), str(row["question"]), share))
        scored.sort(key=lambda hit: (-hit.rank, hit.question_id))
        return scored[:limit]


def _lexemes(words: Sequence[str]) -> list[str]:
    """Words as PostgreSQL ``tsquery`` terms: quoted, so none is an operator."""
    return ["'" + word.replace("'", "") + "'" for word in words if word.replace("'", "")]


def _stem(word: str) -> str:
    """A rough English stem, enough to compare two questions' words ("placements" and
    "placement", "moving" and "move")."""
    for ending in ("ings", "ing", "ies", "ied", "es", "ed", "s", "e"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word
