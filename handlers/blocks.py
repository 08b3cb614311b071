"""Pure Block Kit builders: data in, block dicts out. No Slack calls here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.calendar import short_date
from bot.core.models import Committee, Meeting, OfficerRole, OnBehalfOf, Question

if TYPE_CHECKING:
    from bot.flows.admin import MeetingSummary

Block = dict[str, Any]


class HelpEntry(Protocol):
    @property
    def usage(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def clerk_only(self) -> bool: ...


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context_line(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def agenda_help(entries: Iterable[HelpEntry], *, is_clerk: bool) -> list[Block]:
    """The ``/agenda help`` message: every command, marking those only clerks may use."""
    everyone = list(entries)
    lines = [
        f"`{e.usage}` {e.summary}" + (" _(clerks only)_" if e.clerk_only else "") for e in everyone
    ]
    out = [
        section("*Scrutiny questions: `/agenda` commands*"),
        section("\n".join(lines)),
    ]
    if not is_clerk and any(e.clerk_only for e in everyone):
        out.append(context_line("Commands marked _clerks only_ need the clerk's role."))
    return out


def meeting_label(meeting: Meeting, committee_name: str | None = None) -> str:
    """'CYP Mon 11 May 2026 18:00' (the committee's name when known)."""
    when = short_date(meeting.date, with_year=True)
    if meeting.time is not None:
        when += f" {meeting.time.strftime('%H:%M')}"
    return f"{committee_name or meeting.committee_key}, {when}"


def unknown_subcommand(text: str) -> str:
    first = text.split()[0] if text.split() else ""
    return f"I don't know `/agenda {first}`. Try `/agenda help` for the list."


def meeting_added(summary: MeetingSummary) -> list[Block]:
    m = summary.meeting
    out = [
        section(f"Added *{m.reference}*: {meeting_label(m, summary.committee_name)}."),
        context_line(f"{summary.publication[:1].upper()}{summary.publication[1:]}."),
        context_line(f"Answers {summary.due}."),
    ]
    if summary.new_committee_key:
        out.append(
            context_line(
                f"New committee, given the key *{m.committee_key}* from its initials (meeting "
                f"and question references start with it). To use another key: "
                f"`/agenda committee rename {m.committee_key} <new key>`."
            )
        )
    return out


def committee_list(committees: list[Committee]) -> list[Block]:
    if not committees:
        return [section("No committees yet. `/agenda meeting add` adds the first.")]
    lines = [f"• *{c.key}*: {c.name}" for c in committees[:100]]
    return [section("*Committees*\n" + "\n".join(lines))]


def meeting_list(summaries: list[MeetingSummary]) -> list[Block]:
    if not summaries:
        return [
            section("No meetings from the last 60 days on. Add one with `/agenda meeting add`.")
        ]
    out = [section("*Meetings* (from 60 days ago; `/agenda meeting list --all` for every one)")]
    for s in summaries[-44:]:
        if s.past:
            out.append(
                section(
                    f"*{s.meeting.reference}* {meeting_label(s.meeting, s.committee_name)} · _past_"
                )
            )
            continue
        out.append(
            section(
                f"*{s.meeting.reference}* {meeting_label(s.meeting, s.committee_name)}\n"
                f"{s.publication}\nanswers {s.due}"
            )
        )
    return out


def officer_list(roles: list[OfficerRole]) -> list[Block]:
    if not roles:
        return [section("The officer directory is empty. Add a role with `/agenda officer set`.")]
    lines = []
    for role in roles:
        who = f"<@{role.officer}>" if role.officer else "_nobody yet_"
        deputy = f", deputy <@{role.deputy}>" if role.deputy else ""
        lines.append(f"*{role.key}* {role.title}: {who}{deputy}")
    return [section("*Officer directory*"), section("\n".join(lines))]


def next_steps(triage: bool) -> str:
    if triage:
        return (
            "What happens next: the clerk checks it and sends it to the officer who must "
            "answer. You will hear when the answer arrives; answers are published in the "
            "agenda of the next meeting."
        )
    return (
        "What happens next: it goes to the officer who must answer, who replies in Slack. You "
        "will hear when the answer arrives; answers are published in the agenda of the next "
        "meeting."
    )


def question_received(question: Question, *, triage: bool) -> list[Block]:
    """The submitter's confirmation."""
    return [
        section(f"Thank you: your question *{question.reference}* is recorded."),
        section(f">{quote(question.text)}"),
        context_line(next_steps(triage)),
    ]


def import_saved(questions: list[Question], *, triage: bool) -> list[Block]:
    """The clerk's confirmation of an import."""
    if not questions:
        return [section("No questions were saved.")]
    first, last = questions[0].reference, questions[-1].reference
    span = first if first == last else f"{first} to {last}"
    hot = sum(1 for q in questions if q.asker.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW)
    lines = [f"Imported *{len(questions)}* questions: {span}."]
    if hot:
        lines.append(f"{hot} from Hackney of Tomorrow.")
    unaddressed = [q.reference for q in questions if not q.addressed_role]
    if unaddressed:
        lines.append(f"No role yet for {len(unaddressed)}: each has its own card to edit and send.")
    out = [section(" ".join(lines))]
    addressed = [str(q.id) for q in questions if q.addressed_role]
    if triage and addressed:
        out.append(
            {
                "type": "actions",
                "block_id": "import_send",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": f"Approve & send {len(addressed)}"},
                        "action_id": SEND_IMPORTED,
                        "value": ",".join(addressed)[:2000],
                        "style": "primary",
                    }
                ],
            }
        )
        out.append(context_line("Each goes to the officer for its role, due for the next meeting."))
    return out


SEND_IMPORTED = "send_imported"


def quote(text: str, limit: int = 2800) -> str:
    """Text shown inside a quote, shortened to fit a section."""
    body = text if len(text) <= limit else text[:limit] + "…"
    return body.replace("\n", "\n>")
