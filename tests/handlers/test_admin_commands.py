"""The clerk's /agenda set-up commands, through the Slack double."""

from __future__ import annotations

from datetime import date

from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, DEPUTY, MEMBER


async def said_to(slack: SlackDouble, user: str, needle: str) -> str:
    found = await slack.wait_for(
        lambda: [e.all_text() for e in slack.ephemerals(user) if needle in e.all_text()],
        description=f"an ephemeral to {user} containing {needle!r}",
    )
    return str(found[-1])


async def test_clerk_adds_a_meeting_and_sees_its_deadlines(
    slack: SlackDouble, bot: Runtime
) -> None:
    await slack.send_command(
        "/agenda",
        "meeting add 2026-05-11 19:00 CYP Children and Young People Scrutiny Commission",
        CLERK,
    )
    text = await said_to(slack, CLERK, "CYP-2026-05-11")
    assert "Thu 30 Apr" in text  # agenda publication day, 4 May bank holiday skipped
    assert "4 May bank holiday skipped" in text
    assert "due Mon 27 Apr" in text
    await slack.send_command("/agenda", "meeting list", MEMBER)
    listing = await said_to(slack, MEMBER, "from 60 days ago")
    assert "CYP-2026-05-11" in listing


async def test_a_new_committee_needs_its_name(slack: SlackDouble, bot: Runtime) -> None:
    await slack.send_command("/agenda", "meeting add 2026-05-11 CYP", CLERK)
    await said_to(slack, CLERK, "new committee")
    assert await bot.services.repos.meetings.all() == []  # type: ignore[union-attr]


async def test_malformed_date_is_explained(slack: SlackDouble, bot: Runtime) -> None:
    await slack.send_command("/agenda", "meeting add 11/05/2026 CYP Name", CLERK)
    await said_to(slack, CLERK, "YYYY-MM-DD")


async def test_officer_directory(slack: SlackDouble, bot: Runtime) -> None:
    await slack.send_command(
        "/agenda",
        f"officer set DCSC <@{DCSC_OFFICER}|dcsc> Director of Children's Social Care",
        CLERK,
    )
    await said_to(slack, CLERK, "DCSC is now Director of Children's Social Care")
    await slack.send_command("/agenda", f"officer deputy DCSC <@{DEPUTY}>", CLERK)
    await said_to(
        slack, CLERK, f"Deputy for DCSC (Director of Children's Social Care): <@{DEPUTY}>"
    )
    await slack.send_command("/agenda", "officer list", MEMBER)
    listing = await said_to(slack, MEMBER, "Officer directory")
    assert f"<@{DCSC_OFFICER}>" in listing and f"deputy <@{DEPUTY}>" in listing


async def test_closure_day(slack: SlackDouble, bot: Runtime) -> None:
    await slack.send_command("/agenda", "closure add 2026-12-29 Office closed", CLERK)
    await said_to(slack, CLERK, "Tue 29 Dec 2026 (Office closed)")
    calendar = await bot.services.repos.closure_days.calendar()  # type: ignore[union-attr]
    assert not calendar.is_working_day(date(2026, 12, 29))


async def test_non_clerks_are_refused_and_nothing_changes(slack: SlackDouble, bot: Runtime) -> None:
    attempts = [
        "meeting add 2026-05-11 CYP Children and Young People Scrutiny Commission",
        f"officer set DCSC <@{MEMBER}> Director",
        "closure add 2026-12-29",
    ]
    for words in attempts:
        result = await slack.send_command("/agenda", words, MEMBER)
        # Refused after the ack: Slack still gets its 200 at once, not a timeout.
        assert result.status == 200

    def refusals() -> list[str]:
        return [e.all_text() for e in slack.ephemerals(MEMBER) if "clerk" in e.all_text()]

    await slack.wait_for(lambda: len(refusals()) == 3)
    repos = bot.services.repos  # type: ignore[union-attr]
    assert await repos.meetings.all() == []
    assert await repos.officers.roles() == []
    assert await repos.closure_days.days() == []


async def test_set_up_forms_with_inline_errors(slack: SlackDouble, bot: Runtime) -> None:
    from tests.handlers.support import dm_containing, open_modal

    await slack.send_command("/agenda", "meeting add", CLERK)
    form = await open_modal(slack, CLERK, "meeting_add_submit")
    first = await slack.submit_view(CLERK, form.id, {"date": "2026-05-11", "committee": "CYP"})
    assert "new committee" in first.json["errors"]["name"]
    await slack.submit_view(
        CLERK,
        form.id,
        {
            "date": "2026-05-11",
            "time": "19:00",
            "committee": "CYP",
            "name": "Children and Young People Scrutiny Commission",
        },
    )
    await dm_containing(slack, CLERK, "Added CYP-2026-05-11: agenda out by Thu 30 Apr")

    await slack.send_command("/agenda", "officer set", CLERK)
    form = await open_modal(slack, CLERK, "officer_set_submit")
    bad = await slack.submit_view(
        CLERK, form.id, {"role": "D C", "title": "Director", "officer": DCSC_OFFICER}
    )
    assert "Role key" in bad.json["errors"]["role"]
    await slack.submit_view(
        CLERK,
        form.id,
        {
            "role": "DCSC",
            "title": "Director of Children's Social Care",
            "officer": DCSC_OFFICER,
            "deputy": DEPUTY,
        },
    )
    await dm_containing(
        slack,
        CLERK,
        f"DCSC is now Director of Children's Social Care: <@{DCSC_OFFICER}>, deputy <@{DEPUTY}>",
    )

    await slack.send_command("/agenda", "closure add", CLERK)
    form = await open_modal(slack, CLERK, "closure_add_submit")
    await slack.submit_view(CLERK, form.id, {"date": "2026-12-29", "reason": "Office move"})
    await dm_containing(slack, CLERK, "Tue 29 Dec 2026 (Office move)")


async def test_set_up_forms_are_for_clerks(slack: SlackDouble, bot: Runtime) -> None:
    for words in ("meeting add", "officer set", "closure add", "import"):
        await slack.send_command("/agenda", words, MEMBER)
    await slack.wait_for(
        lambda: len([e for e in slack.ephemerals(MEMBER) if "clerk" in e.all_text()]) == 4
    )
    assert slack.open_views(MEMBER) == []


async def test_a_meeting_added_by_committee_name_gets_a_key_from_its_initials(
    slack: SlackDouble, bot: Runtime
) -> None:
    name = "Children and Young People Scrutiny Commission"
    await slack.send_command("/agenda", f"meeting add 2026-04-20 18:30 {name}", CLERK)
    text = await said_to(slack, CLERK, "CYPSC-2026-04-20")
    assert "given the key *CYPSC*" in text and "/agenda committee rename CYPSC" in text
    repos = bot.services.repos  # type: ignore[union-attr]
    [committee] = await repos.meetings.committees()
    assert (committee.key, committee.name) == ("CYPSC", name)
    # The same name again finds the committee; it is never split into key and name.
    await slack.send_command("/agenda", f"meeting add 2026-06-22 {name}", CLERK)
    assert "given the key" not in await said_to(slack, CLERK, "CYPSC-2026-06-22")
    await slack.send_command("/agenda", "committee rename CYPSC CYP", CLERK)
    await said_to(slack, CLERK, "Committee CYPSC is now CYP")
    await slack.send_command("/agenda", "committee list", MEMBER)
    assert f"CYP*: {name}" in await said_to(slack, MEMBER, "Committees")
    assert [m.reference for m in await repos.meetings.all()] == [
        "CYP-2026-04-20",
        "CYP-2026-06-22",
    ]


async def test_meeting_list_shows_recent_past_meetings_and_status_says_a_meeting_is_past(
    slack: SlackDouble, bot: Runtime
) -> None:
    name = "Children and Young People Scrutiny Commission"
    for day in ("2023-12-18", "2026-03-16", "2026-05-11"):
        await slack.send_command("/agenda", f"meeting add {day} CYP {name}", CLERK)
        await said_to(slack, CLERK, f"CYP-{day}")
    await slack.send_command("/agenda", "meeting list", MEMBER)
    listing = await said_to(slack, MEMBER, "from 60 days ago")
    assert "CYP-2026-03-16" in listing and "_past_" in listing  # 35 days before 20 Apr
    assert "CYP-2023-12-18" not in listing
    await slack.send_command("/agenda", "meeting list --all", MEMBER)
    assert "CYP-2023-12-18" in await said_to(slack, MEMBER, "CYP-2023-12-18")
    await slack.send_command("/agenda", "status 2026-03-16", CLERK)
    past = await said_to(slack, CLERK, "Past meeting: CYP-2026-03-16")
    assert "Next meeting" not in past
    await slack.send_command("/agenda", "status", CLERK)
    await said_to(slack, CLERK, "Next meeting: CYP-2026-05-11")


async def test_command_replies_share_the_bots_connections(slack: SlackDouble, bot: Runtime) -> None:
    """Replies to commands (their response_url) go through the bot's connection pool: Bolt's
    own respond() opens a connection for every reply."""
    for n in range(3):
        await slack.send_command("/agenda", "help", MEMBER)
        await slack.wait_for(lambda n=n: len(slack.responses) > n)
    connections = {post.connection for post in slack.responses}
    assert None not in connections
    assert len(connections) < len(slack.responses)
