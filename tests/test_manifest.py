"""The app manifest is valid for Slack and declares everything the bot listens to."""

from __future__ import annotations

import json

import jsonschema

from handlers import EVENTS, MESSAGE_SHORTCUTS, SLASH_COMMANDS
from tests.paths import MANIFEST_SCHEMA, ROOT

SCHEMA = MANIFEST_SCHEMA
SCOPES_NEEDED = {
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "channels:history",
    "groups:history",
    "users:read",
    "files:write",
    "reactions:write",
}


def load_manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text())


def test_manifest_validates_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(load_manifest(), schema)


def test_schema_rejects_a_broken_manifest() -> None:
    """The check above can fail: a manifest with a bad command name is refused."""
    schema = json.loads(SCHEMA.read_text())
    broken = load_manifest()
    broken["features"]["slash_commands"][0]["command"] = "question"
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(broken))
    assert errors


def test_manifest_declares_every_command_shortcut_and_event() -> None:
    manifest = load_manifest()
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    shortcuts = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert commands == set(SLASH_COMMANDS)
    assert shortcuts == set(MESSAGE_SHORTCUTS)
    assert events == set(EVENTS)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES_NEEDED
