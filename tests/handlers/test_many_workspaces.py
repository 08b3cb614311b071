"""Installed in many workspaces (SLACK_CLIENT_ID): Slack's OAuth flow, and one council never
seeing, being chased about, compiling or exporting another's questions.

Two Slack doubles play two councils' workspaces behind one Web API address; the same people
(the same user ids) are in both, the harder case for keeping them apart. The bot is the real
one, started as ``python -m bot run`` starts it, installed in each through ``/slack/install``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from bot.core.clock import FixedClock
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from bot.sandbox.many_workspaces import CLIENT_ID, CLIENT_SECRET, SlackWorkspaces, install
from bot.workspaces import Workspace
from storage.backup import DatabaseInUse, RunLock
from tests.conftest import (
    CLERK,
    DCSC_OFFICER,
    DEPUTY,
    DOE_OFFICER,
    HOS_OFFICER,
    LONDON,
    MEMBER,
    SIGNING_SECRET,
    bot_settings,
)
from tests.handlers.support import (
    clerk_approves,
    ephemeral_containing,
    eventually,
    set_up_commission,
    store_of,
    submit_question,
)
from tests.paths import ROOT

HACKNEY, CAMDEN = "T0HACKNEY", "T0CAMDEN1"
HACKNEY_WORDS = "Hackneysecret placements out of borough"
CAMDEN_WORDS = "Camdenprivate youth centre closures"
REF = "CYP-2023-12-18-Q01"


def council(team_id: str, name: str, token: str) -> SlackDouble:
    double = SlackDouble(
        signing_secret=SIGNING_SECRET,
        bot_token=token,
        team_id=team_id,
        team_name=name,
        team_domain=name.lower(),
    )
    for user_id, handle, real in (
        (CLERK, "clerk", "Casey Clerk"),
        (MEMBER, "cllr.mirza", "Cllr Sam Mirza"),
        (DCSC_OFFICER, "dcsc", "Dana Director"),
        (HOS_OFFICER, "hos", "Harper Head"),
        (DOE_OFFICER, "doe", "Drew Education"),
        (DEPUTY, "deputy", "Dev Deputy"),
    ):
        double.add_user(user_id, handle, real)
    return double


@pytest.fixture
async def councils() -> AsyncIterator[tuple[SlackDouble, SlackDouble, SlackWorkspaces]]:
    async with (
        council(HACKNEY, "Hackney", "xoxb-hackney-token") as hackney,
        council(CAMDEN, "Camden", "xoxb-camden-token") as camden,
        SlackWorkspaces([hackney, camden], installer=CLERK) as slack,
    ):
        yield hackney, camden, slack


@pytest.fixture
async def provider(
    councils: tuple[SlackDouble, SlackDouble, SlackWorkspaces],
    clock: FixedClock,
    tmp_path: Path,
) -> AsyncIterator[Runtime]:
    """The bot as a provider runs it: OAuth, no bot token, installed in both councils."""
    hackney, camden, slack = councils
    settings = replace(
        bot_settings(hackney, tmp_path),
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_api_url=slack.api_url,
        clerk_user_ids=frozenset(),
    )
    runtime = Runtime(
        settings, clock=clock, host="127.0.0.1", start_scheduler=False, catch_up_pace=0
    )
    await runtime.start()
    base = runtime.events_url.removesuffix("slack/events")
    for double in (hackney, camden):
        await install(base, double.team_id)
        double.connect_http(runtime.events_url)
    yield runtime
    await runtime.stop()


def workspace(runtime: Runtime, team_id: str) -> Workspace:
    assert runtime.workspaces is not None
    found = [w for w in runtime.workspaces.all if w.team_id == team_id]
    assert found, f"{team_id} is not being served"
    return found[0]


def everything_sent(double: SlackDouble) -> str:
    """Every Web API call the bot made in this workspace, and every file it uploaded."""
    calls = json.dumps([(c.method, c.args) for c in double.calls], default=str)
    files = " ".join(f.content.decode(errors="replace") for f in double.files)
    return calls + files


async def test_installing_through_slack_makes_the_installer_its_first_clerk(
    councils: tuple[SlackDouble, SlackDouble, SlackWorkspaces], provider: Runtime
) -> None:
    hackney, camden, slack = councils
    assert slack.exchanged == [slack.code_for(HACKNEY), slack.code_for(CAMDEN)]
    for double in (hackney, camden):
        assert await workspace(provider, double.team_id).services.clerk_ids() == {CLERK}
        # The installer can work as a clerk at once, with that workspace's own token.
        await double.send_command("/agenda", "meeting add 2026-05-11 19:00 CYP Commission", CLERK)
        await ephemeral_containing(double, CLERK, "2026-05-11")


async def test_an_installation_with_a_forged_state_is_refused(
    councils: tuple[SlackDouble, SlackDouble, SlackWorkspaces], provider: Runtime
) -> None:
    _, _, slack = councils
    base = provider.events_url.removesuffix("slack/events")
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(
            f"{base}slack/oauth_redirect?code={slack.code_for('T0OTHER01')}&state=forged"
        ) as page,
    ):
        assert page.status != 200
    assert slack.exchanged == [slack.code_for(HACKNEY), slack.code_for(CAMDEN)]
    assert provider.installations is not None
    assert [t.team_id for t in await provider.installations.teams()] == [HACKNEY, CAMDEN]


async def ask_and_answer(double: SlackDouble, words: str) -> None:
    """A question asked, approved and sent; the officer answers it in its thread."""
    await set_up_commission(double)
    await submit_question(double, MEMBER, f"What of {words}?")
    await clerk_approves(double, REF)
    parent = await double.wait_for(
        lambda: (
            [m for m in double.dm_messages(DCSC_OFFICER) if REF in m.all_text() and not m.is_reply]
            or None
        )
    )
    await double.post_user_message(
        parent[-1].channel, DCSC_OFFICER, f"Answer about {words}.", thread_ts=parent[-1].ts
    )


async def test_one_council_never_sees_anothers_questions(
    councils: tuple[SlackDouble, SlackDouble, SlackWorkspaces],
    provider: Runtime,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    hackney, camden, _ = councils
    await ask_and_answer(hackney, HACKNEY_WORDS)
    await ask_and_answer(camden, CAMDEN_WORDS)
    # The same reference in both: each council numbers its own questions.
    for double, words in ((hackney, HACKNEY_WORDS), (camden, CAMDEN_WORDS)):
        services = workspace(provider, double.team_id).services
        question = await services.repos.questions.by_reference(REF)
        assert words in question.text

    # Every reading surface, in each workspace, asking for the same references and words.
    for double in (hackney, camden):
        for words in (
            "status",
            f"search {HACKNEY_WORDS.split()[0]}",
            f"search {CAMDEN_WORDS.split()[0]}",
            f"history {REF}",
            "meeting list --all",
            "officer list",
            "clerk list",
            "committee list",
            "closure list",
            "export 2026-05-11 json",
            "compile 2026-05-11",
        ):
            told = len(double.ephemerals(CLERK)) + len(double.responses)
            await double.send_command("/agenda", words, CLERK)
            await double.wait_for(
                lambda d=double, t=told: len(d.ephemerals(CLERK)) + len(d.responses) > t,
                description=f"the reply to /agenda {words}",
            )
        await double.send_command("/agenda", f"search {HACKNEY_WORDS.split()[0]}", MEMBER)
        await double.open_app_home(CLERK)
        await double.open_app_home(MEMBER)
        await double.wait_for(
            lambda d=double: len([f for f in d.files if f.completed]) >= 3 or None,
            description="the export and the compiled documents uploaded",
        )

    # Every scheduled job of each workspace, at a moment reminders are due.
    clock.set(datetime(2026, 5, 5, 10, 0, tzinfo=LONDON))
    for team_id in (HACKNEY, CAMDEN):
        scheduler = workspace(provider, team_id).scheduler
        assert scheduler is not None
        for job in scheduler.get_jobs():
            await job.func(*job.args)

    hackney_saw, camden_saw = everything_sent(hackney), everything_sent(camden)
    assert "Hackneysecret" in hackney_saw and "Camdenprivate" in camden_saw
    assert "Camdenprivate" not in hackney_saw
    assert "Hackneysecret" not in camden_saw

    # The command-line tools work on the workspace they are told, and only on it.
    env = {
        **store_of(provider.settings),
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "PATH": "/usr/bin:/bin",
    }
    for team_id, own, other in (
        (HACKNEY, "Hackneysecret", "Camdenprivate"),
        (CAMDEN, "Camdenprivate", "Hackneysecret"),
    ):
        for command, shows_words in (
            (["compile", "--meeting", "2026-05-11", "--format", "md", "--out", "-"], True),
            (["export", "--meeting", "2026-05-11", "--format", "json", "--out", "-"], True),
            (["person", "export", MEMBER, "--by", "test", "--out", "-"], True),
            (["audit", "--format", "json", "--out", "-"], False),
            (["chase", "--now", "2026-05-06T10:00", "--dry-run"], False),
        ):
            done = run([*command, "--workspace", team_id], env, tmp_path)
            assert done.returncode == 0, done.stderr
            assert own in done.stdout or not shows_words, done.stdout
            assert other not in done.stdout + done.stderr
    refused = run(["compile", "--out", "-"], env, tmp_path)
    assert refused.returncode == 2 and "--workspace" in refused.stderr


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *command],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_each_councils_own_settings_are_set_from_the_command_line(
    provider: Runtime, tmp_path: Path
) -> None:
    env = {**store_of(provider.settings), "SLACK_CLIENT_ID": CLIENT_ID, "PATH": "/usr/bin:/bin"}
    listed = run(["workspace", "list"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [HACKNEY, CAMDEN]
    assert f"by {CLERK}" in listed.stdout

    done = run(
        [
            "workspace",
            "set",
            CAMDEN,
            "TIMEZONE=Europe/Dublin",
            "CONTACT_NAME=Jo Clerk",
            "--by",
            "desk",
        ],
        env,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["TIMEZONE=Europe/Dublin", "CONTACT_NAME=Jo Clerk"]
    for refused, why in (
        (["TIMEZONE=Mars/Olympus"], "TIMEZONE='Mars/Olympus' is not a known time zone"),
        (["DATABASE_URL=postgresql://x/y"], "DATABASE_URL is not a setting a workspace"),
        (["TIMEZONE"], "give settings as KEY=VALUE"),
    ):
        bad = run(["workspace", "set", CAMDEN, *refused, "--by", "desk"], env, tmp_path)
        assert bad.returncode == 2 and why in bad.stderr, bad.stderr
    unknown = run(["workspace", "show", "T0NOWHERE"], env, tmp_path)
    assert unknown.returncode == 2 and "not installed in workspace T0NOWHERE" in unknown.stderr
    removed = run(["workspace", "set", CAMDEN, "CONTACT_NAME=", "--by", "desk"], env, tmp_path)
    assert removed.stdout.splitlines() == ["TIMEZONE=Europe/Dublin"]
    assert run(["workspace", "show", HACKNEY], env, tmp_path).stdout.startswith(HACKNEY)

    # The next time the bot looks (every minute; here at once), it serves Camden in its own
    # time zone, its jobs too, and Hackney as before.
    hackney_jobs = workspace(provider, HACKNEY).scheduler
    await provider.discover()
    camden = workspace(provider, CAMDEN)
    assert camden.services.settings.timezone == "Europe/Dublin"
    assert camden.scheduler is not None and str(camden.scheduler.timezone) == "Europe/Dublin"
    assert workspace(provider, HACKNEY).services.settings.timezone == "Europe/London"
    assert workspace(provider, HACKNEY).scheduler is hackney_jobs


async def test_an_uninstalled_workspace_is_no_longer_served_and_its_record_is_kept(
    councils: tuple[SlackDouble, SlackDouble, SlackWorkspaces], provider: Runtime
) -> None:
    hackney, camden, _ = councils
    assert provider.installations is not None
    record = workspace(provider, CAMDEN).services.db.path
    answered = await camden.send_event({"type": "app_uninstalled"})
    assert answered.status == 200
    await eventually(
        provider.installations.teams, lambda teams: [t.team_id for t in teams] == [HACKNEY]
    )
    assert provider.workspaces is not None
    assert [w.team_id for w in provider.workspaces.all] == [HACKNEY]
    if not provider.settings.database_url:
        assert await asyncio.to_thread(Path(record).is_file)

    # Camden's people get nothing more from the bot; Hackney's are served as before.
    calls = len(camden.calls)
    await camden.send_command("/agenda", "status", CLERK)
    await hackney.send_command("/agenda", "meeting add 2026-05-11 19:00 CYP Commission", CLERK)
    await ephemeral_containing(hackney, CLERK, "2026-05-11")
    assert len(camden.calls) == calls


async def test_what_another_replica_installs_or_uninstalls_is_found(provider: Runtime) -> None:
    """Another replica took Camden's uninstallation, then its installation again: this one
    finds both when it next looks (every minute; here at once)."""
    installations, workspaces = provider.installations, provider.workspaces
    assert installations is not None and workspaces is not None
    camden = await installations.async_find_installation(enterprise_id=None, team_id=CAMDEN)
    assert camden is not None

    await installations.forget_team(CAMDEN)
    await provider.discover()
    assert [w.team_id for w in workspaces.all] == [HACKNEY]

    await installations.async_save(camden)
    await provider.discover()
    assert sorted(w.team_id for w in workspaces.all) == sorted([HACKNEY, CAMDEN])
    assert await workspace(provider, CAMDEN).services.clerk_ids() == {CLERK}


@pytest.mark.sqlite_only(reason="a workspace's SQLite file")
async def test_a_served_workspaces_file_is_the_bots_alone(provider: Runtime) -> None:
    """On SQLite a restore (or a second bot) cannot take a workspace's file from under the
    bot serving it; once the workspace is no longer served, it can."""
    path = Path(workspace(provider, CAMDEN).services.db.path)
    with pytest.raises(DatabaseInUse):
        RunLock.take(path, "restore")
    assert provider.workspaces is not None
    await provider.workspaces.uninstalled(CAMDEN, "the app was uninstalled")
    RunLock.take(path, "restore").release()
