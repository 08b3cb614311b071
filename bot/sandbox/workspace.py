"""The workspace the double keeps: people, conversations, messages, threads and reactions.

Operations raise :class:`ApiError` with the error code Slack would answer, so the Web API layer
only translates arguments and results.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.sandbox.ids import IdSource
from bot.sandbox.models import (
    ApiError,
    Channel,
    ChannelKind,
    Ephemeral,
    JsonDict,
    StoredMessage,
    User,
)


@dataclass(frozen=True)
class Identity:
    """Who the bot is in this workspace."""

    team_id: str
    team_name: str
    team_domain: str
    bot_user_id: str
    bot_id: str
    app_id: str
    bot_name: str


@dataclass(frozen=True)
class NewMessage:
    """The content of a message about to be posted."""

    text: str
    blocks: list[JsonDict]
    attachments: list[JsonDict]
    thread_ts: str | None = None
    broadcast: bool = False
    metadata: JsonDict | None = None


class Workspace:
    def __init__(self, ids: IdSource, identity: Identity) -> None:
        self.ids = ids
        self.identity = identity
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.ephemerals: list[Ephemeral] = []
        self._messages: dict[str, list[StoredMessage]] = {}
        self._dm_by_members: dict[frozenset[str], str] = {}
        self.add_user(identity.bot_user_id, identity.bot_name, identity.bot_name, is_bot=True)

    # ---- people

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        real_name: str | None = None,
        **profile: object,
    ) -> User:
        name = name or user_id.lower()
        user = User(
            id=user_id, name=name, real_name=real_name or name, team_id=self.identity.team_id
        )
        for key, value in profile.items():
            if not hasattr(user, key):
                raise TypeError(f"unknown user field {key!r}")
            setattr(user, key, value)
        self.users[user_id] = user
        return user

    def ensure_user(self, user_id: str) -> User:
        """The user, added with default details the first time they appear."""
        return self.users.get(user_id) or self.add_user(user_id)

    def user(self, user_id: str) -> User:
        if user_id not in self.users:
            raise ApiError("user_not_found")
        return self.users[user_id]

    # ---- conversations

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, bot_is_member: bool = True
    ) -> Channel:
        kind: ChannelKind = "group" if private else "channel"
        members = {self.identity.bot_user_id} if bot_is_member else set()
        channel = Channel(id=channel_id, name=name, kind=kind, members=members)
        self.channels[channel_id] = channel
        self._messages.setdefault(channel_id, [])
        return channel

    def open_conversation(self, user_ids: list[str]) -> tuple[Channel, bool]:
        """The DM (one person) or group DM (several) with the bot: ``(channel, already_open)``."""
        for user_id in user_ids:
            self.user(user_id)
        members = frozenset({*user_ids, self.identity.bot_user_id})
        if members in self._dm_by_members:
            return self.channels[self._dm_by_members[members]], True
        channel = self._new_dm(members, user_ids)
        self._dm_by_members[members] = channel.id
        self.channels[channel.id] = channel
        self._messages[channel.id] = []
        return channel, False

    def _new_dm(self, members: frozenset[str], user_ids: list[str]) -> Channel:
        if len(members) <= 2:
            candidate = "D" + user_ids[0][1:]
            channel_id = candidate if candidate not in self.channels else self.ids.next_id("D")
            return Channel(id=channel_id, name="directmessage", kind="im", members=set(members))
        names = "-".join(sorted(self.users[u].name for u in members))
        return Channel(
            id=self.ids.next_id("G"), name=f"mpdm-{names}-1", kind="mpim", members=set(members)
        )

    def dm_channel_for(self, user_id: str) -> str:
        self.ensure_user(user_id)
        channel, _ = self.open_conversation([user_id])
        return channel.id

    def channel(self, channel_id: str) -> Channel:
        if channel_id not in self.channels:
            raise ApiError("channel_not_found")
        return self.channels[channel_id]

    def readable_channel(self, channel_id: str) -> Channel:
        """A conversation the bot can read or write: it must be a member."""
        channel = self.channel(channel_id)
        if self.identity.bot_user_id not in channel.members:
            raise ApiError("not_in_channel")
        return channel

    def resolve_target(self, target: str) -> Channel:
        """What chat.postMessage takes as ``channel``: an id, ``#name`` or a user id (their DM)."""
        if target[:1] in ("U", "W") and target in self.users:
            return self.channel(self.dm_channel_for(target))
        name = target.removeprefix("#")
        for channel in self.channels.values():
            if channel.id == target or (channel.name == name and not channel.is_dm):
                return self.readable_channel(channel.id)
        raise ApiError("channel_not_found")

    # ---- messages

    def messages(self, channel_id: str) -> list[StoredMessage]:
        return list(self._messages.get(channel_id, []))

    def find(self, channel_id: str, ts: str) -> StoredMessage:
        for message in self._messages.get(channel_id, []):
            if message.ts == ts:
                return message
        raise ApiError("message_not_found")

    def post(self, channel: Channel, author: str, content: NewMessage) -> StoredMessage:
        """Store a new message by ``author`` (the bot user or a person) and update its thread."""
        parent = self._thread_parent(channel.id, content.thread_ts)
        message = StoredMessage(
            channel=channel.id,
            ts=self.ids.next_ts(),
            text=content.text,
            user=author,
            team=self.identity.team_id,
            blocks=content.blocks,
            attachments=content.attachments,
            metadata=content.metadata,
        )
        if author == self.identity.bot_user_id:
            message.bot_id = self.identity.bot_id
            message.app_id = self.identity.app_id
        if parent is not None:
            self._attach_reply(parent, message, content.broadcast)
        self._messages[channel.id].append(message)
        return message

    def _thread_parent(self, channel_id: str, thread_ts: str | None) -> StoredMessage | None:
        if thread_ts is None:
            return None
        try:
            message = self.find(channel_id, thread_ts)
        except ApiError:
            raise ApiError("thread_not_found") from None
        if message.is_reply:
            return self.find(channel_id, message.thread_ts or "")
        return message

    def _attach_reply(self, parent: StoredMessage, reply: StoredMessage, broadcast: bool) -> None:
        reply.thread_ts = parent.ts
        reply.parent_user_id = parent.user
        if broadcast:
            reply.subtype = "thread_broadcast"
        parent.thread_ts = parent.ts
        parent.reply_count += 1
        parent.latest_reply = reply.ts
        if reply.user not in parent.reply_users:
            parent.reply_users.append(reply.user)

    def update(
        self, channel_id: str, ts: str, content: NewMessage, *, editor: str
    ) -> StoredMessage:
        message = self.find(channel_id, ts)
        if message.user != editor:
            raise ApiError("cant_update_message")
        message.text = content.text
        message.blocks = content.blocks
        message.attachments = content.attachments
        if content.metadata is not None:
            message.metadata = content.metadata
        message.edited = {"user": editor, "ts": self.ids.next_ts()}
        return message

    def delete(self, channel_id: str, ts: str) -> StoredMessage:
        """Remove a message; a parent with replies stays as a tombstone, as in Slack."""
        message = self.find(channel_id, ts)
        if message.reply_count:
            previous = replace(message)
            message.subtype, message.blocks = "tombstone", []
            message.text = "This message was deleted."
            return previous
        self._messages[channel_id].remove(message)
        if message.is_reply:
            self._detach_reply(message)
        return message

    def _detach_reply(self, reply: StoredMessage) -> None:
        parent = self.find(reply.channel, reply.thread_ts or "")
        replies = self.thread(reply.channel, parent.ts)[1:]
        parent.reply_count = len(replies)
        parent.latest_reply = replies[-1].ts if replies else None
        parent.reply_users = list(dict.fromkeys(r.user for r in replies))

    def thread(self, channel_id: str, ts: str) -> list[StoredMessage]:
        """The parent followed by its replies; ``ts`` may be the parent or any reply."""
        try:
            message = self.find(channel_id, ts)
        except ApiError:
            raise ApiError("thread_not_found") from None
        root = message.thread_ts if message.is_reply else message.ts
        return [
            m
            for m in self._messages[channel_id]
            if m.ts == root or (m.is_reply and m.thread_ts == root)
        ]

    def history(self, channel_id: str) -> list[StoredMessage]:
        """Messages shown in the channel itself, newest first, as conversations.history has them."""
        return [m for m in reversed(self._messages.get(channel_id, [])) if m.in_channel_history]

    def react(self, channel_id: str, ts: str, name: str, user: str) -> None:
        message = self.find(channel_id, ts)
        users = message.reactions.setdefault(name, [])
        if user in users:
            raise ApiError("already_reacted")
        users.append(user)

    # ---- ephemeral messages

    def add_ephemeral(self, ephemeral: Ephemeral) -> Ephemeral:
        self.ephemerals.append(ephemeral)
        return ephemeral

    def find_ephemeral(self, channel_id: str, ts: str) -> Ephemeral | None:
        for ephemeral in self.ephemerals:
            if ephemeral.channel == channel_id and ephemeral.ts == ts:
                return ephemeral
        return None
