"""``GET /healthz`` on ``HEALTH_PORT``: how a container (Socket Mode by default, where nothing
else listens) or a monitor asks whether the bot can do its work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.handlers.support import eventually
from tests.test_cli_run import free_port

MakeBot = Callable[..., Awaitable[Runtime]]


async def get(url: str, method: str = "GET") -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.request(method, url) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body


async def test_socket_mode_answers_healthz_on_the_health_port(
    slack: SlackDouble, make_bot: MakeBot
) -> None:
    bot = await make_bot(socket_mode=True, health_port=0)
    assert bot.health_port is not None
    base = f"http://127.0.0.1:{bot.health_port}"
    assert await get(f"{base}/healthz") == (200, {"ok": True})
    status, _ = await get(f"{base}/slack/events", "POST")
    assert status in (404, 405)  # nothing but the health check on this port


async def test_healthz_says_503_while_socket_mode_is_cut_off(
    slack: SlackDouble, make_bot: MakeBot
) -> None:
    bot = await make_bot(socket_mode=True, health_port=0)
    url = f"http://127.0.0.1:{bot.health_port}/healthz"
    await slack.stop()  # Slack gone: the websocket closes and cannot be opened again

    async def health() -> tuple[int, Any]:
        return await get(url)

    _, body = await eventually(health, lambda answer: answer[0] == 503)
    assert body == {
        "ok": False,
        "error": "not connected to Slack (Socket Mode); it keeps trying to reconnect",
    }


async def test_http_mode_answers_healthz_on_port_and_on_the_health_port(
    make_bot: MakeBot,
) -> None:
    health_port = free_port()
    bot = await make_bot(health_port=health_port)
    assert bot.health_port == health_port
    assert await get(f"http://127.0.0.1:{bot.port}/healthz") == (200, {"ok": True})
    assert await get(f"http://127.0.0.1:{health_port}/healthz") == (200, {"ok": True})
