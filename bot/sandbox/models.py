"""What the Slack double keeps: users, conversations, messages, views, files and records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

JsonDict = dict[str, Any]
ChannelKind = Literal["channel", "group", "im", "mpim"]
Mode = Literal["http", "socket", "none"]


class ApiError(Exception):
    """A Web API failure, answered as ``{"ok": false, "error": ...}``."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        messages: tuple[str, ...] | list[str] = (),
        retry_after: int | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.messages = tuple(messages)
        self.retry_after = retry_after

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error": self.error}
        if self.messages:
            body["errors"] = list(self.messages)
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return body


@dataclass
class User:
    id: str
    name: str
    real_name: str
    team_id: str
    display_name: str = ""
    email: str | None = None
    is_admin: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/London"

    def to_slack(self) -> JsonDict:
        """The user object as ``users.info`` returns it."""
        profile: JsonDict = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "team": self.team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "tz": self.tz,
            "profile": profile,
        }


@dataclass
class Channel:
    id: str
    name: str
    kind: ChannelKind
    members: set[str] = field(default_factory=set)

    @property
    def is_dm(self) -> bool:
        return self.kind in ("im", "mpim")

    def to_slack(self, bot_user_id: str) -> JsonDict:
        """The conversation object as ``conversations.info`` returns it."""
        data: JsonDict = {
            "id": self.id,
            "name": self.name,
            "is_channel": self.kind == "channel",
            "is_group": self.kind == "group",
            "is_im": self.kind == "im",
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "channel",
            "is_member": bot_user_id in self.members,
        }
        if self.kind == "im":
            others = sorted(self.members - {bot_user_id})
            data["user"] = others[0] if others else bot_user_id
        return data


@dataclass
class StoredMessage:
    """A message in the workspace, posted by a person or by the bot."""

    channel: str
    ts: str
    text: str
    user: str
    team: str
    blocks: list[JsonDict] = field(default_factory=list)
    attachments: list[JsonDict] = field(default_factory=list)
    bot_id: str | None = None
    app_id: str | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    subtype: str | None = None
    edited: dict[str, str] | None = None
    reply_users: list[str] = field(default_factory=list)
    reply_count: int = 0
    latest_reply: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    file_ids: list[str] = field(default_factory=list)
    metadata: JsonDict | None = None
    client_msg_id: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def is_from_bot(self) -> bool:
        return self.bot_id is not None

    @property
    def in_channel_history(self) -> bool:
        """True for messages shown in the channel itself (not only inside a thread)."""
        return not self.is_reply or self.subtype == "thread_broadcast"

    def all_text(self) -> str:
        """The text plus every string inside the blocks, for assertions on rendered content."""
        return "\n".join([self.text, *_strings_in(self.blocks)])

    def to_slack(self) -> JsonDict:
        """The message object as the Web API and events show it."""
        data: JsonDict = {"type": "message", "ts": self.ts, "text": self.text, "user": self.user}
        data["team"] = self.team
        optional: JsonDict = {
            "subtype": self.subtype,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "client_msg_id": self.client_msg_id,
            "blocks": self.blocks or None,
            "attachments": self.attachments or None,
            "edited": self.edited,
            "metadata": self.metadata,
            "thread_ts": self.thread_ts,
            "parent_user_id": self.parent_user_id,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        if self.reply_count:
            data.update(self._thread_summary())
        if self.reactions:
            data["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self.reactions.items()
            ]
        if self.file_ids:
            data["files"] = [{"id": file_id} for file_id in self.file_ids]
        return data

    def _thread_summary(self) -> JsonDict:
        return {
            "thread_ts": self.ts,
            "reply_count": self.reply_count,
            "reply_users": list(self.reply_users),
            "reply_users_count": len(self.reply_users),
            "latest_reply": self.latest_reply,
            "is_locked": False,
        }


@dataclass
class Ephemeral:
    """A message only one user sees: chat.postEphemeral, a response_url post or a command ack."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[JsonDict]
    source: Literal["chat.postEphemeral", "response_url", "command_ack"]
    thread_ts: str | None = None
    deleted: bool = False

    def all_text(self) -> str:
        return "\n".join([self.text, *_strings_in(self.blocks)])


@dataclass
class StoredView:
    """A modal or Home tab the bot opened, pushed, updated or published."""

    id: str
    user_id: str
    data: JsonDict
    closed: bool = False

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))

    @property
    def callback_id(self) -> str:
        return str(self.data.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        return str(self.data.get("private_metadata") or "")

    @property
    def external_id(self) -> str:
        return str(self.data.get("external_id") or "")

    @property
    def hash(self) -> str:
        return str(self.data["hash"])

    @property
    def blocks(self) -> list[JsonDict]:
        blocks: list[JsonDict] = self.data.get("blocks", [])
        return blocks

    @property
    def title(self) -> str:
        title = self.data.get("title")
        return str(title.get("text", "")) if isinstance(title, dict) else str(title or "")

    @property
    def state_values(self) -> dict[str, dict[str, JsonDict]]:
        values: dict[str, dict[str, JsonDict]] = self.data["state"]["values"]
        return values

    def all_text(self) -> str:
        return "\n".join(_strings_in(self.blocks))


@dataclass
class StoredFile:
    id: str
    name: str
    length: int
    title: str = ""
    content: bytes = b""
    uploaded: bool = False
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None
    alt_txt: str | None = None

    def to_slack(self, user: str) -> JsonDict:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title or self.name,
            "size": len(self.content),
            "user": user,
            "channels": [c for c in self.channels if c.startswith("C")],
            "ims": [c for c in self.channels if c.startswith("D")],
            "groups": [c for c in self.channels if c.startswith("G")],
            "mode": "hosted",
            "is_public": any(c.startswith("C") for c in self.channels),
        }


@dataclass(frozen=True)
class ApiCall:
    """One Web API call the bot made, with the answer the double gave."""

    method: str
    args: JsonDict
    status: int
    response: JsonDict
    http_verb: str = "POST"

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass(frozen=True)
class ResponsePost:
    """One POST the bot made to a response_url."""

    hook_id: str
    user_id: str
    channel_id: str | None
    body: JsonDict
    status: int
    answer: str
    connection: str | None = None
    """The bot's end of the connection it came over (``host:port``): the same for posts
    that reused one connection."""

    @property
    def response_type(self) -> str:
        return str(self.body.get("response_type") or "ephemeral")

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")


@dataclass(frozen=True)
class DeliveryResult:
    """What the bot answered to one request the double sent it (HTTP or Socket Mode).

    ``status`` is the HTTP status in HTTP mode and 200 once an envelope is acknowledged over
    Socket Mode; it is ``None`` when the bot gave no answer within the acknowledgement window.
    """

    mode: Mode
    status: int | None
    body: str
    json: Any
    payload: JsonDict
    headers: Mapping[str, str] = field(default_factory=dict)
    envelope_id: str | None = None
    message: StoredMessage | None = None
    ack_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def acked(self) -> bool:
        return self.status is not None

    @property
    def event_id(self) -> str | None:
        event_id = self.payload.get("event_id")
        return str(event_id) if event_id is not None else None

    @property
    def ts(self) -> str:
        """The ``ts`` of the message this request was about (user message helpers only)."""
        if self.message is None:
            raise AttributeError("this delivery carries no stored message")
        return self.message.ts

    def describe(self) -> str:
        return f"{self.mode} status={self.status} body={self.body[:200]!r}"


def parse_json_body(text: str) -> Any:
    """Parse a response body as JSON, or return None when it is not JSON."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _strings_in(value: Any) -> list[str]:
    """Human-readable strings in Block Kit JSON (text, labels...), skipping types and ids."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings_in(item)]
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    for key, item in value.items():
        if key in _TEXT_KEYS or not isinstance(item, str):
            found.extend(_strings_in(item))
    return found


_TEXT_KEYS = frozenset({"text", "value", "alt_text", "title", "label", "placeholder"})
