"""Slack listeners, one module per surface, all registered from here."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.inbox import Inbox
from bot.services import Services
from handlers import (
    actions,
    commands,
    errors,
    events,
    fallback,
    home,
    intake,
    middleware,
    setup,
)

# What the bot listens to; the app manifest must declare exactly these (tests check it).
SLASH_COMMANDS = ("/agenda", "/question")
MESSAGE_SHORTCUTS = ("log_scrutiny_question",)
EVENTS = ("app_home_opened", "message.channels", "message.groups", "message.im")


def register_handlers(app: AsyncApp, services: Services, inbox: Inbox) -> None:
    middleware.register(app, services)
    events.register(app, inbox)
    errors.register(app)
    commands.register(app)
    intake.register(app)
    actions.register(app)
    home.register(app)
    setup.register(app)
    fallback.register(app)
