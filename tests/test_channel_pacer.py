"""The chase sweep's pacing: one message a second per channel, a cap on requests in flight."""

from __future__ import annotations

import asyncio

import pytest

from bot.chasing import PACE_MARGIN, ChannelPacer


class Waits:
    """Records the pauses the pacer asks for, and moves a fake clock on instead of waiting."""

    def __init__(self, start: float = 0.0) -> None:
        self.asked: list[float] = []
        self.moment = [start]

    def clock(self) -> float:
        return self.moment[0]

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.moment[0] += seconds


async def test_messages_to_one_channel_start_an_interval_apart() -> None:
    waits = Waits()
    pacer = ChannelPacer(10.0, sleep=waits, clock=waits.clock)
    async with pacer.slot("C1"):
        waits.moment[0] += 0.1
    async with pacer.slot("C2"):
        pass
    assert waits.asked == []  # another channel does not wait
    async with pacer.slot("C1"):
        pass
    [pause] = waits.asked
    # Counted from the start of the previous message, with a small margin for jitter.
    assert 10.0 < pause <= 10.0 * PACE_MARGIN


async def test_a_channels_next_message_waits_for_the_one_in_flight() -> None:
    pacer = ChannelPacer(0.0)
    order: list[str] = []
    first_sent = asyncio.Event()

    async def send(name: str, hold: asyncio.Event | None) -> None:
        async with pacer.slot("C1"):
            order.append(f"{name} starts")
            first_sent.set()
            if hold is not None:
                await hold.wait()
            order.append(f"{name} ends")

    release = asyncio.Event()
    slow = asyncio.create_task(send("first", release))
    await first_sent.wait()
    quick = asyncio.create_task(send("second", None))
    await asyncio.sleep(0)
    assert order == ["first starts"]
    release.set()
    await asyncio.gather(slow, quick)
    assert order == ["first starts", "first ends", "second starts", "second ends"]


async def test_no_more_than_the_cap_in_flight_across_channels() -> None:
    pacer = ChannelPacer(0.0, at_once=2)
    in_flight, most = 0, 0
    release = asyncio.Event()

    async def send(channel: str) -> None:
        nonlocal in_flight, most
        async with pacer.slot(channel):
            in_flight += 1
            most = max(most, in_flight)
            await release.wait()
            in_flight -= 1

    tasks = [asyncio.create_task(send(f"C{n}")) for n in range(5)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert in_flight == 2
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2


async def test_after_a_send_slowed_by_a_retry_the_next_waits_from_its_end() -> None:
    waits = Waits(100.0)
    now = waits.moment
    pacer = ChannelPacer(1.0, sleep=waits, clock=waits.clock)
    async with pacer.slot("C1"):
        now[0] += 2.2  # Slack answered 429 and the client waited to retry
    async with pacer.slot("C1"):
        pass
    # A whole interval after the slow send ended (102.2), not after it began (100.0).
    assert waits.asked == [pytest.approx(1.0 * PACE_MARGIN)]


async def test_a_send_held_up_on_the_way_spaces_the_next_by_as_much() -> None:
    """A call that took longer than the quickest may have reached Slack late: the next one
    to that channel starts that much later, so it never arrives less than a second after."""
    waits = Waits()
    moments = waits.moment
    pacer = ChannelPacer(1.0, sleep=waits, clock=waits.clock)
    async with pacer.slot("C1"):
        moments[0] = 0.1  # the usual round trip
    async with pacer.slot("C2"):  # starts at 0.1
        moments[0] = 0.4  # took 0.3 s: held up 0.2 s more than the quickest
    moments[0] = 1.0
    async with pacer.slot("C2"):
        pass
    # C2 waits its interval from its start plus the 0.2 s it was held up.
    assert waits.asked == [pytest.approx(0.1 + PACE_MARGIN + 0.2 - 1.0)]
    async with pacer.slot("C1"):
        pass
    # C1 only its interval from its start: it was already due, so it does not wait.
    assert len(waits.asked) == 1


async def test_sends_held_up_together_are_judged_by_a_quicker_one_seen_later() -> None:
    """At a sweep's start every send is slow (all channels at once): how late the first
    reached Slack shows only once a quicker send has been seen, before the next starts."""
    waits = Waits()
    moments = waits.moment
    pacer = ChannelPacer(1.0, sleep=waits, clock=waits.clock)
    async with pacer.slot("C1"):
        moments[0] = 0.3  # the first wave: 0.3 s a send
    async with pacer.slot("C2"):
        moments[0] = 0.6
    async with pacer.slot("C3"):  # later, a send takes the usual 0.1 s
        moments[0] = 0.7
    async with pacer.slot("C1"):
        pass
    # C1's first send may have reached Slack 0.2 s late (0.3 against the quickest 0.1).
    assert waits.asked == [pytest.approx(0.2 + PACE_MARGIN - 0.7)]
