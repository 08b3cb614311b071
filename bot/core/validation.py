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


def text(value: str, field: str, limit: int, *, multiline: bool = True) -> str:
    """Stripped text that is not empty, not too long and free of control characters."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"{field} is empty.")
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} is {len(cleaned)} characters long; the limit is {limit}.")
    allowed = "\n\t" if multiline else ""
    for char in cleaned:
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co"):
            if char in "\u200c\u200d" or "\U000e0020" <= char <= "\U000e007f":
                continue  # joiners and tags are parts of emoji and some scripts
            raise InvalidInput(f"{field} contains a control character ({ord(char):#06x}).")
    return cleaned
