"""Block Kit as Slack enforces it: validation, generated ids, and finding interactive elements.

Validation uses slack_sdk's own models (``Block.parse(...).to_dict()`` runs every validator in
the tree) plus the limits slack_sdk does not check itself: block counts per surface, duplicate
``block_id``s, option text and value lengths and plain text input lengths.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox.ids import IdSource
from bot.sandbox.models import JsonDict

MAX_MESSAGE_BLOCKS = 50
MAX_SURFACE_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_TEXT_INPUT = 3000

_OPTION_LIST_KEYS = ("options", "initial_options")
_STATEFUL_CONTAINERS = ("input", "actions", "section")


def message_problems(text: Any, blocks: Any, attachments: Any) -> tuple[str, list[str]] | None:
    """Check a message as chat.postMessage does: ``(error, details)`` or None when it is fine."""
    if blocks is not None:
        problems = block_problems(blocks, MAX_MESSAGE_BLOCKS)
        if problems:
            return "invalid_blocks", problems
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        return "msg_too_long", [f"text is {len(text)} characters; the limit is {MAX_MESSAGE_TEXT}"]
    if not text and not blocks and not attachments:
        return "no_text", ["a message needs text, blocks or attachments"]
    return None


def block_problems(blocks: Any, limit: int) -> list[str]:
    """Everything wrong with a list of blocks for a surface that allows ``limit`` blocks."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks; the limit is {limit}")
    problems.extend(_duplicate_block_ids(blocks))
    for index, block in enumerate(blocks):
        problems.extend(f"blocks[{index}]: {p}" for p in _one_block_problems(block))
    return problems


def view_problems(view: Any) -> list[str]:
    """Everything wrong with a view for views.open / update / push / publish."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    problems = block_problems(view.get("blocks"), MAX_SURFACE_BLOCKS)
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as error:
        problems.append(str(error))
    if view.get("type") == "modal":
        problems.extend(_modal_problems(view))
    return problems


def _modal_problems(view: JsonDict) -> list[str]:
    problems: list[str] = []
    if not view.get("title"):
        problems.append("a modal needs a title")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return problems
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and not view.get("submit"):
        problems.append("a modal with input blocks needs a submit button")
    return problems


def _duplicate_block_ids(blocks: list[Any]) -> list[str]:
    seen: set[str] = set()
    problems: list[str] = []
    for block in blocks:
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is None:
            continue
        if block_id in seen:
            problems.append(f"duplicate block_id {block_id!r}")
        seen.add(block_id)
    return problems


def _one_block_problems(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return ["a block must be an object"]
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"unknown block type {block.get('type')!r}"]
        parsed.to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError) as error:
        return [str(error)]
    return list(_limits_slack_sdk_skips(block))


def _limits_slack_sdk_skips(node: Any) -> Iterator[str]:
    """Option lengths and text input limits, which slack_sdk's validators do not reach."""
    if isinstance(node, list):
        for item in node:
            yield from _limits_slack_sdk_skips(item)
        return
    if not isinstance(node, dict):
        return
    for key in _OPTION_LIST_KEYS:
        for option in node.get(key) or []:
            yield from _option_problems(option)
    if isinstance(node.get("initial_option"), dict):
        yield from _option_problems(node["initial_option"])
    if node.get("type") == "plain_text_input":
        yield from _text_input_problems(node)
    for value in node.values():
        if isinstance(value, (dict, list)):
            yield from _limits_slack_sdk_skips(value)


def _option_problems(option: Any) -> Iterator[str]:
    if not isinstance(option, dict):
        yield "an option must be an object"
        return
    text = option.get("text")
    label = text.get("text", "") if isinstance(text, dict) else str(text or "")
    if len(label) > MAX_OPTION_TEXT:
        yield f"option text cannot exceed {MAX_OPTION_TEXT} characters"
    if len(str(option.get("value", ""))) > MAX_OPTION_VALUE:
        yield f"option value cannot exceed {MAX_OPTION_VALUE} characters"


def _text_input_problems(element: JsonDict) -> Iterator[str]:
    max_length = element.get("max_length")
    if isinstance(max_length, int) and max_length > MAX_TEXT_INPUT:
        yield f"plain_text_input max_length cannot exceed {MAX_TEXT_INPUT}"
    initial = element.get("initial_value")
    if isinstance(initial, str) and len(initial) > MAX_TEXT_INPUT:
        yield f"plain_text_input initial_value cannot exceed {MAX_TEXT_INPUT} characters"


def with_generated_ids(blocks: list[JsonDict], ids: IdSource) -> list[JsonDict]:
    """A copy of ``blocks`` with missing ``block_id``s and ``action_id``s filled, as Slack does."""
    filled = copy.deepcopy(blocks)
    for block in filled:
        block.setdefault("block_id", ids.short("block")[:5])
        for element in _elements_of(block):
            if element.get("type") not in ("mrkdwn", "plain_text", "image"):
                element.setdefault("action_id", ids.short("action")[:5])
    return filled


def _elements_of(block: JsonDict) -> list[JsonDict]:
    elements: list[JsonDict] = []
    if block.get("type") == "actions":
        elements.extend(e for e in block.get("elements", []) if isinstance(e, dict))
    for key in ("element", "accessory"):
        if isinstance(block.get(key), dict):
            elements.append(block[key])
    return elements


def interactive_elements(blocks: list[JsonDict]) -> Iterator[tuple[JsonDict, JsonDict]]:
    """``(block, element)`` for every interactive element in the blocks."""
    for block in blocks:
        if block.get("type") in _STATEFUL_CONTAINERS:
            for element in _elements_of(block):
                if "action_id" in element:
                    yield block, element


def find_element(
    blocks: list[JsonDict], action_id: str, *, value: str | None = None, block_id: str | None = None
) -> tuple[JsonDict, JsonDict]:
    """The ``(block, element)`` a user would click; ValueError when no such element is shown."""
    for block, element in interactive_elements(blocks):
        if element.get("action_id") != action_id:
            continue
        if block_id is not None and block.get("block_id") != block_id:
            continue
        if value is not None and element.get("type") == "button" and element.get("value") != value:
            continue
        return block, element
    shown = sorted({str(e.get("action_id")) for _, e in interactive_elements(blocks)})
    raise ValueError(f"no element with action_id {action_id!r} (value {value!r}); shown: {shown}")


def element_state(element: JsonDict, chosen: Any) -> JsonDict:
    """The ``state.values`` entry Slack sends for an element, given what the user chose.

    ``chosen`` None means the user left the element as it was (its initial value, if any).
    """
    kind = str(element.get("type"))
    if chosen is None:
        chosen = _initial_choice(element)
    state: JsonDict = {"type": kind}
    key = _STATE_KEYS.get(kind, "value")
    if kind in _SINGLE_OPTION:
        state[key] = _as_option(element, chosen) if chosen is not None else None
    elif kind in _MULTI_OPTION:
        state[key] = [_as_option(element, c) for c in (chosen or [])]
    elif key in ("selected_users", "selected_conversations", "selected_channels"):
        state[key] = list(chosen or [])
    else:
        state[key] = chosen
    return state


def is_empty_state(state: JsonDict) -> bool:
    return all(v in (None, "", []) for k, v in state.items() if k != "type")


def _initial_choice(element: JsonDict) -> Any:
    for key in _INITIAL_KEYS:
        if key in element:
            return element[key]
    return None


def _as_option(element: JsonDict, chosen: Any) -> JsonDict:
    if isinstance(chosen, dict):
        return chosen
    for option in _options_of(element):
        if option.get("value") == chosen:
            return option
    if element.get("type") in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": str(chosen)}, "value": str(chosen)}
    values = [o.get("value") for o in _options_of(element)]
    raise ValueError(
        f"{chosen!r} is not one of the options of {element.get('action_id')}: {values}"
    )


def _options_of(element: JsonDict) -> list[JsonDict]:
    options: list[JsonDict] = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


_SINGLE_OPTION = frozenset({"static_select", "external_select", "radio_buttons"})
_MULTI_OPTION = frozenset({"multi_static_select", "multi_external_select", "checkboxes"})
_STATE_KEYS = {
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "rich_text_input": "rich_text_value",
}
_INITIAL_KEYS = (
    "initial_value",
    "initial_option",
    "initial_options",
    "initial_user",
    "initial_users",
    "initial_conversation",
    "initial_conversations",
    "initial_channel",
    "initial_channels",
    "initial_date",
    "initial_time",
    "initial_date_time",
)
