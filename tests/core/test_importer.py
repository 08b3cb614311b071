"""The list importer on the real minutes and on the shapes clerks paste."""

from __future__ import annotations

from bot.core.importer import MAX_QUESTION_LENGTH, parse_question_list
from tests.paths import MINUTES

ROLES = ["DCSC", "HoS", "DoE"]


def test_minutes_give_questions_4_6_to_4_26_with_their_attributions() -> None:
    result = parse_question_list(MINUTES.read_text(encoding="utf-8"), ROLES)
    numbers = [q.number for q in result.questions]
    assert numbers == [f"4.{n}" for n in range(6, 27)]
    by_number = {q.number: q for q in result.questions}
    assert {n for n, q in by_number.items() if q.hackney_of_tomorrow} == {"4.16", "4.22"}
    # The first officer to answer at the meeting is the natural addressee.
    assert by_number["4.7"].role_hint == "DCSC"
    assert by_number["4.10"].role_hint == "HoS"
    assert by_number["4.16"].role_hint == "DCSC"
    assert by_number["4.17"].role_hint == "HoS"
    # Answered without an attribution, or not answered at all: no guess.
    assert by_number["4.6"].role_hint is None
    assert by_number["4.12"].role_hint is None
    assert by_number["4.12"].meeting_notes == ()
    # Markers are stripped from the text; what was said at the meeting is kept as notes.
    assert by_number["4.16"].text.startswith("Care leavers noted")
    assert len(by_number["4.10"].meeting_notes) == 3
    assert by_number["4.7"].meeting_notes[1].startswith("Annex A data")
    assert all(q.problem is None for q in result.questions)


def test_minutes_narrative_is_reported_as_skipped_not_lost() -> None:
    result = parse_question_list(MINUTES.read_text(encoding="utf-8"), ROLES)
    assert "Questions from the Commission" in result.skipped
    assert any(s.startswith("Given that the session was overrunning") for s in result.skipped)


def test_bullets_without_numbering_are_questions() -> None:
    pasted = """Questions for officers
• (Hackney of Tomorrow) Why do care leavers wait so long for housing?
• How many social workers left last year? (HoS)
- What is the plan for early help? (DCSC)
"""
    result = parse_question_list(pasted, ROLES)
    assert [q.text for q in result.questions] == [
        "Why do care leavers wait so long for housing?",
        "How many social workers left last year?",
        "What is the plan for early help?",
    ]
    assert [q.hackney_of_tomorrow for q in result.questions] == [True, False, False]
    assert [q.role_hint for q in result.questions] == [None, "HoS", "DCSC"]
    assert result.skipped == ("Questions for officers",)


def test_blank_line_separated_paragraphs_join_their_lines() -> None:
    pasted = "Please provide the figures\nfor agency staff.\n\n\nPlease share the audit plan"
    result = parse_question_list(pasted)
    assert [q.text for q in result.questions] == [
        "Please provide the figures for agency staff.",
        "Please share the audit plan",
    ]
    assert result.skipped == ()


def test_simple_numbering_and_unknown_role_hints() -> None:
    pasted = "1. What is the budget? (CEO)\n2) When is the review due? (doe)"
    result = parse_question_list(pasted, ROLES)
    assert [q.number for q in result.questions] == ["1", "2"]
    # (CEO) is not a role in the directory, so it stays in the text; (doe) matches DoE.
    assert result.questions[0].text == "What is the budget? (CEO)"
    assert result.questions[0].role_hint is None
    assert result.questions[1].role_hint == "DoE"


def test_over_long_question_is_flagged_for_review() -> None:
    pasted = "1. " + "Why " * 800 + "?"
    [question] = parse_question_list(pasted).questions
    assert question.problem is not None
    assert str(MAX_QUESTION_LENGTH)[:1] in question.problem


def test_empty_paste_gives_nothing() -> None:
    result = parse_question_list("  \n\n \t\n")
    assert result.questions == ()
    assert result.skipped == ()


def test_role_hints_match_any_key_in_the_directory_digits_and_all() -> None:
    result = parse_question_list(
        "1. What about housing? (R01)\n2. And schools? (DoE_2)", ["R01", "DoE_2"]
    )
    assert [(q.text, q.role_hint) for q in result.questions] == [
        ("What about housing?", "R01"),
        ("And schools?", "DoE_2"),
    ]
