"""``python -m bench.bare_bolt``: the baseline app, Bolt with no-op listeners.

It is served exactly as the bot serves itself (as ``bot.runtime.create_web_app`` does: Bolt's
aiohttp application plus ``/healthz``, on an ``AppRunner`` without access log), in a process of
its own, so that the bot's figures can be compared with what Bolt costs on its own. It imports
nothing of the bot, so its start-up time is Bolt's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

EVENTS_PATH = "/slack/events"


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def create_web_app(app: AsyncApp) -> web.Application:
    web_app = app.web_app(path=EVENTS_PATH)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def bare_app(api_url: str, token: str, signing_secret: str) -> AsyncApp:
    client = AsyncWebClient(token=token, base_url=api_url)
    app = AsyncApp(client=client, signing_secret=signing_secret)

    @app.event("message")
    async def message() -> None:
        return None

    @app.event("app_home_opened")
    async def home_opened() -> None:
        return None

    @app.command("/agenda")
    async def agenda(ack: AsyncAck) -> None:
        await ack()

    return app


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = bare_app(args.api_url, args.token, args.signing_secret)
    runner = web.AppRunner(create_web_app(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--signing-secret", required=True)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
