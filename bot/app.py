"""Build the Bolt app: client with retry handlers, middleware, handlers, error handler."""

from __future__ import annotations

import logging

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
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
    bolt_logger = logging.getLogger("bot.slack")
    if not any(isinstance(f, TidyBoltLog) for f in bolt_logger.filters):
        bolt_logger.addFilter(TidyBoltLog())
    app = AsyncApp(
        client=client or create_web_client(settings),
        signing_secret=settings.slack_signing_secret,
        logger=bolt_logger,
        # No AI-assistant surface: Bolt's assistant helpers would only fail on odd events.
        attaching_conversation_kwargs_enabled=False,
    )
    register_handlers(app, services, inbox)
    return app


class TidyBoltLog(logging.Filter):
    """Bolt's log, one line per record and without its noise.

    Bolt reads SLACK_BOT_TOKEN from the environment too and warns that the client's token wins:
    it is the same token. Its warning about a request no listener took ends with a suggested
    listener in code; the first line says what came in.
    """

    NOISE = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message == self.NOISE:
            return False
        if "\n" in message and not record.exc_info:
            record.msg, record.args = message.split("\n", 1)[0], None
        return True
