"""The walking skeleton end to end: the real app, the double, both connection modes."""

from __future__ import annotations

import subprocess
import sys

import aiohttp

from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, MEMBER
from tests.paths import ROOT


async def test_agenda_help_in_both_modes(slack: SlackDouble, bot_any_mode: Runtime) -> None:
    result = await slack.send_command("/agenda", "help", MEMBER)
    assert result.status == 200
    replies = await slack.wait_for(
        lambda: [e for e in slack.ephemerals(MEMBER) if "/agenda help" in e.all_text()]
    )
    assert "clerks only" in replies[-1].all_text() or len(replies[-1].blocks) >= 2


async def test_agenda_with_no_words_shows_help(slack: SlackDouble, bot: Runtime) -> None:
    await slack.send_command("/agenda", "", CLERK)
    await slack.wait_for(lambda: [e for e in slack.ephemerals(CLERK) if "/agenda" in e.text])


async def test_unknown_subcommand_is_explained(slack: SlackDouble, bot: Runtime) -> None:
    await slack.send_command("/agenda", "frobnicate", MEMBER)
    replies = await slack.wait_for(
        lambda: [e for e in slack.ephemerals(MEMBER) if "frobnicate" in e.text]
    )
    assert "/agenda help" in replies[0].text


async def test_health_check(bot: Runtime) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{bot.port}/healthz") as response,
    ):
        assert response.status == 200
        assert await response.json() == {"ok": True}


async def test_bad_signature_gets_401(slack: SlackDouble, bot: Runtime) -> None:
    result = await slack.send_raw(
        "token=x&command=%2Fagenda&text=help&user_id=UMEMBER1",
        content_type="application/x-www-form-urlencoded",
        bad_signature=True,
    )
    assert result.status == 401
    assert slack.ephemerals(MEMBER) == []


async def test_stale_timestamp_gets_401(slack: SlackDouble, bot: Runtime) -> None:
    result = await slack.send_raw(
        "token=x&command=%2Fagenda&text=help&user_id=UMEMBER1",
        content_type="application/x-www-form-urlencoded",
        timestamp="1000000000",
    )
    assert result.status == 401


def test_python_docx_is_loaded_only_to_write_a_document() -> None:
    # The bot starts without it (it costs memory and start-up time); compiling loads it.
    code = (
        "import sys, bot.__main__, bot.runtime, bot.app, bot.scheduler, handlers.commands, "
        "handlers.actions, handlers.home, handlers.intake; "
        "assert 'docx' not in sys.modules, 'python-docx loaded at start-up'; "
        "from bot.core.agenda import compile_agenda, AgendaMeeting; import datetime; "
        "m = AgendaMeeting('C', 'C', datetime.date(2026, 5, 11), 'C-2026-05-11'); "
        "compile_agenda(m, [], None).to_docx_bytes(); assert 'docx' in sys.modules"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
