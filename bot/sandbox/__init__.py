"""A loopback Slack for tests and demos: see :class:`SlackDouble`.

Typical use::

    async with SlackDouble(signing_secret="secret") as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        app = AsyncApp(client=client, signing_secret=slack.signing_secret)
        async with serving_http(app, slack):          # or connected_socket_mode(app, slack)
            posted = await slack.post_user_message(slack.dm_channel_for("U1"), "U1", "Hello")
            await slack.wait_for(lambda: slack.dm_messages("U1")[1:])
"""

from bot.sandbox.double import GENERAL_CHANNEL_ID, SlackDouble, Target
from bot.sandbox.harness import connected_socket_mode, serving_http
from bot.sandbox.models import (
    ApiCall,
    Channel,
    DeliveryResult,
    Ephemeral,
    ResponsePost,
    StoredFile,
    StoredMessage,
    StoredView,
    User,
)

__all__ = [
    "GENERAL_CHANNEL_ID",
    "ApiCall",
    "Channel",
    "DeliveryResult",
    "Ephemeral",
    "ResponsePost",
    "SlackDouble",
    "StoredFile",
    "StoredMessage",
    "StoredView",
    "Target",
    "User",
    "connected_socket_mode",
    "serving_http",
]
