"""The Slack double in a process of its own, and a client for its control operations.

    async with served_double(latency=0.05) as slack:      # python -m bot.sandbox serve ...
        await slack.call("add_users", users=[["U1", "alice", "Alice"]])
        env = {"SLACK_API_URL": slack.api_url, "SLACK_BOT_TOKEN": slack.bot_token, ...}

The double then spends none of the bot's CPU time, as Slack does not: the bot pays only for
its side of each call, and the latency set is waited out in the double's own event loop.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.sandbox.models import JsonDict

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class ServeOptions:
    """What ``python -m bot.sandbox serve`` is asked for (see its ``--help``)."""

    latency: float = 0.0
    channel_rate: float | None = None
    channel_burst: int = 1
    tiers: float | None = None
    signing_secret: str = "sandbox-signing-secret"
    users: tuple[tuple[str, str, str], ...] = ()

    def arguments(self) -> list[str]:
        args = ["--latency-ms", f"{self.latency * 1000:g}", "--signing-secret", self.signing_secret]
        if self.channel_rate is not None:
            args += ["--channel-rate", f"{self.channel_rate:g}"]
            args += ["--channel-burst", str(self.channel_burst)]
        if self.tiers is not None:
            args += ["--tiers", f"{self.tiers:g}"]
        for user in self.users:
            args += ["--user", ",".join(user)]
        return args


class RemoteDouble:
    """A client for a double served by another process."""

    def __init__(self, session: aiohttp.ClientSession, identity: JsonDict, pid: int) -> None:
        self._session = session
        self.identity = identity
        self.pid = pid

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, url: str, pid: int) -> RemoteDouble:
        async with session.post(url + "_sandbox/identity", json={}) as response:
            response.raise_for_status()
            identity = await response.json()
        return cls(session, identity, pid)

    @property
    def url(self) -> str:
        return str(self.identity["url"])

    @property
    def api_url(self) -> str:
        return str(self.identity["api_url"])

    @property
    def bot_token(self) -> str:
        return str(self.identity["bot_token"])

    @property
    def signing_secret(self) -> str:
        return str(self.identity["signing_secret"])

    @property
    def bot_user_id(self) -> str:
        return str(self.identity["bot_user_id"])

    async def call(self, operation: str, **arguments: Any) -> JsonDict:
        """One control operation (``bot.sandbox.control``); its JSON answer."""
        url = f"{self.url}_sandbox/{operation}"
        async with self._session.post(url, json=arguments) as response:
            answer: JsonDict = await response.json()
            if response.status != 200:
                raise RuntimeError(f"{operation}: {answer.get('error')}")
            return answer


def serve_command(options: ServeOptions, port: int = 0) -> list[str]:
    return [sys.executable, "-m", "bot.sandbox", "serve", "--port", str(port), *options.arguments()]


@asynccontextmanager
async def served_double(options: ServeOptions | None = None) -> AsyncIterator[RemoteDouble]:
    """Start the double in a child process, wait until it listens, stop it on the way out."""
    command = serve_command(options or ServeOptions())
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        if not line:
            raise RuntimeError("the Slack double's process ended before it was listening")
        url = str(json.loads(line)["url"])
        async with aiohttp.ClientSession() as session:
            yield await RemoteDouble.connect(session, url, process.pid)
    finally:
        await stop_process(process)


async def stop_process(process: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``grace`` seconds."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()
