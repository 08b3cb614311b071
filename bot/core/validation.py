"""Checks on what people type, each failing with an InvalidInput that names the field."""

from __future__ import annotations

import re
import unicodedata

from bot.core.errors import InvalidInput

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
COMMITTEE_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")
ROLE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,19}$")
AGENDA_ITEM_NUMBER = re.compile(r"^[0-9]{1,3}[A-Za-z]?(\.[0-9]{1,3})?$")

QUESTION_TEXT_LIMIT = 3000
"""Slack's limit for a section of text; longer questions would not fit the officer's message."""

TITLE_LIMIT = 200
NOTE_LIMIT = 3000
NAME_LIMIT = 100


MAX_RECORD_ID = 2**63 - 1
"""Ids are SQLite integers: signed 64-bit."""


def record_id(value: object) -> int | None:
    """A database id chosen in a form or sent back on a button (text or a number), or None
    when it is not a positive whole number SQLite can hold."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_RECORD_ID else None


def slack_user(value: str, field: str = "Slack user") -> str:
    """A Slack user id such as U012AB3CD."""
    value = value.strip()
    if not SLACK_USER_ID.match(value):
        raise InvalidInput(f"{field} must be a Slack user id such as U012AB3CD, not {value!r}.")
    return value


def committee_key(value: str) -> str:
    """A short upper-case committee key such as CYP."""
    key = value.strip().upper()
    if not COMMITTEE_KEY.match(key):
        raise InvalidInput(
            f"Committee key {value!r} must be 2 to 12 letters or digits, starting with a letter "
            "(for example CYP)."
        )
    return key


def role_key(value: str) -> str:
    """An officer role key such as DCSC, HoS or DoE."""
    key = value.strip()
    if not ROLE_KEY.match(key):
        raise InvalidInput(
            f"Role key {value!r} must be up to 20 letters, digits or underscores, starting with "
            "a letter (for example DCSC)."
        )
    return key


def agenda_item_number(value: str) -> str:
    """An agenda item number such as 4, 4a or 4.1."""
    number = value.strip()
    if not AGENDA_ITEM_NUMBER.match(number):
        raise InvalidInput(f"Agenda item number {value!r} should look like 4, 4a or 4.1.")
    return number


KEPT_FORMAT_CHARACTERS = frozenset("\u200c\u200d")
"""Zero-width (non-)joiners: parts of emoji sequences and of words in several scripts."""


def _kept_format(char: str) -> bool:
    return char in KEPT_FORMAT_CHARACTERS or "\U000e0020" <= char <= "\U000e007f"


def normalise(value: str, *, multiline: bool = True) -> str:
    """The visible text: invisible and control characters removed, line ends made ``\n``.

    Pasted text carries characters nobody sees: zero-width spaces, soft hyphens (Word adds
    them), byte-order marks, bidirectional controls, bells. They are removed rather than
    refused, so an answer pasted from a document is recorded as it reads. Joiners and emoji
    tag characters stay (they are parts of emoji and of words in some scripts), and so do
    private-use characters (icon fonts). A lone surrogate, which no encoder can write,
    becomes U+FFFD. Single-line fields turn line breaks and tabs into spaces.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    kept: list[str] = []
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            kept.append("\ufffd")
        elif char in "\n\t":
            kept.append(char if multiline else " ")
        elif category == "Cc" or (category == "Cf" and not _kept_format(char)):
            continue
        else:
            kept.append(char)
    return "".join(kept)


def text(value: str, field: str, limit: int, *, multiline: bool = True) -> str:
    """Normalised, stripped text that is not empty and not too long."""
    cleaned = normalise(value, multiline=multiline).strip()
    if not cleaned:
        raise InvalidInput(f"{field} is empty.")
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} is {len(cleaned)} characters long; the limit is {limit}.")
    return cleaned


def optional_text(value: str | None, field: str, limit: int) -> str | None:
    """Like ``text``, but empty (or only invisible characters) gives None."""
    if value is None or not normalise(value).strip():
        return None
    return text(value, field, limit)
