"""Chase planning: the ladder in working days and hours, quiet periods, digests, snoozes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.calendar import LONDON, WorkingCalendar
from bot.core.chasing import (
    CLERKS,
    DEFAULT_LADDER,
    AnsweredQuestion,
    Audience,
    ChaseItem,
    ChaseSettings,
    Recipient,
    ReminderDue,
    ReminderKey,
    Rung,
    SnoozeChoice,
    WorkingHours,
    build_clerk_digest,
    chase_due_date,
    group_digests,
    parse_ladder,
    parse_working_hours,
    plan_reminders,
    snooze_until,
    thread_nudges,
)
from bot.core.deadlines import Lateness, lateness
from bot.core.errors import InvalidInput
from bot.core.models import Asker, Meeting, MessageRef, OnBehalfOf, Question, QuestionState

MakeQuestion = Callable[..., Question]
S = QuestionState
OFFICER = "UOFFICER1"
OTHER_OFFICER = "UOFFICER2"
DEPUTY = "UDEPUTY1"

# Easter 2026: Good Friday 3 Apr and Easter Monday 6 Apr are bank holidays.
SENT_ON = date(2026, 3, 30)  # Monday
DUE = date(2026, 4, 9)  # Thursday
THREAD = MessageRef("CRESPONSES", "1774861200.000100")


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in London."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def officer(user: str = OFFICER) -> Recipient:
    return Recipient(Audience.OFFICER, user)


def deputy(user: str = DEPUTY) -> Recipient:
    return Recipient(Audience.DEPUTY, user)


@dataclass
class Sweeps:
    """Sweeps at chosen moments, remembering what was sent as storage does."""

    calendar: WorkingCalendar
    settings: ChaseSettings = field(default_factory=ChaseSettings)
    sent: set[ReminderKey] = field(default_factory=set)
    log: list[tuple[datetime, ReminderDue]] = field(default_factory=list)

    def run(self, items: list[ChaseItem], now: datetime) -> list[ReminderDue]:
        due = plan_reminders(items, now, self.calendar, self.settings)
        fresh = [reminder for reminder in due if reminder.key not in self.sent]
        self.sent.update(reminder.key for reminder in fresh)
        self.log.extend((now, reminder) for reminder in fresh)
        return fresh

    def daily(self, items: list[ChaseItem], first: date, last: date) -> list[tuple[date, str]]:
        """A sweep at 10:00 every day; (day, rung) of each reminder sent."""
        sent: list[tuple[date, str]] = []
        for day in days(first, last):
            sent.extend((day, reminder.key.rung) for reminder in self.run(items, at(day)))
        return sent


@pytest.fixture
def chased(make_question: MakeQuestion) -> ChaseItem:
    """Q07, sent Mon 30 Mar 2026 to the DCSC officer, due Thu 9 Apr, with a deputy."""
    question = make_question(S.SENT, due_date=DUE, thread=THREAD)
    return ChaseItem(question, deputy=DEPUTY, sent_on=SENT_ON)


# --- The whole cycle ------------------------------------------------------------------


def test_the_whole_ladder_across_easter(calendar: WorkingCalendar, chased: ChaseItem) -> None:
    sweeps = Sweeps(calendar)
    items = [chased]
    for day in days(SENT_ON, date(2026, 4, 24)):
        if day == date(2026, 4, 21):
            items = [replace(chased, question=replace(chased.question, state=S.ANSWERED))]
        for hour, minute in ((7, 0), (9, 29), (9, 30), (12, 0), (16, 59), (17, 0), (22, 0)):
            sweeps.run(items, at(day, hour, minute))
    sent = [
        (now.date(), reminder.key.rung, reminder.recipients, reminder.lateness)
        for now, reminder in sweeps.log
    ]
    to_officer, with_clerks = (officer(),), (officer(), CLERKS)
    assert sent == [
        (date(2026, 3, 30), "sent", to_officer, Lateness.ON_TIME),
        # 5 working days before Thu 9 Apr: Good Friday and Easter Monday don't count.
        (date(2026, 3, 31), "before_due_5", to_officer, Lateness.ON_TIME),
        (date(2026, 4, 7), "before_due_2", to_officer, Lateness.ON_TIME),
        (date(2026, 4, 9), "due_today", to_officer, Lateness.DUE_TODAY),
        (date(2026, 4, 10), "overdue", with_clerks, Lateness.OVERDUE),
        (date(2026, 4, 14), "overdue_repeat", with_clerks, Lateness.OVERDUE),
        (date(2026, 4, 16), "overdue_repeat", with_clerks, Lateness.OVERDUE),
        (date(2026, 4, 17), "very_overdue", (*with_clerks, deputy()), Lateness.VERY_OVERDUE),
        (date(2026, 4, 20), "overdue_repeat", (*with_clerks, deputy()), Lateness.VERY_OVERDUE),
        # Answered on Tue 21 Apr: the repeat due on Wed 22 Apr never goes.
    ]
    assert {now.time() for now, _ in sweeps.log} == {time(9, 30)}
    assert all(reminder.key.day == now.date() for now, reminder in sweeps.log)
    reasons = [reminder.reason for _, reminder in sweeps.log]
    assert reasons[:2] == [
        "new question, due in 6 working days (Thu 9 Apr)",
        "due in 5 working days (Thu 9 Apr)",
    ]
    assert reasons[4] == "overdue: was due Thu 9 Apr, 1 working day ago"
    assert reasons[7] == "very overdue: was due Thu 9 Apr, 6 working days ago"


def test_lateness_matches_the_deadlines_rules(calendar: WorkingCalendar, chased: ChaseItem) -> None:
    for day in days(SENT_ON, date(2026, 5, 29)):
        for reminder in plan_reminders([chased], at(day), calendar, ChaseSettings()):
            assert reminder.lateness is lateness(chased.question, day, calendar)


def test_nothing_on_bank_holidays_or_weekends(calendar: WorkingCalendar, chased: ChaseItem) -> None:
    for day in (date(2026, 4, 3), date(2026, 4, 4), date(2026, 4, 5), date(2026, 4, 6)):
        assert plan_reminders([chased], at(day, 12), calendar, ChaseSettings()) == []
    early_may = replace(chased.question, due_date=date(2026, 5, 1))
    item = ChaseItem(early_may, sent_on=date(2026, 4, 27))
    assert plan_reminders([item], at(date(2026, 5, 4)), calendar, ChaseSettings()) == []
    # Fri 1 May due, Mon 4 May bank holiday: overdue first shows on Tue 5 May.
    [overdue] = plan_reminders([item], at(date(2026, 5, 5)), calendar, ChaseSettings())
    assert overdue.key == ReminderKey(1, "overdue", date(2026, 5, 5))


def test_nothing_outside_working_hours_in_london_time(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    tuesday = date(2026, 3, 31)  # British Summer Time: London is UTC+1
    plan = ChaseSettings()
    assert plan_reminders([chased], datetime(2026, 3, 31, 8, 29, tzinfo=UTC), calendar, plan) == []
    assert plan_reminders([chased], datetime(2026, 3, 31, 8, 30, tzinfo=UTC), calendar, plan)
    assert plan_reminders([chased], datetime(2026, 3, 31, 15, 59, tzinfo=UTC), calendar, plan)
    assert plan_reminders([chased], datetime(2026, 3, 31, 16, 0, tzinfo=UTC), calendar, plan) == []
    late_hours = ChaseSettings(working_hours=WorkingHours(time(8, 0), time(20, 0)))
    assert plan_reminders([chased], at(tuesday, 19, 59), calendar, late_hours)
    assert plan_reminders([chased], at(tuesday, 7, 59), calendar, late_hours) == []


def test_only_questions_awaiting_an_answer_are_chased(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    now = at(date(2026, 4, 10))
    for state in S:
        item = replace(chased, question=replace(chased.question, state=state))
        planned = plan_reminders([item], now, calendar, ChaseSettings())
        assert bool(planned) is (state in (S.SENT, S.HOLDING, S.RETURNED)), state


def test_replanning_gives_the_same_keys(calendar: WorkingCalendar, chased: ChaseItem) -> None:
    others = [
        replace(chased, question=replace(chased.question, id=n, due_date=DUE + timedelta(n)))
        for n in range(2, 8)
    ]
    items = [chased, *others]
    for day in (date(2026, 4, 1), date(2026, 4, 9), date(2026, 4, 15)):
        first = plan_reminders(items, at(day, 9, 30), calendar, ChaseSettings())
        again = plan_reminders(list(reversed(items)), at(day, 9, 30), calendar, ChaseSettings())
        later = plan_reminders(items, at(day, 16, 45), calendar, ChaseSettings())
        assert [r.key for r in first] == [r.key for r in again] == [r.key for r in later]
        assert len({r.key.question_id for r in first}) == len(first)  # one per question


# --- Missed rungs ---------------------------------------------------------------------


def test_a_missed_rung_goes_once_late_and_says_what_is_left(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    sweeps = Sweeps(calendar)
    sweeps.run([chased], at(SENT_ON))
    # The bot was down all of Tue 31 Mar.
    [late] = sweeps.run([chased], at(date(2026, 4, 1)))
    assert late.key == ReminderKey(1, "before_due_5", date(2026, 3, 31))
    assert late.reason == "due in 4 working days (Thu 9 Apr)"
    assert sweeps.run([chased], at(date(2026, 4, 2))) == []


def test_only_the_latest_missed_rung_goes_never_a_burst(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    sweeps = Sweeps(calendar)
    # Down from before sending until Wed 15 Apr: sent, before 5, before 2, due, overdue and
    # a repeat were all missed; only the latest (the repeat of Tue 14 Apr) goes.
    [only] = sweeps.run([chased], at(date(2026, 4, 15)))
    assert only.key == ReminderKey(1, "overdue_repeat", date(2026, 4, 14))
    assert only.recipients == (officer(), CLERKS)
    assert sweeps.daily([chased], date(2026, 4, 15), date(2026, 4, 17)) == [
        (date(2026, 4, 16), "overdue_repeat"),
        (date(2026, 4, 17), "very_overdue"),
    ]


def test_a_late_sent_rung_does_not_call_the_question_new(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    # Sent on Saturday: the sent rung belongs to Monday; the bot was down on Monday.
    item = replace(
        chased,
        sent_on=date(2026, 3, 28),
        question=replace(chased.question, due_date=date(2026, 4, 20)),
    )
    [late] = plan_reminders([item], at(date(2026, 3, 31)), calendar, ChaseSettings())
    assert late.key == ReminderKey(1, "sent", SENT_ON)
    assert late.reason == "sent Mon 30 Mar, due in 12 working days (Mon 20 Apr)"


def test_sent_beats_other_rungs_on_its_day_and_nothing_before_it(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    # Sent on Tue 7 Apr, the day of the 2-days-before rung, after the 5-days-before day.
    item = replace(chased, sent_on=date(2026, 4, 7))
    sweeps = Sweeps(calendar)
    assert sweeps.daily([item], SENT_ON, date(2026, 4, 9)) == [
        (date(2026, 4, 7), "sent"),
        (date(2026, 4, 9), "due_today"),
    ]


def test_sent_after_the_due_date_starts_with_the_sent_rung(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    item = replace(chased, sent_on=date(2026, 4, 13))
    sweeps = Sweeps(calendar)
    assert sweeps.daily([item], SENT_ON, date(2026, 4, 16)) == [
        (date(2026, 4, 13), "sent"),
        (date(2026, 4, 14), "overdue_repeat"),
        (date(2026, 4, 16), "overdue_repeat"),
    ]
    first = sweeps.log[0][1]
    assert first.recipients == (officer(),)
    assert first.reason == "new question, overdue: was due Thu 9 Apr, 2 working days ago"


# --- Holding replies and snoozes ------------------------------------------------------


def test_a_holding_reply_moves_the_reminders_to_the_promised_date(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    promised = date(2026, 4, 16)
    holding = replace(
        chased, question=replace(chased.question, state=S.HOLDING), promised_date=promised
    )
    assert chase_due_date(holding.question, promised) == promised
    sweeps = Sweeps(calendar)
    sweeps.run([chased], at(SENT_ON))  # sent before the holding reply was given
    assert sweeps.daily([holding], date(2026, 3, 31), date(2026, 4, 22)) == [
        (date(2026, 4, 16), "due_today"),
        (date(2026, 4, 17), "overdue"),
        (date(2026, 4, 21), "overdue_repeat"),
    ]
    due_today = sweeps.log[1][1]
    assert due_today.reason == "due today (Thu 16 Apr, the date promised)"
    assert due_today.due_date == promised
    overdue = sweeps.log[2][1]
    assert overdue.recipients == (officer(), CLERKS)
    assert overdue.lateness is lateness(
        holding.question, date(2026, 4, 17), calendar, promised_date=promised
    )


def test_a_promise_before_the_due_date_is_reminded_on_the_day(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    promised = date(2026, 4, 1)
    holding = replace(
        chased, question=replace(chased.question, state=S.HOLDING), promised_date=promised
    )
    sweeps = Sweeps(calendar)
    assert sweeps.daily([holding], date(2026, 3, 31), date(2026, 4, 9)) == [
        (date(2026, 4, 1), "promised_day"),
        (date(2026, 4, 7), "before_due_2"),
        (date(2026, 4, 9), "due_today"),
    ]
    assert sweeps.log[0][1].reason == "answer promised by today, due in 4 working days (Thu 9 Apr)"


def test_the_promise_counts_only_while_holding(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    returned = replace(
        chased, question=replace(chased.question, state=S.RETURNED), promised_date=date(2026, 4, 30)
    )
    [reminder] = plan_reminders([returned], at(date(2026, 4, 10)), calendar, ChaseSettings())
    assert reminder.key.rung == "overdue" and reminder.due_date == DUE


def test_a_snooze_delays_reminders_and_reminds_on_the_day(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    # On Tue 31 Mar the officer snoozes "tomorrow".
    until = snooze_until("tomorrow", date(2026, 3, 31), calendar, DUE, clerk=False)
    assert until == date(2026, 4, 1)
    snoozed = replace(chased, snoozed_until=until)
    sweeps = Sweeps(calendar)
    sweeps.run([chased], at(SENT_ON))
    assert sweeps.daily([snoozed], date(2026, 3, 31), date(2026, 4, 9)) == [
        (date(2026, 4, 1), "after_snooze"),
        (date(2026, 4, 7), "before_due_2"),
        (date(2026, 4, 9), "due_today"),
    ]
    assert sweeps.log[1][1].reason == "snoozed until today, due in 4 working days (Thu 9 Apr)"


def test_rungs_held_back_by_a_snooze_never_come_back(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    # Snoozed on Thu 2 Apr for 2 working days: Good Friday and Easter Monday are skipped.
    until = snooze_until(SnoozeChoice.TWO_WORKING_DAYS, date(2026, 4, 2), calendar, DUE, False)
    assert until == date(2026, 4, 8)
    snoozed = replace(chased, snoozed_until=until)
    sweeps = Sweeps(calendar)
    assert sweeps.daily([snoozed], date(2026, 4, 3), date(2026, 4, 10)) == [
        (date(2026, 4, 8), "after_snooze"),
        (date(2026, 4, 9), "due_today"),
        (date(2026, 4, 10), "overdue"),
    ]


def test_a_snooze_does_not_move_the_due_date(calendar: WorkingCalendar, chased: ChaseItem) -> None:
    # The clerk snoozes an overdue question until Wed 15 Apr.
    until = snooze_until("2_working_days", date(2026, 4, 13), calendar, DUE, clerk=True)
    assert until == date(2026, 4, 15)
    snoozed = replace(chased, snoozed_until=until)
    assert plan_reminders([snoozed], at(date(2026, 4, 14)), calendar, ChaseSettings()) == []
    [reminder] = plan_reminders([snoozed], at(until), calendar, ChaseSettings())
    assert reminder.key == ReminderKey(1, "after_snooze", until)
    assert reminder.due_date == DUE and reminder.lateness is Lateness.OVERDUE
    assert reminder.recipients == (officer(), CLERKS)
    assert reminder.reason == "snoozed until today, overdue: was due Thu 9 Apr, 4 working days ago"


def test_snoozing_is_capped_at_the_due_date_without_the_clerk(calendar: WorkingCalendar) -> None:
    wednesday = date(2026, 4, 8)
    assert snooze_until("2_working_days", wednesday, calendar, DUE, clerk=False) == DUE
    assert snooze_until("2_working_days", wednesday, calendar, DUE, clerk=True) == date(2026, 4, 10)
    assert snooze_until("2_working_days", wednesday, calendar, None, clerk=False) == date(
        2026, 4, 10
    )
    for today in (DUE, date(2026, 4, 10)):  # due today, overdue: nothing left to snooze
        with pytest.raises(InvalidInput, match="beyond the due date"):
            snooze_until("tomorrow", today, calendar, DUE, clerk=False)
    # Due on a Saturday: capped at the Friday before, not the Monday after.
    saturday = date(2026, 4, 11)
    assert snooze_until("2_working_days", DUE, calendar, saturday, clerk=False) == date(2026, 4, 10)
    with pytest.raises(InvalidInput, match="not a snooze choice"):
        snooze_until("next year", wednesday, calendar, DUE, clerk=True)


# --- Recipients and settings ----------------------------------------------------------


def test_recipients_edge_cases(calendar: WorkingCalendar, chased: ChaseItem) -> None:
    very_overdue_day = date(2026, 4, 17)
    unassigned = replace(chased, question=replace(chased.question, assigned_officer=None))
    [reminder] = plan_reminders([unassigned], at(date(2026, 3, 31)), calendar, ChaseSettings())
    assert reminder.recipients == (CLERKS,)
    own_deputy = replace(chased, deputy=OFFICER)
    [reminder] = plan_reminders([own_deputy], at(very_overdue_day), calendar, ChaseSettings())
    assert reminder.recipients == (officer(), CLERKS)
    no_escalation = ChaseSettings(on_very_overdue=False)
    [reminder] = plan_reminders([chased], at(very_overdue_day), calendar, no_escalation)
    assert reminder.key.rung == "overdue_repeat" and reminder.recipients == (officer(), CLERKS)


def test_a_question_without_a_due_date_gets_only_the_sent_rung(
    calendar: WorkingCalendar, chased: ChaseItem
) -> None:
    undated = replace(chased, question=replace(chased.question, due_date=None))
    sweeps = Sweeps(calendar)
    assert sweeps.daily([undated], SENT_ON, date(2026, 5, 1)) == [(SENT_ON, "sent")]
    assert sweeps.log[0][1].reason == "new question, no due date set yet"


def test_a_configured_ladder(calendar: WorkingCalendar, chased: ChaseItem) -> None:
    ladder = parse_ladder("before:3, due, every:3, very_overdue")
    assert ladder == ChaseSettings(
        on_sending=False, before_due=(3,), on_overdue=False, overdue_every=3
    )
    sweeps = Sweeps(calendar, ladder)
    assert sweeps.daily([chased], SENT_ON, date(2026, 4, 20)) == [
        (date(2026, 4, 2), "before_due_3"),
        (date(2026, 4, 9), "due_today"),
        (date(2026, 4, 15), "overdue_repeat"),
        (date(2026, 4, 17), "very_overdue"),
        (date(2026, 4, 20), "overdue_repeat"),
    ]


def test_parse_ladder_and_working_hours() -> None:
    assert parse_ladder(DEFAULT_LADDER) == ChaseSettings()
    assert parse_ladder(" Sent , BEFORE : 2 , before:5 ,due,overdue,every:2,very_overdue ") == (
        ChaseSettings()
    )
    base = ChaseSettings(very_overdue_after=8, working_hours=WorkingHours(time(9), time(17)))
    assert parse_ladder("sent", base) == replace(
        base,
        before_due=(),
        on_due_day=False,
        on_overdue=False,
        overdue_every=0,
        on_very_overdue=False,
    )
    for bad in (
        "",
        "sent,sent",
        "every:2,every:3",
        "before",
        "fortnightly",
        "before:0",
        "before:2,before:2",
    ):
        with pytest.raises(InvalidInput):
            parse_ladder(bad)
    assert parse_working_hours("09:30-17:00") == WorkingHours()
    assert parse_working_hours(" 8:00 – 18:30 ") == WorkingHours(time(8), time(18, 30))
    assert str(WorkingHours()) == "09:30-17:00"
    for bad in ("9-5", "17:00-09:30", "09:30-09:30", "25:00-26:00", "09:61-17:00"):
        with pytest.raises(InvalidInput):
            parse_working_hours(bad)
    with pytest.raises(InvalidInput):
        ChaseSettings(overdue_every=-1)
    with pytest.raises(InvalidInput):
        ChaseSettings(very_overdue_after=0)


# --- Digests and nudges ---------------------------------------------------------------


def test_one_digest_per_person_and_one_nudge_per_question(
    calendar: WorkingCalendar, make_question: MakeQuestion
) -> None:
    wednesday = date(2026, 4, 22)

    def item(
        n: int,
        due: date,
        *,
        to: str = OFFICER,
        deputy: str | None = None,
        sent_on: date = date(2026, 4, 1),
        threaded: bool = True,
    ) -> ChaseItem:
        thread = MessageRef("CRESPONSES", f"1776000000.00000{n}") if threaded else None
        question = make_question(
            S.SENT,
            id=n,
            reference=f"CYP-2023-12-18-Q0{n}",
            due_date=due,
            assigned_officer=to,
            thread=thread,
        )
        return ChaseItem(question, deputy=deputy, sent_on=sent_on)

    items = [
        item(1, date(2026, 4, 24), threaded=False),  # 2 working days to go
        item(2, date(2026, 4, 21)),  # overdue today
        # Very overdue; the first officer deputises for the second officer's role.
        item(3, date(2026, 4, 13), to=OTHER_OFFICER, deputy=OFFICER),
        item(4, date(2026, 4, 30), to=OTHER_OFFICER, sent_on=wednesday),
    ]
    reminders = plan_reminders(items, at(wednesday), calendar, ChaseSettings())
    assert [(r.key.question_id, r.rung) for r in reminders] == [
        (1, Rung.BEFORE_DUE),
        (2, Rung.OVERDUE),
        (3, Rung.OVERDUE_REPEAT),
        (4, Rung.SENT),
    ]
    digests = group_digests(reminders)
    summary = [
        (d.user, [(e.reference[-3:], e.audience.value, e.overdue) for e in d.entries])
        for d in digests
    ]
    assert summary == [
        (OFFICER, [("Q03", "deputy", True), ("Q02", "officer", True), ("Q01", "officer", False)]),
        (OTHER_OFFICER, [("Q03", "officer", True), ("Q04", "officer", False)]),
        (None, [("Q03", "clerks", True), ("Q02", "clerks", True)]),
    ]
    first = digests[0]
    assert first.keys == tuple(entry.key for entry in first.entries)
    assert first.entries[0].thread == MessageRef("CRESPONSES", "1776000000.000003")
    assert first.entries[2].thread is None and first.entries[2].due_date == date(2026, 4, 24)
    nudges = thread_nudges(reminders + reminders)
    assert [(n.reference[-3:], n.thread.ts) for n in nudges] == [
        ("Q02", "1776000000.000002"),
        ("Q03", "1776000000.000003"),
    ]
    assert nudges[0].text == "Reminder: overdue: was due Tue 21 Apr, 1 working day ago."


def test_the_clerks_daily_digest(calendar: WorkingCalendar, make_question: MakeQuestion) -> None:
    now = at(date(2026, 4, 22), 9, 0)
    since = now - timedelta(days=1)
    meeting = Meeting(2, "CYP", date(2026, 5, 11), "CYP Scrutiny Commission")
    other = Meeting(3, "CYP", date(2026, 7, 6), "CYP Scrutiny Commission")

    def question(n: int, state: QuestionState, **changes: object) -> Question:
        return make_question(state, id=n, reference=f"CYP-2023-12-18-Q0{n}", **changes)

    answered_yesterday = question(1, S.ANSWERED)
    answered_last_week = question(2, S.APPROVED)
    overdue = question(3, S.SENT, due_date=date(2026, 4, 20))
    very_overdue = question(4, S.SENT, due_date=date(2026, 4, 1), assigned_officer=OTHER_OFFICER)
    on_time = question(5, S.SENT, due_date=date(2026, 4, 27))
    promised = question(6, S.HOLDING, due_date=date(2026, 4, 20))
    elsewhere = question(7, S.SENT, target_meeting_id=other.id)
    digest = build_clerk_digest(
        now=now,
        since=since,
        calendar=calendar,
        settings=ChaseSettings(),
        answered=[
            AnsweredQuestion(answered_yesterday, now - timedelta(hours=2)),
            AnsweredQuestion(answered_last_week, now - timedelta(days=7)),
        ],
        awaiting=[ChaseItem(q) for q in (overdue, very_overdue, on_time)]
        + [ChaseItem(promised, promised_date=date(2026, 4, 24))],
        next_meetings=[meeting],
        targeted=[
            answered_yesterday,
            answered_last_week,
            overdue,
            very_overdue,
            on_time,
            promised,
            elsewhere,
        ],
    )
    assert digest.day == date(2026, 4, 22) and not digest.is_empty
    assert [news.question.reference for news in digest.new_answers] == ["CYP-2023-12-18-Q01"]
    assert [
        (group.officer, [(o.question.id, o.lateness, o.situation) for o in group.questions])
        for group in digest.overdue_by_officer
    ] == [
        (OFFICER, [(3, Lateness.OVERDUE, "overdue: was due Mon 20 Apr, 2 working days ago")]),
        (
            OTHER_OFFICER,
            [(4, Lateness.VERY_OVERDUE, "very overdue: was due Wed 1 Apr, 13 working days ago")],
        ),
    ]
    [blockers] = digest.agenda_blockers
    assert blockers.meeting == meeting
    assert blockers.publication.date == date(2026, 4, 30)
    assert [(b.question.id, b.status) for b in blockers.questions] == [
        (1, "answered and waiting for approval"),
        (3, "with the officer"),
        (4, "with the officer"),
        (5, "with the officer"),
        (6, "waiting for the answer the officer promised"),
    ]
    quiet = build_clerk_digest(
        now=now,
        since=since,
        calendar=calendar,
        settings=ChaseSettings(),
        answered=[],
        awaiting=[ChaseItem(on_time)],
        next_meetings=[meeting],
        targeted=[answered_last_week],
    )
    assert quiet.is_empty


# --- Properties -----------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    due=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    sent_before=st.integers(min_value=-3, max_value=20),
    skipped=st.sets(st.integers(min_value=0, max_value=40), max_size=10),
)
def test_sweeps_send_at_most_one_reminder_a_day_and_only_on_working_days(
    due: date, sent_before: int, skipped: set[int]
) -> None:
    """Whatever the dates and whichever days the bot was down."""
    calendar = WorkingCalendar()
    sent_on = due - timedelta(days=sent_before)
    question = Question(
        id=9,
        reference="CYP-2023-12-18-Q09",
        source_meeting_id=1,
        agenda_item=None,
        asker=Asker(OnBehalfOf.COMMISSION),
        submitted_by="UMEMBER1",
        text="?",
        state=S.SENT,
        created_at=at(sent_on),
        updated_at=at(sent_on),
        assigned_officer=OFFICER,
        due_date=due,
    )
    item = ChaseItem(question, deputy=DEPUTY, sent_on=sent_on)
    sweeps = Sweeps(calendar)
    for offset in range(41):
        if offset not in skipped:
            sweeps.run([item], at(sent_on + timedelta(days=offset)))
    sent_days = [now.date() for now, _ in sweeps.log]
    assert len(sent_days) == len(set(sent_days))
    for now, reminder in sweeps.log:
        today = now.date()
        assert calendar.is_working_day(today)
        assert calendar.is_working_day(reminder.key.day)
        assert sent_on <= reminder.key.day <= today
        assert reminder.lateness is lateness(question, today, calendar)
        assert (CLERKS in reminder.recipients) is (
            reminder.overdue and reminder.rung is not Rung.SENT
        )
