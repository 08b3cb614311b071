"""The app uninstalled from a workspace, or its bot token revoked: stop serving it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.workspaces import Workspaces


def register(app: AsyncApp, workspaces: Workspaces) -> None:
    @app.event("app_uninstalled")
    async def uninstalled(context: AsyncBoltContext) -> None:
        await workspaces.uninstalled(context.team_id, "the app was uninstalled")

    @app.event("tokens_revoked")
    async def revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if (event.get("tokens") or {}).get("bot"):
            await workspaces.uninstalled(context.team_id, "its bot token was revoked")
