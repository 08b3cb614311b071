"""The Slack app manifest kept with the code (``manifest.json``): what the app asks Slack for.

Read by ``python -m bot check`` (are the token's scopes the ones the manifest asks for?) and
by the Slack double (a workspace grants what the manifest asks for when the app is installed).
"""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST_PATH = Path(__file__).resolve().parents[1] / "manifest.json"


class ManifestUnreadable(Exception):
    """The manifest is missing or malformed: one line saying which."""


def bot_scopes(path: Path = MANIFEST_PATH) -> frozenset[str]:
    """The bot scopes the manifest asks for (``oauth_config.scopes.bot``)."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        scopes = manifest["oauth_config"]["scopes"]["bot"]
    except OSError as error:
        raise ManifestUnreadable(f"cannot read {path}: {error.strerror or error}") from None
    except (ValueError, KeyError, TypeError):
        raise ManifestUnreadable(f"{path} has no oauth_config.scopes.bot list") from None
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ManifestUnreadable(f"{path} has no oauth_config.scopes.bot list")
    return frozenset(scopes)
