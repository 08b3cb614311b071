"""Subject access and erasure: one person found in every table that holds them, then erased
until not a byte of their id or name is left in the database file."""

from __future__ import annotations

import pytest

from bot.compiling import compile_meeting
from bot.core.errors import Conflict, NotFound
from bot.core.lifecycle import draft_question
from bot.core.models import Asker, OnBehalfOf
from bot.core.permissions import Actor
from bot.core.redaction import ERASED_NAME, ERASED_PREFIX, names_a_person
from storage.db import Database
from storage.installations import InstallationStore, WorkspaceSettings
from storage.personal_data import (
    NO_PERSONAL_DATA,
    NOT_A_PERSON,
    OWN_CREDENTIALS,
    PERSONAL_DATA,
    SECRETS,
    WITHHELD,
    Holds,
    schema,
)
from tests.storage.people_support import (
    BOT_TOKEN,
    OPERATOR,
    TEAM,
    ZEB,
    ZEB_NAME,
    ZEB_TOKEN,
    Record,
    file_bytes,
    record_of_zebedee,
    traces,
)
from tests.storage.storage_support import CLERK, NOW, OFFICER, Seeded


@pytest.fixture
async def zebedee(seeded: Seeded) -> Record:
    return await record_of_zebedee(seeded)


# --- every table is accounted for --------------------------------------------------------


async def test_every_table_and_every_column_naming_a_person_is_listed(db: Database) -> None:
    """A new table, or a new column such as ``reviewed_by``, must be added to PERSONAL_DATA
    (or NO_PERSONAL_DATA) in storage/personal_data.py, so that export and erasure know it."""
    async with db.snapshot() as read:
        tables = await schema(read)
    names = {table.name for table in tables}
    unlisted = names - set(PERSONAL_DATA) - set(NO_PERSONAL_DATA)
    assert not unlisted, f"list these tables in storage/personal_data.py: {sorted(unlisted)}"
    assert not set(PERSONAL_DATA) & set(NO_PERSONAL_DATA)
    assert set(PERSONAL_DATA) | set(NO_PERSONAL_DATA) <= names | {"schema_migrations"}
    for table in tables:
        listed = PERSONAL_DATA.get(table.name, {})
        assert set(listed) <= set(table.columns), f"{table.name}: no such columns"
        for column in table.columns:
            if names_a_person(column) and (table.name, column) not in NOT_A_PERSON:
                assert column in listed, (
                    f"{table.name}.{column} looks like it holds a person: list it in "
                    "PERSONAL_DATA in storage/personal_data.py"
                )


async def test_secrets_are_listed_apart_from_people(db: Database) -> None:
    """Tokens are about no one: listed as secrets (never exported), not as personal data."""
    async with db.snapshot() as read:
        tables = {t.name: t for t in await schema(read)}
    for table, column in SECRETS:
        assert column in tables[table].text_columns, f"{table}.{column}"
        assert column not in PERSONAL_DATA.get(table, {}), f"{table}.{column}"
    for table, (owner, columns) in OWN_CREDENTIALS.items():
        assert PERSONAL_DATA[table][owner] is Holds.USER_ID
        assert set(columns) <= set(tables[table].columns)


async def test_the_list_is_checked_against_a_new_column(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("ALTER TABLE meetings ADD COLUMN reviewed_by TEXT")
    async with db.snapshot() as read:
        meetings = next(t for t in await schema(read) if t.name == "meetings")
    missing = [
        c
        for c in meetings.columns
        if names_a_person(c) and c not in PERSONAL_DATA.get("meetings", {})
    ]
    assert missing == ["reviewed_by"]


async def test_user_id_columns_are_text(db: Database) -> None:
    async with db.snapshot() as read:
        tables = {t.name: t for t in await schema(read)}
    for table, columns in PERSONAL_DATA.items():
        for column in columns:
            assert column in tables[table].text_columns, f"{table}.{column}"
    assert Holds.JSON in PERSONAL_DATA["audit_events"].values()


# --- subject access -------------------------------------------------------------------------


async def test_export_finds_the_person_in_every_table_that_holds_them(zebedee: Record) -> None:
    repos = zebedee.seeded.repos
    found = await repos.personal_data.export(ZEB, OPERATOR, NOW)
    tables = found.by_table()
    assert found.names == (ZEB_NAME,)
    assert set(tables) == {
        "answer_attachments",
        "answer_part_versions",
        "answer_parts",
        "approvals",
        "audit_events",
        "closure_days",
        "clerks",
        "deliveries",
        "display_names",
        "dm_channels",
        "event_inbox",
        "members",
        "pending_imports",
        "publications",
        "questions",
        "slack_installations",
        "snoozes",
        "workspace_settings",
    }
    assert {q["reference"] for q in tables["questions"]} == {
        zebedee.own.reference,
        zebedee.mentioning.reference,
    }
    assert [v["text"] for v in tables["answer_part_versions"]] == ["Waiting times are 12 weeks."]
    # JSON columns come back as JSON, and someone else's row that only names them is found.
    files = next(row["files"] for row in tables["event_inbox"])
    assert files[0][1] == f"Zoë {ZEB_NAME} notes.pdf"
    assert any(row["author"] == OFFICER.user_id for row in tables["answer_parts"])
    assert set(found.searched) >= set(PERSONAL_DATA)
    # They installed the bot: the row is theirs, its tokens are never handed out.
    [installed] = tables["slack_installations"]
    assert (installed["user_id"], installed["team_name"]) == (ZEB, "Hackney Council")
    assert installed["bot_token"] == installed["user_token"] == WITHHELD
    assert "xox" not in str(found.rows)
    # The export itself is on record, by whom.
    events = await repos.audit.for_subject("person", ZEB)
    assert [(e.action, e.actor) for e in events][-1] == ("person_exported", OPERATOR)


async def test_export_of_someone_never_seen_is_refused(seeded: Seeded) -> None:
    with pytest.raises(NotFound, match="appears nowhere"):
        await seeded.repos.personal_data.export("U0NOBODY1", OPERATOR, NOW)


# --- erasure --------------------------------------------------------------------------------


@pytest.mark.sqlite_only("reads the SQLite file's bytes (and its -wal) after VACUUM")
async def test_erasure_leaves_nothing_of_them_in_the_file(zebedee: Record) -> None:
    seeded = zebedee.seeded
    assert traces(await file_bytes(seeded.path)), "the test needs them in the file first"
    report = await seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW)
    assert report.tombstone.startswith(ERASED_PREFIX)
    assert report.deleted == {
        "display_names": 1,
        "dm_channels": 1,
        "members": 1,
        "clerks": 1,
        "pending_imports": 1,
    }
    assert report.changed["questions"] == 2
    assert await seeded.db.vacuum()
    await seeded.db.close()
    left = await file_bytes(seeded.path)
    assert traces(left) == []
    assert ZEB_TOKEN.encode() not in left and BOT_TOKEN.encode() in left


async def test_erasure_keeps_published_text_and_attributions(zebedee: Record) -> None:
    seeded = zebedee.seeded
    report = await seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW)
    own = await seeded.repos.questions.get(zebedee.own.id)
    assert own.submitted_by == report.tombstone
    assert own.asker.member_name == ERASED_NAME
    mentioning = await seeded.repos.questions.get(zebedee.mentioning.id)
    assert mentioning.text == f"Will {ERASED_NAME} ({ERASED_NAME}) report back on the audit?"
    answer = await seeded.repos.answers.get(zebedee.mentioning.id)
    assert answer.published_text == f"{ERASED_NAME} will present the audit; {ERASED_NAME} leads it."
    agenda = await compile_meeting(seeded.repos, seeded.target, CLERK)
    assert "**Asked by:** The Commission" in agenda.markdown
    assert f"**Asked by:** {ERASED_NAME}" in agenda.markdown
    assert "Director of Children's Social Care" in agenda.markdown
    assert "Waiting times are 11 weeks." in agenda.markdown
    assert ZEB_NAME not in agenda.markdown and ZEB not in agenda.markdown


async def test_erasure_takes_the_installers_own_token_and_keeps_the_bot(
    zebedee: Record,
) -> None:
    seeded = zebedee.seeded
    report = await seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW)
    store = InstallationStore(seeded.db, lambda: NOW)
    installed = await store.async_find_installation(enterprise_id=None, team_id=TEAM)
    assert installed is not None
    assert installed.user_id == report.tombstone
    assert installed.user_token is None and installed.user_refresh_token is None
    assert installed.user_token_expires_at is None and installed.user_scopes == []
    assert installed.bot_token == BOT_TOKEN
    bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None and bot.bot_token == BOT_TOKEN
    [team] = await store.teams()
    assert team.installer_user_id == report.tombstone
    assert await WorkspaceSettings(seeded.db).of(TEAM) == {"TIMEZONE": "Europe/London"}
    row = await seeded.db.fetchone("SELECT changed_by FROM workspace_settings")
    assert row is not None and row["changed_by"] == report.tombstone
    assert report.changed["slack_installations"] == 1


async def test_erasure_is_audited_without_the_person(zebedee: Record) -> None:
    seeded = zebedee.seeded
    report = await seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW)
    events = await seeded.repos.audit.for_subject("person", report.tombstone)
    # The events about them now name the tombstone: still one person, no longer them.
    assert [e.action for e in events] == [
        "member_added",
        "clerk_added",
        "clerk_removed",
        "person_erased",
    ]
    erased = events[-1]
    assert erased.actor == OPERATOR
    assert erased.detail["rows_changed"] == report.changed
    assert ZEB not in str(erased.detail) and ZEB_NAME not in str(erased.detail)


async def test_a_dry_run_changes_nothing(zebedee: Record) -> None:
    seeded = zebedee.seeded
    before = await seeded.db.fetchall("SELECT count(*) AS n FROM audit_events")
    report = await seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW, dry_run=True)
    assert report.rows > 10
    after = await seeded.db.fetchall("SELECT count(*) AS n FROM audit_events")
    assert before[0]["n"] == after[0]["n"]
    assert (await seeded.repos.questions.get(zebedee.own.id)).submitted_by == ZEB


async def test_an_erased_or_unknown_id_is_refused(zebedee: Record) -> None:
    repos = zebedee.seeded.repos
    await repos.personal_data.erase(ZEB, OPERATOR, NOW)
    with pytest.raises(NotFound, match="appears nowhere"):
        await repos.personal_data.erase(ZEB, OPERATOR, NOW)
    with pytest.raises(NotFound, match="appears nowhere"):
        await repos.personal_data.export(ZEB, OPERATOR, NOW)


async def test_someone_still_doing_the_work_is_not_erased(zebedee: Record) -> None:
    repos = zebedee.seeded.repos
    await repos.officers.set_role("DoE", "Director of Education", ZEB, CLERK, NOW)
    await repos.people.set_clerk(ZEB, True, CLERK, NOW)
    with pytest.raises(Conflict) as refused:
        await repos.personal_data.erase(ZEB, OPERATOR, NOW)
    message = str(refused.value)
    assert "they answer for DoE" in message and "they are a clerk" in message
    assert "\n" not in message
    assert (await repos.questions.get(zebedee.own.id)).submitted_by == ZEB


async def test_extra_spellings_of_their_name_are_erased_too(zebedee: Record) -> None:
    seeded = zebedee.seeded
    async with seeded.db.transaction() as tx:
        await tx.execute(
            "UPDATE meetings SET cancel_reason = 'Zeb Q is away' WHERE id = ?",
            (seeded.source.id,),
        )
    report = await seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW, ["Zeb Q"])
    assert report.names == 2
    row = await seeded.db.fetchone(
        "SELECT cancel_reason FROM meetings WHERE id = ?", (seeded.source.id,)
    )
    assert row is not None and row["cancel_reason"] == f"{ERASED_NAME} is away"


async def test_search_forgets_them_with_the_erasure(zebedee: Record) -> None:
    search = zebedee.seeded.repos.search
    before = await search.search(["quillfeather"], include_drafts=True)
    assert zebedee.mentioning.id in [hit.question_id for hit in before]
    await zebedee.seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW)
    assert await search.search(["quillfeather"], include_drafts=True) == []
    after = await search.search(["erased"], include_drafts=True)
    assert zebedee.mentioning.id in [hit.question_id for hit in after]


@pytest.mark.sqlite_only("reads FTS5's segments and the SQLite file's bytes after VACUUM")
async def test_a_full_text_index_kept_in_step_by_triggers_forgets_them_too(
    zebedee: Record,
) -> None:
    """Search indexes keep words (lower-cased) in their own segments: the erasure rebuilds
    every FTS5 index, so the old segments go with the VACUUM."""
    seeded = zebedee.seeded  # question_search: the bot's own index (storage/search.py)
    found = await seeded.db.fetchall(
        "SELECT rowid FROM question_search WHERE question_search MATCH 'quillfeather'"
    )
    assert zebedee.mentioning.id in [r["rowid"] for r in found]
    report = await seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW)
    assert report.warnings == ()
    assert await seeded.db.vacuum()
    found = await seeded.db.fetchall(
        "SELECT rowid FROM question_search WHERE question_search MATCH 'erased'"
    )
    assert zebedee.mentioning.id in [r["rowid"] for r in found]
    gone = await seeded.db.fetchall(
        "SELECT rowid FROM question_search WHERE question_search MATCH 'quillfeather'"
    )
    assert gone == []
    await seeded.db.close()
    assert traces(await file_bytes(seeded.path)) == []


async def test_someone_else_with_the_same_name_keeps_it_where_it_is_theirs(
    zebedee: Record,
) -> None:
    """Free text cannot tell namesakes apart, but a name that is a person's own (their display
    name, the name they asked under) belongs to the row's person."""
    seeded = zebedee.seeded
    namesake = Actor("U0NAMESAKE")
    await seeded.repos.people.remember_names({namesake.user_id: ZEB_NAME}, NOW)
    theirs = await seeded.repos.questions.create(
        draft_question(
            namesake,
            source_meeting_id=seeded.source.id,
            agenda_item="4",
            asker=Asker(OnBehalfOf.MEMBER, ZEB_NAME),
            text="A question of my own.",
        ),
        NOW,
    )
    found = await seeded.repos.personal_data.export(ZEB, OPERATOR, NOW)
    assert theirs.reference not in {row["reference"] for row in found.by_table()["questions"]}
    await seeded.repos.personal_data.erase(ZEB, OPERATOR, NOW)
    assert (await seeded.repos.questions.get(theirs.id)).asker.member_name == ZEB_NAME
    assert await seeded.repos.people.display_names([namesake.user_id]) == {
        namesake.user_id: ZEB_NAME
    }
    [submitted] = [
        e
        for e in await seeded.repos.audit.for_subject("question", theirs.reference)
        if e.action == "question_submitted"
    ]
    assert submitted.detail["member_name"] == ZEB_NAME
    own = await seeded.repos.questions.get(zebedee.own.id)
    assert own.asker.member_name == ERASED_NAME
