"""Acknowledgements first: background work waits while a request is being acknowledged."""

from __future__ import annotations

import asyncio

from bot.foreground import Foreground


async def test_work_goes_at_once_when_no_request_is_being_acknowledged() -> None:
    foreground = Foreground(patience=60)
    await asyncio.wait_for(foreground.turn(), 1)  # would wait 60 s if it waited at all


async def test_work_waits_until_the_last_request_in_hand_is_acknowledged() -> None:
    foreground = Foreground(patience=60)
    first, second = foreground.serving(), foreground.serving()
    first.__enter__()
    second.__enter__()
    work = asyncio.create_task(foreground.turn())
    await asyncio.sleep(0)
    assert foreground.waiting == 1 and not work.done()
    first.__exit__(None, None, None)
    await asyncio.sleep(0)
    assert not work.done()  # one request is still waiting for its ack
    second.__exit__(None, None, None)
    await asyncio.wait_for(work, 1)
    assert foreground.waiting == 0 and foreground.active == 0


async def test_steady_requests_delay_work_by_the_patience_at_most() -> None:
    foreground = Foreground(patience=0.01)
    with foreground.serving():
        await asyncio.wait_for(foreground.turn(), 5)  # went after 0.01 s, though still busy
        assert foreground.waiting == 0


async def test_a_request_that_fails_still_ends_its_hold() -> None:
    foreground = Foreground(patience=60)
    try:
        with foreground.serving():
            raise ValueError("listener failed")
    except ValueError:
        pass
    assert foreground.active == 0
    await asyncio.wait_for(foreground.turn(), 1)


async def test_work_overdue_under_steady_requests_goes_one_piece_at_a_time() -> None:
    """Released all at once, a queue of overdue work would slow the acks of that moment."""
    foreground = Foreground(patience=0.01, spacing=60)
    with foreground.serving():
        pieces = [asyncio.create_task(foreground.turn()) for _ in range(3)]
        done, waiting = await asyncio.wait(pieces, timeout=2, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1  # the first went after its patience...
        await asyncio.sleep(0.05)
        assert all(not piece.done() for piece in waiting)  # ...the next only 60 s later
    # The requests answered, the rest go at once.
    await asyncio.wait_for(asyncio.gather(*waiting), 1)
