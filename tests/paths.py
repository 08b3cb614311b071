"""Where the test inputs live: the project root and the shared samples beside it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "slack-samples"
FIXTURES = SHARED / "fixtures"

if not SAMPLES.is_dir():
    raise RuntimeError(
        f"Slack samples not found at {SAMPLES}: "
        "the tests need the shared/ folder beside the project"
    )
