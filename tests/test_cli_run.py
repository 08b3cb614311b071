"""``python -m bot run`` as an operator starts it: serves, then stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from bot.sandbox import SlackDouble
from tests.conftest import SIGNING_SECRET
from tests.paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def healthy(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def test_run_serves_http_and_stops_on_sigterm(slack: SlackDouble, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
        "DATABASE_PATH": str(tmp_path / "db" / "scrutiny.db"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        os.devnull,
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        for _ in range(300):
            if process.returncode is not None or await healthy(url):
                break
            await asyncio.sleep(0.05)
        assert process.returncode is None, "the bot exited during start-up"
        slack.connect_http(f"http://127.0.0.1:{port}/slack/events")
        result = await slack.send_command("/agenda", "help", "UMEMBER1")
        assert result.status == 200
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = output.decode()
    assert process.returncode == 0, log
    assert "stopped" in log
    assert (tmp_path / "db" / "scrutiny.db").exists()
