"""``/agenda search``: was this asked before, and what was the answer?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core.errors import InvalidInput
from bot.core.markup import mentioned_users, to_plain_text
from bot.core.models import QuestionState
from bot.core.mrkdwn import Mrkdwn, esc, link, md
from bot.core.permissions import Action, check
from bot.flows.sending import meeting_name
from bot.flows.slack import message_link, workspace_url
from bot.services import Services
from storage.search import (
    MARK_END,
    MARK_START,
    WORDS_KEPT,
    SearchHit,
    searched_words,
    words_of,
)

SEARCH_USAGE = "/agenda search <words> [in:<committee>] [since:<YYYY-MM-DD>]"
RESULTS = 10

_OPEN_MARK, _CLOSE_MARK = "\ue000", "\ue001"


@dataclass(frozen=True)
class SearchRequest:
    words: list[str]
    committee_key: str | None
    since: date | None


def parse_search(args: str) -> SearchRequest:
    """``<words> [in:<committee>] [since:<YYYY-MM-DD>]`` (filters anywhere among the words)."""
    committee: str | None = None
    since: date | None = None
    rest: list[str] = []
    for token in args.split():
        lowered = token.casefold()
        if lowered.startswith("in:") and len(token) > 3:
            committee = token[3:].strip().upper()
        elif lowered.startswith("since:"):
            try:
                since = date.fromisoformat(token[6:])
            except ValueError:
                raise InvalidInput(
                    f"{token!r}: give the date as since:2025-09-01. Usage: {SEARCH_USAGE}"
                ) from None
        else:
            rest.append(token)
    words = words_of(" ".join(rest))
    if not words:
        raise InvalidInput(f"Say what to look for. Usage: {SEARCH_USAGE}")
    return SearchRequest(words, committee, since)


async def search(
    services: Services, client: AsyncWebClient, user_id: str, args: str
) -> tuple[Mrkdwn, list[messages.Block]]:
    """The best matches, each with its reference, state, meeting, an extract and a link.

    A clerk searches answers as they stand; everyone else the questions and the published
    answers only, so a draft answer is never shown before it is published.
    """
    actor = await services.actor(user_id)
    if not actor.is_clerk:
        check(actor, Action.SUBMIT_QUESTION)
    request = parse_search(args)
    repos = services.repos
    if request.committee_key is not None:
        request = SearchRequest(
            request.words,
            (await repos.meetings.committee(request.committee_key)).key,
            request.since,
        )
    hits = await repos.search.search(
        request.words,
        include_drafts=actor.is_clerk,
        committee_key=request.committee_key,
        since=request.since,
        limit=RESULTS,
    )
    words = " ".join(searched_words(request.words))
    if not hits:
        nothing = md("Nothing found for _{}_.", words)
        return nothing, [messages.section(nothing)]
    base = await workspace_url(client) if actor.is_clerk else None
    lines = [await _result(services, hit, base) for hit in hits]
    more = (
        md(" (the first {} words were used)", WORDS_KEPT) if len(request.words) > WORDS_KEPT else ""
    )
    heading = md("*{} found for* _{}_{}:", _count(len(hits)), words, more)
    return heading, [messages.section(heading), *(messages.section(line) for line in lines)]


def _count(n: int) -> str:
    return f"{n} question" if n == 1 else f"{n} questions"


async def _result(services: Services, hit: SearchHit, base_url: str | None) -> Mrkdwn:
    repos = services.repos
    question = await repos.questions.get(hit.question_id)
    source = await repos.meetings.get(question.source_meeting_id)
    committee = await repos.meetings.committee(source.committee_key)
    where: Mrkdwn = md("{}", meeting_name(source, committee.name))
    if base_url and question.thread:
        where = md("{} · {}", where, link(message_link(base_url, question.thread), "thread"))
    elif question.state in (QuestionState.PUBLISHED, QuestionState.CORRECTED):
        target = await repos.meetings.get(question.target_meeting_id or source.id)
        where = md("{} · published for {}", where, target.reference)
    extract = await _extract(services, hit.snippet)
    return md("• *{}* ({}) · {}\n    {}", question.reference, question.state.value, where, extract)


async def _extract(services: Services, snippet: str) -> Mrkdwn:
    """The snippet as plain text with the matched words in bold; nothing in it is live."""
    text = snippet.replace(_OPEN_MARK, "").replace(_CLOSE_MARK, "")
    text = text.replace(MARK_START, _OPEN_MARK).replace(MARK_END, _CLOSE_MARK)
    names = await services.repos.people.display_names(mentioned_users(text))
    plain = " ".join(to_plain_text(text, names).split())
    escaped = esc(plain)
    return Mrkdwn(re.sub(f"{_OPEN_MARK}([^{_CLOSE_MARK}]*){_CLOSE_MARK}", r"*\1*", escaped))
