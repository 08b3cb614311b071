"""Parse the text forms of the clerk's commands into checked requests (no Slack, no storage).

Slack sends the words after the command with mentions escaped (``<@U012AB3CD|name>``) because
the manifest sets ``should_escape``; these parsers accept that form and plain ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from bot.core import validation
from bot.core.errors import InvalidInput

MENTION = re.compile(r"^<@(?P<id>[UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")
TIME = re.compile(r"^(?P<h>\d{1,2})[:.](?P<m>\d{2})$")


@dataclass(frozen=True)
class MeetingAdd:
    committee_key: str | None
    """The key as typed (``CYP``), or None when only the committee's name was given."""
    meeting_date: date
    start: time | None
    committee_name: str | None


@dataclass(frozen=True)
class OfficerSet:
    role_key: str
    officer: str
    title: str


@dataclass(frozen=True)
class OfficerDeputy:
    role_key: str
    deputy: str | None


def parse_date(text: str, usage: str) -> date:
    """A date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date written YYYY-MM-DD (for example 2026-05-11). Usage: {usage}"
        ) from None


def parse_user(text: str, usage: str) -> str:
    """A Slack user from a mention (``<@U012AB3CD|name>``) or an id (``U012AB3CD``)."""
    mention = MENTION.match(text)
    if mention:
        return mention.group("id")
    if validation.SLACK_USER_ID.match(text):
        return text
    if text.startswith("@"):
        raise InvalidInput(
            f"I couldn't tell who {text} is: pick the person from Slack's @ list so the "
            f"mention turns blue. Usage: {usage}"
        )
    raise InvalidInput(f"{text!r} is not a person: mention them with @. Usage: {usage}")


MEETING_ADD_USAGE = (
    "/agenda meeting add <YYYY-MM-DD> [HH:MM] <committee key or name> [committee name]"
)

NAME_WORDS_LEFT_OUT = frozenset({"and", "of", "the", "for", "on", "in", "to", "&"})


def looks_like_a_key(word: str) -> bool:
    """``CYP`` or ``cyp`` is a key; ``Children`` (a capitalised word) starts a name."""
    if word[:1].isupper() and word[1:].islower():
        return False
    return bool(validation.COMMITTEE_KEY.match(word.upper()))


def key_from_name(name: str) -> str:
    """A committee key from its name's initials: 'Children and Young People Scrutiny
    Commission' gives CYPSC; a one-word name gives the word itself, shortened."""
    words = [w for w in re.split(r"[\s/-]+", name) if w and w.lower() not in NAME_WORDS_LEFT_OUT]
    letters = "".join(w[0] for w in words if w[0].isalnum()).upper()
    if len(letters) < 2:
        letters = "".join(c for c in name if c.isalnum()).upper()
    key = letters[:12]
    if not key[:1].isalpha():
        key = ("C" + key)[:12]
    return key if validation.COMMITTEE_KEY.match(key) else "COMMITTEE"


def parse_meeting_add(args: str) -> MeetingAdd:
    """``2026-05-11 18:00 CYP Children and Young People Scrutiny Commission``."""
    words = args.split()
    if len(words) < 2:
        raise InvalidInput(f"Say the date and the committee. Usage: {MEETING_ADD_USAGE}")
    meeting_date = parse_date(words[0], MEETING_ADD_USAGE)
    rest = words[1:]
    start = None
    clock = TIME.match(rest[0])
    if clock:
        hour, minute = int(clock.group("h")), int(clock.group("m"))
        if hour > 23 or minute > 59:
            raise InvalidInput(f"{rest[0]!r} is not a time of day. Usage: {MEETING_ADD_USAGE}")
        start = time(hour, minute)
        rest = rest[1:]
    if not rest:
        raise InvalidInput(f"Say which committee. Usage: {MEETING_ADD_USAGE}")
    if looks_like_a_key(rest[0]):
        return MeetingAdd(
            validation.committee_key(rest[0]), meeting_date, start, " ".join(rest[1:]) or None
        )
    if len(rest) == 1 and len(rest[0]) < 2:
        validation.committee_key(rest[0])  # explains what a key looks like
    return MeetingAdd(None, meeting_date, start, " ".join(rest))


COMMITTEE_RENAME_USAGE = "/agenda committee rename <key> <new key>"


def parse_committee_rename(args: str) -> tuple[str, str]:
    words = args.split()
    if len(words) != 2:
        raise InvalidInput(f"Say the key and the new key. Usage: {COMMITTEE_RENAME_USAGE}")
    return validation.committee_key(words[0]), validation.committee_key(words[1])


OFFICER_SET_USAGE = "/agenda officer set <ROLE> <@person> <role title>"


def parse_officer_set(args: str) -> OfficerSet:
    """``DCSC <@U012AB3CD|jo> Director of Children's Social Care``."""
    words = args.split()
    if len(words) < 3:
        raise InvalidInput(f"Say the role, the person and the title. Usage: {OFFICER_SET_USAGE}")
    role = validation.role_key(words[0])
    officer = parse_user(words[1], OFFICER_SET_USAGE)
    title = validation.text(" ".join(words[2:]), "Role title", validation.TITLE_LIMIT)
    return OfficerSet(role, officer, title)


OFFICER_DEPUTY_USAGE = "/agenda officer deputy <ROLE> <@person | none>"


def parse_officer_deputy(args: str) -> OfficerDeputy:
    """``DCSC <@U045EF6GH>``, or ``DCSC none`` to clear the deputy."""
    words = args.split()
    if len(words) != 2:
        raise InvalidInput(f"Say the role and the deputy. Usage: {OFFICER_DEPUTY_USAGE}")
    role = validation.role_key(words[0])
    if words[1].lower() in ("none", "-", "nobody"):
        return OfficerDeputy(role, None)
    return OfficerDeputy(role, parse_user(words[1], OFFICER_DEPUTY_USAGE))


CLOSURE_ADD_USAGE = "/agenda closure add <YYYY-MM-DD> [reason]"


def parse_closure_add(args: str) -> tuple[date, str]:
    """``2026-12-29 Council closed between Christmas and New Year``."""
    words = args.split(maxsplit=1)
    if not words:
        raise InvalidInput(f"Say which day. Usage: {CLOSURE_ADD_USAGE}")
    day = parse_date(words[0], CLOSURE_ADD_USAGE)
    reason = words[1].strip() if len(words) > 1 else "Council closure day"
    return day, reason


ITEM_ADD_USAGE = "/agenda item add <meeting reference or date> <number> <title>"


def parse_item_add(args: str) -> tuple[str, str, str]:
    """``CYP-2023-12-18 4 Children's Social Care Annual Report (2022/23)``."""
    words = args.split(maxsplit=2)
    if len(words) < 3:
        raise InvalidInput(
            f"Say the meeting, the item number and its title. Usage: {ITEM_ADD_USAGE}"
        )
    return words[0], validation.agenda_item_number(words[1]), words[2].strip()


CLOSURE_REMOVE_USAGE = "/agenda closure remove <YYYY-MM-DD>"


def parse_closure_remove(args: str) -> date:
    words = args.split()
    if len(words) != 1:
        raise InvalidInput(f"Say which day, and only that. Usage: {CLOSURE_REMOVE_USAGE}")
    return parse_date(words[0], CLOSURE_REMOVE_USAGE)


MEETING_MOVE_USAGE = "/agenda meeting move <meeting reference or date> <YYYY-MM-DD> [HH:MM]"


@dataclass(frozen=True)
class MeetingMove:
    meeting: str
    """The meeting as the clerk named it: a reference such as CYP-2026-04-20, or its date."""
    new_date: date
    start: time | None


def parse_meeting_move(args: str) -> MeetingMove:
    """``CYP-2026-04-20 2026-04-27 18:30`` or ``2026-04-20 2026-04-27``."""
    words = args.split()
    if len(words) not in (2, 3):
        raise InvalidInput(f"Say the meeting and its new date. Usage: {MEETING_MOVE_USAGE}")
    start = parse_time(words[2], MEETING_MOVE_USAGE) if len(words) == 3 else None
    return MeetingMove(words[0], parse_date(words[1], MEETING_MOVE_USAGE), start)


def parse_time(text: str, usage: str) -> time:
    """A time written HH:MM (24-hour)."""
    match = TIME.match(text)
    if match:
        hour, minute = int(match.group("h")), int(match.group("m"))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput(f"{text!r} is not a time written HH:MM (for example 18:30). Usage: {usage}")


ITEM_REMOVE_USAGE = "/agenda item remove <meeting reference or date> <number>"


def parse_item_remove(args: str) -> tuple[str, str]:
    """``CYP-2023-12-18 5``."""
    words = args.split()
    if len(words) != 2:
        raise InvalidInput(f"Say the meeting and the item number. Usage: {ITEM_REMOVE_USAGE}")
    return words[0], validation.agenda_item_number(words[1])


OFFICER_REMOVE_USAGE = "/agenda officer remove <ROLE>"


def parse_officer_remove(args: str) -> str:
    words = args.split()
    if len(words) != 1:
        raise InvalidInput(f"Say which role, and only that. Usage: {OFFICER_REMOVE_USAGE}")
    return validation.role_key(words[0])


MEMBER_ADD_USAGE = "/agenda member add <@person> [hackney-of-tomorrow]"
CLERK_USAGE = "/agenda clerk add|remove <@person>"


def parse_member_add(args: str) -> tuple[str, bool]:
    """``<@U012AB3CD|sam> hackney-of-tomorrow``: (user, a Hackney of Tomorrow member)."""
    words = args.split()
    if not 1 <= len(words) <= 2:
        raise InvalidInput(f"Say who. Usage: {MEMBER_ADD_USAGE}")
    user = parse_user(words[0], MEMBER_ADD_USAGE)
    if len(words) == 2 and words[1].lower().replace("_", "-") not in (
        "hackney-of-tomorrow",
        "hot",
    ):
        raise InvalidInput(
            f"{words[1]!r} is not a group I know: use hackney-of-tomorrow, or nothing. "
            f"Usage: {MEMBER_ADD_USAGE}"
        )
    return user, len(words) == 2


def parse_person(args: str, usage: str) -> str:
    words = args.split()
    if len(words) != 1:
        raise InvalidInput(f"Say who, and only that. Usage: {usage}")
    return parse_user(words[0], usage)


MEETING_CANCEL_USAGE = "/agenda meeting cancel <meeting reference or date> [reason]"


def parse_meeting_cancel(args: str) -> tuple[str, str | None]:
    words = args.split(maxsplit=1)
    if not words:
        raise InvalidInput(f"Say which meeting. Usage: {MEETING_CANCEL_USAGE}")
    return words[0], (words[1].strip() if len(words) > 1 else None)
