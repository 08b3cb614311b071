"""Build the Bolt app: client with retry handlers, middleware, handlers, error handler."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.services import Services
from handlers import register_handlers

logger = logging.getLogger(__name__)


def create_web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client that waits out 429s and retries 5xx and dropped connections."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(services: Services, client: AsyncWebClient | None = None) -> AsyncApp:
    """The real Bolt app with every listener registered."""
    settings = services.settings
    bolt_logger = logging.getLogger("bot.slack")
    # Bolt also reads SLACK_BOT_TOKEN from the environment and warns that the client's token
    # wins: it is the same token, so that line is noise.
    quiet = DropMessage(warning_client_prioritized_and_token_skipped())
    bolt_logger.addFilter(quiet)
    try:
        app = AsyncApp(
            client=client or create_web_client(settings),
            signing_secret=settings.slack_signing_secret,
            logger=bolt_logger,
            # No AI-assistant surface: Bolt's assistant helpers would only fail on odd events.
            attaching_conversation_kwargs_enabled=False,
        )
    finally:
        bolt_logger.removeFilter(quiet)
    register_handlers(app, services)
    return app


class DropMessage(logging.Filter):
    """Drops log records whose message is exactly ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message
