"""Claims on the event inbox: several bots (replicas) on one database, each pending entry
recorded by one of them at a time. Two inboxes on two handles of one store stand for two
bots; time is the tests' own."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from storage.db import Database
from storage.inbox import Claim, EventInbox, Incoming, claimant_ended, claimant_name
from storage.store import open_store
from tests.storage.storage_support import NOW

LEASE = timedelta(minutes=10)
A, B = "replica-a", "replica-b"


def reply(n: int) -> Incoming:
    return Incoming(
        key=f"Ev{n:04d}",
        kind="reply",
        channel="D0OFFICER",
        ts=f"1776679400.{n:06d}",
        thread_ts="1776679000.000100",
        user="UOFFICER1",
        text=f"Part {n} of the answer.",
        received_at=NOW,
    )


@pytest.fixture
async def other(location: str | Path) -> AsyncIterator[Database]:
    """A second handle on the test's store: another bot, as far as the database can tell."""
    database = await open_store(location)
    yield database
    await database.close()


@pytest.fixture
def inboxes(db: Database, other: Database) -> tuple[EventInbox, EventInbox]:
    return EventInbox(db), EventInbox(other)


def ids(entries: list) -> list[int]:  # type: ignore[type-arg]
    return [entry.id for entry in entries]


async def test_one_bot_claims_and_the_other_gets_nothing_until_the_claim_runs_out(
    inboxes: tuple[EventInbox, EventInbox],
) -> None:
    first, second = inboxes
    stored = [await first.add(reply(n)) for n in range(3)]  # left by a crash: no claim
    assert ids(await first.claim(A, NOW, LEASE)) == stored
    for minutes in (0, 1, 9):
        assert await second.claim(B, NOW + timedelta(minutes=minutes), LEASE) == []
    # A's claim has run out (its bot died on another host): B takes the entries up.
    later = NOW + LEASE
    assert ids(await second.claim(B, later, LEASE)) == stored
    assert await first.claim(A, later, LEASE) == []
    # A, back too late, may neither start nor finish what B now holds.
    assert await first.started(stored[0], Claim.lasting(A, later, LEASE)) == 0
    assert not await first.finish(stored[0], "recorded", later, A)
    assert await second.started(stored[0], Claim.lasting(B, later, LEASE)) == 1
    assert await second.finish(stored[0], "recorded", later, B)
    entry = await first.get(stored[0])
    assert (entry.attempts, entry.outcome) == (1, "recorded")


async def test_an_entry_stored_with_a_claim_is_left_to_the_bot_that_stored_it(
    inboxes: tuple[EventInbox, EventInbox],
) -> None:
    first, second = inboxes
    entry_id = await first.add(reply(1), Claim.lasting(A, NOW, LEASE))
    assert await second.claim(B, NOW, LEASE) == []
    assert ids(await first.claim(A, NOW, LEASE)) == [entry_id]  # its own, still
    # Starting an attempt renews the claim: ten minutes from the attempt, not the storing.
    started = NOW + timedelta(minutes=8)
    assert await first.started(entry_id or 0, Claim.lasting(A, started, LEASE)) == 1
    assert await second.claim(B, NOW + LEASE, LEASE) == []
    assert ids(await second.claim(B, started + LEASE, LEASE)) == [entry_id]


async def test_a_finished_entry_is_never_picked_again(
    inboxes: tuple[EventInbox, EventInbox],
) -> None:
    first, second = inboxes
    entry_id = await first.add(reply(1), Claim.lasting(A, NOW, LEASE))
    assert entry_id is not None
    assert await first.started(entry_id, Claim.lasting(A, NOW, LEASE)) == 1
    assert await first.finish(entry_id, "recorded", NOW, A)
    for moment in (NOW, NOW + LEASE, NOW + timedelta(days=6)):
        assert await first.claim(A, moment, LEASE) == []
        assert await second.claim(B, moment, LEASE) == []
    assert await second.started(entry_id, Claim.lasting(B, NOW + LEASE, LEASE)) == 0
    assert await first.pending() == []


async def test_a_failed_attempt_lets_go_so_any_bot_retries_it(
    inboxes: tuple[EventInbox, EventInbox],
) -> None:
    first, second = inboxes
    retried = await first.add(reply(1), Claim.lasting(A, NOW, LEASE))
    given_up = await first.add(reply(2), Claim.lasting(A, NOW, LEASE))
    assert retried is not None and given_up is not None
    for entry_id in (retried, given_up):
        await first.started(entry_id, Claim.lasting(A, NOW, LEASE))
    await first.failed(retried, "SlackApiError: ratelimited", A)
    await first.failed(given_up, "ValueError: no text", A, retried=False)  # A finishes it
    assert ids(await second.claim(B, NOW, LEASE)) == [retried]
    assert (await first.get(retried)).attempts == 1
    assert await first.finish(given_up, "failed", NOW, A)


async def test_a_bot_that_stops_gives_its_claims_back(
    inboxes: tuple[EventInbox, EventInbox],
) -> None:
    first, second = inboxes
    stored = [await first.add(reply(n), Claim.lasting(A, NOW, LEASE)) for n in range(2)]
    assert await first.release(A) == 2
    assert ids(await second.claim(B, NOW, LEASE)) == stored
    assert await first.release(A) == 0  # it holds nothing now: B's claims stay B's
    assert await first.claim(A, NOW, LEASE) == []


async def test_the_claims_of_a_process_on_this_host_that_ended_are_taken_at_once(
    inboxes: tuple[EventInbox, EventInbox],
) -> None:
    first, second = inboxes
    ended = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await ended.wait()
    host = socket.gethostname()
    dead = f"{host}:{ended.pid}:-:0badc0de"
    living = claimant_name()  # this very process: alive
    assert claimant_ended(dead, host) and not claimant_ended(living, host)
    assert not claimant_ended(f"elsewhere:{ended.pid}:-:0badc0de", host)  # can't tell
    of_the_dead = await first.add(reply(1), Claim.lasting(dead, NOW, LEASE))
    await first.add(reply(2), Claim.lasting(living, NOW, LEASE))
    await first.add(reply(3), Claim.lasting(f"elsewhere:{ended.pid}:-:0badc0de", NOW, LEASE))
    assert ids(await second.claim(B, NOW, LEASE)) == [of_the_dead]


async def test_two_bots_claiming_at_once_share_the_entries_without_overlap(
    inboxes: tuple[EventInbox, EventInbox],
) -> None:
    first, second = inboxes
    stored = [await first.add(reply(n)) for n in range(40)]
    rounds = await asyncio.gather(
        *(
            inbox.claim(claimant, NOW, LEASE, limit=7)
            for _ in range(4)
            for inbox, claimant in ((first, A), (second, B))
        )
    )
    taken_by = {A: set[int](), B: set[int]()}
    for n, entries in enumerate(rounds):
        taken_by[(A, B)[n % 2]].update(ids(entries))
    assert not taken_by[A] & taken_by[B]
    assert taken_by[A] | taken_by[B] <= set(stored)
    assert taken_by[A] and taken_by[B]


async def test_the_only_bot_on_a_store_takes_up_every_claim_left_at_once(db: Database) -> None:
    """A bot on SQLite holds the file alone: what a bot on another host (its container
    before a restart) claimed is taken at once, not when the claim runs out."""
    inbox = EventInbox(db)
    entry_id = await inbox.add(reply(1), Claim.lasting("elsewhere:1:-:ab", NOW, LEASE))
    assert await inbox.claim(A, NOW, LEASE) == []
    assert ids(await inbox.claim(A, NOW, LEASE, only_bot=True)) == [entry_id]
