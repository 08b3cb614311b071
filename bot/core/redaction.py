"""Taking people out of the record: erasure (one person, everywhere) and pseudonymisation
(everyone in an old question, after the retention period).

Pure: storage finds the rows and writes them back; this decides what each value becomes.

- An **erased** person's user id becomes ``U-ERASED-<8 hex>`` (one tombstone per erasure, so
  the record still shows that the same person did these things), their @-mentions and their
  names become "Erased person", in every column, JSON detail and free text.
- A **pseudonymised** person (retention) gets ``U-PSEUDO-<8 hex>``, different in each old
  question; the names recorded for askers become "Pseudonymised person". Published text is
  kept as it was published.

Neither tombstone looks like a Slack id (``U`` then capitals and digits), so no tombstone
can ever be mistaken for a real member, or mention one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from bot.core.validation import SLACK_USER_ID

ERASED_NAME = "Erased person"
PSEUDONYM_NAME = "Pseudonymised person"
ERASED_PREFIX = "U-ERASED-"
PSEUDONYM_PREFIX = "U-PSEUDO-"
DELETED_TEXT = "[deleted after the retention period]"
"""What an unpublished draft or a discussion note in an audit event's detail becomes."""

SYSTEM_ACTORS = frozenset({"bot", "cli", "CLERK_USER_IDS"})
"""Actors that are not people (the bot itself, the command line, the seeded clerks)."""

PERSON_WORDS = frozenset(
    {
        "actor",
        "asker",
        "author",
        "by",
        "clerk",
        "deputy",
        "destination",
        "member",
        "name",
        "officer",
        "operator",
        "owner",
        "people",
        "person",
        "recipient",
        "reviewer",
        "sender",
        "submitter",
        "user",
        "who",
    }
)
"""Words that mark a column or a detail key as naming a person (``submitted_by``,
``assigned_officer``, ``user_id``, ``member_name``...)."""

DRAFT_KEYS = frozenset(
    {
        "after",
        "answer_text",
        "before",
        "corrected_text",
        "name",
        "note",
        "original_text",
        "reason",
        "text",
    }
)
"""Audit detail keys that carry text people wrote: kept after the retention period only
when the text is part of what stays (the question, the published answer, its corrections)."""


def erased_id(token: str) -> str:
    return f"{ERASED_PREFIX}{token.upper()}"


def pseudonym_id(token: str) -> str:
    return f"{PSEUDONYM_PREFIX}{token.upper()}"


def is_tombstone(value: str) -> bool:
    """An id already erased or pseudonymised."""
    return value.startswith((ERASED_PREFIX, PSEUDONYM_PREFIX))


def names_a_person(column_or_key: str) -> bool:
    """Whether a column or detail key, by its name, holds a person (``added_by``,
    ``to_officer``, ``user_id``)."""
    return any(part in PERSON_WORDS for part in column_or_key.lower().split("_"))


def holds_a_name(column_or_key: str) -> bool:
    """Whether a column or detail key holds a person's name as its whole value."""
    return "name" in column_or_key.lower().split("_") and names_a_person(column_or_key)


def is_person_actor(actor: str) -> bool:
    """An audit actor that is a person (a Slack user, or an operator named with --by)."""
    return actor not in SYSTEM_ACTORS and not is_tombstone(actor)


def name_pattern(name: str) -> re.Pattern[str] | None:
    """A stored name as whole words. A name of several words matches in any case and with any
    spacing ("dana  DIRECTOR"); a one-word name only exactly as stored, so that a person
    called Will does not take the word "will" out of every answer."""
    words = name.split()
    if not words:
        return None
    body = r"\s+".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE if len(words) > 1 else 0)


def _alternatives(values: Iterable[str]) -> str:
    return "|".join(re.escape(v) for v in sorted(set(values), key=lambda v: (-len(v), v)))


class Replacement:
    """Some people's ids replaced by others, their @-mentions and names by words.

    ``ids`` maps an old user id to its new (tombstone) id; ``mention_text`` an old user id
    to what an @-mention of them (``<@U…>``, ``<@U…|label>``) becomes; ``names`` a stored
    name to what it becomes wherever it stands as whole words.
    """

    def __init__(
        self,
        ids: Mapping[str, str],
        mention_text: Mapping[str, str],
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.ids = dict(ids)
        self.mention_text = dict(mention_text)
        self.names = {name: new for name, new in (names or {}).items() if name.strip()}
        mentions = [i for i in self.mention_text if i]
        ids_wanted = [i for i in self.ids if i]
        self._mention = (
            re.compile(rf"<@({_alternatives(mentions)})(?:\|[^<>\n]*)?>") if mentions else None
        )
        self._id = (
            re.compile(rf"(?<![A-Za-z0-9])({_alternatives(ids_wanted)})(?![A-Za-z0-9])")
            if ids_wanted
            else None
        )
        self._names: list[tuple[re.Pattern[str], str]] = []
        for name in sorted(self.names, key=lambda n: (-len(n), n)):
            pattern = name_pattern(name)
            if pattern is not None:
                self._names.append((pattern, self.names[name]))

    @property
    def needles(self) -> list[str]:
        """Substrings a value must contain to need a change (for a first filter in SQL)."""
        return sorted({*self.ids, *self.mention_text, *(n for n in self.names if n.strip())})

    def text(self, value: str, *, names: bool = True) -> str:
        """``value`` with the mentions, then the ids, then (unless not ``names``) the names
        replaced."""
        if self._mention is not None:
            value = self._mention.sub(lambda m: self.mention_text[m.group(1)], value)
        if self._id is not None:
            value = self._id.sub(lambda m: self.ids[m.group(1)], value)
        for pattern, replacement in self._names if names else ():
            value = pattern.sub(_literally(replacement), value)
        return value

    def json(self, value: Any, *, own_names: bool = True, key: str = "") -> Any:
        """Every string in a JSON value (not the keys, which are the bot's own) replaced.

        Without ``own_names`` a value that is someone's name (under a key such as
        ``member_name``) is left alone: it is another person's, who shares the name."""
        if isinstance(value, str):
            return self.text(value, names=own_names or not holds_a_name(key))
        if isinstance(value, list):
            return [self.json(item, own_names=own_names, key=key) for item in value]
        if isinstance(value, dict):
            return {k: self.json(item, own_names=own_names, key=k) for k, item in value.items()}
        return value


def _literally(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for ``re.sub`` that is ``text`` as it is (no backslash escapes)."""
    return lambda _match: text


def erasure(user_id: str, tombstone: str, names: Iterable[str]) -> Replacement:
    """Replace one person everywhere: id by ``tombstone``, mentions and names by
    "Erased person"."""
    return Replacement(
        ids={user_id: tombstone},
        mention_text={user_id: ERASED_NAME},
        names={name: ERASED_NAME for name in names if name.strip()},
    )


def pseudonymise_detail(
    detail: Mapping[str, Any],
    people: Mapping[str, str],
    kept_texts: Collection[str] | None,
) -> dict[str, Any]:
    """An audit event's detail after the retention period.

    Person ids (values equal to one of ``people``, or any Slack-id-like value under a key
    that names a person) become their pseudonyms; ``member_name`` becomes "Pseudonymised
    person"; text under a draft key (``text``, ``note``, ``before``...) that is not one of
    ``kept_texts`` becomes "[deleted after the retention period]" (with ``kept_texts`` None,
    all text is kept: the event is not about a question). The rest is kept.
    """
    return {key: _pseudonymise(value, key, people, kept_texts) for key, value in detail.items()}


def _pseudonymise(
    value: Any,
    key: str,
    people: Mapping[str, str],
    kept: Collection[str] | None,
    draft: bool = False,
) -> Any:
    draft = draft or key in DRAFT_KEYS
    if isinstance(value, dict):
        return {k: _pseudonymise(v, k, people, kept, draft) for k, v in value.items()}
    if isinstance(value, list):
        return [_pseudonymise(v, key, people, kept, draft) for v in value]
    if not isinstance(value, str):
        return value
    if value in people:
        return people[value]
    if key == "member_name":
        return PSEUDONYM_NAME
    if names_a_person(key) and SLACK_USER_ID.match(value):
        return people.get(value, value)
    if draft and kept is not None and value not in kept:
        return DELETED_TEXT
    return value


def people_in_detail(detail: Any, key: str = "") -> set[str]:
    """Slack user ids held in an audit detail under keys that name a person."""
    found: set[str] = set()
    if isinstance(detail, dict):
        for k, v in detail.items():
            found |= people_in_detail(v, k)
    elif isinstance(detail, list):
        for item in detail:
            found |= people_in_detail(item, key)
    elif isinstance(detail, str) and names_a_person(key) and SLACK_USER_ID.match(detail):
        found.add(detail)
    return found


def id_finder(user_ids: Iterable[str]) -> Callable[[str], set[str]]:
    """A function giving which of ``user_ids`` a text holds (alone, in a mention, prefixed)."""
    wanted = [u for u in user_ids if u]
    if not wanted:
        return lambda _text: set()
    pattern = re.compile(rf"(?<![A-Za-z0-9])({_alternatives(wanted)})(?![A-Za-z0-9])")
    return lambda text: set(pattern.findall(text))


def months_before(moment: datetime, months: int) -> datetime:
    """The same local time ``months`` calendar months earlier (31 March less one month is
    28 or 29 February)."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(moment.day, _days_in_month(year, month))
    return moment.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days
