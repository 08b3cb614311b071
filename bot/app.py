"""Build the Bolt app: client with retry handlers, middleware, handlers, error handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from handlers import register_handlers

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store.async_installation_store import (
        AsyncInstallationStore,
    )
    from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

    from bot.workspaces import Workspaces

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


@dataclass(frozen=True)
class Installing:
    """What the OAuth flow needs when the bot is installed in many workspaces."""

    installations: AsyncInstallationStore
    states: AsyncOAuthStateStore
    installed: Callable[[str], Awaitable[None]]
    """Told the team id of each workspace just installed (to serve it at once)."""


def create_app(
    settings: Settings,
    workspaces: Workspaces,
    client: AsyncWebClient,
    installation: Installing | None = None,
) -> AsyncApp:
    """The real Bolt app with every listener registered; with ``installation``, Slack's
    OAuth flow too (``/slack/install``, ``/slack/oauth_redirect``), each request
    authorised with its own workspace's bot token."""
    bolt_logger = logging.getLogger("bot.slack")
    if not any(isinstance(f, TidyBoltLog) for f in bolt_logger.filters):
        bolt_logger.addFilter(TidyBoltLog())
    oauth: dict[str, Any] = {}
    if installation is not None:
        oauth = oauth_parts(settings, client, installation, bolt_logger)
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret,
        logger=bolt_logger,
        # No AI-assistant surface: Bolt's assistant helpers would only fail on odd events.
        attaching_conversation_kwargs_enabled=False,
        **oauth,
    )
    register_handlers(app, workspaces)
    return app


def oauth_parts(
    settings: Settings, client: AsyncWebClient, installation: Installing, log: logging.Logger
) -> dict[str, Any]:
    """Bolt's OAuth settings and authorisation for many workspaces."""
    from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
    from slack_bolt.oauth.async_callback_options import (
        AsyncCallbackOptions,
        AsyncFailureArgs,
        AsyncSuccessArgs,
    )
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

    from bot.manifest import bot_scopes

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        team_id = args.installation.team_id
        if team_id:
            await installation.installed(team_id)
        return await args.default.success(args)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        log.warning("an installation did not complete: %s", args.reason)
        return await args.default.failure(args)

    return {
        "oauth_settings": AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=sorted(bot_scopes()),
            installation_store=installation.installations,
            installation_store_bot_only=True,
            state_store=installation.states,
            callback_options=AsyncCallbackOptions(success=success, failure=failure),
            logger=log,
        ),
        # auth.test once per workspace's token, not on every request.
        "authorize": AsyncInstallationStoreAuthorize(
            installation_store=installation.installations,
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            logger=log,
            bot_only=True,
            cache_enabled=True,
            client=client,
        ),
        "installation_store": installation.installations,
        "installation_store_bot_only": True,
    }


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
