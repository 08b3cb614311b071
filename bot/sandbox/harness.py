"""Running a Bolt app against the Slack double, over HTTP or Socket Mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.sandbox.double import SlackDouble

EVENTS_PATH = "/slack/events"
SANDBOX_APP_TOKEN = "xapp-1-sandbox"


@asynccontextmanager
async def serving_http(
    app: AsyncApp, double: SlackDouble, path: str = EVENTS_PATH
) -> AsyncIterator[str]:
    """Serve the app's request URL on 127.0.0.1 (a free port) and point the double at it."""
    runner = web.AppRunner(app.web_app(path=path), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}{path}"
    double.connect_http(url)
    try:
        yield url
    finally:
        await runner.cleanup()


@asynccontextmanager
async def connected_socket_mode(
    app: AsyncApp,
    double: SlackDouble,
    app_token: str = SANDBOX_APP_TOKEN,
    timeout: float = 5.0,  # noqa: ASYNC109
) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect the app to the double over Socket Mode, as ``AsyncSocketModeHandler`` does."""
    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    double.connect_socket_mode()
    try:
        await double.wait_socket_connected(timeout)
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
