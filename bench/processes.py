"""The bot, a bare Bolt app and the load generator, each in a process of its own.

The bot is started as people start it, ``python -m bot run``, configured through the
environment to use a Slack double served by ``python -m bot.sandbox serve`` (another process).
Memory is read from the child's ``/proc/<pid>/status``. With two CPUs or more, the app being
measured runs on the first and Slack's side (the double, the load generator) on the others.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.fixtures import CLERK, SIGNING_SECRET
from bot.sandbox.remote import RemoteDouble, stop_process

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PATH = "/slack/events"
START_TIMEOUT = 60.0
NO_ENV_FILE = os.devnull


def cpus_for(role: str) -> set[int] | None:
    """CPUs for the app being measured ("app": the first) and for Slack's side ("slack": the
    double and the load generator: the others), so that Slack's work, which in production runs
    on Slack's machines, does not take the app's CPU. None on a single CPU."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(available) < 2:
        return None
    return {available[0]} if role == "app" else set(available[1:])


def pin(pid: int, role: str) -> None:
    """Keep process ``pid`` (0: this one) on the CPUs of ``role`` (see ``cpus_for``)."""
    cpus = cpus_for(role)
    if cpus is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(pid, cpus)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """An app in a child process, answering on 127.0.0.1."""

    name: str
    process: asyncio.subprocess.Process
    port: int
    started_in: float
    """Seconds from starting the process to its first answer on ``/healthz``."""

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{EVENTS_PATH}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def memory(self, field: str = "VmRSS") -> int:
        """A ``/proc/<pid>/status`` figure (VmRSS, VmHWM) in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"/proc/{self.pid}/status has no {field}")


def bot_environment(slack: RemoteDouble, database: Path, port: int) -> dict[str, str]:
    """The bot's settings for the bench: HTTP mode on ``port``, the double as Slack.

    The chase ladder keeps only "2 working days before due", and the bench's questions are
    due weeks later, so no scheduled sweep sends reminders in the middle of a measurement.
    """
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
        "DATABASE_PATH": str(database),
        "CLERK_USER_IDS": CLERK,
        "CHASE_LADDER": "before:2",
    }


def bot_command() -> list[str]:
    return [sys.executable, "-m", "bot", "--log-level", "WARNING", "--env-file", NO_ENV_FILE, "run"]


def bare_command(slack: RemoteDouble, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.bare_bolt",
        "--port",
        str(port),
        "--api-url",
        slack.api_url,
        "--token",
        slack.bot_token,
        "--signing-secret",
        SIGNING_SECRET,
    ]


async def wait_healthy(port: int, process: asyncio.subprocess.Process, started: float) -> float:
    """Poll ``/healthz`` until it answers 200; seconds since ``started``."""
    url = f"http://127.0.0.1:{port}/healthz"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
        while time.perf_counter() - started < START_TIMEOUT:
            if process.returncode is not None:
                raise RuntimeError(f"{url}: the process ended with {process.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.005)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT:.0f} s")


@asynccontextmanager
async def serving(
    name: str, command: list[str], port: int, env: Mapping[str, str] | None = None
) -> AsyncIterator[Served]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env)
    pin(process.pid, "app")
    try:
        took = await wait_healthy(port, process, started)
        yield Served(name, process, port, took)
    finally:
        await stop_process(process)


def bot_process(slack: RemoteDouble, database: Path) -> AbstractAsyncContextManager[Served]:
    """``python -m bot run`` on ``database`` against the served double."""
    port = free_port()
    return serving("bot", bot_command(), port, bot_environment(slack, database, port))


def bare_process(slack: RemoteDouble) -> AbstractAsyncContextManager[Served]:
    """A bare Bolt app with no-op listeners, served as the bot serves itself."""
    port = free_port()
    return serving("bare Bolt", bare_command(slack, port), port)


async def run_json(module: str, spec: Mapping[str, object]) -> Any:
    """``python -m <module>`` with ``spec`` as JSON on stdin; its JSON answer on stdout."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    pin(process.pid, "slack")
    out, _ = await process.communicate(json.dumps(spec).encode())
    if process.returncode != 0:
        raise RuntimeError(f"python -m {module} failed with exit status {process.returncode}")
    return json.loads(out.decode().strip().splitlines()[-1])
