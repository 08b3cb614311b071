"""Numbered, append-only schema migrations.

Never edit a migration that has shipped: add a new one at the end. Each is applied,
with its record in ``schema_migrations``, in one transaction at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    statements: tuple[str, ...]


def search_triggers() -> tuple[str, ...]:
    """Triggers that keep ``question_search`` (full-text search over each question, its
    answer as it stands and its published text) in step with every write, whichever code
    makes it: the question's row is rebuilt from the tables whenever one of them changes."""
    refresh = (
        "DELETE FROM question_search WHERE rowid = {id};"
        " INSERT INTO question_search (rowid, question, answer, published)"
        " SELECT q.id, q.text, coalesce((SELECT group_concat(p.text, ' ') FROM answer_parts p"
        " WHERE p.question_id = q.id AND p.deleted_at IS NULL), ''),"
        " coalesce((SELECT c.corrected_text FROM corrections c WHERE c.question_id = q.id"
        " ORDER BY c.id DESC LIMIT 1), (SELECT pb.answer_text FROM publications pb"
        " WHERE pb.question_id = q.id), '')"
        " FROM questions q WHERE q.id = {id};"
    )
    on = {
        "questions_search_insert": ("AFTER INSERT ON questions", "NEW.id"),
        "questions_search_text": ("AFTER UPDATE OF text ON questions", "NEW.id"),
        "parts_search_insert": ("AFTER INSERT ON answer_parts", "NEW.question_id"),
        "parts_search_update": ("AFTER UPDATE ON answer_parts", "NEW.question_id"),
        "parts_search_delete": ("AFTER DELETE ON answer_parts", "OLD.question_id"),
        "publications_search": ("AFTER INSERT ON publications", "NEW.question_id"),
        "publications_search_update": ("AFTER UPDATE ON publications", "NEW.question_id"),
        "corrections_search": ("AFTER INSERT ON corrections", "NEW.question_id"),
        "corrections_search_update": ("AFTER UPDATE ON corrections", "NEW.question_id"),
    }
    triggers = tuple(
        f"CREATE TRIGGER {name} {when} BEGIN {refresh.format(id=key)} END"
        for name, (when, key) in on.items()
    )
    return (
        *triggers,
        "CREATE TRIGGER questions_search_delete AFTER DELETE ON questions BEGIN"
        " DELETE FROM question_search WHERE rowid = OLD.id; END",
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "audit_events_and_processed_events",
        (
            """
            CREATE TABLE audit_events (
                id INTEGER PRIMARY KEY,
                occurred_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject_type TEXT NOT NULL,
                subject_id TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT '{}'
            )
            """,
            "CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id)",
            """
            CREATE TABLE processed_events (
                event_id TEXT PRIMARY KEY,
                received_at TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        2,
        "committees_meetings_officers_closure_days",
        (
            """
            CREATE TABLE committees (
                key TEXT PRIMARY KEY,
                name TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE meetings (
                id INTEGER PRIMARY KEY,
                committee_key TEXT NOT NULL REFERENCES committees (key),
                date TEXT NOT NULL,
                time TEXT,
                title TEXT NOT NULL,
                UNIQUE (committee_key, date)
            )
            """,
            "CREATE INDEX meetings_date ON meetings (date)",
            """
            CREATE TABLE agenda_items (
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                number TEXT NOT NULL,
                title TEXT NOT NULL,
                PRIMARY KEY (meeting_id, number)
            )
            """,
            """
            CREATE TABLE officer_roles (
                key TEXT PRIMARY KEY COLLATE NOCASE,
                title TEXT NOT NULL,
                officer TEXT,
                deputy TEXT
            )
            """,
            "CREATE INDEX officer_roles_officer ON officer_roles (officer)",
            "CREATE INDEX officer_roles_deputy ON officer_roles (deputy)",
            """
            CREATE TABLE closure_days (
                day TEXT PRIMARY KEY,
                reason TEXT NOT NULL,
                added_by TEXT NOT NULL,
                added_at TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        3,
        "questions_and_answers",
        (
            """
            CREATE TABLE questions (
                id INTEGER PRIMARY KEY,
                reference TEXT NOT NULL UNIQUE,
                source_meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                sequence INTEGER NOT NULL,
                agenda_item TEXT,
                on_behalf_of TEXT NOT NULL
                    CHECK (on_behalf_of IN ('commission', 'hackney_of_tomorrow', 'member')),
                member_name TEXT,
                submitted_by TEXT NOT NULL,
                text TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('submitted', 'rejected', 'sent', 'holding',
                    'answered', 'returned', 'approved', 'published', 'corrected', 'withdrawn')),
                addressed_role TEXT,
                assigned_officer TEXT,
                target_meeting_id INTEGER REFERENCES meetings (id),
                due_date TEXT,
                thread_channel TEXT,
                thread_ts TEXT,
                transfer_to_officer TEXT,
                transfer_to_role TEXT,
                transfer_requested_by TEXT,
                transfer_requested_at TEXT,
                transfer_reason TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (source_meeting_id, sequence)
            )
            """,
            "CREATE INDEX questions_state_due ON questions (state, due_date)",
            "CREATE INDEX questions_officer_state ON questions (assigned_officer, state)",
            "CREATE INDEX questions_target_meeting ON questions (target_meeting_id, state)",
            "CREATE INDEX questions_submitted_by ON questions (submitted_by)",
            """
            CREATE UNIQUE INDEX questions_thread ON questions (thread_channel, thread_ts)
            WHERE thread_ts IS NOT NULL
            """,
            """
            CREATE TABLE answer_parts (
                id INTEGER PRIMARY KEY,
                question_id INTEGER NOT NULL REFERENCES questions (id),
                channel TEXT NOT NULL,
                ts TEXT NOT NULL,
                author TEXT NOT NULL,
                text TEXT NOT NULL,
                posted_at TEXT NOT NULL,
                edited_at TEXT,
                deleted_at TEXT,
                UNIQUE (channel, ts)
            )
            """,
            "CREATE INDEX answer_parts_question ON answer_parts (question_id)",
            """
            CREATE TABLE answer_part_versions (
                id INTEGER PRIMARY KEY,
                part_id INTEGER NOT NULL REFERENCES answer_parts (id),
                text TEXT NOT NULL,
                replaced_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX answer_part_versions_part ON answer_part_versions (part_id)",
            """
            CREATE TABLE holding_replies (
                id INTEGER PRIMARY KEY,
                question_id INTEGER NOT NULL REFERENCES questions (id),
                author TEXT NOT NULL,
                note TEXT NOT NULL,
                promised_date TEXT NOT NULL,
                given_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX holding_replies_question ON holding_replies (question_id)",
            """
            CREATE TABLE approvals (
                id INTEGER PRIMARY KEY,
                question_id INTEGER NOT NULL REFERENCES questions (id),
                approved_by TEXT NOT NULL,
                approved_at TEXT NOT NULL,
                answer_text TEXT NOT NULL
            )
            """,
            "CREATE INDEX approvals_question ON approvals (question_id)",
            """
            CREATE TABLE publications (
                question_id INTEGER PRIMARY KEY REFERENCES questions (id),
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                published_by TEXT NOT NULL,
                published_at TEXT NOT NULL,
                answer_text TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE corrections (
                id INTEGER PRIMARY KEY,
                question_id INTEGER NOT NULL REFERENCES questions (id),
                original_text TEXT NOT NULL,
                corrected_text TEXT NOT NULL,
                reason TEXT NOT NULL,
                corrected_by TEXT NOT NULL,
                corrected_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX corrections_question ON corrections (question_id)",
        ),
    ),
    Migration(
        4,
        "question_submissions_and_pending_imports",
        (
            """
            CREATE TABLE question_submissions (
                submission_key TEXT PRIMARY KEY,
                question_id INTEGER NOT NULL REFERENCES questions (id)
            )
            """,
            """
            CREATE TABLE pending_imports (
                id INTEGER PRIMARY KEY,
                clerk TEXT NOT NULL,
                pasted TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        5,
        "reminders_and_snoozes",
        (
            """
            CREATE TABLE reminders (
                id INTEGER PRIMARY KEY,
                question_id INTEGER NOT NULL REFERENCES questions (id),
                rung TEXT NOT NULL,
                day TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 1,
                claimed_at TEXT NOT NULL,
                sent_at TEXT,
                failed_at TEXT,
                last_error TEXT,
                UNIQUE (question_id, rung, day)
            )
            """,
            "CREATE INDEX reminders_unsent ON reminders (status, claimed_at)"
            " WHERE status != 'sent'",
            """
            CREATE TABLE snoozes (
                id INTEGER PRIMARY KEY,
                question_id INTEGER NOT NULL REFERENCES questions (id),
                until TEXT NOT NULL,
                snoozed_by TEXT NOT NULL,
                snoozed_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX snoozes_question ON snoozes (question_id)",
            "CREATE INDEX snoozes_until ON snoozes (until)",
            """
            CREATE INDEX questions_awaiting_answer ON questions (due_date)
            WHERE state IN ('holding', 'returned', 'sent')
            """,
        ),
    ),
    Migration(
        6,
        "clerk_digests",
        (
            """
            CREATE TABLE clerk_digests (
                day TEXT PRIMARY KEY,
                claimed_at TEXT NOT NULL,
                sent_at TEXT
            )
            """,
        ),
    ),
    Migration(
        7,
        "event_inbox_and_thread_catch_up",
        (
            """
            CREATE TABLE event_inbox (
                id INTEGER PRIMARY KEY,
                event_key TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL CHECK (kind IN ('reply', 'edit', 'delete')),
                channel TEXT NOT NULL,
                ts TEXT NOT NULL,
                thread_ts TEXT,
                user_id TEXT,
                text TEXT NOT NULL DEFAULT '',
                has_files INTEGER NOT NULL DEFAULT 0,
                parent_by_bot INTEGER NOT NULL DEFAULT 0,
                source TEXT NOT NULL CHECK (source IN ('event', 'catch-up')),
                received_at TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                done_at TEXT,
                outcome TEXT
            )
            """,
            "CREATE INDEX event_inbox_pending ON event_inbox (id) WHERE done_at IS NULL",
            "CREATE INDEX event_inbox_done ON event_inbox (done_at) WHERE done_at IS NOT NULL",
            """
            CREATE TABLE thread_catch_up (
                question_id INTEGER PRIMARY KEY REFERENCES questions (id),
                checked_at TEXT NOT NULL,
                latest_ts TEXT
            )
            """,
        ),
    ),
    Migration(
        8,
        "sweeps_and_deliveries",
        (
            """
            CREATE TABLE sweeps (
                id INTEGER PRIMARY KEY,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                pid_started TEXT,
                started_at TEXT NOT NULL,
                heartbeat_at REAL NOT NULL,
                finished_at TEXT
            )
            """,
            "CREATE INDEX sweeps_running ON sweeps (id) WHERE finished_at IS NULL",
            "ALTER TABLE reminders ADD COLUMN sweep_id INTEGER REFERENCES sweeps (id)",
            """
            CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY,
                subject TEXT NOT NULL,
                destination TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'failed')),
                sweep_id INTEGER REFERENCES sweeps (id),
                attempts INTEGER NOT NULL DEFAULT 1,
                claimed_at TEXT NOT NULL,
                sent_at TEXT,
                last_error TEXT,
                UNIQUE (subject, destination)
            )
            """,
        ),
    ),
    Migration(
        9,
        "index_for_submitters",
        ("CREATE INDEX questions_on_behalf_of ON questions (on_behalf_of, submitted_by)",),
    ),
    Migration(
        10,
        "clerks_and_members",
        (
            """
            CREATE TABLE clerks (
                user_id TEXT PRIMARY KEY,
                active INTEGER NOT NULL DEFAULT 1,
                changed_by TEXT NOT NULL,
                changed_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE members (
                user_id TEXT PRIMARY KEY,
                hackney_of_tomorrow INTEGER NOT NULL DEFAULT 0,
                added_by TEXT NOT NULL,
                added_at TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        11,
        "catch_up_told",
        (
            "ALTER TABLE event_inbox ADD COLUMN told_at TEXT",
            "CREATE INDEX event_inbox_untold ON event_inbox (id)"
            " WHERE source = 'catch-up' AND told_at IS NULL AND done_at IS NOT NULL",
        ),
    ),
    Migration(
        12,
        "cancelled_meetings",
        (
            "ALTER TABLE meetings ADD COLUMN cancelled_at TEXT",
            "ALTER TABLE meetings ADD COLUMN cancel_reason TEXT",
        ),
    ),
    Migration(
        13,
        "source_minute_numbers",
        ("ALTER TABLE questions ADD COLUMN source_minute TEXT",),
    ),
    Migration(
        14,
        "display_names",
        (
            """
            CREATE TABLE display_names (
                user_id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                seen_at TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        15,
        "answer_attachments",
        (
            "ALTER TABLE event_inbox ADD COLUMN files TEXT",
            """
            CREATE TABLE answer_attachments (
                id INTEGER PRIMARY KEY,
                question_id INTEGER NOT NULL REFERENCES questions (id),
                channel TEXT NOT NULL,
                ts TEXT NOT NULL,
                file_id TEXT NOT NULL,
                name TEXT NOT NULL,
                mimetype TEXT NOT NULL,
                permalink TEXT,
                added_by TEXT NOT NULL,
                added_at TEXT NOT NULL,
                removed_at TEXT,
                UNIQUE (question_id, channel, ts, file_id)
            )
            """,
            "CREATE INDEX answer_attachments_message ON answer_attachments (channel, ts)",
        ),
    ),
    Migration(
        16,
        "question_search",
        (
            "CREATE VIRTUAL TABLE question_search USING fts5("
            "question, answer, published, tokenize = 'porter unicode61')",
            *search_triggers(),
            "INSERT INTO question_search (rowid, question, answer, published)"
            " SELECT q.id, q.text, coalesce((SELECT group_concat(p.text, ' ') FROM answer_parts p"
            " WHERE p.question_id = q.id AND p.deleted_at IS NULL), ''),"
            " coalesce((SELECT c.corrected_text FROM corrections c WHERE c.question_id = q.id"
            " ORDER BY c.id DESC LIMIT 1), (SELECT pb.answer_text FROM publications pb"
            " WHERE pb.question_id = q.id), '')"
            " FROM questions q",
        ),
    ),
    Migration(
        17,
        "question_groups",
        (
            """
            CREATE TABLE question_groups (
                question_id INTEGER PRIMARY KEY REFERENCES questions (id),
                lead_id INTEGER NOT NULL REFERENCES questions (id),
                grouped_by TEXT NOT NULL,
                grouped_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX question_groups_lead ON question_groups (lead_id)",
        ),
    ),
    Migration(
        18,
        "retention",
        (
            "ALTER TABLE questions ADD COLUMN pseudonymised_at TEXT",
            "ALTER TABLE audit_events ADD COLUMN pseudonymised_at TEXT",
            "CREATE INDEX audit_events_to_pseudonymise ON audit_events (occurred_at)"
            " WHERE pseudonymised_at IS NULL",
            """
            CREATE TABLE unnamed_people (
                user_id TEXT PRIMARY KEY,
                since TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        19,
        "dm_channels",
        (
            """
            CREATE TABLE dm_channels (
                user_id TEXT PRIMARY KEY,
                channel_id TEXT NOT NULL,
                seen_at TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        20,
        "inbox_claims",
        (
            # Which bot (replica) is recording a pending entry, and until when its claim
            # holds: storage/inbox.py.
            "ALTER TABLE event_inbox ADD COLUMN claimed_by TEXT",
            "ALTER TABLE event_inbox ADD COLUMN claimed_until TEXT",
        ),
    ),
    Migration(
        21,
        "slack_installations",
        (
            """
            CREATE TABLE slack_installations (
                id INTEGER PRIMARY KEY,
                enterprise_id TEXT NOT NULL DEFAULT '',
                team_id TEXT NOT NULL DEFAULT '',
                user_id TEXT NOT NULL,
                is_enterprise_install INTEGER NOT NULL DEFAULT 0,
                installed_at TEXT NOT NULL,
                app_id TEXT,
                team_name TEXT,
                bot_id TEXT,
                bot_user_id TEXT,
                bot_scopes TEXT,
                bot_token TEXT,
                bot_refresh_token TEXT,
                bot_token_expires_at TEXT,
                user_scopes TEXT,
                user_token TEXT,
                user_refresh_token TEXT,
                user_token_expires_at TEXT,
                incoming_webhook_url TEXT,
                details TEXT NOT NULL DEFAULT '{}',
                saved_at TEXT NOT NULL,
                UNIQUE (enterprise_id, team_id, user_id, installed_at)
            )
            """,
            "CREATE INDEX slack_installations_latest"
            " ON slack_installations (enterprise_id, team_id, installed_at)",
            """
            CREATE TABLE slack_bots (
                id INTEGER PRIMARY KEY,
                enterprise_id TEXT NOT NULL DEFAULT '',
                team_id TEXT NOT NULL DEFAULT '',
                is_enterprise_install INTEGER NOT NULL DEFAULT 0,
                installed_at TEXT NOT NULL,
                app_id TEXT,
                team_name TEXT,
                bot_id TEXT NOT NULL,
                bot_user_id TEXT NOT NULL,
                bot_scopes TEXT,
                bot_token TEXT NOT NULL,
                bot_refresh_token TEXT,
                bot_token_expires_at TEXT,
                details TEXT NOT NULL DEFAULT '{}',
                saved_at TEXT NOT NULL,
                UNIQUE (enterprise_id, team_id, installed_at)
            )
            """,
            """
            CREATE TABLE oauth_states (
                state TEXT PRIMARY KEY,
                expires_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX oauth_states_expiry ON oauth_states (expires_at)",
            """
            CREATE TABLE workspace_settings (
                team_id TEXT NOT NULL,
                setting TEXT NOT NULL,
                value TEXT NOT NULL,
                changed_by TEXT NOT NULL,
                changed_at TEXT NOT NULL,
                PRIMARY KEY (team_id, setting)
            )
            """,
        ),
    ),
)
