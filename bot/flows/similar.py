"""When a question is submitted: the earlier questions most like it, for its confirmation
and the clerk's card, so the same question coming back meeting after meeting is noticed."""

from __future__ import annotations

from dataclasses import dataclass

from bot import messages
from bot.core.models import Question
from bot.core.mrkdwn import Mrkdwn, join, md
from bot.services import Services

DUPLICATE_SHARE = 0.6
"""A submitted question sharing this much of its words with an earlier one (common words
aside) is marked as a possible duplicate of it."""
LEAST_SHARE = 0.25
"""Less alike than this is not worth showing."""


@dataclass(frozen=True)
class Similar:
    question: Question
    share: float

    @property
    def possible_duplicate(self) -> bool:
        return self.share >= DUPLICATE_SHARE


async def similar_questions(services: Services, question: Question) -> list[Similar]:
    """Up to 3 earlier questions most like ``question``, each with how alike they are."""
    hits = await services.repos.search.similar(question.id, question.text, limit=3)
    found = []
    for hit in hits:
        if hit.rank < LEAST_SHARE:
            continue
        found.append(Similar(await services.repos.questions.get(hit.question_id), hit.rank))
    return found


def similar_blocks(similar: list[Similar]) -> list[messages.Block]:
    """'Asked before?' lines for a confirmation or the clerk's card (none if nothing is)."""
    if not similar:
        return []
    lines = [
        md(
            "• {}*{}* ({}): {}",
            Mrkdwn(":warning: possible duplicate of ") if s.possible_duplicate else "",
            s.question.reference,
            s.question.state.value,
            _first_words(s.question.text),
        )
        for s in similar
    ]
    return [messages.context_line(join("\n", [Mrkdwn("*Asked before?*"), *lines]))]


def _first_words(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
