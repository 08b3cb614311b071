"""The front door of ``POST /slack/events``: size, then signature, then a strict parse, and only
then Bolt. Socket Mode gets the same check of each payload's shape.

Nothing reads or parses a body before its size is known to be reasonable, and nothing parses
it before Slack's signature is checked, so anyone who can reach the port gets a short 413, 401
or 400 and the log gets at most one line every few seconds about them, never a traceback.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import hashlib
import hmac
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.foreground import Foreground
from handlers.payload import MalformedPayload, check_request, load_object

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Slack publishes no maximum for what it sends; its own Bolt for JavaScript refuses bodies over
4 MB. A message is at most 40,000 characters and a modal's inputs at most 3,000 each, so 1 MiB
(aiohttp's default too) holds any request this app is sent with room to spare."""

MAX_CLOCK_SKEW = 5 * 60
"""Slack's rule: a request whose timestamp is more than five minutes away is a replay."""

CHUNK = 64 * 1024


class Refused(Exception):
    """A request turned away at the door: the status to answer and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class QuietLog:
    """At most one warning per ``interval`` seconds; the lines in between are counted and
    reported with the next one."""

    def __init__(
        self,
        where: str = "/slack/events",
        interval: float = 10.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.where = where
        self.interval = interval
        self.now = now
        self.last: float | None = None
        self.suppressed: Counter[int] = Counter()

    def warn(self, status: int, message: str) -> None:
        moment = self.now()
        if self.last is not None and moment - self.last < self.interval:
            self.suppressed[status] += 1
            return
        more = ""
        if self.suppressed:
            counts = ", ".join(f"{n} × {code}" for code, n in sorted(self.suppressed.items()))
            more = f" (and {self.suppressed.total()} more refused since the last line: {counts})"
        logger.warning("refused a request to %s: %d %s%s", self.where, status, message, more)
        self.last = moment
        self.suppressed.clear()


def is_ssl_check(body: bytes) -> bool:
    """Slack's certificate check: a small form with ``ssl_check=1``, answered with a bare 200."""
    if len(body) > 1024 or not body.startswith((b"ssl_check=", b"token=")):
        return False
    return ("ssl_check", "1") in parse_qsl(body.decode("latin-1"))


def parse_body(text: str, content_type: str) -> dict[str, Any]:
    """The body as Bolt will read it (JSON, or a form with JSON in ``payload``), strictly."""
    if content_type == "application/json" or text.startswith("{"):
        return load_object(text)
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return load_object(form["payload"])
    return dict(form)


class Trimmer:
    """Hands memory freed after large requests back to the system (glibc keeps it otherwise,
    so a burst of big bodies would leave the process large for good). It runs a few seconds
    after the request, once listeners still working on it (a reply waiting for its thread is
    the longest) are done, and at most once in that time."""

    LARGE = 16 * 1024
    DELAY = 3.0

    def __init__(self) -> None:
        self._trim = _malloc_trim()
        self._pending: asyncio.TimerHandle | None = None

    def after(self, size: int) -> None:
        if self._trim is None or size < self.LARGE or self._pending is not None:
            return
        self._pending = asyncio.get_running_loop().call_later(self.DELAY, self._run)

    def _run(self) -> None:
        self._pending = None
        if self._trim is not None:
            self._trim(0)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


class Gate:
    """Checks each request to ``/slack/events`` and hands the good ones to Bolt."""

    def __init__(
        self,
        app: AsyncApp,
        signing_secret: str,
        *,
        now: Callable[[], float] = time.time,
        log: QuietLog | None = None,
        max_body: int = MAX_BODY_BYTES,
        foreground: Foreground | None = None,
    ) -> None:
        self.app = app
        self.secret = signing_secret.encode()
        self.now = now
        self.log = log or QuietLog()
        self.max_body = max_body
        self.trimmer = Trimmer()
        self.foreground = foreground or Foreground()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        with self.foreground.serving():
            return await self._handle(request)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self.read(request)
            if is_ssl_check(body):
                return web.Response(status=200)
            self.verify(request, body)
            text = self.decode(body)
            parsed = parse_body(text, request.content_type)
            check_request(parsed)
            bolt_request = AsyncBoltRequest(
                body=text,
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]
            )
            if bolt_request.body != parsed:
                # Bolt reads any form containing the word "payload" as an interaction and finds
                # nothing, so "/question ... payload ..." went unanswered: give it the form.
                bolt_request.body = parsed
                bolt_request.context = build_async_context(AsyncBoltContext({}), parsed)
        except Refused as refused:
            self.log.warn(refused.status, refused.reason)
            return web.Response(status=refused.status, text=refused.reason)
        except MalformedPayload as problem:
            self.log.warn(400, f"malformed: {problem}")
            return web.Response(status=400, text="malformed request")
        del body
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def read(self, request: web.Request) -> bytes:
        """The body, refusing it as soon as it is known to be too big."""
        declared = request.content_length
        if declared is not None and declared > self.max_body:
            raise Refused(413, f"body of {declared} bytes is over {self.max_body}")
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := await request.content.read(CHUNK):
                size += len(chunk)
                if size > self.max_body:
                    raise Refused(413, f"body over {self.max_body} bytes")
                chunks.append(chunk)
        finally:
            self.trimmer.after(size)
        return b"".join(chunks)

    def verify(self, request: web.Request, body: bytes) -> None:
        """Slack's signature: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``, timestamp fresh."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not signature or not timestamp:
            raise Refused(401, "unsigned")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise Refused(401, "timestamp is not a number")
        if abs(self.now() - int(timestamp)) > MAX_CLOCK_SKEW:
            raise Refused(401, "stale timestamp")
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise Refused(401, "bad signature")

    @staticmethod
    def decode(body: bytes) -> str:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPayload("body is not UTF-8") from None


class CheckedSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode with the gate's check of each payload. A malformed one is acknowledged
    (Slack would only send it again) and dropped, with at most one warning every few seconds."""

    def __init__(self, app: AsyncApp, app_token: str, foreground: Foreground | None = None) -> None:
        super().__init__(app, app_token)
        self.quiet_log = QuietLog("Socket Mode")
        self.foreground = foreground or Foreground()

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started = time.time()
        try:
            if not isinstance(req.payload, dict):
                raise MalformedPayload("payload is not an object")
            check_request(req.payload)
            with self.foreground.serving():
                response = await run_async_bolt_app(self.app, req)
        except MalformedPayload as problem:
            self.quiet_log.warn(400, f"malformed: {problem}")
            response = BoltResponse(status=200)
        if 400 <= response.status < 500:  # malformed, or nothing handles it: a redelivery
            response = BoltResponse(status=200)  # would fare no better, so acknowledge it
        await send_async_response(client, req, response, started)
