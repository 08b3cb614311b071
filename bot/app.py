"""Build the Bolt app: client with retry handlers, middleware, handlers, error handler."""

from __future__ import annotations

import logging

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.inbox import Inbox
from bot.services import Services
from handlers import register_handlers

logger = logging.getLogger(__name__)


def create_web_client(
    settings: Settings, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A Web API client that waits out 429s and retries 5xx and dropped connections.

    With ``session``, every call reuses its pooled connections (the running bot's case);
    without, each call opens its own (fine for one command-line sweep).
    """
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(services: Services, inbox: Inbox, client: AsyncWebClient | None = None) -> AsyncApp:
    """The real Bolt app with every listener registered."""
    settings = services.settings
    app = AsyncApp(
        client=client or create_web_client(settings),
        signing_secret=settings.slack_signing_secret,
        logger=logging.getLogger("bot.slack"),
    )
    register_handlers(app, services, inbox)
    return app
