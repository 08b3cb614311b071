"""Slack mrkdwn as officers type it: parsed into a small, safe form, rendered to Markdown or Word.

The parsed form holds no Slack ids and no markup a user typed by accident, so both renderers
can trust it. The decisions that keep user text from becoming markup, notifications or bad XML:

- User mentions become the display name the caller's ``UserNames`` gives, else "a colleague".
  The name Slack may embed (``<@U123|name>``) is ignored, because the caller decides who may
  be named (a Hackney of Tomorrow young person never is); a raw user id is never emitted.
- Broadcasts (``<!channel>``, ``<!here>``, ``<!everyone>``) are dropped: they mean nothing on
  paper, and an "@channel" pasted back into Slack could notify people. User groups become
  their handle without "@" ("a team" without one); ``<!date^…|fallback>`` becomes the fallback.
- Channels become ``#name`` ("a Slack channel" when Slack sent no name).
- Links are kept for http, https and mailto only, percent-encoded so they cannot break out of
  Markdown or XML. Any other scheme (``javascript:``) becomes the plain text of its label.
  A link labelled with anything but its own address (``<https://evil.example|the council
  portal>``) keeps the label as text and shows the real address, as the link, after it.
- Text people typed into a form (questions, notes) is escaped before parsing (``parse_plain``),
  so nothing in it becomes a link; ``to_plain_text`` turns Slack-encoded text into plain text
  with nothing live in it, to post again or to fill a form with.
- Angle-bracket text that is not a Slack token (``<script>`` typed into a modal) stays literal.
- ``&amp; &lt; &gt;`` are decoded exactly once; characters XML 1.0 cannot hold, and C1 control
  characters, are dropped.
- Markdown escapes everything Markdown-significant a user typed; ``<`` and ``>`` become
  ``&lt;`` and ``&gt;``, so no raw HTML (or autolink) appears outside code.
- Word output has real hyperlinks (``w:hyperlink`` with an external relationship), the
  built-in list styles (each numbered list restarts at its own first number), the 'Quote'
  style for quotes and a monospaced font for code.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypeAlias

from bot.core.mrkdwn import Mrkdwn, esc, safe_href

UNKNOWN_USER = "a colleague"
UNNAMED_CHANNEL = "a Slack channel"
UNNAMED_TEAM = "a team"

UserNames: TypeAlias = Callable[[str], str | None] | Mapping[str, str]
"""Slack user id → display name; None (or a missing key) means "do not name them"."""


class Style(StrEnum):
    BOLD = "bold"
    ITALIC = "italic"
    STRIKE = "strike"


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Link:
    """A vetted link: ``href`` is http(s) or mailto and already percent-encoded."""

    href: str
    label: str


@dataclass(frozen=True)
class Styled:
    style: Style
    children: tuple[Inline, ...]


Inline: TypeAlias = Text | Code | Link | Styled
Line: TypeAlias = tuple[Inline, ...]


@dataclass(frozen=True)
class Paragraph:
    """Lines kept apart by line breaks, as the officer typed them."""

    lines: tuple[Line, ...]


@dataclass(frozen=True)
class ListItem:
    content: Line
    ordered: bool
    level: int = 0
    number: int = 1


@dataclass(frozen=True)
class Quote:
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class CodeBlock:
    text: str


@dataclass(frozen=True)
class Heading:
    """Never parsed from Slack text; the agenda uses it for its own structure."""

    text: str
    level: int


Block: TypeAlias = Paragraph | ListItem | Quote | CodeBlock | Heading

# --- cleaning -------------------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def clean_text(text: str) -> str:
    """Normalise line endings and drop characters XML 1.0 cannot hold (and C1 controls)."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def decode_entities(text: str) -> str:
    """Decode Slack's three entities exactly once: '&amp;lt;' becomes '&lt;', not '<'."""
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(1)], text)


# --- Slack tokens: <@U1>, <#C1|name>, <!here>, <https://x|label> ------------------------------

_ANGLE = re.compile(r"<([^<>\n]*)>")
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>\n]*)?>")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_BROADCASTS = frozenset({"channel", "here", "everyone", "group"})

Atom: TypeAlias = str | Text | Link
"""One character of text, or an opaque token (a resolved mention, a link)."""


def _name_lookup(users: UserNames | None) -> Callable[[str], str]:
    """A lookup that always returns a printable name and never the id itself."""

    def lookup(user_id: str) -> str:
        if users is None:
            found = None
        elif isinstance(users, Mapping):
            found = users.get(user_id)
        else:
            found = users(user_id)
        name = " ".join(clean_text(found or "").split())
        return name if name and name != user_id else UNKNOWN_USER

    return lookup


def _bare_address(address: str) -> str:
    """An address as people compare it: no scheme, no trailing slash, any case."""
    bare = re.sub(r"^(?:https?://|mailto:)", "", address.strip(), flags=re.IGNORECASE)
    return bare.rstrip("/").casefold()


def _link(body: str) -> Link | Text | tuple[Atom, ...]:
    """A vetted link; one whose label is not its address shows the address after the label."""
    target, _, label = body.partition("|")
    target, label = decode_entities(target), decode_entities(label)
    href = safe_href(target)
    if href is None:  # not a link we publish: its label, or the text as typed
        return Text(label or f"<{target}>")
    shown = target.removeprefix("mailto:") if target.lower().startswith("mailto:") else target
    if not label.strip() or _bare_address(label) == _bare_address(target):
        return Link(href, label or shown)
    return (*label, " ", "(", Link(href, shown), ")")


def _special(body: str, pings: bool) -> Text | None:
    """``<!…>`` tokens: broadcasts are dropped (or, with ``pings``, shown as '@here' text),
    groups and dates keep their fallback text."""
    command, _, label = body.partition("|")
    kind = command.split("^", 1)[0].lower()
    label = decode_entities(label)
    if kind in _BROADCASTS:
        return Text(f"@{kind}") if pings else None
    if kind == "subteam":
        return Text(label.lstrip("@") or UNNAMED_TEAM)
    return Text(label.lstrip("@")) if label.lstrip("@") else None


def _token(
    body: str, names: Callable[[str], str], pings: bool = False
) -> Text | Link | str | tuple[Atom, ...] | None:
    """What a ``<…>`` means: a node (or several), None (dropped), or the literal text it
    stands for."""
    if body.startswith("@") and _USER_ID.fullmatch(body[1:].split("|", 1)[0]):
        return Text(names(body[1:].split("|", 1)[0]))
    if body.startswith("#") and _CHANNEL_ID.fullmatch(body[1:].split("|", 1)[0]):
        label = decode_entities(body.partition("|")[2])
        return Text(f"#{label}" if label else UNNAMED_CHANNEL)
    if body.startswith("!"):
        return _special(body[1:], pings)
    if _SCHEME.match(body):
        return _link(body)
    return decode_entities(f"<{body}>")


def _atoms(line: str, names: Callable[[str], str], pings: bool = False) -> list[Atom]:
    """Split a line into characters (entities decoded) and opaque tokens."""
    atoms: list[Atom] = []
    position = 0
    for match in _ANGLE.finditer(line):
        atoms.extend(decode_entities(line[position : match.start()]))
        position = match.end()
        token = _token(match.group(1), names, pings)
        if isinstance(token, str | tuple):
            atoms.extend(token)
        elif token is not None:
            atoms.append(token)
        elif (not atoms or atoms[-1] == " ") and line[position : position + 1] == " ":
            position += 1  # a dropped broadcast takes one of its surrounding spaces with it
    atoms.extend(decode_entities(line[position:]))
    return atoms


# --- inline formatting: *bold* _italic_ ~strike~ `code` ---------------------------------------

_MARKERS = {"*": Style.BOLD, "_": Style.ITALIC, "~": Style.STRIKE}


def _edge_text(atom: Atom) -> str:
    return atom if isinstance(atom, str) else atom.text if isinstance(atom, Text) else atom.label


def _edge(atom: Atom | None, last: bool) -> str:
    """The character a neighbouring atom shows at its edge ('' at the end of the line)."""
    text = "" if atom is None else _edge_text(atom)
    return text[-1:] if last else text[:1]


def _at(atoms: Sequence[Atom], index: int) -> Atom | None:
    return atoms[index] if 0 <= index < len(atoms) else None


def _is_boundary(char: str) -> bool:
    """The end of the line, whitespace or punctuation (CommonMark's word edges too)."""
    return char == "" or char.isspace() or unicodedata.category(char)[0] in "PS"


def _can_open(atoms: Sequence[Atom], index: int) -> bool:
    before, after = _edge(_at(atoms, index - 1), True), _edge(_at(atoms, index + 1), False)
    return _is_boundary(before) and after != "" and not after.isspace()


def _can_close(atoms: Sequence[Atom], index: int) -> bool:
    before, after = _edge(_at(atoms, index - 1), True), _edge(_at(atoms, index + 1), False)
    return before != "" and not before.isspace() and _is_boundary(after)


class _InlineParser:
    """Slack's rules: markers hug their text, sit at word edges and do not cross lines."""

    def __init__(self, atoms: list[Atom]) -> None:
        self.atoms = atoms
        self.closers = {
            marker: [i for i, a in enumerate(atoms) if a == marker and _can_close(atoms, i)]
            for marker in _MARKERS
        }
        self.backticks = [i for i, atom in enumerate(atoms) if atom == "`"]

    def parse(self) -> Line:
        return tuple(self._parse(0, len(self.atoms), frozenset()))

    def _next(self, positions: list[int], after: int, end: int) -> int | None:
        found = bisect.bisect_left(positions, after)
        if found < len(positions) and positions[found] < end:
            return positions[found]
        return None

    def _parse(self, start: int, end: int, active: frozenset[str]) -> list[Inline]:
        out: list[Inline] = []
        index = start
        while index < end:
            atom = self.atoms[index]
            index = self._take(atom, index, end, active, out)
        return out

    def _take(
        self, atom: Atom, index: int, end: int, active: frozenset[str], out: list[Inline]
    ) -> int:
        """Append what starts at ``index`` to ``out``; return where to continue."""
        if atom == "`":
            close = self._next(self.backticks, index + 1, end)
            if close is not None and close > index + 1:
                _append(out, Code("".join(_edge_text(a) for a in self.atoms[index + 1 : close])))
                return close + 1
        elif isinstance(atom, str) and atom in _MARKERS and atom not in active:
            close = self._next(self.closers[atom], index + 2, end)
            if close is not None and _can_open(self.atoms, index):
                children = self._parse(index + 1, close, active | {atom})
                _append(out, Styled(_MARKERS[atom], tuple(children)))
                return close + 1
        _append(out, Text(atom) if isinstance(atom, str) else atom)
        return index + 1


def _append(out: list[Inline], node: Inline) -> None:
    """Append, merging like neighbours so no two Markdown delimiter runs ever touch."""
    last = out[-1] if out else None
    if isinstance(node, Text) and isinstance(last, Text):
        out[-1] = Text(last.text + node.text)
    elif isinstance(node, Code) and isinstance(last, Code):
        out[-1] = Code(last.text + node.text)
    elif isinstance(node, Styled) and isinstance(last, Styled) and node.style is last.style:
        out[-1] = Styled(last.style, last.children + node.children)
    else:
        out.append(node)


def _inline(text: str, names: Callable[[str], str]) -> Line:
    """Parse one line; a line of nothing but whitespace (or dropped tokens) is empty."""
    line = list(_InlineParser(_atoms(text.strip(), names)).parse())
    if line and isinstance(line[0], Text):
        line[0] = Text(line[0].text.lstrip())
    if line and isinstance(line[-1], Text):
        line[-1] = Text(line[-1].text.rstrip())
    kept = tuple(node for node in line if not (isinstance(node, Text) and not node.text))
    if all(isinstance(node, Text) and not node.text.strip() for node in kept):
        return ()
    return kept


def _plain_line(text: str, names: Callable[[str], str], pings: bool = False) -> str:
    """A line of a code block: tokens resolved to text, no formatting."""
    return "".join(_edge_text(atom) for atom in _atoms(text, names, pings))


# --- blocks: paragraphs, lists, quotes, fenced code -------------------------------------------

_QUOTE = re.compile(r"^[ \t]*(?:>|&gt;)[ \t]?(.*)$")
_BULLET = re.compile(r"^([ \t]*)([•◦▪▫‣*-])[\ufe0e\ufe0f]?[ \t]+(.*)$")
_NUMBERED = re.compile(r"^([ \t]*)(\d{1,3})[.)][ \t]+(.*)$")
_NESTED_BULLETS = frozenset("◦▪▫")


def _level(indent: str, marker: str = "") -> int:
    """Nesting is one level deep: any real indentation (or Slack's '◦') means level 1."""
    return 1 if len(indent.expandtabs(4)) >= 2 or marker in _NESTED_BULLETS else 0


def _classify(line: str, names: Callable[[str], str]) -> Block | None:
    """One line as a one-line block, or None for a blank line."""
    if quoted := _QUOTE.match(line):
        content = _inline(quoted.group(1), names)
        return Quote((content,)) if content else None
    if bullet := _BULLET.match(line):
        content = _inline(bullet.group(3), names)
        level = _level(bullet.group(1), bullet.group(2))
        return ListItem(content, ordered=False, level=level) if content else None
    if numbered := _NUMBERED.match(line):
        content = _inline(numbered.group(3), names)
        number = int(numbered.group(2))
        level = _level(numbered.group(1))
        return ListItem(content, ordered=True, level=level, number=number) if content else None
    content = _inline(line, names)
    return Paragraph((content,)) if content else None


def _join_lines(classified: Sequence[Block | None]) -> list[Block]:
    """Merge neighbouring paragraph (and quote) lines; blank lines separate blocks."""
    blocks: list[Block] = []
    joinable = False
    for block in classified:
        last = blocks[-1] if blocks and joinable else None
        joinable = block is not None
        if isinstance(block, Paragraph) and isinstance(last, Paragraph):
            blocks[-1] = Paragraph(last.lines + block.lines)
        elif isinstance(block, Quote) and isinstance(last, Quote):
            blocks[-1] = Quote(last.lines + block.lines)
        elif block is not None:
            blocks.append(block)
    return blocks


def continuations(blocks: Sequence[Block]) -> list[bool]:
    """For each block, whether it is a numbered item continuing the numbered list above it."""
    flags: list[bool] = []
    running: dict[int, bool] = {}  # level -> a numbered list is running there
    for block in blocks:
        if not isinstance(block, ListItem):
            running = {}
            flags.append(False)
            continue
        if block.level == 0:
            running.pop(1, None)
        flags.append(block.ordered and running.get(block.level, False))
        running[block.level] = block.ordered
    return flags


def _number_lists(blocks: Sequence[Block]) -> tuple[Block, ...]:
    """Number items on from the first of each list, whatever the officer typed after it."""
    numbered: list[Block] = []
    last_number: dict[int, int] = {}
    for block, continues in zip(blocks, continuations(blocks), strict=True):
        if isinstance(block, ListItem) and block.ordered:
            if continues:
                block = replace(block, number=last_number[block.level] + 1)
            last_number[block.level] = block.number
        numbered.append(block)
    return tuple(numbered)


def _split_fences(text: str) -> list[tuple[bool, str]]:
    """Alternate text and fenced code (```…```); an unmatched final fence stays literal."""
    pieces = text.split("```")
    if len(pieces) % 2 == 0:
        pieces[-2:] = [pieces[-2] + "```" + pieces[-1]]
    return [(index % 2 == 1, piece) for index, piece in enumerate(pieces)]


def _code_block(segment: str, names: Callable[[str], str]) -> CodeBlock | None:
    segment = segment.removeprefix("\n").removesuffix("\n")
    text = "\n".join(_plain_line(line, names) for line in segment.split("\n"))
    return CodeBlock(text) if text.strip() else None


def parse(text: str, users: UserNames | None = None) -> tuple[Block, ...]:
    """Parse Slack mrkdwn (or plain text typed into a modal) into safe blocks."""
    names = _name_lookup(users)
    blocks: list[Block] = []
    for is_code, segment in _split_fences(clean_text(text)):
        if is_code:
            code = _code_block(segment, names)
            blocks.extend([code] if code else [])
        else:
            blocks.extend(_join_lines([_classify(line, names) for line in segment.split("\n")]))
    return _number_lists(blocks)


def to_plain_text(text: str, users: UserNames | None = None, *, as_published: bool = False) -> str:
    """Slack-encoded text as the plain text a person reads, with nothing live left in it.

    Mentions become '@' and the name ``users`` gives (else the id, as text), broadcasts
    '@here'-style text, channels '#name', and a link whose label is not its address
    'label (address)'; entities are decoded once. Escape the result before posting it.
    ``as_published``: a mention reads as the compiled document has it, the name alone or
    "a colleague", never an id (for anything that leaves the bot, such as open data).
    """

    def at_name(user_id: str) -> str:
        found = _name_lookup(users)(user_id)
        if as_published:
            return found
        return f"@{user_id if found == UNKNOWN_USER else found}"

    lines = clean_text(text).split("\n")
    return "\n".join(_plain_line(line, at_name, pings=True) for line in lines)


def slack_text(text: str, users: UserNames | None = None) -> Mrkdwn:
    """Slack-encoded text (an answer, a message) made safe to post again: see ``to_plain_text``."""
    return esc(to_plain_text(text, users))


def parse_plain(text: str, users: UserNames | None = None) -> tuple[Block, ...]:
    """Parse text a person typed into a form (not Slack-encoded): what looks like a Slack
    token or a link in it stays text, while the formatting they typed still shows.

    A user mention alone is still resolved, through ``users``: a question kept from a Slack
    message may hold one, and the name written inside it must never reach the page.
    """
    return parse(_around_mentions(text, esc), users)


def mentioned_users(text: str) -> set[str]:
    """The Slack user ids mentioned (``<@U…>``) in Slack-encoded text."""
    return set(_USER_MENTION.findall(text))


def to_command_text(text: str) -> str:
    """A slash command's words (Slack-encoded) as typed: user mentions stay, since commands
    name people with them; everything else is as ``to_plain_text`` gives it."""
    return _around_mentions(text, to_plain_text)


def _around_mentions(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to everything but its user mentions."""
    pieces, position = [], 0
    for match in _USER_MENTION.finditer(text):
        pieces += [change(text[position : match.start()]), match.group(0)]
        position = match.end()
    return "".join([*pieces, change(text[position:])])


def parse_inline(text: str, users: UserNames | None = None) -> Line:
    """Parse text that must stay on one line (a note, a label): line breaks become spaces."""
    return _inline(" ".join(clean_text(text).split("\n")), _name_lookup(users))


# --- Markdown -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"[\\`*_\[\]~|#]")
_MD_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_MD_LINE_START = re.compile(r"^(?:([+=-])|(\d+)([.)])(?=\s|$))")
_MD_MARKS = {Style.BOLD: "**", Style.ITALIC: "_", Style.STRIKE: "~~"}
_BACKTICK_RUN = re.compile(r"`+")


def escape_markdown(text: str) -> str:
    """Plain text as CommonMark that shows exactly that text: no markup, no HTML."""
    text = _MD_SPECIAL.sub(lambda match: "\\" + match.group(0), text)
    text = _MD_ENTITY_LIKE.sub(lambda _: "\\&", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _escape_line_start(line: str) -> str:
    """Stop a line's first characters reading as a list marker or heading underline."""
    match = _MD_LINE_START.match(line)
    if match is None:
        return line
    if match.group(1):
        return "\\" + line
    return f"{match.group(2)}\\{line[match.end(2) :]}"


def _md_code(text: str) -> str:
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * (longest + 1)
    padded = text[:1] in ("`", " ") or text[-1:] in ("`", " ")
    pad = " " if padded else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_styled(node: Styled) -> str:
    inner = _md_inlines(node.children)
    core = inner.strip()
    if not core:
        return inner
    lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
    mark = _MD_MARKS[node.style]
    return f"{lead}{mark}{core}{mark}{trail}"


def _md_inline(node: Inline) -> str:
    if isinstance(node, Text):
        return escape_markdown(node.text)
    if isinstance(node, Code):
        return _md_code(node.text)
    if isinstance(node, Link):
        return f"[{escape_markdown(node.label)}]({node.href})"
    return _md_styled(node)


def _md_inlines(nodes: Sequence[Inline]) -> str:
    rendered = ""
    for node in nodes:
        if isinstance(node, Link) and rendered.endswith("!"):
            rendered = rendered[:-1] + "\\!"  # or '![label](url)' would be an image
        rendered += _md_inline(node)
    return rendered


def _md_line(line: Line) -> str:
    return _escape_line_start(_md_inlines(line).strip())


def _md_fenced(text: str) -> str:
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def _md_marker(item: ListItem) -> str:
    return f"{item.number}. " if item.ordered else "- "


def _md_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return "\\\n".join(_md_line(line) for line in block.lines)
    if isinstance(block, Quote):
        return "\\\n".join(f"> {_md_line(line)}" for line in block.lines)
    if isinstance(block, CodeBlock):
        return _md_fenced(block.text)
    if isinstance(block, Heading):
        return "#" * block.level + " " + escape_markdown(" ".join(block.text.split()))
    return _md_marker(block) + _md_line(block.content)


def _md_separator(block: Block, previous: Block | None, continues: bool) -> str:
    """List items share lines; a list starting at n > 1 needs a blank line to start at all."""
    if not (isinstance(block, ListItem) and isinstance(previous, ListItem)):
        return "\n\n"
    restarts_late = block.ordered and not continues and block.number != 1
    return "\n\n" if restarts_late else "\n"


def to_markdown(blocks: Sequence[Block]) -> str:
    """Safe CommonMark: blocks apart by a blank line, list items on consecutive lines."""
    out: list[str] = []
    parent_width = 0
    previous: Block | None = None
    for block, continues in zip(blocks, continuations(blocks), strict=True):
        indent = ""
        if isinstance(block, ListItem):
            if block.level > 0 and isinstance(previous, ListItem):
                indent = " " * parent_width
            else:
                parent_width = len(_md_marker(block)) if block.level == 0 else 0
        out.append(_md_separator(block, previous, continues) + indent + _md_block(block))
        previous = block
    return "".join(out).lstrip("\n")
