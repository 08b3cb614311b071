"""Slack's per-method rate-limit tiers, for the Web API methods the double serves.

The tier of each method is copied from ``rate_limit_tiers.json`` in the project's Slack samples
(itself taken from slackapi/java-slack-sdk's method metadata); the calls per minute of each tier
are those Slack documents ("Tier 2: 20+ per minute", "Tier 3: 50+", "Tier 4: 100+"). Limits
apply per method, per workspace, per app. ``chat.postMessage`` has a special tier: about one
message a second per channel, modelled by the double's per-channel limit instead.
"""

from __future__ import annotations

PER_MINUTE = {"Tier1": 1, "Tier2": 20, "Tier3": 50, "Tier4": 100}
"""Calls a minute each tier allows."""

METHOD_TIERS = {
    "apps.connections.open": "Tier1",
    "auth.test": "SpecialTier_auth_test",
    "chat.delete": "Tier3",
    "chat.getPermalink": "SpecialTier_chat_getPermalink",
    "chat.postEphemeral": "Tier4",
    "chat.postMessage": "SpecialTier_chat_postMessage",
    "chat.update": "Tier3",
    "conversations.history": "Tier3",
    "conversations.info": "Tier3",
    "conversations.open": "Tier3",
    "conversations.replies": "Tier3",
    "files.completeUploadExternal": "Tier4",
    "files.getUploadURLExternal": "Tier4",
    "reactions.add": "Tier3",
    "users.info": "Tier4",
    "views.open": "Tier4",
    "views.publish": "Tier4",
    "views.push": "Tier4",
    "views.update": "Tier4",
}
"""Tier of each method the double serves (special tiers are not limited per method)."""


def calls_per_minute(method: str) -> int | None:
    """The method's limit in calls a minute, or None for special tiers and unknown methods."""
    return PER_MINUTE.get(METHOD_TIERS.get(method, ""))
