"""``python -m bench``: run the benchmarks and print one line per figure.

    python -m bench                 # everything (a few minutes on 2 cores)
    python -m bench --quick         # smaller sizes, a smoke run (about half a minute)
    python -m bench --only ack      # one benchmark (repeat --only for more)
    python -m bench --list          # what there is

Figures go to stdout; progress notes and warnings to stderr. Exit status 1 if a benchmark
could not run. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from bench import (
    ack_latency,
    chase_delivery,
    cold_start,
    compile_docs,
    large_events,
    sweep_history,
)
from bench.report import Emit, emit, figure
from bot.chasing import SLACK_PACE


@dataclass(frozen=True)
class Options:
    quick: bool
    pace: float


@dataclass(frozen=True)
class Benchmark:
    name: str
    summary: str
    run: Callable[[Options, Emit], None]


BENCHMARKS = (
    Benchmark(
        "ack",
        "ack latency of the bot vs a bare Bolt app, each in its own process, rounds "
        "interleaved; the bot's memory idle and after the traffic",
        lambda o, out: ack_latency.run(o.quick, out),
    ),
    Benchmark(
        "chase",
        "one chase sweep at Slack's 1 message/s/channel and 100 ms a call vs the least time "
        "possible",
        lambda o, out: chase_delivery.run(o.quick, out, o.pace),
    ),
    Benchmark(
        "history",
        "sweep, status and the clerk's Home with 1,000 vs 100,000 stored; the bot's memory "
        "peak for status at 100,000",
        lambda o, out: sweep_history.run(o.quick, out),
    ),
    Benchmark(
        "compile",
        "compiling answered questions to .docx vs python-docx writing the same content",
        lambda o, out: compile_docs.run(o.quick, out),
    ),
    Benchmark(
        "start",
        "cold start of python -m bot run to its first /healthz answer",
        lambda o, out: cold_start.run(o.quick, out),
    ),
    Benchmark(
        "events",
        "resident memory before, during and after a burst of 1 MB thread replies",
        lambda o, out: large_events.run(o.quick, out),
    ),
)
NAMES = tuple(b.name for b in BENCHMARKS)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmarks of the scrutiny questions bot."
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run")
    parser.add_argument(
        "--only", action="append", choices=NAMES, metavar="NAME", help=f"one of {NAMES}"
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=SLACK_PACE,
        help=f"seconds between messages in a channel for the chase sweep (default {SLACK_PACE})",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    return parser.parse_args(argv)


def header(options: Options) -> str:
    mode = "quick" if options.quick else "full"
    return figure(
        "bench",
        f"{mode} run, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"ratios against baselines measured in this run",
    )


def run_one(benchmark: Benchmark, options: Options) -> bool:
    started = time.perf_counter()
    try:
        benchmark.run(options, emit)
    except Exception:
        emit(figure(benchmark.name, "FAILED to run (traceback on stderr)"))
        traceback.print_exc()
        return False
    print(f"  .. {benchmark.name} took {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.list:
        for benchmark in BENCHMARKS:
            print(f"{benchmark.name:<8} {benchmark.summary}")
        return 0
    logging.basicConfig(level=logging.WARNING, format="  !! %(name)s: %(message)s")
    options = Options(quick=args.quick, pace=args.pace)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    emit(header(options))
    started = time.perf_counter()
    ok = [run_one(benchmark, options) for benchmark in chosen]
    emit(figure("bench", f"done in {time.perf_counter() - started:.0f} s"))
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
