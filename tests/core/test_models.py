from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.core.errors import DomainError, InvalidInput, NotPermitted
from bot.core.models import (
    Answer,
    AnswerPart,
    Asker,
    Correction,
    Meeting,
    MessageRef,
    OnBehalfOf,
    Publication,
    agenda_item_order,
    parse_question_reference,
    question_reference,
    ts_order,
)
from bot.core.validation import agenda_item_number, committee_key, role_key, slack_user

T = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)


def test_question_reference_round_trip() -> None:
    reference = question_reference("CYP", date(2023, 12, 18), 7)
    assert reference == "CYP-2023-12-18-Q07"
    assert parse_question_reference(" cyp-2023-12-18-q07 ") == ("CYP", date(2023, 12, 18), 7)
    assert question_reference("CYP", date(2023, 12, 18), 123) == "CYP-2023-12-18-Q123"


@pytest.mark.parametrize("text", ["CYP-2023-12-18", "CYP-2023-13-40-Q01", "Q07", ""])
def test_bad_question_references(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_question_reference(text)


def test_meeting_reference_and_london_start() -> None:
    meeting = Meeting(3, "CYP", date(2026, 5, 11), "Children and Young People", time(19, 0))
    assert meeting.reference == "CYP-2026-05-11"
    assert meeting.starts_at is not None
    assert meeting.starts_at.astimezone(UTC).hour == 18  # BST
    assert Meeting(3, "CYP", date(2026, 5, 11), "x").starts_at is None


def test_agenda_items_sort_naturally() -> None:
    numbers = ["10", "4a", "2", "4", "4.1", "x"]
    assert sorted(numbers, key=agenda_item_order) == ["2", "4", "4.1", "4a", "10", "x"]


def test_hackney_of_tomorrow_is_never_named() -> None:
    assert Asker(OnBehalfOf.HACKNEY_OF_TOMORROW).label == "Hackney of Tomorrow"
    assert Asker(OnBehalfOf.COMMISSION).label == "The Commission"
    assert Asker(OnBehalfOf.MEMBER, "Cllr Smith").label == "Cllr Smith"
    with pytest.raises(InvalidInput, match="never named"):
        Asker(OnBehalfOf.HACKNEY_OF_TOMORROW, "A young person")
    with pytest.raises(InvalidInput, match="which member"):
        Asker(OnBehalfOf.MEMBER)


def test_slack_ts_order_is_numeric() -> None:
    assert ts_order("1702900000.000100") < ts_order("1702900000.000999")
    assert ts_order("999999999.9") < ts_order("1702900000.000001")


def test_answer_text_and_records() -> None:
    def part(ts: str, text: str, deleted: bool = False) -> AnswerPart:
        return AnswerPart(1, 1, MessageRef("D1", ts), "U1", text, T, None, T if deleted else None)

    answer = Answer(
        question_id=1,
        parts=(part("1.1", "First."), part("1.2", "Withdrawn.", True), part("1.3", "Second.")),
        publication=Publication(1, 2, "UCLERK01", T, "First."),
    )
    assert answer.text == "First.\n\nSecond."
    assert answer.published_text == "First."
    assert answer.approval is None and answer.holding_reply is None
    corrected = Answer(
        question_id=1,
        publication=answer.publication,
        corrections=(Correction(1, 1, "First.", "Corrected.", "typo", "UCLERK01", T),),
    )
    assert corrected.published_text == "Corrected."
    assert Answer(question_id=1).published_text is None


def test_domain_errors_carry_a_message() -> None:
    error = NotPermitted("Only the clerk can do that.")
    assert isinstance(error, DomainError)
    assert error.message == str(error) == "Only the clerk can do that."


def test_validation() -> None:
    assert committee_key(" cyp ") == "CYP"
    assert role_key(" HoS ") == "HoS"
    assert slack_user(" U012AB3CD ") == "U012AB3CD"
    assert agenda_item_number("4a") == "4a"
    for check, value in (
        (committee_key, "C"),
        (role_key, "Head of Service"),
        (slack_user, "jane"),
        (agenda_item_number, "four"),
    ):
        with pytest.raises(InvalidInput):
            check(value)
