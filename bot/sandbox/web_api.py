"""HTTP plumbing of the Web API: reading arguments, tokens, misbehaviour, and recording calls."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from bot.sandbox.methods import JSON_FIELDS, Args, MethodSpec, TokenKind, WebApiMethods
from bot.sandbox.models import ApiCall, ApiError, JsonDict
from bot.sandbox.state import SandboxState

UPLOAD_FAULT_KEY = "upload_url"
"""Name to pass to ``fail_next`` / ``delay`` for the file upload URL."""


class WebApi:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._specs: dict[str, MethodSpec] = WebApiMethods(state).specs()

    async def handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args, token = await _read_arguments(request)
        status, body, retry_after = await self._answer(method, args, token)
        self._state.calls.append(ApiCall(method, args, status, body, request.method))
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        scopes = self._scopes_of(method, token)
        if scopes is not None:
            headers["X-OAuth-Scopes"] = scopes
        return web.json_response(body, status=status, headers=headers)

    def _scopes_of(self, method: str, token: str | None) -> str | None:
        """What Slack says a token it accepted may do (``x-oauth-scopes``); None if refused."""
        spec = self._specs.get(method)
        if spec is None or self._auth_error(spec.token, token) is not None:
            return None
        if spec.token == "app":
            return "connections:write"
        return ",".join(sorted(self._state.granted_scopes))

    async def handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL from files.getUploadURLExternal: store the POSTed bytes."""
        await asyncio.sleep(self._state.faults.delay_for(UPLOAD_FAULT_KEY))
        failure = self._state.faults.failure_for(UPLOAD_FAULT_KEY, {})
        if failure is not None:
            return web.Response(status=failure.status, text=failure.error)
        content = await request.read()
        stored = self._state.files.receive(request.match_info["file_id"], content)
        if stored is None:
            return web.Response(status=404, text="file_not_found")
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")

    async def _answer(
        self, method: str, args: JsonDict, token: str | None
    ) -> tuple[int, JsonDict, int | None]:
        """``(HTTP status, body, Retry-After seconds or None)`` for one call."""
        spec = self._specs.get(method)
        if spec is None:
            return 404, {"ok": False, "error": "unknown_method"}, None
        auth_error = self._auth_error(spec.token, token)
        if auth_error is not None:
            return 200, {"ok": False, "error": auth_error}, None
        # Slack counts a call against its limits when it arrives, then takes its time.
        failure = self._state.faults.failure_for(method, args)
        await asyncio.sleep(self._state.faults.delay_for(method))
        try:
            if failure is not None:
                raise failure
            return 200, spec.handler(Args(args)), None
        except ApiError as error:
            return error.status, error.body(), error.retry_after

    def _auth_error(self, kind: TokenKind, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if kind == "app":
            if token.startswith("xoxb-"):
                return "not_allowed_token_type"
            return None if token.startswith("xapp-") else "invalid_auth"
        if token.startswith("xapp-"):
            return "not_allowed_token_type"
        return None if token == self._state.bot_token else "invalid_auth"


async def _read_arguments(request: web.Request) -> tuple[JsonDict, str | None]:
    """Merge query, form and JSON arguments; take the token from the header or the arguments."""
    args: JsonDict = dict(request.query)
    if request.body_exists:
        args.update(await _body_arguments(request))
    token = args.pop("token", None)
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header.removeprefix("Bearer ").strip()
    for key in JSON_FIELDS:
        if isinstance(args.get(key), str):
            args[key] = _maybe_json(args[key])
    return args, token


async def _body_arguments(request: web.Request) -> JsonDict:
    if request.content_type == "application/json":
        body = await request.json()
        return body if isinstance(body, dict) else {}
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
