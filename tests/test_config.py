"""Settings are validated at start-up; a bad one stops the bot with one clear line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import time

import pytest

from bot.config import ConfigError, settings_from_env
from tests.paths import ROOT

GOOD = {"SLACK_BOT_TOKEN": "xoxb-123", "SLACK_SIGNING_SECRET": "secret"}


def test_defaults() -> None:
    s = settings_from_env(GOOD)
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.port == 3000
    assert s.database_path == "data/scrutiny.db"
    assert s.timezone == "Europe/London"
    assert s.clerk_user_ids == frozenset()
    assert not s.socket_mode
    assert s.triage_required
    assert s.clerks_channel is None and s.responses_channel is None
    assert (s.answer_due_working_days, s.very_overdue_after_working_days) == (3, 5)
    assert s.chase.before_due == (5, 2) and s.chase.overdue_every == 2
    assert (s.chase.working_hours.start, s.chase.working_hours.end) == (time(9, 30), time(17))


def test_everything_set() -> None:
    s = settings_from_env(
        GOOD
        | {
            "SLACK_APP_TOKEN": "xapp-1-A-1-x",
            "SLACK_API_URL": "http://127.0.0.1:9999/api",
            "PORT": "8080",
            "DATABASE_PATH": "/tmp/x.db",
            "CLERK_USER_IDS": "U012AB3CD, W045EF6GH",
            "TIMEZONE": "Europe/Dublin",
            "TRIAGE_REQUIRED": "no",
            "CLERKS_CHANNEL": "C0CLERKS",
            "RESPONSES_CHANNEL": "G0ANSWERS",
            "ANSWER_DUE_WORKING_DAYS": "4",
            "VERY_OVERDUE_AFTER": "10",
        }
    )
    assert not s.triage_required
    assert (s.clerks_channel, s.responses_channel) == ("C0CLERKS", "G0ANSWERS")
    assert (s.answer_due_working_days, s.very_overdue_after_working_days) == (4, 10)
    assert s.socket_mode
    assert s.slack_api_url == "http://127.0.0.1:9999/api/"
    assert s.port == 8080
    assert s.clerk_user_ids == {"U012AB3CD", "W045EF6GH"}
    assert s.tz.key == "Europe/Dublin"


def test_settings_are_frozen() -> None:
    s = settings_from_env(GOOD)
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": "  "}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"CLERK_USER_IDS": "U012AB3CD,@clerk"}, "CLERK_USER_IDS"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"TRIAGE_REQUIRED": "maybe"}, "TRIAGE_REQUIRED"),
        ({"CLERKS_CHANNEL": "#clerks"}, "CLERKS_CHANNEL"),
        ({"RESPONSES_CHANNEL": "U012AB3CD"}, "RESPONSES_CHANNEL"),
        ({"ANSWER_DUE_WORKING_DAYS": "-1"}, "ANSWER_DUE_WORKING_DAYS"),
        ({"VERY_OVERDUE_AFTER": "soon"}, "VERY_OVERDUE_AFTER"),
        ({"WORKING_HOURS": "9 to 5"}, "WORKING_HOURS"),
        ({"CHASE_LADDER": "sent,sometimes"}, "CHASE_LADDER"),
    ],
)
def test_bad_setting_names_itself(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_env(GOOD | change)
    message = str(info.value)
    assert message.startswith(named)
    assert "\n" not in message


def test_database_path_that_is_a_folder(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="DATABASE_PATH"):
        settings_from_env(GOOD | {"DATABASE_PATH": str(tmp_path)})


def test_start_up_with_a_missing_setting_prints_one_line_and_no_traceback(tmp_path: object) -> None:
    env = {"PATH": "/usr/bin:/bin", "SLACK_SIGNING_SECRET": "s"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", os.devnull, "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[-1]]
    assert lines[0].startswith("Configuration error: SLACK_BOT_TOKEN is not set")
    assert "Traceback" not in result.stderr


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    source = (ROOT / "bot" / "config.py").read_text()
    read = set(
        re.findall(
            r'(?:_get|_required|_flag|_channel|_whole_number)\(\s*env,\s*"([A-Z_]+)"', source
        )
    )
    assert documented == read
    # And the example itself is a valid configuration.
    values = dict(re.findall(r"^([A-Z_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.M))
    settings_from_env(values)


def test_the_readme_settings_table_lists_every_setting_and_nothing_else() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z_]+)`", cell)}
    source = (ROOT / "bot" / "config.py").read_text()
    read = set(
        re.findall(
            r'(?:_get|_required|_flag|_channel|_whole_number)\(\s*env,\s*"([A-Z_]+)"', source
        )
    )
    assert documented == read


def test_the_title_block_settings_are_checked() -> None:
    from bot.config import ConfigError, pack_from_env

    pack = pack_from_env(
        {
            "AGENDA_ITEM_NUMBER": "7a",
            "CONTACT_NAME": "Jo Clerk",
            "CONTACT_EMAIL": "jo@hackney.gov.uk",
        }
    )
    assert (pack.item_number, pack.contact_name, pack.contact_email) == (
        "7a",
        "Jo Clerk",
        "jo@hackney.gov.uk",
    )
    with pytest.raises(ConfigError, match="AGENDA_ITEM_NUMBER"):
        pack_from_env({"AGENDA_ITEM_NUMBER": "seven"})
    with pytest.raises(ConfigError, match="CONTACT_EMAIL"):
        pack_from_env({"CONTACT_EMAIL": "jo at hackney"})
