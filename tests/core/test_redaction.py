"""Erasing and pseudonymising people in values: ids, mentions, names, audit details."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core import redaction
from bot.core.redaction import (
    DELETED_TEXT,
    ERASED_NAME,
    PSEUDONYM_NAME,
    erasure,
    months_before,
    names_a_person,
    pseudonymise_detail,
)
from bot.core.validation import SLACK_USER_ID

GONE = "U-ERASED-1A2B3C4D"


def test_an_id_becomes_the_tombstone_wherever_it_stands_alone() -> None:
    erase = erasure("U0DANA1", GONE, ())
    assert erase.text("U0DANA1") == GONE
    assert erase.text("person:U0DANA1") == f"person:{GONE}"
    assert erase.text("cli:U0DANA1 did it") == f"cli:{GONE} did it"
    # Part of another id, or of a word, is not the person.
    assert erase.text("U0DANA12 and XU0DANA1") == "U0DANA12 and XU0DANA1"


def test_a_mention_becomes_words_with_or_without_its_label() -> None:
    erase = erasure("U0DANA1", GONE, ())
    assert erase.text("ask <@U0DANA1> or <@U0DANA1|dana>, not <@U0OTHER>") == (
        f"ask {ERASED_NAME} or {ERASED_NAME}, not <@U0OTHER>"
    )


def test_names_of_several_words_match_in_any_case_and_spacing() -> None:
    erase = erasure("U0DANA1", GONE, ["Dana Director"])
    assert erase.text("Dana Director said; dana  DIRECTOR agreed") == (
        f"{ERASED_NAME} said; {ERASED_NAME} agreed"
    )
    assert erase.text("Dana Directorate") == "Dana Directorate"


def test_a_one_word_name_matches_only_as_written() -> None:
    erase = erasure("U0WILL1", GONE, ["Will"])
    assert erase.text("Will says we will") == f"{ERASED_NAME} says we will"


def test_the_longer_name_is_replaced_before_a_shorter_one_inside_it() -> None:
    erase = erasure("U0DANA1", GONE, ["Dana", "Dana Director"])
    assert erase.text("Dana Director and Dana") == f"{ERASED_NAME} and {ERASED_NAME}"


def test_a_name_with_regex_or_replacement_characters_is_taken_literally() -> None:
    erase = redaction.Replacement({}, {}, {"J. (Jo) O'Brien": r"\1 gone"})
    assert erase.text("J. (Jo) O'Brien wrote") == r"\1 gone wrote"


def test_json_strings_are_replaced_and_keys_kept() -> None:
    erase = erasure("U0DANA1", GONE, ["Dana Director"])
    detail = {"to_officer": "U0DANA1", "changes": {"assigned_officer": ["U0DANA1", "U0B"]}}
    detail["text"] = "Dana Director wrote <@U0DANA1|d>"  # type: ignore[assignment]
    assert erase.json(detail) == {
        "to_officer": GONE,
        "changes": {"assigned_officer": [GONE, "U0B"]},
        "text": f"{ERASED_NAME} wrote {ERASED_NAME}",
    }


def test_tombstones_are_never_slack_ids() -> None:
    assert not SLACK_USER_ID.match(redaction.erased_id("1a2b3c4d"))
    assert not SLACK_USER_ID.match(redaction.pseudonym_id("1a2b3c4d"))
    assert redaction.is_tombstone(GONE)


def test_columns_and_keys_that_name_people() -> None:
    for name in ("submitted_by", "assigned_officer", "user_id", "member_name", "author", "actor"):
        assert names_a_person(name), name
    for name in ("reference", "subject_type", "thread_ts", "bypass", "hackney_of_tomorrow"):
        assert not names_a_person(name), name


def test_an_old_questions_detail_keeps_what_was_published_and_pseudonymises_people() -> None:
    people = {"U0DANA1": "U-PSEUDO-AAAA", "U0SAM01": "U-PSEUDO-BBBB"}
    detail = {
        "text": "the published answer",
        "before": "a draft",
        "after": ["kept question", "another draft"],
        "note": "please expand",
        "member_name": "Sam Member",
        "to_officer": "U0DANA1",
        "from_officer": "U0GONE9",
        "state": "answered",
        "channel": "C0RESPONSE",
    }
    kept = {"the published answer", "kept question"}
    assert pseudonymise_detail(detail, people, kept) == {
        "text": "the published answer",
        "before": DELETED_TEXT,
        "after": ["kept question", DELETED_TEXT],
        "note": DELETED_TEXT,
        "member_name": PSEUDONYM_NAME,
        "to_officer": "U-PSEUDO-AAAA",
        "from_officer": "U0GONE9",  # not among the people given: left for the caller to add
        "state": "answered",
        "channel": "C0RESPONSE",
    }
    assert redaction.people_in_detail(detail) == {"U0DANA1", "U0GONE9"}


def test_months_before_keeps_the_day_when_it_can() -> None:
    moment = datetime(2032, 4, 20, 3, 0, tzinfo=UTC)
    assert months_before(moment, 72) == datetime(2026, 4, 20, 3, 0, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2024, 3, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def test_a_name_under_a_name_key_can_be_left_for_its_own_person() -> None:
    erase = erasure("U0DANA1", GONE, ["Dana Director"])
    detail = {"member_name": "Dana Director", "text": "Dana Director asked", "by": "U0DANA1"}
    assert erase.json(detail, own_names=False) == {
        "member_name": "Dana Director",
        "text": f"{ERASED_NAME} asked",
        "by": GONE,
    }
    assert erase.json(detail)["member_name"] == ERASED_NAME
    assert redaction.holds_a_name("member_name") and not redaction.holds_a_name("text")
