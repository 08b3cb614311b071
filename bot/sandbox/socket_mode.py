"""Slack's side of Socket Mode: the websocket, ``hello``, envelopes and acknowledgements."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from bot.sandbox.ids import IdSource
from bot.sandbox.models import DeliveryResult, JsonDict
from bot.sandbox.transport import RequestKind

_ACCEPTS_RESPONSE = frozenset({"view_submission", "block_suggestion"})


@dataclass
class _Connection:
    connection_id: str
    ws: web.WebSocketResponse
    received: list[JsonDict] = field(default_factory=list)


class SocketModeHub:
    """Accepts the bot's websocket connections and delivers envelopes over the newest one."""

    def __init__(self, ids: IdSource, app_id: str, issued: set[str], ack_timeout: float) -> None:
        self._ids = ids
        self._app_id = app_id
        self._issued = issued
        self._ack_timeout = ack_timeout
        self._connections: list[_Connection] = []
        self._pending: dict[str, asyncio.Future[JsonDict]] = {}
        self.received: list[JsonDict] = []
        """Every message the bot sent over the websocket (acknowledgements), in order."""
        self.connection_count = 0

    @property
    def connected(self) -> bool:
        return self._current() is not None

    def _current(self) -> _Connection | None:
        open_ones = [c for c in self._connections if not c.ws.closed]
        return open_ones[-1] if open_ones else None

    async def endpoint(self, request: web.Request) -> web.StreamResponse:
        connection_id = request.match_info["connection_id"]
        if connection_id not in self._issued:
            return web.Response(status=404, text="unknown Socket Mode URL")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        connection = _Connection(connection_id, ws)
        self._connections.append(connection)
        self.connection_count += 1
        try:
            await ws.send_json(self._hello())
            await self._read_until_closed(connection)
        finally:
            self._connections.remove(connection)
        return ws

    def _hello(self) -> JsonDict:
        return {
            "type": "hello",
            "num_connections": len(self._connections),
            "debug_info": {"host": "applink-sandbox", "build_number": 1},
            "connection_info": {"app_id": self._app_id},
        }

    async def _read_until_closed(self, connection: _Connection) -> None:
        async for message in connection.ws:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if not isinstance(data, dict):
                continue
            connection.received.append(data)
            self.received.append(data)
            future = self._pending.pop(str(data.get("envelope_id")), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def deliver(
        self,
        kind: RequestKind,
        payload: JsonDict,
        *,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> DeliveryResult:
        """Send one envelope and wait for its acknowledgement (status None when none came)."""
        connection = self._current()
        if connection is None:
            raise RuntimeError("no Socket Mode connection: start the bot's Socket Mode handler")
        envelope = self._envelope(kind, payload, retry_attempt, retry_reason)
        envelope_id = str(envelope["envelope_id"])
        future: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = future
        await connection.ws.send_json(envelope)
        try:
            ack = await asyncio.wait_for(future, timeout=self._ack_timeout)
        except TimeoutError:
            self._pending.pop(envelope_id, None)
            return DeliveryResult("socket", None, "", None, payload, envelope_id=envelope_id)
        return _acknowledged(ack, payload, envelope_id)

    def _envelope(
        self,
        kind: RequestKind,
        payload: JsonDict,
        retry_attempt: int | None,
        retry_reason: str | None,
    ) -> JsonDict:
        envelope: JsonDict = {
            "envelope_id": self._ids.envelope_id(),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": _accepts_response(kind, payload),
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        return envelope

    async def send_disconnect(self, reason: str) -> None:
        """Ask the connected client to reconnect, as Slack does before recycling a connection."""
        connection = self._current()
        if connection is None:
            return
        await connection.ws.send_json(
            {
                "type": "disconnect",
                "reason": reason,
                "debug_info": {"host": "applink-sandbox"},
                "connection_info": {"app_id": self._app_id},
            }
        )

    async def close(self) -> None:
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        for connection in list(self._connections):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.ws.close(code=1001, message=b"server shutting down")


def _accepts_response(kind: RequestKind, payload: JsonDict) -> bool:
    if kind == "slash_commands":
        return True
    return kind == "interactive" and str(payload.get("type")) in _ACCEPTS_RESPONSE


def _acknowledged(ack: JsonDict, payload: JsonDict, envelope_id: str) -> DeliveryResult:
    ack_payload = ack.get("payload")
    body = json.dumps(ack_payload) if ack_payload is not None else ""
    return DeliveryResult(
        mode="socket",
        status=200,
        body=body,
        json=ack_payload,
        payload=payload,
        envelope_id=envelope_id,
    )
