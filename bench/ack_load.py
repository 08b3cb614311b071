"""``python -m bench.ack_load``: the load generator of the ack benchmark, in its own process.

Reads a JSON spec on stdin, prepares the requests (with the Slack double's control API when
they must exist in Slack: each thread reply is stored in the double before its event is sent,
each command gets a live response_url and trigger_id), sends ``warm_up`` commands one at a time,
then every request with at most ``concurrency`` in flight, each signed as Slack signs it just
before it goes. Prints one JSON line: the latency of each request answered 200, by kind, and
the count of those that were not. Latency is the time from sending to the HTTP response, which
is what Slack's 3-second ack limit measures.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.sandbox.transport import signature_headers

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TIMEOUT = 30.0
ANSWER = "Answer {n}: 78 care leavers live out of borough; each has a personal adviser."


@dataclass(frozen=True)
class Request:
    kind: str
    body: bytes
    content_type: str


async def control(session: aiohttp.ClientSession, spec: Any, operation: str, **args: Any) -> Any:
    async with session.post(f"{spec['control']}_sandbox/{operation}", json=args) as response:
        response.raise_for_status()
        return await response.json()


def event_callback(spec: Any, event: dict[str, Any]) -> dict[str, Any]:
    identity = spec["identity"]
    return {
        "token": "bench-verification-token",
        "team_id": identity["team_id"],
        "api_app_id": identity["app_id"],
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:16].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": identity["team_id"],
                "user_id": identity["bot_user_id"],
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


async def thread_replies(session: aiohttp.ClientSession, spec: Any) -> list[Request]:
    """An officer's reply in each thread, as a ``message`` event; stored in the double first
    when ``seed`` is set (the bot reads the thread), else only sent (the bare app ignores it)."""
    threads = spec["threads"]
    texts = [ANSWER.format(n=n) for n in range(len(threads))]
    if spec["seed"]:
        messages = [
            {"channel": channel, "user": user, "text": text, "thread_ts": ts}
            for (user, channel, ts, _), text in zip(threads, texts, strict=True)
        ]
        stored = (await control(session, spec, "seed_messages", messages=messages))["messages"]
    else:
        stored = [
            {"ts": f"1900000000.{n:06d}", "client_msg_id": str(uuid.uuid4())}
            for n in range(len(threads))
        ]
    requests = []
    for (user, channel, ts, kind), text, reply in zip(threads, texts, stored, strict=True):
        event = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": reply["ts"],
            "thread_ts": ts,
            "parent_user_id": spec["identity"]["bot_user_id"],
            "team": spec["identity"]["team_id"],
            "client_msg_id": reply["client_msg_id"],
            "channel": channel,
            "event_ts": reply["ts"],
            "channel_type": kind,
        }
        requests.append(Request("events", json.dumps(event_callback(spec, event)).encode(), JSON))
    return requests


async def commands(session: aiohttp.ClientSession, spec: Any, count: int) -> list[Request]:
    """``/agenda help`` typed in #general by the clerk and a member in turn."""
    people = [spec["people"][n % len(spec["people"])] for n in range(count)]
    general = spec["general"]
    urls = await control(session, spec, "response_urls", requests=[[p, general] for p in people])
    triggers = await control(session, spec, "trigger_ids", users=people)
    identity = spec["identity"]
    requests = []
    for user, url, trigger in zip(people, urls["urls"], triggers["ids"], strict=True):
        fields = {
            "token": "bench-verification-token",
            "team_id": identity["team_id"],
            "team_domain": identity["team_domain"],
            "channel_id": general,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/agenda",
            "text": spec.get("command_text", "help"),
            "api_app_id": identity["app_id"],
            "is_enterprise_install": "false",
            "response_url": url,
            "trigger_id": trigger,
        }
        requests.append(Request("commands", urlencode(fields).encode(), FORM))
    return requests


def mixed(events: Sequence[Request], others: Sequence[Request]) -> list[Request]:
    """Events and commands alternating."""
    out: list[Request] = []
    for n in range(max(len(events), len(others))):
        out += [*events[n : n + 1], *others[n : n + 1]]
    return out


async def send(session: aiohttp.ClientSession, spec: Any, request: Request) -> int:
    headers = {"Content-Type": request.content_type, "User-Agent": "Slackbot 1.0"}
    headers |= signature_headers(spec["secret"], request.body, str(int(time.time())))
    try:
        async with session.post(spec["target"], data=request.body, headers=headers) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def fire(
    session: aiohttp.ClientSession, spec: Any, requests: Sequence[Request], concurrency: int
) -> dict[str, Any]:
    pending = iter(requests)
    times: dict[str, list[float]] = {}
    failures: dict[str, int] = {}

    async def worker() -> None:
        for request in pending:
            started = time.perf_counter()
            status = await send(session, spec, request)
            elapsed = time.perf_counter() - started
            if status == 200:
                times.setdefault(request.kind, []).append(elapsed)
            else:
                failures[request.kind] = failures.get(request.kind, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"times": times, "failures": failures, "seconds": time.perf_counter() - started}


async def main_async(spec: Any) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=max(100, spec["concurrency"] * 2))
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        warm = await commands(session, spec, spec["warm_up"])
        load = mixed(
            await thread_replies(session, spec), await commands(session, spec, spec["commands"])
        )
        for request in warm:
            await send(session, spec, request)
        result = await fire(session, spec, load, spec["concurrency"])
    result["warm_up"] = len(warm)
    return result


def main() -> None:
    spec = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(main_async(spec))))


if __name__ == "__main__":
    main()
