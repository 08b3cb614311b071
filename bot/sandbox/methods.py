"""The Web API methods the double serves, each answering what Slack answers.

Response shapes follow Slack's OpenAPI examples (``openapi-examples/<method>.ok.json``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from bot.sandbox.blockkit import message_problems, view_problems, with_generated_ids
from bot.sandbox.models import ApiError, Channel, Ephemeral, JsonDict, StoredMessage, StoredView
from bot.sandbox.state import SandboxState
from bot.sandbox.surfaces import view_argument
from bot.sandbox.workspace import NewMessage

JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
DEFAULT_PAGE = 100
TokenKind = Literal["bot", "app"]


class Args:
    """Arguments of one call, whether they came as a query, a form or a JSON body."""

    def __init__(self, data: JsonDict) -> None:
        self.data = data

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def opt(self, key: str) -> str | None:
        value = self.data.get(key)
        return None if value is None or value == "" else str(value)

    def required(self, key: str, error: str = "invalid_arguments") -> str:
        value = self.opt(key)
        if value is None:
            raise ApiError(error, messages=(f"missing required field: {key}",))
        return value

    def flag(self, key: str) -> bool:
        return self.data.get(key) in (True, "true", "1", 1)

    def number(self, key: str, default: int) -> int:
        try:
            return int(self.data.get(key, default))
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments", messages=(f"{key} must be a number",)) from None

    def structured(self, key: str) -> Any:
        """A field that may hold JSON text (form bodies) or a decoded value (JSON bodies)."""
        value = self.data.get(key)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError("invalid_arguments", messages=(f"{key} is not valid JSON",)) from None


@dataclass(frozen=True)
class MethodSpec:
    handler: Callable[[Args], JsonDict]
    token: TokenKind = "bot"


class WebApiMethods:
    def __init__(self, state: SandboxState) -> None:
        self._s = state

    def specs(self) -> dict[str, MethodSpec]:
        bot = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.open": self.conversations_open,
            "conversations.info": self.conversations_info,
            "conversations.replies": self.conversations_replies,
            "conversations.history": self.conversations_history,
            "users.info": self.users_info,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "reactions.add": self.reactions_add,
            "files.getUploadURLExternal": self.files_get_upload_url,
            "files.completeUploadExternal": self.files_complete_upload,
        }
        specs = {name: MethodSpec(handler) for name, handler in bot.items()}
        specs["apps.connections.open"] = MethodSpec(self.apps_connections_open, token="app")
        return specs

    # ---- auth and people

    def auth_test(self, args: Args) -> JsonDict:
        identity = self._s.identity
        return {
            "ok": True,
            "url": f"https://{identity.team_domain}.slack.com/",
            "team": identity.team_name,
            "user": identity.bot_name,
            "team_id": identity.team_id,
            "user_id": identity.bot_user_id,
            "bot_id": identity.bot_id,
            "is_enterprise_install": False,
        }

    def users_info(self, args: Args) -> JsonDict:
        user = self._s.workspace.user(args.required("user", "user_not_found"))
        return {"ok": True, "user": user.to_slack()}

    # ---- messages

    def chat_post_message(self, args: Args) -> JsonDict:
        channel = self._s.workspace.resolve_target(args.required("channel", "channel_not_found"))
        content = self._new_message(args)
        message = self._s.workspace.post(channel, self._s.identity.bot_user_id, content)
        return {"ok": True, "channel": channel.id, "ts": message.ts, "message": message.to_slack()}

    def chat_update(self, args: Args) -> JsonDict:
        channel = self._s.workspace.readable_channel(args.required("channel", "channel_not_found"))
        current = self._s.workspace.find(channel.id, args.required("ts", "message_not_found"))
        content = self._updated_content(args, current)
        message = self._s.workspace.update(
            channel.id, current.ts, content, editor=self._s.identity.bot_user_id
        )
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": message.to_slack(),
        }

    def chat_post_ephemeral(self, args: Args) -> JsonDict:
        channel = self._s.workspace.resolve_target(args.required("channel", "channel_not_found"))
        user = self._s.workspace.user(args.required("user", "user_not_found"))
        content = self._new_message(args)
        ephemeral = Ephemeral(
            channel=channel.id,
            user=user.id,
            ts=self._s.ids.next_ts(),
            text=content.text,
            blocks=content.blocks,
            source="chat.postEphemeral",
            thread_ts=content.thread_ts,
        )
        self._s.workspace.add_ephemeral(ephemeral)
        return {"ok": True, "message_ts": ephemeral.ts}

    def chat_delete(self, args: Args) -> JsonDict:
        channel = self._s.workspace.readable_channel(args.required("channel", "channel_not_found"))
        message = self._s.workspace.find(channel.id, args.required("ts", "message_not_found"))
        if message.user != self._s.identity.bot_user_id:
            raise ApiError("cant_delete_message")
        self._s.workspace.delete(channel.id, message.ts)
        return {"ok": True, "channel": channel.id, "ts": message.ts}

    def chat_get_permalink(self, args: Args) -> JsonDict:
        channel = self._s.workspace.channel(args.required("channel", "channel_not_found"))
        message = self._s.workspace.find(
            channel.id, args.required("message_ts", "message_not_found")
        )
        return {"ok": True, "channel": channel.id, "permalink": self.permalink(message)}

    def permalink(self, message: StoredMessage) -> str:
        link = (
            f"https://{self._s.identity.team_domain}.slack.com/archives/"
            f"{message.channel}/p{message.ts.replace('.', '')}"
        )
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return link

    def reactions_add(self, args: Args) -> JsonDict:
        channel = self._s.workspace.readable_channel(args.required("channel", "channel_not_found"))
        ts = args.required("timestamp", "message_not_found")
        name = args.required("name", "invalid_name").strip(":")
        self._s.workspace.react(channel.id, ts, name, self._s.identity.bot_user_id)
        return {"ok": True}

    def _new_message(self, args: Args) -> NewMessage:
        text = args.opt("text") or ""
        blocks = args.structured("blocks")
        attachments = args.structured("attachments")
        _check_message(text, blocks, attachments)
        return NewMessage(
            text=text,
            blocks=with_generated_ids(blocks or [], self._s.ids),
            attachments=list(attachments or []),
            thread_ts=args.opt("thread_ts"),
            broadcast=args.flag("reply_broadcast"),
            metadata=args.structured("metadata"),
        )

    def _updated_content(self, args: Args, current: StoredMessage) -> NewMessage:
        """chat.update keeps text, blocks or attachments that the call leaves out."""
        text = args.opt("text") if "text" in args else current.text
        blocks = args.structured("blocks") if "blocks" in args else current.blocks
        attachments = (
            args.structured("attachments") if "attachments" in args else current.attachments
        )
        _check_message(text or "", blocks, attachments)
        return NewMessage(
            text=text or "",
            blocks=with_generated_ids(blocks or [], self._s.ids),
            attachments=list(attachments or []),
            metadata=args.structured("metadata"),
        )

    # ---- conversations

    def conversations_open(self, args: Args) -> JsonDict:
        if "channel" in args and "users" not in args:
            channel = self._s.workspace.readable_channel(args.required("channel"))
            return {"ok": True, "channel": {"id": channel.id}, "no_op": True, "already_open": True}
        channel, already_open = self._s.workspace.open_conversation(_user_list(args))
        body: JsonDict = {"ok": True, "channel": {"id": channel.id}}
        if args.flag("return_im"):
            body["channel"] = channel.to_slack(self._s.identity.bot_user_id)
        if already_open:
            body.update({"no_op": True, "already_open": True})
        return body

    def conversations_info(self, args: Args) -> JsonDict:
        channel = self._s.workspace.channel(args.required("channel", "channel_not_found"))
        return {"ok": True, "channel": channel.to_slack(self._s.identity.bot_user_id)}

    def conversations_replies(self, args: Args) -> JsonDict:
        channel = self._s.workspace.readable_channel(args.required("channel", "channel_not_found"))
        thread = self._s.workspace.thread(channel.id, args.required("ts", "thread_not_found"))
        return _page(_in_range(thread, args), args)

    def conversations_history(self, args: Args) -> JsonDict:
        channel = self._s.workspace.readable_channel(args.required("channel", "channel_not_found"))
        body = _page(_in_range(self._s.workspace.history(channel.id), args), args)
        body["pin_count"] = 0
        return body

    # ---- views

    def views_open(self, args: Args) -> JsonDict:
        view = _checked_view(args)
        user_id = self._s.triggers.redeem(_trigger(args))
        if view.get("type") != "modal":
            raise ApiError("invalid_arguments", messages=("views.open needs a view of type modal",))
        return _view_body(self._s.views.open(user_id, view))

    def views_push(self, args: Args) -> JsonDict:
        view = _checked_view(args)
        user_id = self._s.triggers.redeem(_trigger(args))
        return _view_body(self._s.views.open(user_id, view, pushed=True))

    def views_update(self, args: Args) -> JsonDict:
        view = _checked_view(args)
        view_id, external_id = args.opt("view_id"), args.opt("external_id")
        if view_id is None and external_id is None:
            raise ApiError("invalid_arguments", messages=("view_id or external_id is required",))
        target = (
            self._s.views.get(view_id)
            if view_id
            else self._s.views.by_external_id(external_id or "")
        )
        return _view_body(self._s.views.update(target, view, args.opt("hash")))

    def views_publish(self, args: Args) -> JsonDict:
        view = _checked_view(args)
        user = self._s.workspace.user(args.required("user_id", "user_not_found"))
        return _view_body(self._s.views.publish(user.id, view, args.opt("hash")))

    # ---- files

    def files_get_upload_url(self, args: Args) -> JsonDict:
        name = args.required("filename")
        stored = self._s.files.reserve(name, args.number("length", 0), args.opt("alt_txt"))
        upload_url = f"{self._s.root_url}upload/v1/{stored.id}"
        return {"ok": True, "upload_url": upload_url, "file_id": stored.id}

    def files_complete_upload(self, args: Args) -> JsonDict:
        entries = args.structured("files")
        if not isinstance(entries, list) or not entries:
            raise ApiError("invalid_arguments", messages=("files must be a non-empty array",))
        channels = self._share_targets(args)
        completed = [self._s.files.complete(str(e.get("id")), e.get("title")) for e in entries]
        for channel in channels:
            self._share(channel, [f.id for f in completed], args)
        for stored in completed:
            stored.channels = [c.id for c in channels]
            stored.thread_ts = args.opt("thread_ts")
            stored.initial_comment = args.opt("initial_comment")
        bot = self._s.identity.bot_user_id
        return {"ok": True, "files": [f.to_slack(bot) for f in completed]}

    def _share_targets(self, args: Args) -> list[Channel]:
        ids = [c for c in (args.opt("channels") or "").split(",") if c]
        if args.opt("channel_id"):
            ids.insert(0, args.required("channel_id"))
        return [self._s.workspace.readable_channel(c) for c in dict.fromkeys(ids)]

    def _share(self, channel: Channel, file_ids: list[str], args: Args) -> None:
        content = NewMessage(
            text=args.opt("initial_comment") or "",
            blocks=[],
            attachments=[],
            thread_ts=args.opt("thread_ts"),
        )
        message = self._s.workspace.post(channel, self._s.identity.bot_user_id, content)
        message.file_ids = file_ids

    # ---- Socket Mode

    def apps_connections_open(self, args: Args) -> JsonDict:
        connection_id = self._s.ids.short("socket")
        self._s.socket_ids.add(connection_id)
        return {"ok": True, "url": f"{self._s.ws_root_url}socket-mode/{connection_id}"}


def _check_message(text: str, blocks: Any, attachments: Any) -> None:
    problem = message_problems(text, blocks, attachments)
    if problem is not None:
        error, details = problem
        raise ApiError(error, messages=details)


def _checked_view(args: Args) -> JsonDict:
    view = view_argument(args.structured("view"))
    problems = view_problems(view)
    if problems:
        raise ApiError("invalid_arguments", messages=problems)
    return view


def _trigger(args: Args) -> str | None:
    return args.opt("trigger_id") or args.opt("interactivity_pointer")


def _view_body(view: StoredView) -> JsonDict:
    return {"ok": True, "view": view.data}


def _user_list(args: Args) -> list[str]:
    users = args.data.get("users")
    if isinstance(users, str):
        users = users.split(",")
    if not isinstance(users, list) or not users:
        raise ApiError("users_list_not_supplied")
    return [str(u).strip() for u in users if str(u).strip()]


def _in_range(messages: list[StoredMessage], args: Args) -> list[StoredMessage]:
    """Apply ``oldest``, ``latest`` and ``inclusive`` as conversations.history does."""
    oldest, latest = args.opt("oldest"), args.opt("latest")
    inclusive = args.flag("inclusive")

    def keep(message: StoredMessage) -> bool:
        ts = float(message.ts)
        if oldest is not None and (ts < float(oldest) or (ts == float(oldest) and not inclusive)):
            return False
        return latest is None or ts < float(latest) or (ts == float(latest) and inclusive)

    return [m for m in messages if keep(m)]


def _page(messages: list[StoredMessage], args: Args) -> JsonDict:
    start = _cursor_offset(args.opt("cursor"))
    limit = max(1, args.number("limit", DEFAULT_PAGE))
    page = messages[start : start + limit]
    has_more = start + limit < len(messages)
    next_cursor = _cursor(start + limit) if has_more else ""
    return {
        "ok": True,
        "messages": [m.to_slack() for m in page],
        "has_more": has_more,
        "response_metadata": {"next_cursor": next_cursor},
    }


def _cursor(offset: int) -> str:
    return base64.b64encode(f"next_offset:{offset}".encode()).decode()


def _cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().split(":")[1])
    except (ValueError, IndexError):
        raise ApiError("invalid_cursor") from None
