"""Deterministic identifiers and timestamps for the Slack double.

Every id and ``ts`` the double hands out comes from counters, so two runs of the same test see
the same values and timestamps are strictly increasing across the whole workspace.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

DEFAULT_TS_BASE = 1_700_000_000


class IdSource:
    """Counters behind every generated Slack id, ``ts``, trigger id and envelope id."""

    def __init__(self, ts_base: int = DEFAULT_TS_BASE) -> None:
        self._ts_base = ts_base
        self._ts_counter = 0
        self._counters: defaultdict[str, int] = defaultdict(int)

    def next_ts(self) -> str:
        """A message timestamp such as ``1700000001.000100``, larger than every earlier one."""
        self._ts_counter += 1
        n = self._ts_counter
        return f"{self._ts_base + n}.{(n * 100) % 1_000_000:06d}"

    def _next(self, kind: str) -> int:
        self._counters[kind] += 1
        return self._counters[kind]

    def next_id(self, prefix: str, width: int = 10) -> str:
        """A Slack-looking object id: ``V0000000001``, ``F0000000002``..."""
        return f"{prefix}{self._next(prefix):0{width}d}"

    def trigger_id(self) -> str:
        n = self._next("trigger")
        return f"{10_000_000_000 + n}.{self._ts_base}.{_digest('trigger', n)}"

    def envelope_id(self) -> str:
        n = self._next("envelope")
        return f"{n:08x}-0000-4000-8000-{n:012x}"

    def event_id(self) -> str:
        return f"Ev{self._next('event'):010d}"

    def client_msg_id(self) -> str:
        n = self._next("client_msg")
        return f"{n:08x}-1111-4000-8000-{n:012x}"

    def view_hash(self) -> str:
        n = self._next("hash")
        return f"{self._ts_base + n}.{_digest('hash', n)[:8]}"

    def short(self, kind: str) -> str:
        """A short opaque token, used for block ids, view hashes and URL secrets."""
        return _digest(kind, self._next(kind))[:8]


def _digest(kind: str, n: int) -> str:
    return hashlib.sha1(f"{kind}:{n}".encode()).hexdigest()[:32]
