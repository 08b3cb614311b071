"""Memory: resident set size of the bot idle, and with many questions loaded.

Measured in a fresh Python process (``python -m bench.memory_use``), since memory a process
has touched is rarely given back: the other benchmarks would leave their mark. The child
imports the bot, starts it against the Slack double in HTTP mode and answers one command
(so what Bolt loads on its first request counts as idle); then stores the questions (a tenth
open, sent to the next meeting; the rest closed history, written with ``executemany``), loads
them all with ``questions.search()`` and builds the clerk's Home tab, keeping both alive.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.fixtures import (
    CLERK,
    MEMBER,
    SENT_AT,
    add_closed_history,
    create_sent_questions,
    new_double,
    repositories,
    running_bot,
    set_up_commission,
)
from bench.report import Emit, count, figure, megabytes, ratio
from bot.core.clock import FixedClock
from handlers.home import home_view

ROOT = Path(__file__).resolve().parent.parent
OFFICERS = 20
OPEN_SHARE = 10
"""One question in this many is open."""


@dataclass(frozen=True)
class Sizes:
    questions: int


FULL = Sizes(questions=10_000)
QUICK = Sizes(questions=2_000)


@dataclass(frozen=True)
class Memory:
    imported: int
    idle: int
    loaded: int
    peak: int
    questions: int
    home_blocks: int


def status_kib(field: str) -> int:
    """A ``/proc/self/status`` figure (VmRSS, VmHWM) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def resident() -> int:
    gc.collect()
    return status_kib("VmRSS")


async def probe(questions: int) -> Memory:
    imported = resident()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        async with new_double() as slack:
            clock = FixedClock(SENT_AT)
            async with running_bot(slack, Path(folder), clock) as runtime:
                assert runtime.services is not None and runtime.app is not None
                await slack.send_command("/agenda", "help", MEMBER)
                idle = resident()
                repos = repositories(runtime)
                commission = await set_up_commission(repos, OFFICERS, slack)
                open_count = questions // OPEN_SHARE
                await create_sent_questions(repos, commission, open_count)
                await add_closed_history(
                    runtime.services.db, questions - open_count, commission.officers
                )
                stored = await repos.questions.search()
                home = await home_view(runtime.services, runtime.app.client, CLERK)
                loaded = resident()
                return Memory(
                    imported=imported,
                    idle=idle,
                    loaded=loaded,
                    peak=status_kib("VmHWM"),
                    questions=len(stored),
                    home_blocks=len(home["blocks"]),
                )


def measure_in_child(sizes: Sizes) -> Memory:
    """Run the probe in a fresh interpreter and read its figures (JSON on stdout)."""
    command = [sys.executable, "-m", "bench.memory_use", "--questions", str(sizes.questions)]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=600, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"the memory probe failed:\n{done.stderr}")
    return Memory(**json.loads(done.stdout.strip().splitlines()[-1]))


def run(quick: bool, emit: Emit) -> None:
    m = measure_in_child(QUICK if quick else FULL)
    per_question = (m.loaded - m.idle) / max(1, m.questions)
    emit(
        figure(
            "memory",
            f"idle {megabytes(m.idle)} (Python + imports {megabytes(m.imported)}); with "
            f"{count(m.questions)} questions loaded + clerk Home {megabytes(m.loaded)} "
            f"{ratio(m.loaded, m.idle)}, +{per_question / 1024:.1f} KB per question  "
            f"peak {megabytes(m.peak)}",
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Memory probe for python -m bench")
    parser.add_argument("--questions", type=int, default=FULL.questions)
    args = parser.parse_args()
    print(json.dumps(asdict(asyncio.run(probe(args.questions)))))


if __name__ == "__main__":
    main()
