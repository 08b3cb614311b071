"""Short-lived grants Slack hands the bot with each request: trigger ids and response URLs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.ids import IdSource
from bot.sandbox.models import ApiError

TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_MAX_USES = 5


@dataclass
class TriggerGrant:
    user_id: str
    issued_at: float
    used: bool = False


class TriggerStore:
    """Trigger ids: single use, and (unless ``ttl`` is None) valid for ``ttl`` seconds."""

    def __init__(self, ids: IdSource, clock: Callable[[], float], ttl: float | None) -> None:
        self._ids = ids
        self._clock = clock
        self.ttl = ttl
        self._grants: dict[str, TriggerGrant] = {}

    def issue(self, user_id: str) -> str:
        trigger_id = self._ids.trigger_id()
        self.register(trigger_id, user_id)
        return trigger_id

    def register(self, trigger_id: str, user_id: str) -> None:
        """Accept a trigger id that came from elsewhere (e.g. a recorded Slack payload)."""
        self._grants[trigger_id] = TriggerGrant(user_id=user_id, issued_at=self._clock())

    def redeem(self, trigger_id: str | None) -> str:
        """The user the trigger belongs to; it cannot be used again."""
        grant = self._grants.get(trigger_id or "")
        if grant is None:
            raise ApiError("invalid_trigger_id")
        if grant.used:
            raise ApiError("exchanged_trigger_id")
        if self.ttl is not None and self._clock() - grant.issued_at > self.ttl:
            raise ApiError("expired_trigger_id")
        grant.used = True
        return grant.user_id


@dataclass
class ResponseUrlGrant:
    """Where a response_url leads: the user and channel, and the message it can replace."""

    hook_id: str
    user_id: str
    channel_id: str | None
    message_ts: str | None = None
    uses: int = 0


class ResponseUrlStore:
    def __init__(self, ids: IdSource) -> None:
        self._ids = ids
        self._grants: dict[str, ResponseUrlGrant] = {}

    def issue(
        self, base_url: str, user_id: str, channel_id: str | None, message_ts: str | None = None
    ) -> str:
        hook_id = f"{self._ids.next_id('R', 6)}-{self._ids.short('hook')}"
        self._grants[hook_id] = ResponseUrlGrant(hook_id, user_id, channel_id, message_ts)
        return f"{base_url}response/{hook_id}"

    def get(self, hook_id: str) -> ResponseUrlGrant | None:
        return self._grants.get(hook_id)
