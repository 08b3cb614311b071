"""Hostile and malformed requests through the real app: no 5xx, no ERROR, nothing broken.

Slack's own recorded payloads are pointed at the bot's buttons, forms, commands and threads,
then broken the ways a careless or hostile sender would break them: keys dropped, wrong types,
numbers beyond 64 bits, lone surrogates, objects where text belongs, truncated or deeply nested
bodies, bytes that are not UTF-8, a ``payload=`` that is not JSON. The mutations are seeded, so
every run sends the same requests.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import random
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote_plus

import aiohttp
import pytest

from bot import messages
from bot.flows.agenda import PUBLISH
from bot.gate import MAX_BODY_BYTES
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from handlers import home, modals
from handlers.blocks import SEND_IMPORTED
from handlers.payload import SLACK_MESSAGE_LIMIT
from tests.conftest import CLERK, MEMBER
from tests.handlers.support import ephemeral_containing, set_up_commission, submit_question
from tests.test_slack_payloads import PAYLOADS, redirect_hooks

SEED = int(os.environ.get("FUZZ_SEED", "14"))
"""Fixed, so ``make test`` sends the same requests every time; FUZZ_SEED=n explores others."""
CASES = 400
SOCKET_CASES = 150

Json = Any
BOT_ACTIONS = (
    messages.TRIAGE_APPROVE,
    messages.TRIAGE_EDIT,
    messages.TRIAGE_REJECT,
    messages.HOLDING_REPLY,
    messages.ASK_TRANSFER,
    messages.SNOOZE,
    messages.ANSWER_APPROVE,
    messages.ANSWER_RETURN,
    messages.TRANSFER_ACCEPT,
    messages.TRANSFER_DECLINE,
    home.HOME_COMPILE,
    home.HOME_IMPORT,
    SEND_IMPORTED,
    PUBLISH,
)
BOT_FORMS = (
    modals.QUESTION_CALLBACK,
    modals.IMPORT_PASTE_CALLBACK,
    modals.IMPORT_REVIEW_CALLBACK,
    modals.TRIAGE_EDIT_CALLBACK,
    modals.TRIAGE_REJECT_CALLBACK,
    modals.HOLDING_CALLBACK,
    modals.TRANSFER_CALLBACK,
    modals.RETURN_CALLBACK,
    modals.SNOOZE_CALLBACK,
    modals.MEETING_ADD_CALLBACK,
    modals.OFFICER_SET_CALLBACK,
    modals.CLOSURE_ADD_CALLBACK,
)
VALUES = ("1", "2", "1,2", "0", "-1", "abc", "", "9" * 30, "1,x", "١")
METADATA = ('{"question": 1}', '{"pending": 1}', '{"question": "x"}', "[1]", "{", "")
COMMAND_TEXTS = ("help", "withdraw CYP-Q1", "status", "compile --final", "meeting add x", "")
INTERACTIVE = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
DEEP = "@@deep@@"


def samples(slack: SlackDouble) -> list[Json]:
    """Slack's recorded bodies, parsed; their response URLs lead to the double."""
    out = []
    for path in PAYLOADS:
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".txt":
            fields = parse_qsl(raw.strip(), keep_blank_values=True)
            out.append({"@form": {k: redirect_hooks(v, slack) for k, v in fields}})
            continue
        raw = redirect_hooks(raw, slack)
        data = json.loads(raw)
        out.append(data["payload"] if "envelope_id" in data else data)
    return out


def retarget(rng: random.Random, data: Json, slack: SlackDouble) -> Json:
    """Point a recorded body at one of the bot's own surfaces, acting as a known person."""
    data = copy.deepcopy(data)
    who = rng.choice((CLERK, MEMBER, "UNOBODY1"))
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "block_actions" and data.get("actions"):
        data["actions"][0]["action_id"] = rng.choice(BOT_ACTIONS)
        data["actions"][0]["value"] = rng.choice(VALUES)
        data["user"]["id"] = who
    elif kind == "view_submission":
        data["view"]["callback_id"] = rng.choice(BOT_FORMS)
        data["view"]["private_metadata"] = rng.choice(METADATA)
        data["view"]["state"] = {"values": form_state(rng)}
        data["user"]["id"] = who
    elif kind == "event_callback" and isinstance(data.get("event"), dict):
        event = data["event"]
        reply = {"user": who, "thread_ts": "1700000000.000100", "text": "An answer"}
        reply["ts"] = f"17000000{rng.randrange(10, 99)}.000200"
        event.update(reply, parent_user_id=slack.bot_user_id)
        for inner in ("message", "previous_message"):
            if isinstance(event.get(inner), dict):
                event[inner].update(reply)
    elif "@form" in data:
        data["@form"].update(
            command=rng.choice(("/agenda", "/question")),
            text=rng.choice(COMMAND_TEXTS),
            user_id=who,
        )
    return data


def form_state(rng: random.Random) -> Json:
    """Inputs named as the bot's forms name them, holding plausible or odd values."""

    def typed(value: str) -> Json:
        return {"x": {"type": "plain_text_input", "value": value}}

    def chosen(value: str) -> Json:
        return {"x": {"type": "static_select", "selected_option": {"value": value}}}

    return {
        "text": typed(rng.choice(("How many?", "", "x" * 50))),
        "note": typed(rng.choice(("Because.", ""))),
        "paste": typed("1. One question?\n2. Another question?"),
        "meeting": chosen(rng.choice(VALUES)),
        "item": chosen(rng.choice(VALUES)),
        "role": chosen(rng.choice(("DCSC", "nope", ""))),
        "asker": chosen(rng.choice(("member", "commission"))),
        "choice": chosen(rng.choice(("1d", "1w", "x"))),
        "promised": {"x": {"type": "datepicker", "selected_date": rng.choice(("2026-05-01", "x"))}},
        "date": {"x": {"type": "datepicker", "selected_date": "2026-06-01"}},
        "officer": {"x": {"type": "users_select", "selected_user": rng.choice((CLERK, "U0"))}},
    }


READ_BY_LISTENERS = {
    "actions",
    "value",
    "user",
    "id",
    "user_id",
    "trigger_id",
    "text",
    "channel",
    "channel_id",
    "ts",
    "thread_ts",
    "deleted_ts",
    "message",
    "previous_message",
    "message_ts",
    "private_metadata",
    "state",
    "values",
    "selected_option",
    "selected_date",
    "selected_user",
    "event",
    "view",
    "tab",
}


def places(data: Json) -> list[tuple[Json, Any]]:
    """Every (container, key) in a nested body."""
    found: list[tuple[Json, Any]] = []
    pending = [data]
    while pending:
        node = pending.pop()
        keys = node.keys() if isinstance(node, dict) else range(len(node))
        for key in list(keys):
            found.append((node, key))
            if isinstance(node[key], dict | list) and node[key]:
                pending.append(node[key])
    return found


def drop(rng: random.Random, node: Json, key: Any) -> None:
    del node[key]


def wrong_type(rng: random.Random, node: Json, key: Any) -> None:
    node[key] = rng.choice((0, -1, 1.5, True, None, [], {}, [1, "x"], "x", {"id": 7}))


def huge_number(rng: random.Random, node: Json, key: Any) -> None:
    node[key] = rng.choice((2**64, -(2**63) - 1, 10**40, "9" * 25, "-" + "9" * 20))


def lone_surrogate(rng: random.Random, node: Json, key: Any) -> None:
    node[key] = rng.choice(("\ud800", "answer \udfff", "\udbff\ud800"))


def object_for_text(rng: random.Random, node: Json, key: Any) -> None:
    node[key] = rng.choice(({"id": "U1"}, {"text": "x"}, ["U1"], {"$gt": ""}))


def odd_text(rng: random.Random, node: Json, key: Any) -> None:
    node[key] = rng.choice(("", " ", "abc", "9" * 25, "-1", "0", "1,2,x", "<!channel>", "x" * 5000))


def deep(rng: random.Random, node: Json, key: Any) -> None:
    node[key] = DEEP


VALUE_MUTATIONS: dict[str, Callable[[random.Random, Json, Any], None]] = {
    "drop": drop,
    "wrong type": wrong_type,
    "huge number": huge_number,
    "lone surrogate": lone_surrogate,
    "object for text": object_for_text,
    "odd text": odd_text,
    "deep nesting": deep,
}


def encode(data: Json, rng: random.Random) -> tuple[bytes, str]:
    """The body as Slack sends that kind of request over HTTP."""
    if isinstance(data, dict) and "@form" in data:
        form = data["@form"]
        if not isinstance(form, dict):
            return b"command=%2Fagenda&text=", "application/x-www-form-urlencoded"
        pairs = []
        for name, value in form.items():
            text = value if isinstance(value, str) else json.dumps(value)
            pairs.append(f"{name}={quote_plus(text.encode('utf-8', 'surrogatepass'))}")
        return "&".join(pairs).encode(), "application/x-www-form-urlencoded"
    text = json.dumps(data)
    if DEEP in text:
        depth = rng.choice((60, 1000, 100_000))
        text = text.replace(f'"{DEEP}"', "[" * depth + "]" * depth)
    if isinstance(data, dict) and str(data.get("type")) in INTERACTIVE:
        return f"payload={quote_plus(text)}".encode(), "application/x-www-form-urlencoded"
    return text.encode(), "application/json"


def mutated(rng: random.Random, base: list[Json], slack: SlackDouble) -> tuple[str, bytes, str]:
    """One seeded mutation of one sample: its name, body and content type."""
    data = retarget(rng, rng.choice(base), slack)
    roll = rng.random()
    if roll < 0.08:
        body, content_type = encode(data, rng)
        return "truncated", body[: rng.randrange(1, max(2, len(body)))], content_type
    if roll < 0.14:
        body, content_type = encode(data, rng)
        at = rng.randrange(len(body))
        return (
            "bad UTF-8",
            body[:at] + rng.choice((b"\xff", b"\xc3\x28", b"\xed\xa0\x80")) + body[at:],
            content_type,
        )
    if roll < 0.20:
        garbage = rng.choice(("not json", "{'a': 1}", "[1, 2]", "null", "{", '"text"', "NaN"))
        return (
            "non-JSON payload=",
            f"payload={quote_plus(garbage)}".encode(),
            "application/x-www-form-urlencoded",
        )
    name = rng.choice(sorted(VALUE_MUTATIONS))
    for _ in range(rng.choice((1, 1, 2, 3))):
        spots = places(data)
        if not spots:
            break
        read = [(node, key) for node, key in spots if key in READ_BY_LISTENERS]
        node, key = rng.choice(read if read and rng.random() < 0.7 else spots)
        VALUE_MUTATIONS[name](rng, node, key)
    body, content_type = encode(data, rng)
    return name, body, content_type


def mutated_envelope(rng: random.Random, base: list[Json], slack: SlackDouble) -> tuple[str, Json]:
    """A seeded mutation of one sample as Socket Mode carries it: an envelope's payload."""
    data = retarget(rng, rng.choice(base), slack)
    if "@form" in data:
        data = data["@form"]
    for _ in range(rng.choice((1, 2))):
        spots = places(data)
        if not spots:
            break
        read = [(node, key) for node, key in spots if key in READ_BY_LISTENERS]
        node, key = rng.choice(read if read and rng.random() < 0.7 else spots)
        VALUE_MUTATIONS[rng.choice(sorted(VALUE_MUTATIONS))](rng, node, key)
    nested: Json = []
    for _ in range(60):
        nested = [nested]
    text = json.dumps(data).replace(f'"{DEEP}"', json.dumps(nested))
    return envelope_kind(data), json.loads(text)


def envelope_kind(data: Json) -> str:
    kind = str(data.get("type"))
    if kind == "event_callback":
        return "events_api"
    if kind in INTERACTIVE or "command" not in data:
        return "interactive"
    return "slash_commands"


async def healthy(bot: Runtime) -> bool:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{bot.port}/healthz") as response,
    ):
        return response.status == 200


def integrity(database: str) -> str:
    with sqlite3.connect(database) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


async def test_malformed_signed_requests_never_get_5xx_or_an_error(
    slack: SlackDouble, bot: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many children are waiting for a placement?")
    rng = random.Random(SEED)
    base = samples(slack)
    kinds: Counter[str] = Counter()
    failures = []
    caplog.set_level(logging.WARNING)
    for _ in range(CASES):
        name, body, content_type = mutated(rng, base, slack)
        kinds[name] += 1
        result = await slack.send_raw(body, content_type=content_type)
        if result.status is None or result.status >= 500:
            failures.append((name, result.status, body[:200]))
    assert failures == []
    assert len(kinds) == 10, kinds

    await slack.send_command("/agenda", "help", MEMBER)
    await ephemeral_containing(slack, MEMBER, "/agenda")
    assert await healthy(bot)
    await bot.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors[:5]]
    assert bot.services is not None
    if bot.settings.database_url is None:  # the SQLite file is intact
        assert integrity(bot.settings.database_path) == "ok"


async def test_malformed_socket_mode_payloads_are_acknowledged_without_an_error(
    slack: SlackDouble,
    make_bot: Callable[..., Awaitable[Runtime]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await make_bot(socket_mode=True)
    await set_up_commission(slack)
    rng = random.Random(SEED)
    base = samples(slack)
    caplog.set_level(logging.WARNING)
    unacknowledged = []
    for _ in range(SOCKET_CASES):
        kind, payload = mutated_envelope(rng, base, slack)
        result = await slack.send_raw_envelope(kind, payload)  # type: ignore[arg-type]
        if result.status != 200:
            unacknowledged.append((kind, str(payload)[:200]))
    assert unacknowledged == []
    await slack.send_command("/agenda", "help", MEMBER)
    await ephemeral_containing(slack, MEMBER, "/agenda")
    await bot.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors[:5]]
    if bot.settings.database_url is None:  # the SQLite file is intact
        assert integrity(bot.settings.database_path) == "ok"


# --- Before the signature, nothing is parsed ---------------------------------------------

GARBAGE = (
    b"",
    b"\xff\xfe\x00garbage",
    b"{" * 10_000,
    b"payload=%7B",
    b'{"type": "url_verification", "challenge": "x"}',
    b"token=x&command=%2Fagenda&text=help&user_id=UCLERK01",
)


async def test_unsigned_garbage_gets_401_and_a_rate_limited_warning(
    slack: SlackDouble, bot: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    statuses: Counter[int | None] = Counter()
    for round_ in range(40):
        for body in GARBAGE:
            result = await slack.send_raw(body, signed=False)
            statuses[result.status] += 1
        stale = await slack.send_raw(GARBAGE[-1], timestamp="1000000000")
        not_a_number = await slack.send_raw(GARBAGE[-1], timestamp=f"x{round_}")
        statuses[stale.status] += 1
        statuses[not_a_number.status] += 1
    assert set(statuses) == {401}, statuses
    refused = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert 1 <= len(refused) <= 2, [r.getMessage() for r in refused]
    assert all(r.levelno == logging.WARNING and not r.exc_info for r in refused)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert slack.ephemerals() == []


async def test_a_body_over_the_limit_gets_413_before_it_is_read(
    slack: SlackDouble, bot: Runtime
) -> None:
    result = await slack.send_raw(b"{" + b" " * MAX_BODY_BYTES + b"}")
    assert result.status == 413


async def test_signed_garbage_gets_400_with_one_warning(
    slack: SlackDouble, bot: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for body in (b"\xff\xfe", b"[" * 100_000, b"payload=%7B", b'{"a": NaN}', b"[1]"):
        result = await slack.send_raw(body)
        assert result.status == 400, body[:20]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_message_longer_than_slack_allows_is_refused_at_the_door(
    slack: SlackDouble, bot: Runtime
) -> None:
    event = {"type": "message", "channel": "C1", "user": MEMBER, "ts": "1.2", "thread_ts": "1.1"}
    too_long = await slack.send_event({**event, "text": "x" * (SLACK_MESSAGE_LIMIT + 1)})
    assert too_long.status == 400
    longest = await slack.send_event({**event, "text": "x" * SLACK_MESSAGE_LIMIT, "ts": "1.3"})
    assert longest.status == 200


async def test_a_command_mentioning_payload_is_still_a_command(
    slack: SlackDouble, bot: Runtime
) -> None:
    """Bolt alone reads any form containing "payload" as an interaction, and finds nothing."""
    result = await slack.send_command("/agenda", "help with the payload", MEMBER)
    assert result.status == 200
    await ephemeral_containing(slack, MEMBER, "/agenda")


async def test_url_verification_and_ssl_check_still_work(slack: SlackDouble, bot: Runtime) -> None:
    challenge = await slack.send_raw(b'{"type": "url_verification", "challenge": "abc123"}')
    assert challenge.status == 200 and "abc123" in challenge.body
    ssl = await slack.send_raw(
        b"ssl_check=1&token=x", content_type="application/x-www-form-urlencoded", signed=False
    )
    assert ssl.status == 200


def test_the_quiet_log_counts_what_it_holds_back(caplog: pytest.LogCaptureFixture) -> None:
    from bot.gate import QuietLog

    moments = iter([0.0, 1.0, 2.0, 11.0])
    log = QuietLog(interval=10.0, now=lambda: next(moments))
    caplog.set_level(logging.WARNING, logger="bot.gate")
    for status in (401, 401, 413, 400):
        log.warn(status, "test")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "2 more refused" in lines[1] and "1 × 401" in lines[1] and "1 × 413" in lines[1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        (7, 7),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("9" * 30, None),
        ("0", None),
        ("-1", None),
        ("１", None),
        ("1.0", None),
        (True, None),
        (None, None),
        ({"id": 1}, None),
        (2**64, None),
        ("", None),
    ],
)
def test_record_ids_are_whole_numbers_sqlite_can_hold(value: object, expected: int | None) -> None:
    from bot.core.validation import record_id

    assert record_id(value) == expected
