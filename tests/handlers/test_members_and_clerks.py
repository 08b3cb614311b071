"""Clerks and members kept in Slack; Hackney of Tomorrow's young people never named."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.core.models import OnBehalfOf
from bot.flows import intake
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, HOT_REP, MEMBER, STRANGER
from tests.handlers.support import (
    clerk_approves,
    ephemeral_containing,
    officer_parent,
    open_modal,
    services,
    set_up_commission,
)

REF = "CYP-2023-12-18-Q01"


def asker_options(view: Any) -> list[str]:
    [block] = [b for b in view.blocks if b.get("block_id") == "asker"]
    return [o["value"] for o in block["element"]["options"]]


async def test_a_hackney_of_tomorrow_member_is_never_named(
    slack: SlackDouble, bot: Runtime
) -> None:
    await set_up_commission(slack)
    await slack.send_command("/agenda", f"member add <@{HOT_REP}|yp> hackney-of-tomorrow", CLERK)
    await ephemeral_containing(slack, CLERK, "never named")
    await slack.send_command("/question", "Why do we move placements so often?", HOT_REP)
    view = await open_modal(slack, HOT_REP, "question_submit")
    assert asker_options(view) == [OnBehalfOf.HACKNEY_OF_TOMORROW.value]
    # The only choice is the group, and the question is filed under it.
    await slack.submit_view(
        HOT_REP, view.id, {"item": "4", "asker": "hackney_of_tomorrow", "role": "DCSC"}
    )
    question = (await services(bot).repos.questions.search())[0]
    assert question.asker.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW
    assert question.asker.member_name is None
    # A form crafted to say "Myself" is still filed under the group, unnamed.
    source = (await services(bot).repos.meetings.all())[0]
    crafted, _ = await intake.submit_question(
        services(bot),
        HOT_REP,
        "Young Person",
        intake.SubmittedQuestion(str(source.id), "4", "member", "DCSC", "And school moves?"),
        None,
    )
    assert crafted.asker.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW
    assert crafted.asker.member_name is None
    await clerk_approves(slack, REF)
    parent = await officer_parent(slack, DCSC_OFFICER, REF, bot)
    assert "Young Person" not in parent.all_text()
    assert "Hackney of Tomorrow" in parent.all_text()


async def test_listed_membership_refuses_people_not_on_the_list(
    slack: SlackDouble, make_bot: Callable[..., Awaitable[Runtime]]
) -> None:
    bot = await make_bot(membership="listed")
    await set_up_commission(slack)
    await slack.send_command("/question", "", STRANGER)
    refusal = await slack.wait_for(
        lambda: [m for m in slack.dm_messages(STRANGER)] or [e for e in slack.ephemerals(STRANGER)]
    )
    assert "member" in refusal[-1].all_text().lower()
    assert [v for v in slack.open_views(STRANGER)] == []
    await slack.send_command("/agenda", f"member add <@{MEMBER}>", CLERK)
    await ephemeral_containing(slack, CLERK, "is a member")
    await slack.send_command("/question", "", MEMBER)
    await open_modal(slack, MEMBER, "question_submit")
    # Officers may submit too.
    await slack.send_command("/question", "", DCSC_OFFICER)
    await open_modal(slack, DCSC_OFFICER, "question_submit")
    await slack.send_command("/agenda", "member list", CLERK)
    listing = await ephemeral_containing(slack, CLERK, "MEMBERSHIP=listed")
    assert f"<@{MEMBER}>" in listing
    assert bot.settings.membership == "listed"


async def test_clerks_are_kept_in_slack_and_the_last_one_stays(
    slack: SlackDouble, bot: Runtime, tmp_path: Path
) -> None:
    await slack.send_command("/agenda", f"clerk add <@{MEMBER}|sam>", CLERK)
    await ephemeral_containing(slack, CLERK, "is a clerk now")
    # The new clerk can use clerks' commands at once, with no restart.
    await slack.send_command("/agenda", "closure list", MEMBER)
    await ephemeral_containing(slack, MEMBER, "closure days")
    await slack.send_command("/agenda", f"clerk remove <@{CLERK}>", MEMBER)
    await ephemeral_containing(slack, MEMBER, "is no longer a clerk")
    await slack.send_command("/agenda", f"clerk remove <@{MEMBER}>", MEMBER)
    await ephemeral_containing(slack, MEMBER, "last clerk")
    assert await services(bot).clerk_ids() == frozenset({MEMBER})
    await slack.send_command("/agenda", "clerk list", STRANGER)
    assert f"<@{MEMBER}>" in await ephemeral_containing(slack, STRANGER, "Clerks")
