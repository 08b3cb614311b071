"""Several Slack doubles behind one Web API address, as Slack serves an app installed in many
workspaces: each call goes to the workspace whose bot token it carries, and
``oauth.v2.access`` exchanges an installation's code for that workspace's bot token."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp
from aiohttp import web

from bot.sandbox import SlackDouble

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "test-client-secret"


class SlackWorkspaces:
    """``doubles`` (one per workspace, each with its own team id and bot token) behind one
    ``api_url``; ``installer`` is who clicks "Allow" in each."""

    def __init__(self, doubles: Sequence[SlackDouble], installer: str) -> None:
        self.doubles = {d.team_id: d for d in doubles}
        self.installer = installer
        self.exchanged: list[str] = []
        """The codes exchanged through ``oauth.v2.access``, in turn."""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> SlackWorkspaces:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._method)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.url + "api/"

    @staticmethod
    def code_for(team_id: str) -> str:
        return f"code-{team_id}"

    async def _method(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        body = await request.read()
        if method == "oauth.v2.access":
            return self._oauth_access(request, body)
        double = self._double_for(request, body)
        if double is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        assert self._session is not None
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "content-type", "user-agent")
        }
        async with self._session.request(
            request.method,
            double.api_url + method,
            params=request.query,
            data=body,
            headers=headers,
        ) as answer:
            forwarded = {
                k: v for k, v in answer.headers.items() if k in ("Retry-After", "X-OAuth-Scopes")
            }
            return web.Response(
                status=answer.status,
                body=await answer.read(),
                headers=forwarded,
                content_type="application/json",
            )

    def _double_for(self, request: web.Request, body: bytes) -> SlackDouble | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token:
            found = re.search(rb"(?:^|&)token=([^&]+)", body)
            token = found.group(1).decode() if found else request.query.get("token", "")
        return next((d for d in self.doubles.values() if d.bot_token == token), None)

    def _oauth_access(self, request: web.Request, body: bytes) -> web.Response:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = (
                base64.b64decode(basic.removeprefix("Basic ")).decode().partition(":")
            )
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        code = form.get("code", "")
        double = next((d for t, d in self.doubles.items() if self.code_for(t) == code), None)
        if double is None:
            return web.json_response({"ok": False, "error": "invalid_code"})
        self.exchanged.append(code)
        identity = double.identity
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": identity.app_id,
            "authed_user": {"id": self.installer},
            "scope": "chat:write,commands",
            "token_type": "bot",
            "access_token": double.bot_token,
            "bot_user_id": identity.bot_user_id,
            "team": {"id": identity.team_id, "name": identity.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return web.json_response(answer)


async def install(bot_url: str, team_id: str) -> str:
    """Install the app in ``team_id`` as a person would: open ``/slack/install``, follow
    "Add to Slack" (Slack sends the browser back with a code), then the redirect. The
    redirect page's text."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(bot_url + "slack/install") as page:
            html = await page.text()
            cookies = page.cookies
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', html)
        if page.status != 200 or link is None:
            raise InstallFailed(f"/slack/install gave {page.status} and no Add to Slack link")
        state = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)["state"][0]
        cookie = "; ".join(f"{k}={v.value}" for k, v in cookies.items())
        query = urlencode({"code": SlackWorkspaces.code_for(team_id), "state": state})
        async with browser.get(
            f"{bot_url}slack/oauth_redirect?{query}", headers={"Cookie": cookie}
        ) as back:
            text = await back.text()
            if back.status != 200:
                raise InstallFailed(f"/slack/oauth_redirect gave {back.status}: {text[:200]}")
            return text


class InstallFailed(Exception):
    """The bot did not complete an installation."""
