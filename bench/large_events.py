"""Memory under large events: resident size of ``python -m bot run`` before, during and after a
burst of big thread replies under one of the bot's messages (each waits for its thread to be
recorded, so they pile up).

The bot runs as its own process, started as an operator starts it, against the Slack double in
this process; its resident size is read from ``/proc/<pid>/status``. ``python -m
bench.large_events --events 300 --size 1000000`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

from bench.fixtures import CLERK, MEMBER, SIGNING_SECRET
from bench.report import Emit, count, figure, megabytes
from bot.sandbox import SlackDouble

ROOT = Path(__file__).resolve().parent.parent
CONCURRENT = 50
SETTLE = 6.0
"""Seconds to let the last replies finish waiting for their thread (about 2 s) and go."""


def new_double(ack_timeout: float = 3.0) -> SlackDouble:
    """The Slack double with the clerk and a member in the workspace."""
    slack = SlackDouble(signing_secret=SIGNING_SECRET, ack_timeout=ack_timeout)
    slack.add_user(CLERK, "clerk", "Casey Clerk")
    slack.add_user(MEMBER, "cllr.mirza", "Cllr Sam Mirza")
    return slack


@dataclass(frozen=True)
class Burst:
    events: int
    size: int
    before: int
    peak: int
    after: int
    refused: int


def resident(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def healthy(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def burst(slack: SlackDouble, events: int, size: int, pid: int) -> tuple[int, int]:
    """Send the replies, CONCURRENT at a time; the peak resident size seen, and how many
    were refused."""
    peak = resident(pid)
    refused = 0
    gate = asyncio.Semaphore(CONCURRENT)
    text = "x" * size

    async def reply(number: int) -> None:
        nonlocal refused
        async with gate:
            result = await slack.send_event(
                {
                    "type": "message",
                    "channel": "C0BURST01",
                    "user": MEMBER,
                    "text": text,
                    "ts": f"1700000100.{number:06d}",
                    "thread_ts": "1700000000.000100",
                    "parent_user_id": slack.bot_user_id,
                }
            )
            refused += result.status != 200

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, resident(pid))
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(reply(n) for n in range(events)))
    await asyncio.sleep(SETTLE)
    watcher.cancel()
    return peak, refused


async def measure(events: int, size: int) -> Burst:
    with tempfile.TemporaryDirectory(prefix="bench-large-events-") as folder:
        async with new_double(ack_timeout=10.0) as slack:
            port = free_port()
            env = {
                "PATH": os.environ.get("PATH", ""),
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "PORT": str(port),
                "DATABASE_PATH": str(Path(folder) / "scrutiny.db"),
            }
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--log-level",
                "ERROR",
                "--env-file",
                os.devnull,
                "run",
                cwd=os.getcwd(),
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                for _ in range(600):
                    if await healthy(f"http://127.0.0.1:{port}/healthz"):
                        break
                    await asyncio.sleep(0.05)
                slack.connect_http(f"http://127.0.0.1:{port}/slack/events")
                await slack.send_command("/agenda", "help", MEMBER)
                await asyncio.sleep(1.0)
                before = resident(process.pid)
                peak, refused = await burst(slack, events, size, process.pid)
                after = resident(process.pid)
            finally:
                process.terminate()
                await process.wait()
    return Burst(events, size, before, peak, after, refused)


def run(quick: bool, emit: Emit) -> None:
    b = asyncio.run(measure(100 if quick else 300, 1_000_000))
    emit(
        figure(
            "large events",
            f"{count(b.events)} replies of {megabytes(b.size)}: resident {megabytes(b.before)} "
            f"before, peak {megabytes(b.peak)}, {megabytes(b.after)} after "
            f"({b.refused} refused)",
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Memory under a burst of large events")
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--size", type=int, default=1_000_000, help="characters of text each")
    args = parser.parse_args()
    print(json.dumps(asdict(asyncio.run(measure(args.events, args.size)))))


if __name__ == "__main__":
    main()
