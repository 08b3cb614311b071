"""Pure builders for the modals: data in, view dicts out."""

from __future__ import annotations

import json
from typing import Any

from bot.core import validation
from bot.core.importer import ImportResult
from bot.core.models import OnBehalfOf
from bot.core.mrkdwn import Mrkdwn, md
from bot.flows.intake import QuestionFormChoices
from bot.messages import context_line, section
from handlers.blocks import Block, meeting_label

View = dict[str, Any]

QUESTION_CALLBACK = "question_submit"
IMPORT_PASTE_CALLBACK = "import_paste"
IMPORT_REVIEW_CALLBACK = "import_review"
QUESTION_LIMIT = validation.QUESTION_TEXT_LIMIT

ASKER_CHOICES = (
    (OnBehalfOf.COMMISSION.value, "The Commission"),
    (OnBehalfOf.HACKNEY_OF_TOMORROW.value, "Hackney of Tomorrow"),
    (OnBehalfOf.MEMBER.value, "Myself (named as the asker)"),
)


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text[:75]), "value": value[:150]}


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def modal(
    callback_id: str, title: str, submit: str | None, blocks: list[Block], **extra: Any
) -> View:
    view: View = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:24]),
        "close": plain("Cancel"),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = plain(submit[:24])
    view.update(extra)
    return view


def meeting_select(choices: QuestionFormChoices, selected: int | None) -> dict[str, Any]:
    options = [
        option(str(m.id), meeting_label(m, choices.committee_names.get(m.committee_key)))
        for m in choices.meetings
    ]
    element: dict[str, Any] = {
        "type": "static_select",
        "placeholder": plain("Choose a meeting"),
        "options": options,
    }
    chosen = [o for o, m in zip(options, choices.meetings, strict=True) if m.id == selected]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def item_input(initial: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "placeholder": plain("e.g. 4")}
    if initial:
        element["initial_value"] = initial
    return element


def no_meetings_modal() -> View:
    return modal(
        QUESTION_CALLBACK,
        "Scrutiny question",
        None,
        [
            section(
                Mrkdwn(
                    "No meetings are set up yet, so a question can't be logged against one. "
                    "Ask the clerk to add the meeting with `/agenda meeting add`."
                )
            )
        ],
    )


def question_modal(
    choices: QuestionFormChoices, *, text: str = "", metadata: dict[str, Any] | None = None
) -> View:
    """The /question form: meeting, agenda item, minute, on behalf of, addressed to, question."""
    if not choices.meetings:
        return no_meetings_modal()
    askers = [
        (value, label)
        for value, label in ASKER_CHOICES
        if not choices.hackney_of_tomorrow or value == OnBehalfOf.HACKNEY_OF_TOMORROW.value
    ]
    blocks: list[Block] = [
        input_block(
            "meeting",
            "Meeting where it was not reached",
            meeting_select(choices, choices.default_meeting_id),
        ),
        input_block("item", "Agenda item number", item_input(), optional=True),
        input_block(
            "minute",
            "Minute number",
            {"type": "plain_text_input", "placeholder": plain("e.g. 4.21"), "max_length": 20},
            optional=True,
            hint="Where the minutes record it, so members can cross-reference them.",
        ),
        input_block(
            "asker",
            "Asked on behalf of",
            {
                "type": "radio_buttons",
                "options": [option(v, t) for v, t in askers],
                "initial_option": option(*askers[0]),
            },
            hint="Hackney of Tomorrow questions are published under the group's name, "
            "never a young person's.",
        ),
    ]
    if choices.roles:
        blocks.append(
            input_block(
                "role",
                "Addressed to",
                {
                    "type": "static_select",
                    "placeholder": plain("Choose the officer's role"),
                    "options": [option(r.key, f"{r.title} ({r.key})") for r in choices.roles[:100]],
                },
                optional=True,
                hint="Leave empty if unsure: the clerk will choose.",
            )
        )
    question: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": QUESTION_LIMIT,
    }
    if text:
        question["initial_value"] = text[:QUESTION_LIMIT]
    if len(text) > QUESTION_LIMIT:
        blocks.append(
            section(
                md(
                    ":warning: The message is {} characters; a question can be at most {}, so "
                    "only the start is below. Shorten it before submitting.",
                    f"{len(text):,}",
                    f"{QUESTION_LIMIT:,}",
                )
            )
        )
    blocks.append(input_block("text", "Question", question, hint="Up to 3,000 characters."))
    return modal(
        QUESTION_CALLBACK,
        "Scrutiny question",
        "Submit",
        blocks,
        private_metadata=json.dumps(metadata or {}),
    )


def import_paste_modal() -> View:
    return modal(
        IMPORT_PASTE_CALLBACK,
        "Import questions",
        "Review",
        [
            section(
                Mrkdwn(
                    "Paste the questions: numbered paragraphs (`4.21 ...`), bullets or paragraphs "
                    "separated by blank lines. Mark the young people's questions "
                    "`(Hackney of Tomorrow)` and add role hints such as `(DCSC)`. You will see "
                    "the list before anything is saved."
                )
            ),
            input_block(
                "paste",
                "Questions",
                {"type": "plain_text_input", "multiline": True},
                hint="Up to 3,000 characters here. For longer text (whole minutes), post it to "
                "me in a message and use the shortcut *Log as scrutiny question* on it.",
            ),
        ],
    )


REVIEW_PAGE = 40
"""Questions on one page of the import review (two blocks each; a modal holds 100)."""

LEAVE_OUT = "__leave_out__"
"""The role choice that leaves a question out of the import."""


def import_review_modal(
    pending_id: int,
    result: ImportResult,
    choices: QuestionFormChoices,
    page: int = 0,
    *,
    meeting_id: int | None = None,
    agenda_item: str | None = None,
) -> View:
    """The parsed list for the clerk to check: each question's text (editable) and role
    (or "leave out"), one picker that sets every role, and the meeting it came from. Over
    ``REVIEW_PAGE`` questions the review goes page by page; nothing is cut."""
    saving = [q for q in result.questions if not q.problem]
    start = page * REVIEW_PAGE
    shown = list(enumerate(result.questions))[start : start + REVIEW_PAGE]
    more = len(result.questions) - (start + len(shown))
    roles = [option(r.key, f"{r.key}: {r.title}") for r in choices.roles]
    blocks: list[Block] = []
    if page == 0:
        if choices.meetings:
            blocks.append(
                input_block(
                    "meeting",
                    "Meeting they come from",
                    meeting_select(choices, choices.default_meeting_id),
                )
            )
        else:
            blocks.append(
                section(Mrkdwn("No meetings are set up yet: add one with `/agenda meeting add`."))
            )
        blocks.append(input_block("item", "Agenda item number", item_input(), optional=True))
    if roles:
        blocks.append(
            input_block(
                "role_all",
                "Set every question's role to",
                {"type": "static_select", "placeholder": plain("Choose a role"), "options": roles},
                optional=True,
                hint="Overrides the roles below; leave empty to set each question's own.",
            )
        )
    pages = (
        f" (page {page + 1}, questions {start + 1}-{start + len(shown)})" if page or more else ""
    )
    blocks.append(
        section(md("*{} question{} to save*{}", len(saving), "s" * (len(saving) != 1), pages))
    )
    leave_out = option(LEAVE_OUT, "Leave this question out")
    for index, parsed in shown:
        tags = []
        if parsed.hackney_of_tomorrow:
            tags.append("Hackney of Tomorrow")
        if parsed.problem:
            tags.append(f"not saved: {parsed.problem}")
            blocks.append(section(md("{} :warning: {}", parsed.number or "•", "; ".join(tags))))
            continue
        label = f"{parsed.number or index + 1}" + (f" ({'; '.join(tags)})" if tags else "")
        blocks.append(
            input_block(
                f"text_{index}",
                label[:150],
                {
                    "type": "plain_text_input",
                    "multiline": True,
                    "max_length": 3000,
                    "initial_value": parsed.text[:3000],
                },
            )
        )
        element: dict[str, Any] = {
            "type": "static_select",
            "placeholder": plain("Role (or leave out)"),
            "options": [*roles, leave_out],
        }
        hinted = [o for o in roles if parsed.role_hint and o["value"] == parsed.role_hint]
        if hinted:
            element["initial_option"] = hinted[0]
        blocks.append(input_block(f"role_{index}", "Addressed to", element, optional=True))
    if result.skipped and page == 0:
        blocks.append(
            context_line(
                md(
                    "{} part(s) without a question mark were left out (headings, narrative).",
                    len(result.skipped),
                )
            )
        )
    submit = f"Save these, then {more} more" if more > 0 else "Save"
    return modal(
        IMPORT_REVIEW_CALLBACK,
        "Review questions",
        submit[:24] if choices.meetings else None,
        blocks[:100],
        private_metadata=json.dumps(
            {"pending": pending_id, "page": page, "meeting": meeting_id, "item": agenda_item}
        ),
    )


TRIAGE_EDIT_CALLBACK = "triage_edit_submit"
TRIAGE_REJECT_CALLBACK = "triage_reject_submit"
HOLDING_CALLBACK = "holding_reply_submit"
TRANSFER_CALLBACK = "ask_transfer_submit"
RETURN_CALLBACK = "answer_return_submit"


def _meta(question_id: int, **more: Any) -> str:
    return json.dumps({"question": question_id, **more})


def edit_modal(question: Any, choices: QuestionFormChoices, upcoming: list[Any]) -> View:
    """The clerk's Edit: wording, who answers, and the meeting whose agenda carries it."""
    blocks: list[Block] = [
        input_block(
            "text",
            "Question",
            {
                "type": "plain_text_input",
                "multiline": True,
                "max_length": QUESTION_LIMIT,
                "initial_value": question.text,
            },
        )
    ]
    if choices.roles:
        role_options = [option(r.key, f"{r.title} ({r.key})") for r in choices.roles[:100]]
        element: dict[str, Any] = {"type": "static_select", "options": role_options}
        chosen = [o for o in role_options if o["value"] == question.addressed_role]
        if chosen:
            element["initial_option"] = chosen[0]
        blocks.append(input_block("role", "Addressed to", element, optional=True))
    if upcoming:
        meeting_options = [
            option(str(m.id), meeting_label(m, choices.committee_names.get(m.committee_key)))
            for m in upcoming[:100]
        ]
        element = {"type": "static_select", "options": meeting_options}
        chosen = [o for o in meeting_options if o["value"] == str(question.target_meeting_id)]
        if chosen:
            element["initial_option"] = chosen[0]
        blocks.append(
            input_block(
                "meeting",
                "Answer for the agenda of",
                element,
                optional=True,
                hint="Empty: the next meeting whose deadline has not passed.",
            )
        )
    return modal(
        TRIAGE_EDIT_CALLBACK,
        f"Edit {question.reference}"[:24],
        "Save",
        blocks,
        private_metadata=_meta(question.id),
    )


CORRECT_CALLBACK = "correct_answer_submit"


def correct_modal(question: Any, published_text: str) -> View:
    """The corrected text of a published answer, and why."""
    return modal(
        CORRECT_CALLBACK,
        "Correct answer",
        "Save correction",
        [
            section(
                md(
                    "Correct the published answer to *{}*. The next compile shows the corrected "
                    "text with the date of the correction; the original stays on record.",
                    question.reference,
                )
            ),
            input_block(
                "text",
                "Corrected answer",
                {
                    "type": "plain_text_input",
                    "multiline": True,
                    "max_length": 3000,
                    "initial_value": published_text[:3000],
                },
            ),
            input_block(
                "note",
                "Reason for the correction",
                {"type": "plain_text_input", "multiline": True, "max_length": 3000},
            ),
        ],
        private_metadata=_meta(question.id),
    )


GROUP_WITH_CALLBACK = "group_with_submit"


def group_with_modal(question: Any) -> View:
    """The clerk names the questions to answer together with this one (which leads)."""
    return modal(
        GROUP_WITH_CALLBACK,
        "Group with…",
        "Group",
        [
            section(
                md(
                    "Answer other questions together with *{}*: the officer answers once, and "
                    "the agenda shows them together. {} leads; the others follow it.",
                    question.reference,
                    question.reference,
                )
            ),
            input_block(
                "references",
                "Questions to group with it",
                {
                    "type": "plain_text_input",
                    "placeholder": plain("e.g. CYP-2023-12-18-Q07 CYP-2024-02-05-Q03"),
                    "max_length": 500,
                },
                hint="Their references, separated by spaces or commas.",
            ),
        ],
        private_metadata=_meta(question.id),
    )


def note_modal(
    callback_id: str, title: str, submit: str, question_id: int, label: str, intro: Mrkdwn
) -> View:
    """A modal asking for one piece of text (a reason, a comment)."""
    return modal(
        callback_id,
        title,
        submit,
        [
            section(intro),
            input_block(
                "note", label, {"type": "plain_text_input", "multiline": True, "max_length": 3000}
            ),
        ],
        private_metadata=_meta(question_id),
    )


def holding_modal(question: Any, today: Any) -> View:
    return modal(
        HOLDING_CALLBACK,
        "Holding reply",
        "Send",
        [
            section(
                md(
                    "Say why the full answer to *{}* will take longer, and by when it will come. "
                    "Reminders wait until that date.",
                    question.reference,
                )
            ),
            input_block(
                "note",
                "Holding reply",
                {"type": "plain_text_input", "multiline": True, "max_length": 3000},
            ),
            input_block(
                "promised",
                "Full answer by",
                {"type": "datepicker", "initial_date": today.isoformat()},
            ),
        ],
        private_metadata=_meta(question.id),
    )


def transfer_modal(question: Any, roles: list[Any]) -> View:
    others = [r for r in roles if r.key != question.addressed_role and r.officer]
    blocks: list[Block] = [
        section(
            md(
                "Who should answer *{}* instead? You stay responsible until the transfer is "
                "accepted.",
                question.reference,
            )
        ),
    ]
    if not others:
        blocks.append(
            section(Mrkdwn("No other role in the directory has an officer. Ask the clerk."))
        )
        return modal(TRANSFER_CALLBACK, "Ask to transfer", None, blocks)
    blocks.append(
        input_block(
            "role",
            "Transfer to",
            {
                "type": "static_select",
                "options": [option(r.key, f"{r.title} ({r.key})") for r in others[:100]],
            },
        )
    )
    blocks.append(
        input_block(
            "note", "Reason", {"type": "plain_text_input", "multiline": True, "max_length": 3000}
        )
    )
    return modal(
        TRANSFER_CALLBACK, "Ask to transfer", "Ask", blocks, private_metadata=_meta(question.id)
    )


SNOOZE_CALLBACK = "snooze_submit"


def snooze_modal(question: Any) -> View:
    return modal(
        SNOOZE_CALLBACK,
        "Snooze reminders",
        "Snooze",
        [
            section(
                md(
                    "Pause reminders for *{}*. The due date does not move, and reminders never "
                    "wait beyond it (ask the clerk if you need longer).",
                    question.reference,
                )
            ),
            input_block(
                "choice",
                "Remind me",
                {
                    "type": "radio_buttons",
                    "options": [
                        option("tomorrow", "Tomorrow"),
                        option("2_working_days", "In 2 working days"),
                    ],
                    "initial_option": option("tomorrow", "Tomorrow"),
                },
            ),
        ],
        private_metadata=_meta(question.id),
    )


MEETING_ADD_CALLBACK = "meeting_add_submit"
OFFICER_SET_CALLBACK = "officer_set_submit"
CLOSURE_ADD_CALLBACK = "closure_add_submit"


def text_input(placeholder: str = "", *, multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline}
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return element


def meeting_add_modal() -> View:
    """The form behind ``/agenda meeting add`` with no words after it."""
    return modal(
        MEETING_ADD_CALLBACK,
        "Add a meeting",
        "Add",
        [
            input_block("date", "Date", {"type": "datepicker"}),
            input_block("time", "Start time", {"type": "timepicker"}, optional=True),
            input_block(
                "committee",
                "Committee key",
                text_input("e.g. CYP"),
                hint="A short code used in question references such as CYP-2026-05-11-Q01.",
            ),
            input_block(
                "name",
                "Committee name (the first time only)",
                text_input("e.g. Children and Young People Scrutiny Commission"),
                optional=True,
            ),
        ],
    )


def officer_set_modal() -> View:
    """The form behind ``/agenda officer set`` with no words after it."""
    return modal(
        OFFICER_SET_CALLBACK,
        "Officer directory",
        "Save",
        [
            input_block("role", "Role key", text_input("e.g. DCSC")),
            input_block(
                "title", "Role title", text_input("e.g. Director of Children's Social Care")
            ),
            input_block("officer", "Officer who answers", {"type": "users_select"}),
            input_block("deputy", "Deputy", {"type": "users_select"}, optional=True),
        ],
    )


def closure_add_modal() -> View:
    """The form behind ``/agenda closure add`` with no words after it."""
    return modal(
        CLOSURE_ADD_CALLBACK,
        "Council closure day",
        "Add",
        [
            input_block("date", "Day the council is closed", {"type": "datepicker"}),
            input_block("reason", "Reason", text_input("e.g. Office move"), optional=True),
        ],
    )
