"""Command line: ``python -m bot run`` connects to Slack using ``.env``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings
from bot.runtime import Runtime

logger = logging.getLogger("bot")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime = Runtime(settings)
    await runtime.start()
    mode = "Socket Mode" if settings.socket_mode else f"HTTP mode on port {runtime.port}"
    logger.info("scrutiny questions bot running (%s); Ctrl+C stops it", mode)
    try:
        await stop.wait()
    finally:
        logger.info("stopping")
        await runtime.stop()


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings(args.env_file)
    asyncio.run(serve(settings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The scrutiny questions bot: collect, send, chase and compile council "
        "scrutiny questions in Slack.",
    )
    parser.add_argument("--env-file", default=".env", help="settings file to read (default: .env)")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="connect to the Slack workspace in .env and serve")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    configure_logging(args.log_level)
    try:
        result: int = args.func(args)
        return result
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
