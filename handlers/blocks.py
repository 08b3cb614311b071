"""Pure Block Kit builders: data in, block dicts out. No Slack calls here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.calendar import short_date
from bot.core.models import Committee, Meeting, OfficerRole, OnBehalfOf, Question
from bot.core.mrkdwn import Mrkdwn, join, md, mention, quoted
from bot.messages import context_line, section

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


def agenda_help(entries: Iterable[HelpEntry], *, is_clerk: bool) -> list[Block]:
    """The ``/agenda help`` message: every command, marking those only clerks may use."""
    everyone = list(entries)
    lines = [
        md("`{}` {}{}", e.usage, e.summary, Mrkdwn(" _(clerks only)_" if e.clerk_only else ""))
        for e in everyone
    ]
    out = [
        section(Mrkdwn("*Scrutiny questions: `/agenda` commands*")),
        section(join("\n", lines)),
    ]
    if not is_clerk and any(e.clerk_only for e in everyone):
        out.append(context_line(Mrkdwn("Commands marked _clerks only_ need the clerk's role.")))
    return out


def meeting_label(meeting: Meeting, committee_name: str | None = None) -> str:
    """'CYP Mon 11 May 2026 18:00' (the committee's name when known)."""
    when = short_date(meeting.date, with_year=True)
    if meeting.time is not None:
        when += f" {meeting.time.strftime('%H:%M')}"
    return f"{committee_name or meeting.committee_key}, {when}"


def unknown_subcommand(text: str) -> Mrkdwn:
    first = text.split()[0] if text.split() else ""
    return md("I don't know `/agenda {}`. Try `/agenda help` for the list.", first)


def meeting_added(summary: MeetingSummary) -> list[Block]:
    m = summary.meeting
    out = [
        section(md("Added *{}*: {}.", m.reference, meeting_label(m, summary.committee_name))),
        context_line(md("{}{}.", summary.publication[:1].upper(), summary.publication[1:])),
        context_line(md("Answers {}.", summary.due)),
    ]
    if summary.new_committee_key:
        out.append(
            context_line(
                md(
                    "New committee, given the key *{}* from its initials (meeting and question "
                    "references start with it). To use another key: "
                    "`/agenda committee rename {} <new key>`.",
                    m.committee_key,
                    m.committee_key,
                )
            )
        )
    return out


def committee_list(committees: list[Committee]) -> list[Block]:
    if not committees:
        return [section(Mrkdwn("No committees yet. `/agenda meeting add` adds the first."))]
    lines = join("\n", [md("• *{}*: {}", c.key, c.name) for c in committees[:100]])
    return [section(md("*Committees*\n{}", lines))]


def meeting_list(summaries: list[MeetingSummary]) -> list[Block]:
    if not summaries:
        return [
            section(
                Mrkdwn("No meetings from the last 60 days on. Add one with `/agenda meeting add`.")
            )
        ]
    out = [
        section(Mrkdwn("*Meetings* (from 60 days ago; `/agenda meeting list --all` for every one)"))
    ]
    for s in summaries[-44:]:
        if s.past:
            out.append(
                section(
                    md(
                        "*{}* {} · _past_",
                        s.meeting.reference,
                        meeting_label(s.meeting, s.committee_name),
                    )
                )
            )
            continue
        out.append(
            section(
                md(
                    "*{}* {}\n{}\nanswers {}",
                    s.meeting.reference,
                    meeting_label(s.meeting, s.committee_name),
                    s.publication,
                    s.due,
                )
            )
        )
    return out


def officer_list(roles: list[OfficerRole]) -> list[Block]:
    if not roles:
        return [
            section(
                Mrkdwn("The officer directory is empty. Add a role with `/agenda officer set`.")
            )
        ]
    lines = []
    for role in roles:
        who = mention(role.officer) if role.officer else Mrkdwn("_nobody yet_")
        deputy = md(", deputy {}", mention(role.deputy)) if role.deputy else ""
        lines.append(md("*{}* {}: {}{}", role.key, role.title, who, deputy))
    return [section(Mrkdwn("*Officer directory*")), section(join("\n", lines))]


def next_steps(triage: bool) -> Mrkdwn:
    if triage:
        return Mrkdwn(
            "What happens next: the clerk checks it and sends it to the officer who must "
            "answer. You will hear when the answer arrives; answers are published in the "
            "agenda of the next meeting."
        )
    return Mrkdwn(
        "What happens next: it goes to the officer who must answer, who replies in Slack. You "
        "will hear when the answer arrives; answers are published in the agenda of the next "
        "meeting."
    )


def question_received(question: Question, *, triage: bool) -> list[Block]:
    """The submitter's confirmation."""
    return [
        section(md("Thank you: your question *{}* is recorded.", question.reference)),
        section(quoted(question.text, 2800)),
        context_line(next_steps(triage)),
    ]


def import_saved(questions: list[Question], *, triage: bool) -> list[Block]:
    """The clerk's confirmation of an import."""
    if not questions:
        return [section(Mrkdwn("No questions were saved."))]
    first, last = questions[0].reference, questions[-1].reference
    span = first if first == last else f"{first} to {last}"
    hot = sum(1 for q in questions if q.asker.on_behalf_of is OnBehalfOf.HACKNEY_OF_TOMORROW)
    lines = [md("Imported *{}* questions: {}.", len(questions), span)]
    if hot:
        lines.append(md("{} from Hackney of Tomorrow.", hot))
    unaddressed = [q.reference for q in questions if not q.addressed_role]
    if unaddressed:
        lines.append(
            md("No role yet for {}: each has its own card to edit and send.", len(unaddressed))
        )
    out = [section(join(" ", lines))]
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
        out.append(
            context_line(Mrkdwn("Each goes to the officer for its role, due for the next meeting."))
        )
    return out


SEND_IMPORTED = "send_imported"
