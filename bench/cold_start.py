"""Cold start: from starting ``python -m bot run`` to its first answer on ``/healthz``.

The bot starts as people start it, in a process of its own, on a database it has opened
before, against the Slack double served by another process (50 ms a call). The bare Bolt app
(``python -m bench.bare_bolt``, which imports nothing of the bot) is started the same way for
comparison; the two alternate, after one unmeasured start of each.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from bench.fixtures import SIGNING_SECRET
from bench.processes import bare_process, bot_process, pin
from bench.report import Emit, duration, figure, ratio, value_goal
from bot.sandbox.remote import RemoteDouble, ServeOptions, served_double

GOAL = 1.0
LATENCY = 0.05
FULL_ROUNDS = 5
QUICK_ROUNDS = 2


async def bot_start(slack: RemoteDouble, database: Path) -> float:
    async with bot_process(slack, database) as bot:
        return bot.started_in


async def bare_start(slack: RemoteDouble) -> float:
    async with bare_process(slack) as bare:
        return bare.started_in


async def measure(rounds: int) -> tuple[list[float], list[float]]:
    bot: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-start-") as folder:
        database = Path(folder) / "scrutiny.db"
        options = ServeOptions(latency=LATENCY, signing_secret=SIGNING_SECRET)
        pin(0, "slack")  # this process only polls /healthz
        async with served_double(options) as slack:
            pin(slack.pid, "slack")
            await bot_start(slack, database)
            await bare_start(slack)
            for _ in range(rounds):
                bot.append(await bot_start(slack, database))
                bare.append(await bare_start(slack))
    return bot, bare


def run(quick: bool, emit: Emit) -> None:
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    bot, bare = asyncio.run(measure(rounds))
    middle, floor = statistics.median(bot), statistics.median(bare)
    emit(
        figure(
            "cold start",
            f"python -m bot run to its first /healthz answer (median of {rounds}) "
            f"{value_goal(middle, GOAL, duration)}  slowest {duration(max(bot))}  "
            f"(bare Bolt {duration(floor)} {ratio(middle, floor)})",
        )
    )
