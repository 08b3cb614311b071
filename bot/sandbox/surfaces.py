"""Modals and Home tabs: the views the bot opens, pushes, updates and publishes."""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.blockkit import with_generated_ids
from bot.sandbox.ids import IdSource
from bot.sandbox.models import ApiError, JsonDict, StoredView
from bot.sandbox.workspace import Identity

_COPIED_FIELDS = (
    "type",
    "title",
    "submit",
    "close",
    "callback_id",
    "private_metadata",
    "external_id",
)


class ViewStore:
    def __init__(self, ids: IdSource, identity: Identity) -> None:
        self._ids = ids
        self._identity = identity
        self._views: dict[str, StoredView] = {}
        self._homes: dict[str, str] = {}
        self.opened: list[StoredView] = []

    def get(self, view_id: str) -> StoredView:
        if view_id not in self._views:
            raise ApiError("not_found")
        return self._views[view_id]

    def by_external_id(self, external_id: str) -> StoredView:
        for view in self._views.values():
            if view.external_id == external_id:
                return view
        raise ApiError("not_found")

    def stack(self, user_id: str) -> list[StoredView]:
        """The user's open modals, the root first."""
        return [v for v in self.opened if v.user_id == user_id and not v.closed]

    def home(self, user_id: str) -> StoredView | None:
        view_id = self._homes.get(user_id)
        return self._views[view_id] if view_id else None

    def open(self, user_id: str, view: JsonDict, *, pushed: bool = False) -> StoredView:
        """A new modal: the root of a stack, or pushed on top of the user's open modal."""
        self._check_external_id(view)
        stack = self.stack(user_id)
        if pushed and not stack:
            raise ApiError("not_found", messages=("no open modal to push onto",))
        view_id = self._ids.next_id("V")
        previous = stack[-1] if pushed else None
        root_id = stack[0].id if pushed else view_id
        data = self._build(
            view_id, view, root_id=root_id, previous_id=previous.id if previous else None
        )
        stored = StoredView(id=view_id, user_id=user_id, data=data)
        self._views[view_id] = stored
        self.opened.append(stored)
        return stored

    def update(self, target: StoredView, view: JsonDict, expected_hash: str | None) -> StoredView:
        if expected_hash is not None and expected_hash != target.hash:
            raise ApiError("hash_conflict")
        if target.closed:
            raise ApiError("not_found", messages=("the view is closed",))
        data = self._build(
            target.id,
            view,
            root_id=target.data["root_view_id"],
            previous_id=target.data.get("previous_view_id"),
        )
        target.data = data
        return target

    def publish(self, user_id: str, view: JsonDict, expected_hash: str | None) -> StoredView:
        if view.get("type") != "home":
            raise ApiError(
                "invalid_arguments", messages=("views.publish needs a view of type home",)
            )
        current = self.home(user_id)
        if current is not None:
            return self.update(current, view, expected_hash)
        view_id = self._ids.next_id("V")
        stored = StoredView(
            id=view_id, user_id=user_id, data=self._build(view_id, view, root_id=view_id)
        )
        self._views[view_id] = stored
        self._homes[user_id] = view_id
        return stored

    def close(self, view: StoredView) -> None:
        view.closed = True

    def clear(self, user_id: str) -> None:
        for view in self.stack(user_id):
            view.closed = True

    def set_state(self, view: StoredView, block_id: str, action_id: str, state: JsonDict) -> None:
        view.state_values.setdefault(block_id, {})[action_id] = state

    def _check_external_id(self, view: JsonDict) -> None:
        external_id = view.get("external_id")
        if external_id and any(v.external_id == external_id for v in self._views.values()):
            raise ApiError("duplicate_external_id")

    def _build(
        self, view_id: str, view: JsonDict, *, root_id: str, previous_id: str | None = None
    ) -> JsonDict:
        """The full view object Slack returns, with ids, hash and an empty state."""
        data: JsonDict = {k: copy.deepcopy(view.get(k)) for k in _COPIED_FIELDS}
        data.update(
            {
                "id": view_id,
                "team_id": self._identity.team_id,
                "app_id": self._identity.app_id,
                "bot_id": self._identity.bot_id,
                "app_installed_team_id": self._identity.team_id,
                "blocks": with_generated_ids(view.get("blocks") or [], self._ids),
                "state": {"values": {}},
                "hash": self._ids.view_hash(),
                "clear_on_close": bool(view.get("clear_on_close", False)),
                "notify_on_close": bool(view.get("notify_on_close", False)),
                "root_view_id": root_id,
                "previous_view_id": previous_id,
            }
        )
        for key in ("callback_id", "private_metadata", "external_id"):
            data[key] = data[key] or ""
        return data


def view_argument(value: Any) -> JsonDict:
    """The ``view`` argument as an object (form bodies carry it as a JSON string)."""
    if not isinstance(value, dict):
        raise ApiError("invalid_arguments", messages=("view must be a JSON object",))
    return value
