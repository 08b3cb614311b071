"""Where the test inputs live: the project root and the fixtures committed under tests/fixtures."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SLACK_PAYLOADS = FIXTURES / "slack" / "payloads"
MANIFEST_SCHEMA = (
    FIXTURES / "slack" / "manifest" / "manifest-schema__schemas_manifest.schema.1.0.0.json"
)
MINUTES = FIXTURES / "council" / "minutes-2023-12-18-cyp-scrutiny-item4.txt"
