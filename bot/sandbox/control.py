"""Setting up and reading the double from another process: ``POST /_sandbox/{operation}``.

Served only when the double is made with ``control=True`` (as ``python -m bot.sandbox serve``
makes it). Each operation takes a JSON object and answers one; ``bot.sandbox.remote`` is the
client. Everything here works in bulk, so that setting up a thousand threads is one request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.models import JsonDict

if TYPE_CHECKING:
    from bot.sandbox.double import SlackDouble

Operation = Callable[[JsonDict], JsonDict]


class ControlApi:
    def __init__(self, double: SlackDouble) -> None:
        self._d = double
        self._operations: dict[str, Operation] = {
            "identity": self.identity,
            "add_users": self.add_users,
            "dm_channels": self.dm_channels,
            "seed_messages": self.seed_messages,
            "response_urls": self.response_urls,
            "trigger_ids": self.trigger_ids,
            "configure": self.configure,
            "counts": self.counts,
        }

    async def handle(self, request: web.Request) -> web.Response:
        operation = self._operations.get(request.match_info["operation"])
        if operation is None:
            return web.json_response({"error": "unknown_operation"}, status=404)
        body: Any = await request.json() if request.body_exists else {}
        try:
            answer = operation(body if isinstance(body, dict) else {})
        except (KeyError, TypeError, ValueError) as error:
            return web.json_response({"error": f"{type(error).__name__}: {error}"}, status=400)
        return web.json_response(answer)

    def identity(self, _: JsonDict) -> JsonDict:
        identity = self._d.identity
        return {
            "url": self._d.url,
            "api_url": self._d.api_url,
            "bot_token": self._d.bot_token,
            "signing_secret": self._d.signing_secret,
            "team_id": identity.team_id,
            "team_domain": identity.team_domain,
            "app_id": identity.app_id,
            "bot_user_id": identity.bot_user_id,
        }

    def add_users(self, body: JsonDict) -> JsonDict:
        """``users``: ``[[id, name, real_name], ...]``."""
        for user_id, name, real_name in body["users"]:
            self._d.add_user(str(user_id), str(name), str(real_name))
        return {"added": len(body["users"])}

    def dm_channels(self, body: JsonDict) -> JsonDict:
        return {"channels": [self._d.dm_channel_for(str(u)) for u in body["users"]]}

    def seed_messages(self, body: JsonDict) -> JsonDict:
        """``messages``: ``[{channel, user, text, thread_ts?}]``, stored without telling the
        bot; a ``channel`` of ``"@U123"`` means the bot's DM with U123."""
        stored = []
        for item in body["messages"]:
            channel = str(item["channel"])
            if channel.startswith("@"):
                channel = self._d.dm_channel_for(channel[1:])
            message = self._d.seed_message(
                channel, str(item["user"]), str(item["text"]), item.get("thread_ts")
            )
            stored.append(
                {
                    "channel": message.channel,
                    "ts": message.ts,
                    "text": message.text,
                    "client_msg_id": message.client_msg_id,
                    "channel_type": self._d.channel(message.channel).kind,
                }
            )
        return {"messages": stored}

    def response_urls(self, body: JsonDict) -> JsonDict:
        """``requests``: ``[[user, channel], ...]``."""
        return {"urls": [self._d.new_response_url(str(u), str(c)) for u, c in body["requests"]]}

    def trigger_ids(self, body: JsonDict) -> JsonDict:
        return {"ids": [self._d.new_trigger_id(str(u)) for u in body["users"]]}

    def configure(self, body: JsonDict) -> JsonDict:
        """Any of ``latency`` (seconds), ``channel_rate`` (messages a second per channel, null
        for none) with ``channel_burst``, and ``tiers`` (minutes' burst, null for none)."""
        if "latency" in body:
            self._d.set_latency(float(body["latency"]))
        if "channel_rate" in body:
            rate = body["channel_rate"]
            burst = int(body.get("channel_burst", 1))
            self._d.rate_limit_per_channel(None if rate is None else float(rate), burst)
        if "tiers" in body:
            tiers = body["tiers"]
            self._d.rate_limit_tiers(None if tiers is None else float(tiers))
        return {}

    def counts(self, body: JsonDict) -> JsonDict:
        """Calls per method and status (unless ``calls`` is false), response_url posts, and
        bot messages whose text contains (or, for ``startswith``, starts with) each given
        text, optionally only in the bot's DM with ``dm_user``."""
        calls: dict[str, dict[str, int]] = {}
        for call in self._d.calls if body.get("calls", True) else []:
            by_status = calls.setdefault(call.method, {})
            key = "ok" if call.ok else str(call.status if call.status != 200 else "error")
            by_status[key] = by_status.get(key, 0) + 1
        dm_user = body.get("dm_user")
        channel = self._d.dm_channel_for(str(dm_user)) if dm_user else None
        texts = [m.text for m in self._d.bot_messages(channel)]
        contains: dict[str, str] = body.get("contains", {})
        starts: dict[str, str] = body.get("startswith", {})
        matching = {name: sum(1 for t in texts if part in t) for name, part in contains.items()}
        matching |= {name: sum(1 for t in texts if t.startswith(p)) for name, p in starts.items()}
        return {"calls": calls, "responses": len(self._d.responses), "matching": matching}
