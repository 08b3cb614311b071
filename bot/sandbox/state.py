"""Everything the double knows, in one place shared by its endpoints and its helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox.faults import FaultPlan
from bot.sandbox.grants import ResponseUrlStore, TriggerStore
from bot.sandbox.ids import IdSource
from bot.sandbox.models import ApiCall, ResponsePost
from bot.sandbox.surfaces import ViewStore
from bot.sandbox.uploads import FileStore
from bot.sandbox.workspace import Identity, Workspace


@dataclass
class SandboxState:
    identity: Identity
    ids: IdSource
    bot_token: str
    workspace: Workspace
    views: ViewStore
    files: FileStore
    triggers: TriggerStore
    hooks: ResponseUrlStore
    faults: FaultPlan
    calls: list[ApiCall] = field(default_factory=list)
    responses: list[ResponsePost] = field(default_factory=list)
    socket_ids: set[str] = field(default_factory=set)
    granted_scopes: frozenset[str] = frozenset()
    """The bot token's scopes, sent as Slack does in each answer's ``x-oauth-scopes``."""
    root_url: str = ""
    """``http://127.0.0.1:PORT/`` once the server is listening."""

    @classmethod
    def create(
        cls,
        identity: Identity,
        ids: IdSource,
        bot_token: str,
        clock: Callable[[], float],
        trigger_ttl: float | None,
    ) -> SandboxState:
        return cls(
            identity=identity,
            ids=ids,
            bot_token=bot_token,
            workspace=Workspace(ids, identity),
            views=ViewStore(ids, identity),
            files=FileStore(ids),
            triggers=TriggerStore(ids, clock, trigger_ttl),
            hooks=ResponseUrlStore(ids),
            faults=FaultPlan(clock),
        )

    @property
    def ws_root_url(self) -> str:
        return "ws" + self.root_url.removeprefix("http")
