"""``python -m bot.sandbox serve``: the Slack double in a process of its own.

Prints one JSON line, ``{"url": ..., "api_url": ..., "pid": ...}``, once it listens, then
serves until SIGTERM or SIGINT. Point the bot at it with ``SLACK_API_URL=<api_url>`` and
``SLACK_BOT_TOKEN=xoxb-sandbox-bot-token``; set it up and read it with
``bot.sandbox.remote.RemoteDouble`` (``POST /_sandbox/{operation}``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence

from bot.sandbox.double import SlackDouble


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the double until stopped")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0: a free port (default)")
    serve.add_argument(
        "--latency-ms", type=float, default=0.0, help="added to every Web API call (default 0)"
    )
    serve.add_argument(
        "--channel-rate",
        type=float,
        default=None,
        help="chat.postMessage a second per channel before 429 + Retry-After (Slack: 1)",
    )
    serve.add_argument("--channel-burst", type=int, default=1, help="messages at once (default 1)")
    serve.add_argument(
        "--tiers",
        type=float,
        default=None,
        metavar="MINUTES",
        help="limit each method to its Slack tier, with this many minutes' allowance at once",
    )
    serve.add_argument("--signing-secret", default="sandbox-signing-secret")
    serve.add_argument(
        "--user", action="append", default=[], metavar="ID,NAME,REAL NAME", help="add a person"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    double = SlackDouble(
        signing_secret=args.signing_secret, host=args.host, port=args.port, control=True
    )
    double.set_latency(args.latency_ms / 1000)
    if args.channel_rate is not None:
        double.rate_limit_per_channel(args.channel_rate, args.channel_burst)
    if args.tiers is not None:
        double.rate_limit_tiers(args.tiers)
    for user in args.user:
        user_id, name, real_name = [*user.split(",", 2), "", ""][:3]
        double.add_user(user_id, name or None, real_name or None)
    async with double:
        ready = {"url": double.url, "api_url": double.api_url, "pid": os.getpid()}
        print(json.dumps(ready), flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.command == "serve":
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
