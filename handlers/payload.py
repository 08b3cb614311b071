"""Reading what Slack sends, checked: a field that is missing or the wrong shape is a
``MalformedPayload``, never a KeyError deep in a listener or a value SQLite cannot bind.

``check_request`` looks over a whole parsed request before Bolt sees it (the HTTP front door and
Socket Mode both call it); the accessors below check each field a listener reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.core import validation

SQLITE_MAX_INTEGER = validation.MAX_RECORD_ID

MAX_NESTING = 48
"""Slack's deepest payloads (a modal's state inside a view inside a body) nest about 10 deep."""


class MalformedPayload(ValueError):
    """A request without a field the bot needs, or with it in a shape Slack never sends."""


# --- The whole request -----------------------------------------------------------------


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_values(data: object) -> None:
    """Every string is real Unicode, every number fits 64 bits, nothing nests absurdly deep."""
    pending: list[tuple[object, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_NESTING:
            raise MalformedPayload(f"nested more than {MAX_NESTING} deep")
        if isinstance(value, str):
            if has_lone_surrogate(value):
                raise MalformedPayload("text that is not valid Unicode")
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -SQLITE_MAX_INTEGER - 1 <= value <= SQLITE_MAX_INTEGER:
                raise MalformedPayload("a number beyond 64 bits")
        elif isinstance(value, dict):
            for key, item in value.items():
                pending.append((key, depth + 1))
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def _refuse_constant(name: str) -> Any:
    raise MalformedPayload(f"{name} is not a JSON number")


def load_object(text: str) -> dict[str, Any]:
    """Strict JSON: an object, no NaN or Infinity, nesting bounded; else ``MalformedPayload``."""
    try:
        loaded = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedPayload("JSON nested too deep") from None
    except ValueError as error:  # JSONDecodeError, and MalformedPayload from NaN
        raise MalformedPayload(f"not JSON ({str(error)[:80]})") from None
    if not isinstance(loaded, dict):
        raise MalformedPayload("JSON that is not an object")
    return loaded


# What Bolt itself reads to route a request and build its context: each must have the shape
# Slack gives it, or Bolt fails before any listener runs.
TEXT_FIELDS = (
    "type",
    "subtype",
    "user_id",
    "team_id",
    "enterprise_id",
    "channel_id",
    "thread_ts",
    "user_team",
    "callback_id",
    "command",
    "trigger_id",
    "response_url",
    "event_id",
    "function_execution_id",
    "bot_access_token",
    "action_id",
    "block_id",
    "app_installed_team_id",
)
ID_FIELDS = ("user", "team", "enterprise", "channel")
OBJECT_FIELDS = (
    "event",
    "view",
    "message",
    "previous_message",
    "item",
    "assistant_thread",
    "function_data",
    "container",
    "state",
)
LIST_FIELDS = ("authorizations", "response_urls", "actions")


def check_shape(payload: Mapping[str, Any], where: str = "body", depth: int = 0) -> None:
    """The fields Bolt routes by, at each level it looks: text, ids, objects and lists."""
    for name in TEXT_FIELDS:
        if payload.get(name) is not None and not isinstance(payload[name], str):
            raise MalformedPayload(f"{where}.{name} is not text")
    for name in ID_FIELDS:
        value = payload.get(name)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict) or not isinstance(value.get("id", ""), str | None):
            raise MalformedPayload(f"{where}.{name} is neither an id nor an object with one")
    if depth > 3:
        return
    for name in OBJECT_FIELDS:
        if name not in payload:
            continue
        value = payload[name]
        if not isinstance(value, dict):  # Bolt reads some of these with .get(name, {})
            raise MalformedPayload(f"{where}.{name} is not an object")
        check_shape(value, f"{where}.{name}", depth + 1)
    for name in LIST_FIELDS:
        if name not in payload:
            continue
        value = payload[name]
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise MalformedPayload(f"{where}.{name} is not a list of objects")
        for item in value:
            check_shape(item, f"{where}.{name}[]", depth + 1)


ROUTED_BY: dict[str, tuple[tuple[str, ...], ...]] = {
    "block_actions": (("actions", "0", "action_id"),),
    "interactive_message": (("callback_id",), ("actions", "0")),
    "view_submission": (("view", "callback_id"), ("view", "type")),
    "view_closed": (("view", "callback_id"),),
    "shortcut": (("callback_id",),),
    "message_action": (("callback_id",),),
    "dialog_submission": (("callback_id",),),
    "dialog_cancellation": (("callback_id",),),
    "dialog_suggestion": (("callback_id",),),
    "workflow_step_edit": (("callback_id",),),
    "block_suggestion": (("action_id",),),
}
"""What Bolt reads to route each kind of interaction: it must be there (text, or an object)."""


def check_request(body: Mapping[str, Any]) -> None:
    """Everything the bot and Bolt assume about any request, checked once on arrival."""
    check_values(body)
    check_shape(body)
    if "command" in body and "type" not in body:  # a slash command: answered at response_url
        for name in ("command", "user_id", "response_url"):
            if not isinstance(body.get(name), str):
                raise MalformedPayload(f"a slash command without {name}")
    event = body.get("event")
    if isinstance(event, dict):  # refused before Bolt holds it while listeners work
        for message in (event, event.get("message"), event.get("previous_message")):
            message_text(message)
    response_url = body.get("response_url")
    if response_url is not None and not is_web_address(response_url):
        raise MalformedPayload("response_url is not a web address")
    for path in ROUTED_BY.get(str(body.get("type")), ()):
        value: Any = body
        for step in path:
            value = value[0] if step == "0" and value else optional_field(value, step)
        if not isinstance(value, str | dict):
            raise MalformedPayload(f"a {body['type']} without {'.'.join(path)}")


def is_web_address(value: object) -> bool:
    """An http(s) URL with a host: where Slack's ``response_url`` would point."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("https", "http") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, or a bad IPv6 address
        return False


# --- Fields a listener reads -------------------------------------------------------------


def field(data: Any, *path: str) -> Any:
    """The value at ``path`` inside nested objects; missing anywhere is ``MalformedPayload``."""
    value = data
    for depth, key in enumerate(path):
        if not isinstance(value, Mapping) or key not in value:
            raise MalformedPayload(f"no {'.'.join(path[: depth + 1])}")
        value = value[key]
    return value


def optional_field(data: Any, *path: str) -> Any:
    """The value at ``path``, or None where any step is missing or not an object."""
    value = data
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def as_text(value: Any, name: str) -> str:
    if not isinstance(value, str) or has_lone_surrogate(value):
        raise MalformedPayload(f"{name} is not text")
    return value


def text(data: Any, *path: str) -> str:
    """Text that must be there."""
    return as_text(field(data, *path), ".".join(path))


def optional_text(data: Any, *path: str) -> str | None:
    """Text that may be missing or null, but is text when it is there."""
    value = optional_field(data, *path)
    return None if value is None else as_text(value, ".".join(path))


SLACK_MESSAGE_LIMIT = 40_000
"""Slack truncates a message's text beyond 40,000 characters, so no real event holds more."""


def message_text(message: Any) -> str:
    """A message event's text ('' when it has none), no longer than Slack allows."""
    found = optional_text(message, "text") or ""
    if len(found) > SLACK_MESSAGE_LIMIT:
        raise MalformedPayload(f"message text of {len(found)} characters")
    return found


def record_id(value: Any, name: str = "id") -> int:
    """A database id sent back by Slack (a button's value, a modal's metadata): a positive
    whole number SQLite can store."""
    found = validation.record_id(value)
    if found is None:
        raise MalformedPayload(f"{name} is not an id")
    return found


def user_id(body: Any) -> str:
    """Who acted: ``user.id`` in interactions, ``user_id`` in slash commands."""
    user = optional_field(body, "user")
    if isinstance(user, Mapping):
        return text(user, "id")
    if user is not None:
        return as_text(user, "user")
    return text(body, "user_id")


def json_object(value: Any, name: str) -> dict[str, Any]:
    """A JSON object the bot wrote into a field Slack hands back (a modal's private_metadata)."""
    if value in (None, ""):
        return {}
    loaded = load_object(as_text(value, name))
    check_values(loaded)
    return loaded
