"""Settings are validated at start-up; a bad one stops the bot with one clear line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import time
from pathlib import Path

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
        ({"BACKUP_KEEP": "0"}, "BACKUP_KEEP"),
        ({"BACKUP_DIR": str(ROOT / "pyproject.toml")}, "BACKUP_DIR"),
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


def settings_read() -> set[str]:
    """Every setting bot/config.py reads from the environment."""
    source = (ROOT / "bot" / "config.py").read_text()
    return set(
        re.findall(
            r'(?:_get|_required|_flag|_channel|_whole_number)\(\s*env,\s*"([A-Z_]+)"', source
        )
    )


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented == settings_read()
    # And the example itself is a valid configuration.
    values = dict(re.findall(r"^([A-Z_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.M))
    settings_from_env(values)


def test_the_readme_settings_table_names_every_setting_and_nothing_else() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    named = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split(" | ")[0])}
    assert named == settings_read()


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


def test_publish_dir_is_a_folder_or_nothing() -> None:
    assert settings_from_env(GOOD).publish_dir is None
    assert settings_from_env({**GOOD, "PUBLISH_DIR": " "}).publish_dir is None
    chosen = settings_from_env({**GOOD, "PUBLISH_DIR": " /srv/open-data "})
    assert chosen.publish_dir == Path("/srv/open-data")


MANY = {"SLACK_CLIENT_ID": "1234567890.987654321", "SLACK_CLIENT_SECRET": "client-secret"}


def test_many_workspaces_need_no_bot_token() -> None:
    s = settings_from_env({"SLACK_SIGNING_SECRET": "secret", **MANY})
    assert s.many_workspaces and s.slack_bot_token is None
    assert not settings_from_env(GOOD).many_workspaces


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_CLIENT_ID": "1234567890.987654321"}, "SLACK_CLIENT_SECRET is not set"),
        ({"SLACK_CLIENT_SECRET": "x"}, "SLACK_CLIENT_ID is not set"),
        ({**MANY, "SLACK_CLIENT_ID": "my-app"}, "SLACK_CLIENT_ID='my-app' is not a client id"),
        ({**MANY, "SLACK_APP_TOKEN": "xapp-1-A-1-x"}, "leave SLACK_APP_TOKEN empty"),
    ],
)
def test_a_half_or_wrong_oauth_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        settings_from_env({"SLACK_SIGNING_SECRET": "secret", **env})


def test_a_workspaces_own_settings_lie_over_the_environments() -> None:
    base = settings_from_env({**GOOD, "TIMEZONE": "Europe/London", "CONTACT_NAME": "Jo"})
    own = base.for_workspace({"TIMEZONE": "Europe/Dublin", "CHASE_LADDER": "sent,due"})
    assert (own.timezone, own.contact_name) == ("Europe/Dublin", "Jo")
    assert own.chase.before_due == () and base.chase.before_due == (5, 2)
    assert own.slack_bot_token == base.slack_bot_token
    with pytest.raises(ConfigError, match="TIMEZONE='Mars/Olympus'"):
        base.for_workspace({"TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="DATABASE_URL is not a setting a workspace"):
        base.for_workspace({"DATABASE_URL": "postgresql://elsewhere/db"})


def test_the_nightly_backup_of_one_file_is_refused_for_many_workspaces() -> None:
    with pytest.raises(ConfigError, match="BACKUP_DIR copies one SQLite file"):
        settings_from_env({"SLACK_SIGNING_SECRET": "s", **MANY, "BACKUP_DIR": "backups"})
