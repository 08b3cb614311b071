"""Finding what Slack would read as live markup in what the bot sends.

Slack acts on ``<…>`` in mrkdwn: ``<!here>`` notifies a channel, ``<@U…>`` a person,
``<#C…>`` links a channel, ``<url|label>`` shows a link under any label. The bot may mention
the people it knows and link to its own workspace; anything else is a token that came from
what someone typed, and must not be there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from bot.sandbox import SlackDouble

TOKEN = re.compile(r"<([^<>]*)>")
SAFE_SCHEMES = ("http://", "https://", "mailto:")

HOSTILE = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S123|@scrutiny-team>",
    "<!subteam^S1>",
    "<@U123>",
    "<@UHOSTILE9|boss>",
    "<#C123>",
    "<#C999|general>",
    "<https://evil.example|the council portal>",
    "<http://evil.example/login|https://hackney.gov.uk>",
    "<javascript:alert(1)>",
    "<javascript:alert(1)|click here>",
    "<mailto:evil@example.com|the clerk>",
    "&lt;!here&gt;",
    "<!date^1392734382^{date}|Feb 18>",
    "<<!here>>",
    "< !here >",
    "a & b > c < d",
)
"""Fragments people could type (or Slack could encode) that must never reach Slack live."""


def live_tokens(
    text: str, *, people: Iterable[str] = (), own_links: Iterable[str] = ()
) -> list[str]:
    """The ``<…>`` tokens in ``text`` the bot did not mean: anything but a mention of one of
    ``people``, a link under its own address, or a link to one of ``own_links``."""
    known, prefixes = set(people), tuple(own_links)
    found = []
    for match in TOKEN.finditer(text):
        body = match.group(1)
        if body.startswith("@") and body[1:] in known:
            continue
        address, _, label = body.partition("|")
        is_link = address.startswith(SAFE_SCHEMES)
        if is_link and (not label or label == address or address.startswith(prefixes)):
            continue
        found.append(match.group(0))
    return found


def mrkdwn_in(value: Any) -> Iterator[str]:
    """Every mrkdwn string inside Block Kit JSON (plain_text objects are never parsed)."""
    if isinstance(value, list):
        for item in value:
            yield from mrkdwn_in(item)
    elif isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for key, item in value.items():
            if key != "text" or not isinstance(item, str):
                yield from mrkdwn_in(item)


def everything_sent(slack: SlackDouble) -> list[tuple[str, str]]:
    """(where, mrkdwn) for every message, fallback, view, ephemeral and upload comment the bot
    sent through the Web API or a response_url."""
    out: list[tuple[str, str]] = []
    for call in slack.calls:
        args = call.args
        where = call.method
        for key in ("text", "initial_comment"):
            if isinstance(args.get(key), str):
                out.append((f"{where} {key}", args[key]))
        for key in ("blocks", "view", "attachments"):
            out += [(f"{where} {key}", text) for text in mrkdwn_in(args.get(key))]
    for post in slack.responses:
        out.append(("response_url text", post.text))
        out += [("response_url blocks", text) for text in mrkdwn_in(post.body.get("blocks"))]
    for ephemeral in slack.ephemerals():
        out.append((f"{ephemeral.source} text", ephemeral.text))
        out += [(f"{ephemeral.source} blocks", text) for text in mrkdwn_in(ephemeral.blocks)]
    return out


def live_tokens_sent(
    slack: SlackDouble, people: Iterable[str], own_links: Iterable[str]
) -> list[tuple[str, str, list[str]]]:
    """Each thing sent that holds a live token nobody meant, with the tokens."""
    known, prefixes = list(people), list(own_links)
    out = []
    for where, text in everything_sent(slack):
        found = live_tokens(text, people=known, own_links=prefixes)
        if found:
            out.append((where, text, found))
    return out
