"""Slack mrkdwn the bot can post safely: what people type is data, never markup.

``Mrkdwn`` marks text that is already safe in a mrkdwn field. The only ways to make one are
``esc`` (user text, escaped), ``md`` (a trusted template with its parts escaped), ``join``,
``mention`` (a validated user id), ``link`` (a vetted address) and ``quoted``. The Block Kit
builders and the posting helpers take ``Mrkdwn`` only, so mypy rejects a plain ``str`` (an
f-string with a question in it) before it can reach Slack.

Escaping ``& < >`` is all Slack needs: with them escaped, typed ``<!channel>``, ``<@U…>``,
``<#C…>`` or ``<https://evil.example|the council portal>`` show as the text typed and notify
nobody. Formatting characters (``*bold*``) stay, as people mean them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_SAFE = "/:?#[]@!$&*+,;=%-._~"
_UNFINISHED = re.compile(r"(?:<[^>]*|&[a-z]{0,3})$")


class Mrkdwn(str):
    """Text that is safe in a Slack mrkdwn field: any user text in it has been escaped."""

    __slots__ = ()


def esc(text: str) -> Mrkdwn:
    """User text as mrkdwn that shows exactly that text (``Mrkdwn`` passes unchanged)."""
    if isinstance(text, Mrkdwn):
        return text
    return Mrkdwn(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def md(template: str, *parts: str | int) -> Mrkdwn:
    """The trusted ``template`` with each ``{}`` filled: text escaped, ``Mrkdwn`` as it is."""
    return Mrkdwn(template.format(*(esc(p if isinstance(p, str) else str(p)) for p in parts)))


def join(separator: str, parts: Iterable[str]) -> Mrkdwn:
    """Parts (escaped unless already ``Mrkdwn``) joined by a trusted separator."""
    return Mrkdwn(separator.join(esc(part) for part in parts))


def is_user_id(value: str | None) -> bool:
    return bool(value) and _USER_ID.fullmatch(value or "") is not None


def mention(user_id: str | None, nobody: str = "nobody") -> Mrkdwn:
    """``<@U…>`` for a valid Slack user id; anything else shows as text, notifying nobody."""
    if user_id and is_user_id(user_id):
        return Mrkdwn(f"<@{user_id}>")
    return esc(user_id or nobody)


def safe_href(target: str) -> str | None:
    """The link target percent-encoded, or None unless it is http, https or mailto."""
    match = _SCHEME.match(target)
    if match is None or match.group(1).lower() not in _SAFE_SCHEMES:
        return None
    return quote(target, safe=_URL_SAFE)


def link(url: str, label: str) -> Mrkdwn:
    """A link the bot makes (a thread, a message); an address it can't vet shows its label."""
    href = safe_href(url)
    if href is None:
        return esc(label)
    return Mrkdwn(f"<{href}|{esc(label).replace('|', '¦')}>")


def shorten(text: Mrkdwn, limit: int, ending: str = " …") -> Mrkdwn:
    """Mrkdwn cut to ``limit`` characters plus ``ending``, never inside a token or entity."""
    if len(text) <= limit:
        return text
    return Mrkdwn(_UNFINISHED.sub("", text[:limit]).rstrip() + ending)


def fit(text: Mrkdwn, limit: int) -> Mrkdwn:
    """Mrkdwn cut to fit a Block Kit field, saying so."""
    return shorten(text, limit - 40, " … _(continues in the thread)_")


def quoted(text: str, limit: int = 2500) -> Mrkdwn:
    """Text (escaped unless already ``Mrkdwn``) as a block quote, shortened to ``limit``."""
    return Mrkdwn(">" + shorten(esc(text), limit).replace("\n", "\n>"))
