"""Acknowledgements first: the work behind earlier acks waits while Slack is waiting for one.

Slack gives each request three seconds and then sends it again. Recording an answer (a
transaction, then three or four Web API calls) runs on the same event loop as the acks, so a
burst of replies recorded as they arrive slows the acks of the replies still arriving. Each
piece of background work first takes its ``turn``: at once when no request is being
acknowledged, otherwise when none is, or after ``patience`` seconds at most, so steady
traffic delays the recording a little and never stops it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress

PATIENCE = 0.5
"""The longest background work waits for the acks (seconds)."""


class Foreground:
    def __init__(self, patience: float = PATIENCE) -> None:
        self.patience = patience
        self.active = 0
        """Requests being handled now."""
        self.waiting = 0
        """Pieces of background work waiting for their turn."""
        self._quiet: asyncio.Event | None = None

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around the handling of one request, until its acknowledgement is ready."""
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            if self.active == 0 and self._quiet is not None:
                self._quiet.set()
                self._quiet = None

    async def turn(self) -> None:
        """Wait until no request is being acknowledged (at most ``patience`` seconds)."""
        if self.active == 0:
            return
        if self._quiet is None:
            self._quiet = asyncio.Event()
        self.waiting += 1
        try:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self.patience)
        finally:
            self.waiting -= 1
