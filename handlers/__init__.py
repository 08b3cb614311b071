"""Slack listeners, one module per surface, all registered from here."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.workspaces import Workspaces
from handlers import (
    actions,
    commands,
    errors,
    events,
    fallback,
    home,
    installs,
    intake,
    middleware,
    setup,
)

# What the bot listens to; the app manifest must declare exactly these (tests check it).
SLASH_COMMANDS = ("/agenda", "/question")
MESSAGE_SHORTCUTS = ("log_scrutiny_question",)
EVENTS = (
    "app_home_opened",
    "app_uninstalled",
    "message.channels",
    "message.groups",
    "message.im",
    "tokens_revoked",
)


def register_handlers(app: AsyncApp, workspaces: Workspaces) -> None:
    middleware.register(app, workspaces)
    events.register(app)
    installs.register(app, workspaces)
    errors.register(app)
    commands.register(app)
    intake.register(app)
    actions.register(app)
    home.register(app)
    setup.register(app)
    fallback.register(app)
