"""Text forms of the clerk's commands."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.core.command_text import (
    key_from_name,
    parse_closure_add,
    parse_meeting_add,
    parse_officer_deputy,
    parse_officer_set,
)
from bot.core.errors import InvalidInput


def test_meeting_add_with_time_and_new_committee_name() -> None:
    request = parse_meeting_add(
        "2026-05-11 18:00 cyp Children and Young People Scrutiny Commission"
    )
    assert request.committee_key == "CYP"
    assert request.meeting_date == date(2026, 5, 11)
    assert request.start == time(18, 0)
    assert request.committee_name == "Children and Young People Scrutiny Commission"


def test_meeting_add_without_time() -> None:
    request = parse_meeting_add("2026-05-11 CYP")
    assert request.start is None
    assert request.committee_name is None


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ("", "Say the date"),
        ("11/05/2026 CYP", "YYYY-MM-DD"),
        ("2026-02-30 CYP", "YYYY-MM-DD"),
        ("2026-05-11 25:00 CYP", "not a time"),
        ("2026-05-11 18:00", "which committee"),
        ("2026-05-11 C", "Committee key"),
    ],
)
def test_meeting_add_errors_say_what_is_wrong(args: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_meeting_add(args)


def test_officer_set_takes_an_escaped_mention() -> None:
    request = parse_officer_set("DCSC <@U012AB3CD|jo> Director of Children's Social Care")
    assert request.role_key == "DCSC"
    assert request.officer == "U012AB3CD"
    assert request.title == "Director of Children's Social Care"


def test_officer_set_refuses_an_unresolved_mention() -> None:
    with pytest.raises(InvalidInput, match="pick the person"):
        parse_officer_set("DCSC @jo Director")


def test_officer_deputy_and_clearing_it() -> None:
    assert parse_officer_deputy("HoS U045EF6GH").deputy == "U045EF6GH"
    assert parse_officer_deputy("HoS none").deputy is None
    with pytest.raises(InvalidInput, match="Usage"):
        parse_officer_deputy("HoS")


def test_closure_add() -> None:
    assert parse_closure_add("2026-12-29") == (date(2026, 12, 29), "Council closure day")
    assert parse_closure_add("2026-12-29 Office move") == (date(2026, 12, 29), "Office move")
    with pytest.raises(InvalidInput):
        parse_closure_add("tomorrow")


@pytest.mark.parametrize(
    ("args", "key", "name"),
    [
        (
            "2026-04-20 18:30 Children and Young People Scrutiny Commission",
            None,
            "Children and Young People Scrutiny Commission",
        ),
        ("2026-04-20 CYP Children and Young People", "CYP", "Children and Young People"),
        ("2026-04-20 cyp", "CYP", None),
        ("2026-04-20 Budget", None, "Budget"),
    ],
)
def test_meeting_add_takes_a_key_or_a_whole_name(args: str, key: str | None, name: str) -> None:
    request = parse_meeting_add(args)
    assert (request.committee_key, request.committee_name) == (key, name)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Children and Young People Scrutiny Commission", "CYPSC"),
        ("Health in Hackney Scrutiny Commission", "HHSC"),
        ("Budget", "BUDGET"),
        ("Skills, Economy and Growth", "SEG"),
        ("2030 Net Zero Panel", "C2NZP"),
    ],
)
def test_a_key_is_made_from_a_names_initials(name: str, key: str) -> None:
    assert key_from_name(name) == key
