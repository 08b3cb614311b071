"""Property: whatever people type, no builder of Slack output lets a live token through.

Every text field a person (or Slack, for answers) can fill is given arbitrary text mixed
with broadcasts, mentions, channel links and disguised links; the blocks, views and
fallback texts that come out must hold no ``<…>`` but the bot's own mentions and links.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot import chasing, messages
from bot.core.agenda import AgendaEntry, AgendaMeeting, EntryStatus, compile_agenda
from bot.core.chasing import (
    AgendaBlockers,
    AnsweredQuestion,
    Audience,
    BlockingQuestion,
    ClerkDigest,
    DigestEntry,
    OfficerDigest,
    OfficerOverdue,
    OverdueQuestion,
    Recipient,
    ReminderDue,
    ReminderKey,
    Rung,
)
from bot.core.deadlines import Deadline, Lateness
from bot.core.importer import ImportResult, ParsedQuestion
from bot.core.markup import slack_text, to_plain_text
from bot.core.models import (
    Asker,
    Meeting,
    MessageRef,
    OfficerRole,
    OnBehalfOf,
    PendingTransfer,
    Question,
    QuestionState,
)
from bot.core.mrkdwn import esc, join, md, quoted
from bot.flows import agenda, sending, status
from bot.flows.admin import MeetingSummary
from bot.flows.intake import QuestionFormChoices
from handlers import blocks, home, modals
from tests.core.conftest import a_question
from tests.live_tokens import HOSTILE, live_tokens, mrkdwn_in

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=LONDON)
SUBMITTER, OFFICER, DEPUTY, CLERK = "UMEMBER1", "UDCSC001", "UDEPUTY1", "UCLERK01"
OTHER_OFFICER = "UHOS0001"
PEOPLE = frozenset({SUBMITTER, OFFICER, DEPUTY, CLERK, OTHER_OFFICER})
BASE_URL = "https://scrutiny.slack.com/"
PERMALINK = "https://scrutiny.slack.com/archives/C0ANSWERS/p1700000010001000"

_ids = st.from_regex(r"[UWCSB][A-Z0-9]{1,8}", fullmatch=True).filter(lambda i: i not in PEOPLE)
_words = st.text(max_size=12)
_generated = st.one_of(
    st.sampled_from(["here", "channel", "everyone", "group"]).map(lambda w: f"<!{w}>"),
    st.builds(lambda i, w: f"<!subteam^{i}|@{w}>", _ids, _words),
    _ids.map(lambda i: f"<@{i}>"),
    st.builds(lambda i, w: f"<@{i}|{w}>", _ids, _words),
    st.builds(lambda i, w: f"<#{i}|{w}>", _ids, _words),
    st.builds(
        lambda host, label: f"<https://{host}.example|{label}>",
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        _words,
    ),
    _words.map(lambda w: f"<javascript:{w}>"),
    _words.map(lambda w: f"<{w}>"),
)
hostile = st.lists(
    st.one_of(st.sampled_from(HOSTILE), _generated, _words), min_size=1, max_size=8
).map("".join)
"""Text a person could type, or Slack could deliver: random text around live tokens."""


@dataclass(frozen=True)
class Typed:
    """One value for every field people fill in."""

    question: str
    name: str
    answer: str
    reason: str
    committee: str
    title: str
    item: str


typed = st.builds(Typed, hostile, hostile, hostile, hostile, hostile, hostile, hostile)


def meeting(t: Typed) -> Meeting:
    return Meeting(7, "CYP", date(2026, 5, 11), t.committee, time(19, 0))


def question(t: Typed) -> Question:
    return a_question(
        QuestionState.SENT,
        id=3,
        reference="CYP-2023-12-18-Q01",
        asker=Asker(OnBehalfOf.MEMBER, f"Cllr {t.name}"),
        submitted_by=SUBMITTER,
        text=t.question,
        assigned_officer=OFFICER,
        target_meeting_id=7,
        thread=MessageRef("C0ANSWERS", "1700000010.001000"),
        pending_transfer=PendingTransfer(OTHER_OFFICER, "HoS", OFFICER, NOW, t.reason),
    )


def card(t: Typed) -> messages.QuestionCard:
    return messages.QuestionCard(question(t), t.committee, t.title, t.reason, t.item)


def choices(t: Typed) -> QuestionFormChoices:
    roles = [OfficerRole("DCSC", t.title, OFFICER, DEPUTY), OfficerRole("HoS", t.title, DEPUTY)]
    return QuestionFormChoices([meeting(t)], {"CYP": t.committee}, roles, 7)


def reminder(t: Typed, q: Question) -> ReminderDue:
    key = ReminderKey(q.id, "overdue", date(2026, 5, 1))
    recipients = (Recipient(Audience.OFFICER, OFFICER),)
    return ReminderDue(key, Rung.OVERDUE, q, q.due_date, Lateness.OVERDUE, recipients, t.reason)


def clerk_digest(t: Typed, q: Question) -> ClerkDigest:
    publication = Deadline(date(2026, 4, 30), t.reason)
    return ClerkDigest(
        day=date(2026, 4, 20),
        since=NOW,
        new_answers=(AnsweredQuestion(q, NOW),),
        overdue_by_officer=(
            OfficerOverdue(
                OFFICER, (OverdueQuestion(q, date(2026, 4, 1), Lateness.OVERDUE, t.reason),)
            ),
            OfficerOverdue(None, (OverdueQuestion(q, date(2026, 4, 1), Lateness.OVERDUE, t.name),)),
        ),
        agenda_blockers=(
            AgendaBlockers(meeting(t), publication, (BlockingQuestion(q, t.reason),)),
        ),
    )


def compiled(t: Typed) -> Any:
    target = AgendaMeeting(t.committee, t.title, date(2026, 5, 11), "CYP-2026-05-11")
    base = AgendaEntry(
        reference="CYP-2023-12-18-Q01",
        source_meeting_label=t.committee,
        source_meeting_date=date(2023, 12, 18),
        item_number="4",
        item_title=t.item,
        sequence=1,
        asked_by=t.name,
        question_text=t.question,
        status=EntryStatus.ANSWERED,
        response_parts=(t.answer,),
        responder_role_title=t.title,
    )
    entries = [
        base,
        replace(base, reference="R2", status=EntryStatus.AWAITED, sequence=2),
        replace(base, reference="R3", status=EntryStatus.HOLDING, holding_note=t.reason),
    ]
    return compile_agenda(target, entries, None)


def report(t: Typed, q: Question) -> status.StatusReport:
    late = status.QuestionStatus(q, Lateness.OVERDUE)
    orphan = status.QuestionStatus(replace(q, assigned_officer=None, thread=None), Lateness.ON_TIME)
    out = status.StatusReport(meeting(t), t.reason, t.title)
    out.outstanding = [late, orphan]
    out.awaiting_triage = [q]
    out.awaiting_approval = [q]
    return out


def everything_built(t: Typed) -> list[Any]:
    """The output of every builder of Slack text, given ``t`` in every field people fill."""
    q, c = question(t), card(t)
    summary = MeetingSummary(meeting(t), t.committee, t.reason, t.title)
    parsed = ParsedQuestion(t.question, t.item, True, t.title, (t.reason,), t.reason)
    entry = _Help(t.title, t.reason, True)
    digest = OfficerDigest(OFFICER, (DigestEntry(reminder(t, q), Audience.DEPUTY),))
    clerks = OfficerDigest(None, (DigestEntry(reminder(t, q), Audience.CLERKS),))
    return [
        messages.triage_card(c),
        messages.triage_done(c, md("Done by {}", t.name)),
        messages.officer_question(c, OFFICER, greet=True),
        messages.officer_question(c, OFFICER, greet=False),
        messages.answer_for_review(c, t.answer, PERMALINK),
        messages.transfer_request(c, OTHER_OFFICER, t.reason, OFFICER),
        blocks.agenda_help([entry], is_clerk=False),
        blocks.unknown_subcommand(t.reason),
        blocks.meeting_added(summary),
        blocks.meeting_list([summary]),
        blocks.officer_list(
            [OfficerRole("DCSC", t.title, OFFICER, DEPUTY), OfficerRole("X", t.title)]
        ),
        blocks.question_received(q, triage=True),
        blocks.import_saved([q, replace(q, addressed_role=None)], triage=True),
        modals.question_modal(choices(t), text=to_plain_text(t.question)),
        modals.import_review_modal(1, ImportResult((parsed,), (t.reason,)), choices(t)),
        modals.note_modal("cb", "Reject", "Reject", 3, "Reason", md("Reject *{}*?", t.item)),
        modals.holding_modal(q, date(2026, 4, 20)),
        modals.transfer_modal(replace(q, addressed_role="HoS"), choices(t).roles),
        modals.snooze_modal(q),
        modals.edit_modal(q, choices(t), [meeting(t)]),
        home.status_blocks(report(t, q), BASE_URL),
        home.officer_blocks(report(t, q).outstanding, BASE_URL),
        home.member_blocks([q], BASE_URL),
        chasing.digest_blocks(digest, BASE_URL),
        chasing.digest_blocks(clerks, BASE_URL),
        chasing.clerk_digest_blocks(clerk_digest(t, q), BASE_URL),
        agenda.summary_blocks(compiled(t), [t.item], final=False, meeting_id=7),
        agenda.summary_blocks(compiled(t), [t.item], final=True, meeting_id=7),
        sending.SendOutcome([q], [t.reason]).blocks(),
        # fallback texts and single lines built the same way
        {"type": "mrkdwn", "text": md("New question {}", t.question)},
        {"type": "mrkdwn", "text": esc(t.reason)},
        {"type": "mrkdwn", "text": join("\n", [t.name, t.title])},
        {"type": "mrkdwn", "text": quoted(t.question)},
        {"type": "mrkdwn", "text": slack_text(t.answer)},
        {"type": "mrkdwn", "text": sending.SendOutcome([], [t.reason]).summary},
    ]


@dataclass(frozen=True)
class _Help:
    usage: str
    summary: str
    clerk_only: bool


def live(built: Any) -> list[str]:
    """Live tokens in every mrkdwn string of ``built`` (blocks, a view, or text objects)."""
    found = []
    for text in mrkdwn_in(built):
        found += live_tokens(text, people=PEOPLE, own_links=[BASE_URL])
    return found


@given(typed)
def test_no_builder_lets_a_live_token_through(t: Typed) -> None:
    for built in everything_built(t):
        assert live(built) == [], json.dumps(built, indent=1)[:3000]


def test_the_scanner_sees_live_tokens_and_allows_the_bots_own() -> None:
    raw = {"type": "mrkdwn", "text": "<!here> <@U123> <#C1|x> <https://evil.example|portal>"}
    assert live(raw) == ["<!here>", "<@U123>", "<#C1|x>", "<https://evil.example|portal>"]
    own = {"type": "mrkdwn", "text": f"<@{OFFICER}> <{PERMALINK}|thread> <https://x.org>"}
    assert live(own) == []


def test_the_bots_own_mentions_and_links_stay_live() -> None:
    t = Typed(*(["plain words"] * 7))
    review = json.dumps(messages.answer_for_review(card(t), "Yes.", PERMALINK))
    assert f"<{PERMALINK}|thread>" in review
    assert f"<@{OFFICER}>" in json.dumps(messages.officer_question(card(t), OFFICER, greet=True))
