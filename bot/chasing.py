"""The chase sweep: plan from the database, claim each reminder, send digests and nudges.

The schedule lives in the database: each reminder, and each of its messages to each
destination, is claimed for a sweep that can be seen to be alive (storage/sweeps.py) before
it is sent and marked sent as soon as Slack accepts it. So a restart loses nothing, repeats
nothing but the messages in flight (at most ``SENDS_AT_ONCE``), and a rerun after a crash
takes over the dead sweep's claims at once. Messages
are paced per channel (Slack allows about one a second in a channel); a 429 or 5xx is retried
by the Web API client, and a message that still fails stays due for the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.core.calendar import local_date, short_date
from bot.core.chasing import (
    AnsweredQuestion,
    Audience,
    ClerkDigest,
    OfficerDigest,
    ReminderDue,
    ReminderKey,
    ThreadNudge,
    build_clerk_digest,
    group_digests,
    plan_reminders,
    snooze_until,
    thread_nudges,
)
from bot.core.lifecycle import AWAITING_ANSWER
from bot.core.models import Meeting, MessageRef, QuestionState
from bot.core.mrkdwn import Mrkdwn, esc, join, link, md, mention
from bot.flows.sending import clerk_destinations, thread_base_url
from bot.flows.slack import dm_channel, known_dm_channels, message_link, remember_dm_channels
from bot.flows.status import statuses
from bot.services import Services
from storage.sweeps import HEARTBEAT_SECONDS

logger = logging.getLogger(__name__)

SLACK_PACE = 1.0
"""Seconds from the start of one message to the start of the next in the same channel
(Slack: about 1 per second per channel)."""

SENDS_AT_ONCE = 50
"""Requests in flight at once across channels; each channel's own messages go one by one.
Enough that at real latency (a few hundred ms a call) the busiest channel, not this cap, sets
the sweep's length; and the most a crash mid-sweep can repeat."""

SEND_ERRORS = (SlackApiError, ClientError, asyncio.TimeoutError)


PACE_MARGIN = 1.04
"""Messages are spaced a little more than the limit: requests to Slack arrive with some
jitter, and one that arrives a hair early is refused (429) and costs a whole second."""


class ChannelPacer:
    """Starts messages to one channel ``interval`` seconds apart, and keeps at most
    ``at_once`` requests in flight across all channels. A channel's next message waits for
    the previous one to finish too, so a slow or retried request never overlaps the next;
    after a send that took longer than the interval (Slack made it wait and retry), the
    next waits a whole interval from its end, and after one merely slower than the quickest,
    the next waits that much longer (it may have reached Slack late, and the next must not
    reach it early)."""

    def __init__(
        self,
        interval: float,
        at_once: int = SENDS_AT_ONCE,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.interval = interval
        self.sleep = sleep
        self.clock = clock
        self._last: dict[str, tuple[float, float]] = {}
        """Each channel's previous send: when it started and when it ended."""
        self._busy: dict[str, asyncio.Lock] = {}
        self._in_flight = asyncio.Semaphore(at_once)
        self._quickest: float | None = None
        """The quickest send so far: a call's round trip when nothing holds it up."""

    def ready_at(self, channel: str) -> float:
        """When the channel's next message may start. Judged when it is wanted, not when the
        previous one ended: the sends of a sweep's first moment are all held up together,
        and only later ones show how quick a send can be."""
        last = self._last.get(channel)
        if last is None:
            return 0.0
        started, ended = last
        spacing = self.interval * PACE_MARGIN
        took = ended - started
        if took > self.interval or self._quickest is None:
            return ended + spacing
        # A send slower than the quickest seen was held up on the way, and may have reached
        # Slack that much later: the next waits as much.
        return max(started, ended - self._quickest) + spacing

    @asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        """Wait for the channel's turn, then send inside the ``async with``."""
        now = self.clock or asyncio.get_running_loop().time
        async with self._busy.setdefault(channel, asyncio.Lock()):
            while (wait := self.ready_at(channel) - now()) > 0:
                await self.sleep(wait)
            async with self._in_flight:
                started = now()
                try:
                    yield
                finally:
                    ended = now()
                    self._last[channel] = (started, ended)
                    took = ended - started
                    if took <= self.interval:
                        self._quickest = min(self._quickest or took, took)


@dataclass
class SweepReport:
    """What one sweep did (or, in a dry run, would do), line by line for people."""

    planned: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)


def digest_blocks(
    digest: OfficerDigest, base_url: str, reasons: Mapping[int, str] | None = None
) -> list[messages.Block]:
    """One message listing every question due a reminder for this person."""
    count = len(digest.entries)
    plural = "s" if count != 1 else ""
    if digest.user is None:
        head = md(":alarm_clock: {} overdue scrutiny question{}", count, plural)
    else:
        head = md(":alarm_clock: {} scrutiny question{} waiting for your answer", count, plural)
    lines = []
    for entry in digest.entries[:40]:
        name = esc(entry.reference)
        if entry.thread is not None:
            name = link(message_link(base_url, entry.thread), entry.reference)
        due = f"due {short_date(entry.due_date)}" if entry.due_date else "no due date"
        flag = Mrkdwn(" :red_circle: *overdue*" if entry.overdue else "")
        role = " (as deputy)" if entry.audience is Audience.DEPUTY else ""
        officer = entry.reminder.question.assigned_officer
        who = md(" · {}", mention(officer)) if digest.user is None and officer else ""
        why = (reasons or {}).get(entry.reminder.question.id)
        lines.append(
            md(
                "• {}: _{}_\n   {}{}{}{}: {}{}",
                name,
                topic(entry.reminder.question.text),
                due,
                flag,
                who,
                role,
                entry.reminder.reason,
                md("\n   _{}_", why[:1].upper() + why[1:]) if why else "",
            )
        )
    out = [messages.section(head), messages.section(join("\n", lines))]
    if digest.user is not None:
        footer = Mrkdwn("Answer by replying in each question's thread.")
        out.append(messages.context_line(footer))
    return out


TOPIC_LENGTH = 80


def topic(text: str) -> str:
    """What a question is about: its first words, up to 80 characters, on one line."""
    line = " ".join(text.split())
    if len(line) <= TOPIC_LENGTH:
        return line
    cut = line[: TOPIC_LENGTH - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


CLERK_DIGEST = "clerk-digest:"
"""How the deliveries table names the clerks' daily digest (followed by the day)."""


def subject(key: ReminderKey) -> str:
    """The reminder, as the deliveries table names it."""
    return f"reminder:{key.question_id}:{key.rung}:{key.day.isoformat()}"


@asynccontextmanager
async def running_sweep(services: Services, now: datetime) -> AsyncIterator[tuple[int, set[int]]]:
    """Register a sweep and keep its heartbeat while it runs: (its id, sweeps alive now)."""
    sweeps = services.repos.sweeps
    sweep_id = await sweeps.begin(now)

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await sweeps.beat(sweep_id)

    beating = asyncio.create_task(heartbeat(), name=f"sweep-{sweep_id}-heartbeat")
    try:
        yield sweep_id, await sweeps.alive()
    finally:
        beating.cancel()
        await asyncio.shield(sweeps.finish(sweep_id, services.clock()))


async def sweep(
    services: Services,
    client: AsyncWebClient | None,
    now: datetime,
    *,
    dry_run: bool = False,
    pace: float = SLACK_PACE,
) -> SweepReport:
    """Send every reminder due at ``now``: one digest per person, one nudge per thread.

    Each message to each destination is claimed for this sweep, then marked sent the moment
    Slack accepts it; a reminder is sent once all its messages are. A message that fails
    (after the client's own retries) leaves its reminder due, and the next sweep sends only
    what is missing.
    """
    repos = services.repos
    calendar = await repos.closure_days.calendar()
    due = plan_reminders(
        await repos.reminders.inputs_for_sweep(), now, calendar, services.settings.chase
    )
    report = SweepReport(planned=len(due))
    if dry_run or client is None:
        report.lines = describe(due)
        return report
    async with running_sweep(services, now) as (sweep_id, alive):
        claimed = set(await repos.reminders.claim([r.key for r in due], now, sweep_id, alive))
        due = [r for r in due if r.key in claimed]
        report.claimed = len(due)
        if not due:
            return report
        pacer = ChannelPacer(pace)
        # The nudges need nothing more: they start while the digests are put together.
        nudges = thread_nudges(due)
        mine = await repos.deliveries.claim(
            [(subject(nudge.key), "thread") for nudge in nudges], sweep_id, alive, now
        )
        by_channel: dict[str, list[ThreadNudge]] = {}
        for nudge in nudges:
            if (subject(nudge.key), "thread") in mine:
                by_channel.setdefault(nudge.thread.channel, []).append(nudge)

        async def nudge_channel(queue: list[ThreadNudge]) -> None:
            for nudge in queue:
                pair = [(subject(nudge.key), "thread")]
                try:
                    await send_nudge(client, pacer, nudge)
                except SEND_ERRORS as error:
                    logger.warning("nudge in %s not sent, stays due: %s", nudge.reference, error)
                    await repos.deliveries.mark_failed(pair, str(error), services.clock())
                    continue
                await repos.deliveries.mark_sent(pair, services.clock())

        nudging = [asyncio.create_task(nudge_channel(queue)) for queue in by_channel.values()]
        try:
            await send_digests(services, client, pacer, due, sweep_id, alive, now, report)
        finally:
            await asyncio.gather(*nudging)
        unsent = await repos.deliveries.unsent(subject(r.key) for r in due)
        for reminder in due:
            if subject(reminder.key) in unsent:
                await repos.reminders.mark_failed(
                    reminder.key, "some of its messages were not sent", services.clock()
                )
                report.failed += 1
        sent = [r.key for r in due if subject(r.key) not in unsent]
        await repos.reminders.mark_all_sent(sent, services.clock())
        report.sent += len(sent)
    return report


async def send_digests(
    services: Services,
    client: AsyncWebClient,
    pacer: ChannelPacer,
    due: list[ReminderDue],
    sweep_id: int,
    alive: set[int],
    now: datetime,
    report: SweepReport,
) -> None:
    """Each person's digest of the claimed reminders, and the clerks' (those without an
    officer) to each clerk destination."""
    repos = services.repos
    people = {r.user for d in due for r in d.recipients if r.user} | await services.clerk_ids()
    # DM channels kept from before: conversations.open allows about 50 a minute, and a bot
    # just started would otherwise need one for every officer it chases.
    remember_dm_channels(client, await repos.people.dm_channels(people))
    base_url = await thread_base_url(services, client)
    reasons = {
        s.question.id: s.due_reason
        for s in await statuses(services, [r.question for r in due])
        if s.due_reason
    }
    clerks = [f"clerks:{c}" for c in await clerk_destinations(services, client)]
    outgoing = [
        (digest, destination)
        for digest in group_digests(due)
        for destination in (clerks if digest.user is None else [f"person:{digest.user}"])
    ]
    wanted = [(subject(e.key), dest) for digest, dest in outgoing for e in digest.entries]
    mine = await repos.deliveries.claim(wanted, sweep_id, alive, now)

    async def deliver(digest: OfficerDigest, destination: str) -> None:
        entries = tuple(e for e in digest.entries if (subject(e.key), destination) in mine)
        if not entries:
            return
        pairs = [(subject(e.key), destination) for e in entries]
        try:
            await send_digest(
                client, pacer, replace(digest, entries=entries), destination, base_url, reasons
            )
        except SEND_ERRORS as error:
            logger.warning("digest to %s not sent, stays due: %s", destination, error)
            await repos.deliveries.mark_failed(pairs, str(error), services.clock())
            return
        # Recorded at once, so a crash later in the sweep cannot send this digest again.
        await repos.deliveries.mark_sent(pairs, services.clock())
        report.lines.append(f"digest to {destination}: {len(entries)} question(s)")

    await asyncio.gather(*(deliver(digest, destination) for digest, destination in outgoing))
    await repos.people.remember_dm_channels(known_dm_channels(client, people), services.clock())


async def send_nudge(client: AsyncWebClient, pacer: ChannelPacer, nudge: ThreadNudge) -> None:
    """A short reply in the question's thread."""
    async with pacer.slot(nudge.thread.channel):
        await client.chat_postMessage(
            channel=nudge.thread.channel, thread_ts=nudge.thread.ts, text=esc(nudge.text)
        )


async def send_digest(
    client: AsyncWebClient,
    pacer: ChannelPacer,
    digest: OfficerDigest,
    destination: str,
    base_url: str,
    reasons: Mapping[int, str] | None = None,
) -> None:
    """The digest to one destination: ``person:U…`` (their DM) or ``clerks:<channel>``."""
    blocks = digest_blocks(digest, base_url, reasons)
    text = blocks[0]["text"]["text"]
    kind, _, target = destination.partition(":")
    channel = await dm_channel(client, target) if kind == "person" else target
    async with pacer.slot(channel):
        await client.chat_postMessage(channel=channel, text=text, blocks=blocks)


def describe(due: list[ReminderDue]) -> list[str]:
    """What a dry run prints: one line per reminder."""
    lines = []
    for reminder in due:
        people = ", ".join(r.user or "clerks" for r in reminder.recipients)
        lines.append(
            f"{reminder.question.reference} [{reminder.key.rung}] to {people}: {reminder.reason}"
        )
    return lines


async def clerk_daily_digest(
    services: Services, client: AsyncWebClient | None, now: datetime, *, dry_run: bool = False
) -> ClerkDigest | None:
    """Once per working day: answers received, overdue by officer, what blocks the agenda.

    Sent once to each clerk destination, through the same claims as the chase sweep: a
    crash repeats at most the message in flight, and a failed one goes at the next tick.
    Returns None when there was nothing left to send today.
    """
    repos = services.repos
    calendar = await repos.closure_days.calendar()
    today = local_date(now)
    if not calendar.is_working_day(today) or not services.settings.chase.working_hours.contains(
        now
    ):
        return None
    digest = await gather_clerk_digest(services, now)
    if dry_run or client is None or digest.is_empty:
        return digest
    name = f"{CLERK_DIGEST}{today.isoformat()}"
    async with running_sweep(services, now) as (sweep_id, alive):
        channels = await clerk_destinations(services, client)
        mine = await repos.deliveries.claim(
            [(name, f"clerks:{c}") for c in channels], sweep_id, alive, now
        )
        if not mine:
            return None
        blocks = clerk_digest_blocks(digest, await thread_base_url(services, client))
        for channel in channels:
            pair = [(name, f"clerks:{channel}")]
            if pair[0] not in mine:
                continue
            try:
                await client.chat_postMessage(
                    channel=channel, text="Scrutiny questions: daily digest", blocks=blocks
                )
            except SEND_ERRORS as error:
                logger.warning("clerk digest to %s not sent, stays due: %s", channel, error)
                await repos.deliveries.mark_failed(pair, str(error), services.clock())
                continue
            await repos.deliveries.mark_sent(pair, services.clock())
    return digest


async def gather_clerk_digest(services: Services, now: datetime) -> ClerkDigest:
    repos = services.repos
    calendar = await repos.closure_days.calendar()
    # New answers since the previous digest went out (or the last day, for the first one).
    since = await repos.deliveries.last_sent(CLERK_DIGEST) or now - timedelta(days=1)
    answered = []
    questions = await repos.questions.search(
        states=[QuestionState.ANSWERED, QuestionState.APPROVED]
    )
    answers = await repos.answers.get_many(q.id for q in questions)
    for question in questions:
        parts = [p for p in answers[question.id].parts if not p.deleted]
        if parts:
            answered.append(AnsweredQuestion(question, min(p.posted_at for p in parts)))
    today = local_date(now)
    upcoming = await repos.meetings.all(from_date=today)
    next_by_committee: dict[str, Meeting] = {}
    for meeting in upcoming:
        next_by_committee.setdefault(meeting.committee_key, meeting)
    targeted = []
    for meeting in next_by_committee.values():
        targeted += await repos.questions.search(target_meeting_id=meeting.id)
    awaiting = [
        i for i in await repos.reminders.inputs_for_sweep() if i.question.state in AWAITING_ANSWER
    ]
    return build_clerk_digest(
        now=now,
        since=since,
        calendar=calendar,
        settings=services.settings.chase,
        answered=answered,
        awaiting=awaiting,
        next_meetings=list(next_by_committee.values()),
        targeted=targeted,
    )


def clerk_digest_blocks(digest: ClerkDigest, base_url: str) -> list[messages.Block]:
    out = [
        messages.section(
            md(":newspaper: *Scrutiny questions, {}*", short_date(digest.day, with_year=True))
        )
    ]
    for ready in digest.compile_now:
        awaited = sum(count for _, count in ready.awaited)
        by_officer = join(
            ", ", [md("{} {}", mention(officer), count) for officer, count in ready.awaited]
        )
        out.append(
            messages.section(
                md(
                    ":memo: *Compile now for {}*: the agenda goes out {}. {} answered, {} "
                    "awaited{}. `/agenda compile {}`",
                    ready.meeting.reference,
                    short_date(ready.publication.date),
                    ready.answered,
                    awaited,
                    md(" (by officer: {})", by_officer) if ready.awaited else "",
                    ready.meeting.reference,
                )
            )
        )
    if digest.new_answers:
        lines = [
            md("• {}{}", a.question.reference, thread_link(base_url, a.question.thread))
            for a in digest.new_answers[:30]
        ]
        out.append(messages.section(md("*New answers*\n{}", join("\n", lines))))
    for officer in digest.overdue_by_officer:
        lines = [md("• {}: {}", o.question.reference, o.situation) for o in officer.questions[:20]]
        out.append(
            messages.section(
                md("*Overdue with {}*\n{}", mention(officer.officer), join("\n", lines))
            )
        )
    for blockers in digest.agenda_blockers:
        if not blockers.questions:
            continue
        lines = [md("• {}: {}", b.question.reference, b.status) for b in blockers.questions[:30]]
        out.append(
            messages.section(
                md(
                    "*Blocking the agenda for {}* ({})\n{}",
                    blockers.meeting.reference,
                    blockers.publication.explanation,
                    join("\n", lines),
                )
            )
        )
    return out[:45]


def thread_link(base_url: str, thread: MessageRef | None) -> Mrkdwn:
    return md(" ({})", link(message_link(base_url, thread), "thread")) if thread else Mrkdwn("")


async def snooze(
    services: Services, user_id: str, question_id: int, choice: str
) -> tuple[str, date]:
    """Hold this question's reminders back ("tomorrow", "2_working_days"); due date unchanged."""
    repos = services.repos
    actor = await services.actor(user_id)
    question = await repos.questions.get(question_id)
    calendar = await repos.closure_days.calendar()
    now = services.clock()
    until = snooze_until(choice, local_date(now), calendar, question.due_date, actor.is_clerk)
    await repos.reminders.set_snooze(question.id, until, actor, now)
    return question.reference, until
