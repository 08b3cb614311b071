"""Acknowledgements first: the work behind earlier acks waits while Slack is waiting for one.

Slack gives each request three seconds and then sends it again. Recording an answer (a
transaction, then three or four Web API calls) runs on the same event loop as the acks, so a
burst of replies recorded as they arrive slows the acks of the replies still arriving. Each
piece of background work first takes its ``turn``: at once when no request is being
acknowledged, otherwise when none is; work that has waited ``patience`` seconds goes anyway,
a piece at a time, so steady traffic delays the recording and never stops it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress

PATIENCE = 1.0
"""How long background work waits for the acks before it goes anyway (seconds)."""

SPACING = 0.05
"""While requests keep arriving, one piece of work that has waited its patience goes every
``SPACING`` seconds (20 a second: each recording takes a few milliseconds of the loop)."""


class Foreground:
    def __init__(self, patience: float = PATIENCE, spacing: float = SPACING) -> None:
        self.patience = patience
        self.spacing = spacing
        self._next_overdue = 0.0
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
        """Wait until no request is being acknowledged. Work that has waited ``patience``
        seconds goes anyway, but one piece every ``spacing`` seconds: released all at once,
        a queue of recordings would slow the acks of the moment more than it ever waited."""
        if self.active == 0:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        self.waiting += 1
        try:
            while self.active:
                now = loop.time()
                if now >= deadline and now >= self._next_overdue:
                    self._next_overdue = now + self.spacing
                    return
                if self._quiet is None:
                    self._quiet = asyncio.Event()
                with suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._quiet.wait(), max(deadline, self._next_overdue) - now
                    )
        finally:
            self.waiting -= 1
