"""Text people type or paste: invisible characters removed, the visible text kept."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import validation
from bot.core.errors import InvalidInput

INVISIBLE = {
    "zero-width space": "\u200b",
    "soft hyphen": "\u00ad",
    "byte-order mark": "\ufeff",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "word joiner": "\u2060",
    "right-to-left override": "\u202e",
    "first strong isolate": "\u2068",
    "bell": "\x07",
    "null": "\x00",
    "escape": "\x1b",
    "delete": "\x7f",
}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_characters_are_removed_and_the_text_kept(char: str) -> None:
    typed = f"{char}We will re{char}view the place{char}ments by June.{char}"
    assert validation.text(typed, "The answer", 3000) == "We will review the placements by June."


def test_joiners_emoji_and_private_use_characters_stay() -> None:
    family = "\U0001f469\u200d\U0001f467"
    flag = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    icon = "\ue000"
    typed = f"{family} {flag} {persian} {icon}"
    assert validation.text(typed, "The answer", 3000) == typed


def test_line_ends_become_newlines_and_single_line_fields_lose_them() -> None:
    assert validation.text("One\r\nTwo\rThree\n\tFour", "Note", 100) == "One\nTwo\nThree\n\tFour"
    assert validation.text("One\r\nTwo\tThree", "Name", 100, multiline=False) == "One Two Three"


def test_a_lone_surrogate_becomes_a_replacement_character() -> None:
    assert validation.text("Half \ud83d a smile", "The answer", 100) == "Half \ufffd a smile"


def test_only_invisible_characters_is_empty() -> None:
    with pytest.raises(InvalidInput, match="The answer is empty"):
        validation.text("\u200b\u00ad \ufeff\x07", "The answer", 100)
    assert validation.optional_text("\u200b ", "Reason", 100) is None
    assert validation.optional_text(None, "Reason", 100) is None
    assert validation.optional_text(" Moved\u00ad ", "Reason", 100) == "Moved"


def test_the_limit_counts_what_is_kept() -> None:
    assert validation.text("a\u200b" * 10, "Note", 10) == "a" * 10
    with pytest.raises(InvalidInput, match="11 characters long; the limit is 10"):
        validation.text("a" * 11, "Note", 10)


@given(st.text())
def test_normalised_text_has_no_control_or_format_characters_and_is_stable(typed: str) -> None:
    cleaned = validation.normalise(typed)
    for char in cleaned:
        category = unicodedata.category(char)
        assert category != "Cs"
        assert category != "Cc" or char in "\n\t"
        assert category != "Cf" or char in "\u200c\u200d" or "\U000e0020" <= char <= "\U000e007f"
    assert validation.normalise(cleaned) == cleaned
    cleaned.encode("utf-8")  # storable and sendable: no lone surrogates
