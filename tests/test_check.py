"""``python -m bot check`` as IT runs it, against the Slack double: one line per item, OK or
FAILED, and a non-zero exit code when anything failed."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.manifest import bot_scopes
from bot.sandbox import SlackDouble
from tests.conftest import SIGNING_SECRET
from tests.paths import ROOT

ENOUGH = 60.0
ITEMS = [
    "settings",
    "SLACK_BOT_TOKEN",
    "scopes",
    "SLACK_APP_TOKEN",
    "database",
    "data folder",
    "backups",
    "PUBLISH_DIR",
]


async def check(env: dict[str, str]) -> tuple[int, list[str]]:
    """Run ``python -m bot check`` with no .env; its exit code and its output lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        os.devnull,
        "check",
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=ENOUGH)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    assert "Traceback" not in err.decode(), err.decode()
    return process.returncode, out.decode().splitlines()


def deployment(slack: SlackDouble, tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A Socket Mode deployment with a data folder and nightly backups, as in the container."""
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "xapp-1-A111-1-test",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_PATH": str(tmp_path / "data" / "scrutiny.db"),
        "BACKUP_DIR": str(tmp_path / "data" / "backups"),
        **overrides,
    }


def line_for(lines: list[str], item: str) -> str:
    [line] = [line for line in lines if line.split(" ", 1)[1].startswith(f"{item}:")]
    return line


def make_folder(path: Path, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)


async def test_a_sound_deployment_passes(slack: SlackDouble, tmp_path: Path) -> None:
    code, lines = await check(deployment(slack, tmp_path))
    assert code == 0, lines
    assert [line.split(": ", 1)[0] for line in lines] == [f"OK {item}" for item in ITEMS]
    assert line_for(lines, "SLACK_BOT_TOKEN").endswith(
        "the bot @scrutiny-bot in Sandbox (https://sandbox.slack.com/)"
    )
    assert f"the {len(bot_scopes())} bot scopes manifest.json asks for" in line_for(lines, "scopes")
    assert "migrations applied now" in line_for(lines, "database")
    assert "Socket Mode" in line_for(lines, "settings")
    assert (tmp_path / "data" / "scrutiny.db").exists()


async def test_a_token_slack_refuses_fails_with_a_clear_line(
    slack: SlackDouble, tmp_path: Path
) -> None:
    code, lines = await check(deployment(slack, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked-1"))
    assert code == 1
    assert line_for(lines, "SLACK_BOT_TOKEN") == (
        "FAILED SLACK_BOT_TOKEN: Slack refused it (invalid_auth): copy the Bot User OAuth Token "
        "(xoxb-...) again from the app's OAuth & Permissions page; reinstall the app if it was "
        "removed"
    )
    assert not [line for line in lines if line.startswith("FAILED ") and "TOKEN" not in line]
    assert not [line for line in lines if "scopes:" in line]  # nothing to compare


async def test_each_problem_is_its_own_failed_line(slack: SlackDouble, tmp_path: Path) -> None:
    slack.grant_scopes(bot_scopes() - {"files:write", "reactions:write"} | {"channels:read"})
    make_folder(tmp_path / "data", 0o755)
    make_folder(tmp_path / "data" / "backups", 0o700)
    (tmp_path / "data" / "backups" / "scrutiny-2020-01-31.db").write_bytes(b"")
    code, lines = await check(deployment(slack, tmp_path))
    assert code == 1
    assert line_for(lines, "scopes") == (
        "FAILED scopes: the token lacks files:write, reactions:write, which manifest.json asks "
        "for: update the app's manifest from manifest.json and reinstall it to the workspace"
    )
    folder = line_for(lines, "data folder")
    assert folder.startswith(
        f"FAILED data folder: open to other users: {tmp_path / 'data'} is "
        "755 (others can read and enter)"
    )
    backups = line_for(lines, "backups")
    assert backups.startswith("FAILED backups: the newest backup in ")
    assert "scrutiny-2020-01-31.db: the nightly backup has not worked since" in backups
    assert line_for(lines, "database").startswith("OK database")
    assert line_for(lines, "PUBLISH_DIR").startswith("OK PUBLISH_DIR: not set")


async def test_a_publish_folder_that_is_missing_fails(slack: SlackDouble, tmp_path: Path) -> None:
    missing = tmp_path / "website" / "open-data"
    code, lines = await check(deployment(slack, tmp_path, PUBLISH_DIR=str(missing)))
    assert code == 1
    assert line_for(lines, "PUBLISH_DIR") == (
        f"FAILED PUBLISH_DIR: {missing}: there is no folder {missing}"
    )
    missing.mkdir(parents=True)
    code, lines = await check(deployment(slack, tmp_path, PUBLISH_DIR=str(missing)))
    assert line_for(lines, "PUBLISH_DIR").startswith("OK PUBLISH_DIR")


async def test_slack_not_answering_and_a_database_that_is_not_one(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 300)
    junk.chmod(0o600)
    os.chmod(tmp_path, 0o700)
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_PATH": str(junk),
    }
    code, lines = await check(env)
    assert code == 1
    assert line_for(lines, "SLACK_BOT_TOKEN").startswith(
        "FAILED SLACK_BOT_TOKEN: could not check it: Slack at http://127.0.0.1:9/api/ did not "
        "answer"
    )
    assert line_for(lines, "database").startswith(f"FAILED database: {junk}: ")
    assert line_for(lines, "backups").startswith("OK backups: BACKUP_DIR is not set")
    assert "HTTP mode" in line_for(lines, "settings")


async def test_a_missing_setting_is_one_failed_line(tmp_path: Path) -> None:
    code, lines = await check({"SLACK_SIGNING_SECRET": "s"})
    assert code == 1
    assert lines == [
        "FAILED settings: SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) "
        "from your app's OAuth & Permissions page into .env"
    ]


async def test_many_workspaces_are_checked_without_a_bot_token(
    slack: SlackDouble, tmp_path: Path
) -> None:
    env = deployment(slack, tmp_path, SLACK_CLIENT_ID="1234567890.1234567890")
    for key in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "BACKUP_DIR"):
        del env[key]
    code, lines = await check({**env, "SLACK_CLIENT_SECRET": "secret"})
    assert code == 0, lines
    assert "installed in workspaces through /slack/install" in line_for(lines, "SLACK_CLIENT_ID")
    assert not [line for line in lines if "SLACK_BOT_TOKEN" in line]
