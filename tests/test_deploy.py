"""The container and the service unit, checked from their text (no Docker daemon needed),
and the container's health check command run against a real bot.

Where a Docker daemon runs, ``docker build -t scrutiny-questions-bot .`` builds the image;
these tests hold wherever the suite runs.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.runtime import Runtime
from tests.paths import ROOT
from tests.test_cli_run import free_port
from tests.test_config import settings_read

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
UNIT = ROOT / "deploy" / "scrutiny-bot.service"
ROOT_USERS = {"root", "0", "0:0", "root:root"}


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def dockerfile() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text(encoding="utf-8"))


def docker_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in dockerfile():
        if keyword == "ENV":
            env.update(re.findall(r"([A-Z_]+)=(\S+)", rest))
    return env


def compose_environment() -> dict[str, str]:
    """``services.bot.environment`` of the compose file (a plain YAML mapping)."""
    text = COMPOSE.read_text(encoding="utf-8")
    block = text.split("    environment:\n", 1)[1]
    values = {}
    for line in block.splitlines():
        found = re.fullmatch(r"      ([A-Z_]+): \"?([^\"]*)\"?", line)
        if found is None:
            break
        values[found.group(1)] = found.group(2)
    return values


def unit_lines(key: str) -> list[str]:
    text = UNIT.read_text(encoding="utf-8")
    return re.findall(rf"^{key}=(.*)$", text, re.M)


def unit_environment() -> dict[str, str]:
    return dict(line.split("=", 1) for line in unit_lines("Environment"))


def healthcheck_command() -> list[str]:
    [rest] = [rest for keyword, rest in dockerfile() if keyword == "HEALTHCHECK"]
    command: list[str] = json.loads(rest.split(" CMD ", 1)[1])
    return command


def test_the_image_runs_as_a_user_other_than_root() -> None:
    users = [rest for keyword, rest in dockerfile() if keyword == "USER"]
    assert users, "the Dockerfile names no USER: the bot would run as root"
    assert users[-1] not in ROOT_USERS
    base = next(rest for keyword, rest in dockerfile() if keyword == "FROM")
    assert re.fullmatch(r"python:3\.(1[1-9])-slim.*", base), base


def test_the_data_lives_on_the_data_volume() -> None:
    volumes = [rest for keyword, rest in dockerfile() if keyword == "VOLUME"]
    assert volumes and "/data" in json.loads(volumes[0])
    env = docker_env()
    assert env["DATABASE_PATH"].startswith("/data/")
    assert env["BACKUP_DIR"].startswith("/data/")


def test_the_health_check_asks_healthz_on_the_health_port() -> None:
    env = docker_env()
    assert env["HEALTH_PORT"].isdigit()
    command = " ".join(healthcheck_command())
    assert "/healthz" in command and "HEALTH_PORT" in command
    assert "SLACK_APP_TOKEN" not in env  # a secret is never baked into the image


def test_the_image_serves_slack_by_default_and_takes_no_secrets() -> None:
    keywords = dict(dockerfile())
    assert json.loads(keywords["ENTRYPOINT"]) == ["python", "-m", "bot"]
    assert json.loads(keywords["CMD"]) == ["run"]
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignored[1] == "*"  # everything is left out but what is named after
    assert not [line for line in ignored if line.startswith("!") and ".env" in line]


def test_compose_and_the_unit_name_the_same_settings_as_the_image() -> None:
    image, compose, unit = docker_env(), compose_environment(), unit_environment()
    for name in ("DATABASE_PATH", "BACKUP_DIR", "HEALTH_PORT"):
        assert name in compose and name in unit, name
        assert compose[name] == image[name], name
    assert unit["HEALTH_PORT"] == image["HEALTH_PORT"]
    state = unit_lines("StateDirectory")[0]
    assert unit["DATABASE_PATH"].startswith(f"/var/lib/{state}/")
    assert unit["BACKUP_DIR"].startswith(f"/var/lib/{state}/")
    named = {n for n in [*image, *compose, *unit] if not n.startswith(("PYTHON", "PIP_"))}
    assert named <= settings_read()  # every one is a setting the bot reads
    assert "- scrutiny-data:/data" in COMPOSE.read_text(encoding="utf-8")


def test_the_unit_runs_unprivileged_restarts_and_is_hardened() -> None:
    assert unit_lines("User") and unit_lines("User")[0] not in ROOT_USERS
    assert unit_lines("Restart") == ["on-failure"]
    assert unit_lines("EnvironmentFile")
    assert unit_lines("ExecStart")[0].endswith("-m bot run")
    for key, value in (
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("StateDirectoryMode", "0700"),
        ("UMask", "0077"),
    ):
        assert unit_lines(key) == [value], key


async def run_health_check(port: int) -> tuple[int, str]:
    command = healthcheck_command()
    assert command[0] == "python"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command[1:],
        env={"HEALTH_PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_health_check_command_passes_and_fails_as_docker_needs(
    make_bot: Callable[..., Awaitable[Runtime]],
) -> None:
    bot = await make_bot(socket_mode=True, health_port=free_port())
    assert bot.health_port is not None
    assert await run_health_check(bot.health_port) == (0, "")
    await bot.stop()
    code, said = await run_health_check(bot.health_port)
    assert code == 1
    assert said.startswith("unhealthy: ") and said.count("\n") == 1


def test_the_readme_tells_how_to_deploy() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    deploying = readme.split("\n## Deploying\n", 1)[1].split("\n## ", 1)[0]
    for needed in ("docker build", "compose.yaml", "scrutiny-bot.service", "python -m bot check"):
        assert needed in deploying, needed
    assert Path(ROOT / "deploy").is_dir()
