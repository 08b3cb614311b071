"""Shared values for the pure core tests: a calendar, actors and a question factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.core.calendar import WorkingCalendar
from bot.core.models import Asker, OnBehalfOf, Question, QuestionState
from bot.core.permissions import Actor

CLERK = "UCLERK01"
ASKER = "UMEMBER1"
OFFICER = "UOFFICER1"
DEPUTY = "UDEPUTY1"
OTHER_OFFICER = "UOFFICER2"
STRANGER = "USTRANGE1"
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture
def actors() -> dict[str, Actor]:
    return {
        "clerk": Actor(CLERK, is_clerk=True),
        "asker": Actor(ASKER),
        "officer": Actor(OFFICER),
        "deputy": Actor(DEPUTY, deputy_for=frozenset({"DCSC"})),
        "other_officer": Actor(OTHER_OFFICER),
        "stranger": Actor(STRANGER),
        "bot": Actor.bot(),
    }


MakeQuestion = Callable[..., Question]


def a_question(state: QuestionState = QuestionState.SUBMITTED, **changes: Any) -> Question:
    """A question to DCSC for the 11 May meeting, with ``changes``."""
    question = Question(
        id=1,
        reference="CYP-2023-12-18-Q07",
        source_meeting_id=1,
        agenda_item="4",
        asker=Asker(OnBehalfOf.HACKNEY_OF_TOMORROW),
        submitted_by=ASKER,
        text="How many care leavers are in suitable accommodation?",
        state=state,
        created_at=NOW,
        updated_at=NOW,
        addressed_role="DCSC",
        assigned_officer=OFFICER,
        target_meeting_id=2,
        due_date=date(2026, 4, 27),
    )
    return replace(question, **changes)


@pytest.fixture
def make_question() -> MakeQuestion:
    return a_question
