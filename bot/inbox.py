"""Recording what arrives in questions' threads, from the event inbox, exactly once.

``receive`` stores an incoming reply, edit or deletion (storage/inbox.py) and starts
recording it in the background; the listener acknowledges Slack once it is stored. ``resume``
picks up what a crash or a failed attempt left pending. Entries of one thread are recorded
in arrival order (an edit never overtakes the reply it edits); threads go in parallel, up to
``WORKERS`` at a time.

Each bot records only the entries it has claimed (storage/inbox.py): those it stored, and
those it takes up in ``resume`` that no other bot sharing the database is recording.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.core import validation
from bot.core.models import SharedFile
from bot.flows import answers
from bot.services import Services
from storage.db import StorageError
from storage.inbox import Claim, InboxEntry, Incoming, claimant_name

logger = logging.getLogger(__name__)

REPLY_SUBTYPES = (None, "thread_broadcast", "file_share")

FILES_KEPT = 20
"""Files read from one message: Slack allows 10 per message; more is not a real message."""


def shared_files(raw: object) -> tuple[SharedFile, ...]:
    """The files on a Slack message (its ``files``), as the record keeps them: id, name,
    type and permalink. A file Slack shows as deleted (``mode: tombstone``) is not on it."""
    if not isinstance(raw, list):
        return ()
    found: list[SharedFile] = []
    for item in raw[:FILES_KEPT]:
        if not isinstance(item, dict) or item.get("mode") == "tombstone":
            continue
        file_id = item.get("id")
        if not isinstance(file_id, str) or not file_id:
            continue
        name = item.get("name") or item.get("title") or file_id
        permalink = item.get("permalink")
        found.append(
            SharedFile(
                file_id=file_id[:40],
                name=validation.normalise(str(name), multiline=False).strip()[:200] or file_id[:40],
                mimetype=str(item.get("mimetype") or "application/octet-stream")[:100],
                permalink=permalink[:500] if isinstance(permalink, str) else None,
            )
        )
    return tuple(found)


"""Message subtypes that are replies a person wrote."""

WORKERS = 8
"""Entries recorded at once (each may wait on Slack's Web API)."""

MAX_ATTEMPTS = 5
"""An entry that fails this often is given up, and the clerk is told."""

LEASE = timedelta(minutes=10)
"""How long a bot's claim on an entry holds, from when it is stored or an attempt starts:
well beyond an attempt's Web API calls, so that another bot takes it up only from a bot
that has stopped (on another host; on the same host, at once)."""


@dataclass
class Inbox:
    services: Services
    workers: int = WORKERS
    claimant: str = field(default_factory=claimant_name)
    """This bot, as it claims entries to record."""
    lease: timedelta = LEASE
    _slots: asyncio.Semaphore = field(init=False, repr=False)
    _threads: dict[tuple[str, str], tuple[asyncio.Lock, int]] = field(
        default_factory=dict, repr=False
    )
    _running: dict[int, asyncio.Task[None]] = field(default_factory=dict, repr=False)
    _arriving: list[tuple[Incoming, asyncio.Future[int | None]]] = field(
        default_factory=list, repr=False
    )
    _storing: asyncio.Task[None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.workers)

    def new_claim(self) -> Claim:
        """This bot's claim on what it stores or attempts now."""
        return Claim.lasting(self.claimant, self.services.clock(), self.lease)

    async def receive(self, incoming: Incoming, client: AsyncWebClient) -> bool:
        """Store ``incoming`` durably, then record it in the background.

        False when the same event was stored before (Slack's retry): nothing more happens.
        When the writer is free the event is stored at once, on the event loop's thread;
        otherwise events arriving together are stored in one transaction when it is their
        turn, so a burst of replies costs one commit, not one each, before their acks.
        """
        stored = None
        if self._storing is None:  # nothing stored ahead of it: at once, if the writer is free
            stored = self.services.repos.inbox.add_now([incoming], self.new_claim())
        if stored is not None:
            [entry_id] = stored
        else:
            arrived: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
            self._arriving.append((incoming, arrived))
            if self._storing is None:
                self._storing = asyncio.create_task(self._store_arrivals(), name="inbox-store")
            entry_id = await arrived
        if entry_id is None:
            logger.info("%s %s already received", incoming.kind, incoming.key)
            return False
        self._start(InboxEntry(entry_id, incoming, 0, None), client)
        return True

    async def _store_arrivals(self) -> None:
        """Store whatever has arrived, batch after batch, until nothing is waiting."""
        try:
            while self._arriving:
                batch, self._arriving = self._arriving, []
                try:
                    ids = await self.services.repos.inbox.add_batch(
                        [i for i, _ in batch], self.new_claim()
                    )
                except BaseException as error:
                    # Not stored: each waiting listener fails, so Slack is not acknowledged
                    # and sends the event again.
                    for _, arrived in batch + self._arriving:
                        if not arrived.done():
                            arrived.set_exception(
                                error if isinstance(error, Exception) else RuntimeError("stopped")
                            )
                    self._arriving = []
                    if not isinstance(error, Exception):
                        raise
                    continue
                for (_, arrived), entry_id in zip(batch, ids, strict=True):
                    if not arrived.done():
                        arrived.set_result(entry_id)
        finally:
            self._storing = None

    async def resume(self, client: AsyncWebClient) -> int:
        """Claim every pending entry no other bot is recording, and start those not already
        running; how many were started."""
        claimed = await self.services.repos.inbox.claim(
            self.claimant,
            self.services.clock(),
            self.lease,
            # One bot at a time runs on a SQLite file (its run lock): no claim but this
            # bot's can be live.
            only_bot=self.services.db.dialect == "sqlite",
        )
        started = self.start_all(claimed, client)
        if started:
            logger.info("recording %d reply event(s) left pending", started)
        return started

    def start_all(self, entries: Iterable[InboxEntry], client: AsyncWebClient) -> int:
        started = 0
        for entry in entries:
            if entry.id not in self._running:
                self._start(entry, client)
                started += 1
        return started

    async def record_all(self, entries: Iterable[InboxEntry], client: AsyncWebClient) -> None:
        """Record ``entries`` (starting those not already running) and wait for them."""
        entries = list(entries)
        self.start_all(entries, client)
        tasks = [self._running[e.id] for e in entries if e.id in self._running]
        if tasks:
            await asyncio.wait(tasks)

    async def drain(self, grace: float | None = None) -> None:
        """Wait for entries being recorded (up to ``grace`` seconds, then cancel the rest:
        they stay pending, and their claims are given up, so the next bot to start, or
        another one running, finishes them)."""
        running = list(self._running.values())
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        try:
            await self.services.repos.inbox.release(self.claimant)
        except StorageError as error:
            logger.warning("could not give up this bot's inbox claims: %s", error)

    def _start(self, entry: InboxEntry, client: AsyncWebClient) -> None:
        task = asyncio.create_task(self._record(entry, client), name=f"inbox-{entry.id}")
        self._running[entry.id] = task
        task.add_done_callback(lambda _: self._running.pop(entry.id, None))

    async def _record(self, entry: InboxEntry, client: AsyncWebClient) -> None:
        incoming = entry.incoming
        thread = (incoming.channel, incoming.thread_ts or incoming.ts)
        lock, users = self._threads.get(thread, (asyncio.Lock(), 0))
        self._threads[thread] = (lock, users + 1)
        try:
            async with lock, self._slots:
                await self.services.foreground.turn()
                await self._attempt(entry, client)
        finally:
            lock, users = self._threads[thread]
            if users > 1:
                self._threads[thread] = (lock, users - 1)
            else:
                del self._threads[thread]

    async def _attempt(self, entry: InboxEntry, client: AsyncWebClient) -> None:
        services, inbox = self.services, self.services.repos.inbox
        attempt = await inbox.started(entry.id, self.new_claim())
        if not attempt:
            logger.info("%s %s is finished, or another bot has it", entry.incoming.kind, entry.id)
            return
        try:
            outcome = await answers.record_incoming(services, client, entry.incoming)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await inbox.failed(
                entry.id,
                f"{type(error).__name__}: {error}",
                self.claimant,
                retried=attempt < MAX_ATTEMPTS,
            )
            if attempt < MAX_ATTEMPTS:
                logger.warning(
                    "recording %s %s failed (attempt %d, tried again later): %s",
                    entry.incoming.kind,
                    entry.id,
                    attempt,
                    error,
                )
                return
            logger.error("gave up recording %s %s", entry.incoming.kind, entry.id, exc_info=error)
            await answers.report_unrecorded(services, client, entry.incoming, error)
            outcome = "failed"
        await inbox.finish(entry.id, outcome, services.clock(), self.claimant)
