"""One person, Zebedee, in every table that can hold a person: for the subject access and
erasure tests (storage and command line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.core.lifecycle import draft_question
from bot.core.models import Asker, MessageRef, OnBehalfOf, Question, SharedFile
from bot.core.permissions import Actor
from storage.inbox import Incoming
from storage.installations import InstallationStore, WorkspaceSettings
from tests.storage.storage_support import ASKER, CLERK, DEPUTY, NOW, OFFICER, Seeded, route_and_send

ZEB = "UZEBEDEE7"
ZEB_NAME = "Zebedee Quillfeather"
CHANNEL = "C0RESPONSE"
OPERATOR = "cli:Jo Clerk"
TEAM = "T0HACKNEY"
ZEB_TOKEN = "xoxp-zebedee-own-token"
BOT_TOKEN = "xoxb-hackney-bot-token"


@dataclass(frozen=True)
class Record:
    seeded: Seeded
    own: Question
    mentioning: Question


async def record_of_zebedee(seeded: Seeded) -> Record:
    """Zebedee as a member, a clerk for a while, a deputy who answered, and someone mentioned
    and named in other people's words: in every table that can hold a person."""
    repos = seeded.repos
    zeb = Actor(ZEB)
    await repos.people.remember_names({ZEB: ZEB_NAME, OFFICER.user_id: "Dana Director"}, NOW)
    await repos.people.remember_dm_channels({ZEB: "D0ZEBDM01"}, NOW)
    await repos.people.add_member(ZEB, False, CLERK, NOW)
    await repos.people.set_clerk(CLERK.user_id, True, CLERK, NOW)
    await repos.people.set_clerk(ZEB, True, CLERK, NOW)
    as_clerk = Actor(ZEB, is_clerk=True)
    await repos.pending_imports.save(ZEB, f"4.1 Pasted by {ZEB_NAME}", NOW)
    await repos.closure_days.add(date(2026, 5, 5), f"Training run by {ZEB_NAME}", as_clerk, NOW)
    await repos.people.set_clerk(ZEB, False, CLERK, NOW)

    own = await repos.questions.create(
        draft_question(
            zeb,
            source_meeting_id=seeded.source.id,
            agenda_item="4",
            asker=Asker(OnBehalfOf.MEMBER, ZEB_NAME),
            text="What is the waiting time for CAMHS?",
        ),
        NOW,
    )
    mentioning = await repos.questions.create(
        draft_question(
            ASKER,
            source_meeting_id=seeded.source.id,
            agenda_item="4",
            asker=Asker(OnBehalfOf.COMMISSION),
            text=f"Will <@{ZEB}> ({ZEB_NAME}) report back on the audit?",
        ),
        NOW,
    )
    await repos.officers.set_deputy("DCSC", ZEB, CLERK, NOW)
    await route_and_send(seeded, own)
    await route_and_send(seeded, mentioning)
    deputy = Actor(ZEB, deputy_for=frozenset({"DCSC"}))
    reply = MessageRef(CHANNEL, "1776679200.000100")
    await repos.answers.add_part(own.id, reply, "Waiting times are 12 weeks.", deputy, NOW)
    later = NOW + timedelta(minutes=5)
    await repos.answers.edit_part(reply, "Waiting times are 11 weeks.", deputy, later)
    figures = SharedFile("F0ZQ1", f"{ZEB_NAME} CAMHS figures.xlsx", "application/vnd.ms-excel")
    await repos.answers.attach(own.id, reply, [figures], deputy, later)
    await repos.reminders.set_snooze(mentioning.id, date(2026, 4, 22), deputy, later)
    await repos.answers.add_part(
        mentioning.id,
        MessageRef(CHANNEL, "1776679300.000100"),
        f"<@{ZEB}> will present the audit; {ZEB_NAME} leads it.",
        OFFICER,
        later,
    )
    await repos.officers.set_deputy("DCSC", DEPUTY.user_id, CLERK, later)
    for question in (own, mentioning):
        await repos.answers.approve(question.id, CLERK, later)
        await repos.answers.publish(question.id, CLERK, later)
    await repos.inbox.add(
        Incoming(
            key="Ev0ZEB1",
            kind="reply",
            channel=CHANNEL,
            ts="1776679400.000100",
            thread_ts="1776679000.000100",
            user=ZEB,
            text=f"Thanks all, {ZEB_NAME}",
            received_at=later,
            has_files=True,
            files=(SharedFile("F0ZQ2", f"Zoë {ZEB_NAME} notes.pdf", "application/pdf"),),
        )
    )
    # Zeb installed the bot in the workspace (giving it a token over their own account too)
    # and set one of its settings.
    await InstallationStore(seeded.db, lambda: later).async_save(
        Installation(
            app_id="A0SCRUTINY",
            team_id=TEAM,
            team_name="Hackney Council",
            bot_token=BOT_TOKEN,
            bot_id="B0BOT0001",
            bot_user_id="U0BOTUSER",
            bot_scopes="chat:write,commands",
            user_id=ZEB,
            user_token=ZEB_TOKEN,
            user_scopes="search:read",
            user_refresh_token="xoxe-1-zebedee-refresh",
            user_token_expires_at=int((later + timedelta(hours=12)).timestamp()),
            installed_at=later,
        )
    )
    await WorkspaceSettings(seeded.db).change(TEAM, {"TIMEZONE": "Europe/London"}, later, ZEB)
    sweep = await repos.sweeps.begin(later)
    await repos.deliveries.claim(
        [(f"reminder:{own.id}:sent:2026-04-20", f"person:{ZEB}")], sweep, set(), later
    )
    return Record(seeded, own, mentioning)


async def file_bytes(path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def traces(data: bytes) -> list[str]:
    needles = [ZEB, ZEB_NAME, "Zebedee", "Quillfeather", ZEB.lower(), "quillfeather"]
    return [n for n in needles if n.encode() in data or n.encode("utf-16-le") in data]
