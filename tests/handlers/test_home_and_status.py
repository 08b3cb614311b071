"""App Home for clerks, officers and members, and /agenda status."""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import FixedClock
from bot.core.lifecycle import draft_question
from bot.core.models import Asker, OnBehalfOf
from bot.core.permissions import Actor
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, LONDON, MEMBER
from tests.handlers.support import (
    clerk_approves,
    ephemeral_containing,
    officer_parent,
    services,
    set_up_commission,
    submit_question,
)


async def home_text(slack: SlackDouble, user: str, needle: str) -> str:
    before = len(slack.calls_to("views.publish"))
    await slack.open_app_home(user)

    def published() -> str | None:
        view = slack.home_view(user)
        if len(slack.calls_to("views.publish")) == before or view is None:
            return None
        text = str(view.data)
        return text if needle in text else None

    return await slack.wait_for(published, description=f"home for {user} with {needle!r}")


async def test_home_for_each_kind_of_person(
    slack: SlackDouble, bot: Runtime, clock: FixedClock
) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many care leavers live out of borough?")
    await clerk_approves(slack, "CYP-2023-12-18-Q01")
    await officer_parent(slack, DCSC_OFFICER, "CYP-2023-12-18-Q01", bot)

    clerk = await home_text(slack, CLERK, "Next meeting: CYP-2026-05-11")
    assert "Compile next meeting" in clerk and "Import questions" in clerk
    assert "Thu 30 Apr" in clerk  # the agenda deadline
    assert "Waiting on <@UDCSC001>" in clerk

    officer = await home_text(slack, DCSC_OFFICER, "Waiting for your answer")
    assert "CYP-2023-12-18-Q01" in officer and "due Mon 27 Apr" in officer
    assert "Due Mon 27 Apr: 3 working days before the agenda goes out on Thu 30 Apr" in officer
    assert "4 May bank holiday skipped" in officer
    assert "/archives/" in officer  # a link to the thread

    member = await home_text(slack, MEMBER, "Your questions")
    assert "CYP-2023-12-18-Q01" in member and "sent" in member

    # Two days after the due date the question shows as overdue, first.
    clock.set(datetime(2026, 4, 29, 10, 0, tzinfo=LONDON))
    overdue = await home_text(slack, CLERK, "Overdue")
    assert "overdue" in overdue


async def test_agenda_status(slack: SlackDouble, bot: Runtime) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "A question?")
    await slack.send_command("/agenda", "status", CLERK)
    text = await ephemeral_containing(slack, CLERK, "Next meeting")
    assert "Waiting for triage:* 1" in text
    await slack.send_command("/agenda", "status", MEMBER)
    await ephemeral_containing(slack, MEMBER, "clerk")


async def test_a_members_home_shows_their_latest_questions(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    repos = services(bot).repos
    [source] = [m for m in await repos.meetings.all() if m.reference == "CYP-2023-12-18"]
    for n in range(1, 31):
        draft = draft_question(
            Actor(MEMBER),
            source_meeting_id=source.id,
            agenda_item="4",
            asker=Asker(OnBehalfOf.COMMISSION),
            text=f"Question number {n} about placements?",
        )
        await repos.questions.create(draft, services(bot).clock())
    member = await home_text(slack, MEMBER, "Your questions")
    # The 25 latest, read by index however many there are: Q06 to Q30, oldest first.
    assert "CYP-2023-12-18-Q30" in member and "CYP-2023-12-18-Q06" in member
    assert "CYP-2023-12-18-Q05" not in member
    assert member.index("CYP-2023-12-18-Q06") < member.index("CYP-2023-12-18-Q30")
