"""Every way ``python -m bot`` can fail to start says so in one line, exits non-zero, and ends.

Each case runs the real command line in a subprocess against the Slack double. Waits are
generous timeouts for a slow machine, never assertions about how long something took.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox import SlackDouble
from tests.conftest import SIGNING_SECRET
from tests.paths import ROOT
from tests.test_cli_run import free_port

ENOUGH = 60.0
"""Seconds a failing start may take on a very slow machine before the test gives up."""


async def start(*args: str, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run ``python -m bot ARGS``; its exit code and its non-empty stderr lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout=ENOUGH)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, [line for line in err.decode().splitlines() if line.strip()]


def settings(slack: SlackDouble, tmp_path: Path, **overrides: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(free_port()),
        "DATABASE_PATH": str(tmp_path / "db" / "scrutiny.db"),
        **overrides,
    }


def assert_one_line(code: int, lines: list[str], *words: str) -> None:
    assert code != 0
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        yield taken.getsockname()[1]


async def test_a_port_in_use(slack: SlackDouble, tmp_path: Path, port_in_use: int) -> None:
    env = settings(slack, tmp_path, PORT=str(port_in_use))
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, "PORT", str(port_in_use))


async def test_a_health_port_in_use_in_socket_mode(
    slack: SlackDouble, tmp_path: Path, port_in_use: int
) -> None:
    env = settings(slack, tmp_path, SLACK_APP_TOKEN="xapp-1-test", HEALTH_PORT=str(port_in_use))
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, "Cannot start: HEALTH_PORT", str(port_in_use))


async def test_a_token_slack_refuses(slack: SlackDouble, tmp_path: Path) -> None:
    env = settings(slack, tmp_path, SLACK_BOT_TOKEN="xoxb-your-bot-token")
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, "SLACK_BOT_TOKEN", "invalid_auth")
    assert not (tmp_path / "db").exists()


async def test_an_app_token_slack_refuses_in_socket_mode(
    slack: SlackDouble, tmp_path: Path
) -> None:
    env = settings(slack, tmp_path, SLACK_APP_TOKEN="xoxb-not-an-app-token")
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, "SLACK_APP_TOKEN")


async def test_slack_not_answering(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/api/"
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": nowhere,
        "PORT": str(free_port()),
        "DATABASE_PATH": str(tmp_path / "scrutiny.db"),
    }
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, "SLACK_API_URL")


async def test_a_database_path_that_cannot_be_created(slack: SlackDouble, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder", encoding="utf-8")
    env = settings(slack, tmp_path, DATABASE_PATH=str(a_file / "scrutiny.db"))
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, "DATABASE_PATH", str(a_file))


async def test_a_database_folder_that_cannot_be_written(slack: SlackDouble, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("this user can write anywhere (root)")
        env = settings(slack, tmp_path, DATABASE_PATH=str(locked / "scrutiny.db"))
        code, lines = await start("--env-file", os.devnull, "run", env=env)
    finally:
        locked.chmod(0o700)
    assert_one_line(code, lines, "DATABASE_PATH", str(locked))


async def test_a_database_path_that_is_not_a_database(slack: SlackDouble, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    env = settings(slack, tmp_path, DATABASE_PATH=str(junk))
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, "DATABASE_PATH")


async def test_a_publish_dir_that_does_not_exist(slack: SlackDouble, tmp_path: Path) -> None:
    missing = tmp_path / "website" / "scrutiny"
    env = settings(slack, tmp_path, PUBLISH_DIR=str(missing))
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, f"PUBLISH_DIR={missing}: there is no folder {missing}")
    assert not (tmp_path / "db").exists()


async def test_a_publish_dir_that_is_a_file(slack: SlackDouble, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder", encoding="utf-8")
    env = settings(slack, tmp_path, PUBLISH_DIR=str(a_file))
    code, lines = await start("--env-file", os.devnull, "run", env=env)
    assert_one_line(code, lines, f"PUBLISH_DIR={a_file}: {a_file} is not a folder")


async def test_a_missing_env_file(tmp_path: Path) -> None:
    code, lines = await start("--env-file", str(tmp_path / "missing.env"), "run", env={})
    assert_one_line(code, lines, "--env-file", "missing.env")


async def test_a_demo_out_that_cannot_be_written(tmp_path: Path) -> None:
    code, lines = await start("--env-file", os.devnull, "demo", "--out", "/proc/nope", env={})
    assert_one_line(code, lines, "--out /proc/nope")


async def test_a_demo_out_that_holds_other_files_is_left_alone(tmp_path: Path) -> None:
    keep = tmp_path / "precious.txt"
    keep.write_text("keep me", encoding="utf-8")
    code, lines = await start("--env-file", os.devnull, "demo", "--out", str(tmp_path), env={})
    assert_one_line(code, lines, "not an earlier demo's folder")
    assert keep.read_text(encoding="utf-8") == "keep me"
