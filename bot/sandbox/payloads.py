"""Request bodies shaped like the ones Slack sends (see ``slack-samples/payloads/``)."""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.ids import IdSource
from bot.sandbox.models import Channel, JsonDict, StoredMessage, StoredView, User
from bot.sandbox.workspace import Identity


class PayloadFactory:
    def __init__(self, identity: Identity, ids: IdSource, verification_token: str) -> None:
        self._identity = identity
        self._ids = ids
        self._token = verification_token

    # ---- shared parts

    def user_ref(self, user: User) -> JsonDict:
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id}

    def team_ref(self) -> JsonDict:
        return {"id": self._identity.team_id, "domain": self._identity.team_domain}

    def _interaction(self, kind: str, user: User) -> JsonDict:
        return {
            "type": kind,
            "token": self._token,
            "api_app_id": self._identity.app_id,
            "team": self.team_ref(),
            "user": self.user_ref(user),
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # ---- slash commands

    def slash_command(
        self,
        *,
        command: str,
        text: str,
        user: User,
        channel: Channel,
        response_url: str,
        trigger_id: str,
    ) -> dict[str, str]:
        """The form fields of a slash command request, in Slack's order."""
        return {
            "token": self._token,
            "team_id": self._identity.team_id,
            "team_domain": self._identity.team_domain,
            "channel_id": channel.id,
            "channel_name": channel.name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self._identity.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }

    # ---- Events API

    def event_callback(self, event: JsonDict, event_id: str) -> JsonDict:
        """Wrap an event as Slack's Events API does."""
        event = dict(event)
        event.setdefault("event_ts", event.get("ts") or self._ids.next_ts())
        return {
            "token": self._token,
            "team_id": self._identity.team_id,
            "api_app_id": self._identity.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(float(event["event_ts"])),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self._identity.team_id,
                    "user_id": self._identity.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "-".join(
                ["1", str(event.get("type")), self._identity.team_id, str(event.get("channel"))]
            ),
        }

    def message_event(self, message: StoredMessage, channel: Channel) -> JsonDict:
        event = message.to_slack()
        for key in ("reply_count", "reply_users", "reply_users_count", "latest_reply", "is_locked"):
            event.pop(key, None)
        if not message.is_reply:
            event.pop("thread_ts", None)
        event.update({"channel": channel.id, "event_ts": message.ts, "channel_type": channel.kind})
        return event

    def message_changed_event(
        self, current: StoredMessage, previous: StoredMessage, channel: Channel
    ) -> JsonDict:
        """An edit (or a thread summary change): ``message`` now, ``previous_message`` before."""
        ts = self._ids.next_ts()
        return {
            "type": "message",
            "subtype": "message_changed",
            "message": current.to_slack(),
            "previous_message": previous.to_slack(),
            "channel": channel.id,
            "hidden": True,
            "ts": ts,
            "event_ts": ts,
            "channel_type": channel.kind,
        }

    def message_deleted_event(self, previous: StoredMessage, channel: Channel) -> JsonDict:
        ts = self._ids.next_ts()
        return {
            "type": "message",
            "subtype": "message_deleted",
            "previous_message": previous.to_slack(),
            "channel": channel.id,
            "hidden": True,
            "deleted_ts": previous.ts,
            "event_ts": ts,
            "ts": ts,
            "channel_type": channel.kind,
        }

    def app_home_opened_event(
        self, user: User, dm: Channel, tab: str, view: StoredView | None
    ) -> JsonDict:
        event: JsonDict = {
            "type": "app_home_opened",
            "user": user.id,
            "channel": dm.id,
            "tab": tab,
            "event_ts": self._ids.next_ts(),
        }
        if view is not None:
            event["view"] = copy.deepcopy(view.data)
        return event

    # ---- interactivity

    def block_actions_on_message(
        self,
        user: User,
        channel: Channel,
        message: JsonDict | None,
        message_ts: str,
        action: JsonDict,
        *,
        trigger_id: str,
        response_url: str,
    ) -> JsonDict:
        """A click in a message; ``message`` is None for an ephemeral message, as in Slack."""
        payload = self._interaction("block_actions", user)
        payload.update(
            {
                "container": {
                    "type": "message",
                    "message_ts": message_ts,
                    "channel_id": channel.id,
                    "is_ephemeral": message is None,
                },
                "trigger_id": trigger_id,
                "channel": {"id": channel.id, "name": channel.name},
                "state": {"values": {}},
                "response_url": response_url,
                "actions": [action],
            }
        )
        if message is not None:
            payload["message"] = message
        return payload

    def block_actions_in_view(
        self, user: User, view: StoredView, action: JsonDict, *, trigger_id: str
    ) -> JsonDict:
        payload = self._interaction("block_actions", user)
        payload.update(
            {
                "container": {"type": "view", "view_id": view.id},
                "trigger_id": trigger_id,
                "view": copy.deepcopy(view.data),
                "actions": [action],
            }
        )
        return payload

    def view_submission(self, user: User, view: StoredView, *, trigger_id: str) -> JsonDict:
        payload = self._interaction("view_submission", user)
        payload.update(
            {"trigger_id": trigger_id, "view": copy.deepcopy(view.data), "response_urls": []}
        )
        return payload

    def view_closed(self, user: User, view: StoredView) -> JsonDict:
        payload = self._interaction("view_closed", user)
        payload.update({"view": copy.deepcopy(view.data), "is_cleared": False})
        return payload

    def message_action(
        self,
        user: User,
        callback_id: str,
        channel: Channel,
        message: StoredMessage,
        *,
        trigger_id: str,
        response_url: str,
    ) -> JsonDict:
        payload = self._interaction("message_action", user)
        payload.update(
            {
                "action_ts": self._ids.next_ts(),
                "callback_id": callback_id,
                "trigger_id": trigger_id,
                "channel": {"id": channel.id, "name": channel.name},
                "message_ts": message.ts,
                "message": message.to_slack(),
                "response_url": response_url,
            }
        )
        return payload

    def global_shortcut(self, user: User, callback_id: str, *, trigger_id: str) -> JsonDict:
        payload = self._interaction("shortcut", user)
        payload.update(
            {"action_ts": self._ids.next_ts(), "callback_id": callback_id, "trigger_id": trigger_id}
        )
        return payload

    def action(self, block: JsonDict, element: JsonDict, selection: JsonDict | None) -> JsonDict:
        """One entry of ``actions``: the element clicked, plus what was chosen for selects."""
        action: JsonDict = {
            "type": element.get("type"),
            "action_id": element.get("action_id"),
            "block_id": block.get("block_id"),
            "action_ts": self._ids.next_ts(),
        }
        for key in ("text", "value", "style"):
            if key in element:
                action[key] = copy.deepcopy(element[key])
        if selection is not None:
            action.update({k: v for k, v in selection.items() if k != "type"})
        return action


def user_message_blocks(text: str, ids: IdSource) -> list[JsonDict]:
    """The rich_text block Slack's clients attach to what a person types."""
    section: Any = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": ids.short("rich")[:4], "elements": [section]}]
