"""Split a pasted list of questions (e.g. the prepared questions in the minutes) for review.

Understands numbered paragraphs (``4.21 Many care leavers ...?``, ``1. ...``, ``2) ...``),
bullets (``•``, ``·``, ``§``, ``-``, ``*``) and blank-line-separated paragraphs. A
``(Hackney of Tomorrow)`` marker makes the question the group's; a role hint such as
``(DCSC)`` says who should answer. In minutes, bullets under a numbered question record what
was said at the meeting: they are kept as notes and their role hints name the answering officer.
Nothing is saved here: the result is shown to the clerk to review first.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

MAX_QUESTION_LENGTH = 3000

NUMBERED = re.compile(r"^(?P<number>\d+(?:\.\d+)+|\d+[.)])\s*(?P<rest>\S.*)?$")
BULLET = re.compile(r"^[·•§▪◦\-\*–]\s*(?P<rest>.*)$")
HACKNEY_OF_TOMORROW = re.compile(r"^\(\s*(hackney of tomorrow|HoT)\s*\)\s*", re.IGNORECASE)
LEADING_HINT = re.compile(r"^\(\s*(?P<role>[A-Za-z][A-Za-z0-9_]{1,19})\s*\)\s*")
TRAILING_HINT = re.compile(r"\s*\(\s*(?P<role>[A-Za-z][A-Za-z0-9_]{1,19})\s*\)\s*$")
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")


@dataclass(frozen=True)
class ParsedQuestion:
    """One question found in the paste, before the clerk confirms it."""

    text: str
    number: str | None = None
    hackney_of_tomorrow: bool = False
    role_hint: str | None = None
    meeting_notes: tuple[str, ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class ImportResult:
    questions: tuple[ParsedQuestion, ...]
    skipped: tuple[str, ...] = field(default=())

    @property
    def problems(self) -> tuple[ParsedQuestion, ...]:
        return tuple(q for q in self.questions if q.problem)


@dataclass
class _Block:
    kind: str  # "numbered", "bullet" or "paragraph"
    text: str
    number: str | None = None
    children: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def _match_role(raw: str, known_roles: Collection[str] | None) -> str | None:
    if known_roles is None:
        return raw
    by_lower = {role.lower(): role for role in known_roles}
    return by_lower.get(raw.lower())


def _take_hints(text: str, known_roles: Collection[str] | None) -> tuple[str, bool, str | None]:
    """Strip the markers from the start and end of ``text``: (text, hackney_of_tomorrow, role)."""
    hot = False
    role: str | None = None
    changed = True
    while changed:
        changed = False
        marker = HACKNEY_OF_TOMORROW.match(text)
        if marker:
            hot, text, changed = True, text[marker.end() :], True
            continue
        lead = LEADING_HINT.match(text)
        if lead and role is None:
            matched = _match_role(lead.group("role"), known_roles)
            if matched:
                role, text, changed = matched, text[lead.end() :], True
    trail = TRAILING_HINT.search(text)
    if trail and role is None:
        matched = _match_role(trail.group("role"), known_roles)
        if matched:
            role, text = matched, text[: trail.start()]
    return text.strip(), hot, role


def _blocks(pasted: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for raw_line in pasted.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _clean(raw_line)
        if not line:
            current = None
            continue
        numbered = NUMBERED.match(line)
        bullet = BULLET.match(line) if not numbered else None
        if numbered and numbered.group("rest"):
            current = _Block("numbered", numbered.group("rest"), number=numbered.group("number"))
            blocks.append(current)
        elif bullet:
            current = _Block("bullet", bullet.group("rest"))
            blocks.append(current)
        elif current is not None:
            current.text = f"{current.text} {line}"
        else:
            current = _Block("paragraph", line)
            blocks.append(current)
    return blocks


def _attach_notes(blocks: list[_Block]) -> list[_Block]:
    """In minutes, bullets after a numbered question are what was said about it."""
    if not any(b.kind == "numbered" for b in blocks):
        return blocks
    out: list[_Block] = []
    for block in blocks:
        if block.kind == "bullet" and out and out[-1].kind == "numbered":
            out[-1].children.append(block.text)
        else:
            out.append(block)
    return out


def _question(block: _Block, known_roles: Collection[str] | None) -> ParsedQuestion:
    text, hot, role = _take_hints(block.text, known_roles)
    notes: list[str] = []
    for child in block.children:
        note, _, note_role = _take_hints(child, known_roles)
        notes.append(note)
        if role is None and note_role is not None:
            role = note_role
    problem = None
    if not text:
        problem = "empty question"
    elif len(text) > MAX_QUESTION_LENGTH:
        problem = f"too long: {len(text):,} characters (at most {MAX_QUESTION_LENGTH:,})"
    return ParsedQuestion(
        text=text,
        number=block.number.rstrip(".)") if block.number else None,
        hackney_of_tomorrow=hot,
        role_hint=role,
        meeting_notes=tuple(notes),
        problem=problem,
    )


def parse_question_list(pasted: str, known_roles: Collection[str] | None = None) -> ImportResult:
    """Split ``pasted`` into questions for review.

    ``known_roles`` (role keys from the officer directory) limits which ``(XYZ)`` hints count;
    with ``None`` any short parenthesised word at the start or end is taken as a hint. When some
    parts are questions (contain ``?``), parts without one are headings or narrative: they are
    returned in ``skipped`` so the clerk can see them, never silently dropped.
    """
    blocks = _attach_notes(_blocks(pasted))
    if any("?" in b.text for b in blocks):
        kept = [b for b in blocks if "?" in b.text]
        skipped = tuple(_clean(b.text) for b in blocks if "?" not in b.text)
    else:
        kept, skipped = blocks, ()
    return ImportResult(tuple(_question(b, known_roles) for b in kept), skipped)
