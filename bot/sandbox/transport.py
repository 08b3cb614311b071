"""Sending requests to the bot over HTTP, signed the way Slack signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlencode

import aiohttp

from bot.sandbox.models import DeliveryResult, JsonDict, parse_json_body

RequestKind = Literal["slash_commands", "events_api", "interactive"]
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def encode_for_http(kind: RequestKind, payload: JsonDict) -> tuple[bytes, str]:
    """The body Slack would POST: a form for commands, ``payload=<json>`` for interactivity."""
    if kind == "slash_commands":
        return urlencode(payload).encode(), FORM
    if kind == "interactive":
        return urlencode({"payload": json.dumps(payload)}).encode(), FORM
    return json.dumps(payload).encode(), JSON


def signature_headers(secret: str, body: bytes, timestamp: str) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` and the v0 ``X-Slack-Signature`` for ``body``.

    Slack signs the bytes it sends, so a body that is not UTF-8 is signed too.
    """
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


def retry_headers(retry_num: int | None, reason: str | None) -> dict[str, str]:
    if retry_num is None:
        return {}
    return {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason or "http_timeout"}


class HttpTransport:
    """POSTs to the bot's request URL (``.../slack/events``)."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, signing_secret: str, timeout: float
    ) -> None:
        self.url = url
        self._session = session
        self._secret = signing_secret
        self._timeout = timeout

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        payload: JsonDict,
        signed: bool = True,
        timestamp: str | None = None,
        bad_signature: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> DeliveryResult:
        all_headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0"}
        if signed:
            secret = self._secret + "-wrong" if bad_signature else self._secret
            all_headers.update(signature_headers(secret, body, timestamp or str(int(time.time()))))
        all_headers.update(headers or {})
        try:
            return await self._send(body, all_headers, payload)
        except (TimeoutError, aiohttp.ClientError):
            return DeliveryResult(mode="http", status=None, body="", json=None, payload=payload)

    async def _send(
        self, body: bytes, headers: dict[str, str], payload: JsonDict
    ) -> DeliveryResult:
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with self._session.post(self.url, data=body, headers=headers, timeout=timeout) as res:
            text = await res.text()
            return DeliveryResult(
                mode="http",
                status=res.status,
                body=text,
                json=parse_json_body(text),
                payload=payload,
                headers=dict(res.headers),
            )
