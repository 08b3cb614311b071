"""Safe mrkdwn: user text is escaped once, the bot's own mentions and links stay live."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.markup import (
    decode_entities,
    parse_plain,
    slack_text,
    to_command_text,
    to_plain_text,
)
from bot.core.mrkdwn import Mrkdwn, esc, fit, join, link, md, mention, quoted


def test_esc_escapes_the_three_characters_slack_reads_as_markup() -> None:
    assert esc("<!channel> & <@U123> > 1") == "&lt;!channel&gt; &amp; &lt;@U123&gt; &gt; 1"
    assert isinstance(esc("x"), Mrkdwn)


def test_esc_leaves_safe_mrkdwn_alone_so_nothing_is_escaped_twice() -> None:
    once = esc("a < b")
    assert esc(once) == "a &lt; b"


def test_formatting_people_type_still_shows() -> None:
    assert esc("*urgent* _please_ `code`") == "*urgent* _please_ `code`"


def test_md_escapes_text_parts_and_keeps_mrkdwn_parts() -> None:
    text = md("{} asks: {} ({})", mention("UDCSC001"), "<!here> now?", 7)
    assert text == "<@UDCSC001> asks: &lt;!here&gt; now? (7)"
    assert md("*{}*", md("_{}_", "<b>")) == "*_&lt;b&gt;_*"


def test_join_escapes_each_part_and_keeps_the_separator() -> None:
    assert join("\n", ["<@U1>", Mrkdwn("*b*")]) == "&lt;@U1&gt;\n*b*"


def test_mention_is_live_only_for_a_valid_user_id() -> None:
    assert mention("UDCSC001") == "<@UDCSC001>"
    assert mention("WABC123") == "<@WABC123>"
    assert mention("<!here>") == "&lt;!here&gt;"
    assert mention("u123") == "u123"
    assert mention(None) == "nobody"
    assert mention("", "nobody yet") == "nobody yet"


def test_link_vets_the_address_and_escapes_the_label() -> None:
    assert link("https://x.slack.com/archives/C1/p1", "thread") == (
        "<https://x.slack.com/archives/C1/p1|thread>"
    )
    assert link("https://x.org/a>b|c", "<!here>") == "<https://x.org/a%3Eb%7Cc|&lt;!here&gt;>"
    assert link("javascript:alert(1)", "portal") == "portal"


def test_quoted_escapes_each_line_and_shortens_before_escaping() -> None:
    assert quoted("one <!here>\ntwo") == ">one &lt;!here&gt;\n>two"
    assert quoted("<" * 10, 4) == ">&lt; …"


def test_fit_never_cuts_inside_a_token_or_an_entity() -> None:
    long = md("{}{}", "a" * 55, link("https://example.org/page", "page"))
    assert fit(long, 100).startswith("a" * 55 + " …")
    escaped = esc("a" * 57 + "<<<<")
    assert fit(escaped, 100) == "a" * 57 + " … _(continues in the thread)_"


def test_to_plain_text_leaves_nothing_live() -> None:
    text = (
        "Hi <@UDCSC001> and <@U999|someone>, <!here> <!channel> <!subteam^S1|@team> "
        "see <#C123|general> and <https://evil.example|the council portal> or "
        "<javascript:alert(1)|this> &lt;!everyone&gt; &amp; <https://hackney.gov.uk>"
    )
    assert to_plain_text(text, {"UDCSC001": "Dana Director"}) == (
        "Hi @Dana Director and @U999, @here @channel team "
        "see #general and the council portal (https://evil.example) or "
        "this <!everyone> & https://hackney.gov.uk"
    )


def test_slack_text_is_safe_to_post_again() -> None:
    posted = slack_text("<!here> read <https://evil.example|the portal> &lt;b&gt;")
    assert posted == "@here read the portal (https://evil.example) &lt;b&gt;"
    assert isinstance(posted, Mrkdwn)


def test_to_plain_text_keeps_lines_and_formatting() -> None:
    assert to_plain_text("*Yes*\n> quoted\n• item") == "*Yes*\n> quoted\n• item"


def test_command_text_keeps_user_mentions_and_decodes_the_rest() -> None:
    typed = "DCSC <@U0DCSC01|jo> Health &amp; Care <!here> <https://evil.example|portal>"
    assert to_command_text(typed) == (
        "DCSC <@U0DCSC01|jo> Health & Care @here portal (https://evil.example)"
    )


def test_typed_text_is_parsed_as_text_but_a_mention_still_never_shows_its_embedded_name() -> None:
    blocks = parse_plain("See <https://evil.example|portal> and <@U05YOUNG|jamie> *now*", {})
    assert "jamie" not in repr(blocks)
    assert "Link(" not in repr(blocks)
    assert "<https://evil.example|portal>" in repr(blocks)


tokens = st.sampled_from(["<!here>", "<@U1|x>", "<#C1>", "<https://e.example|p>", "&lt;", "&amp;"])
anything = st.lists(st.one_of(tokens, st.text(max_size=10)), max_size=8).map("".join)


@given(anything)
def test_escaped_text_has_no_angle_brackets_and_reads_back_exactly(text: str) -> None:
    escaped = esc(text)
    assert "<" not in escaped and ">" not in escaped
    assert decode_entities(escaped) == text


@given(anything)
def test_slack_text_leaves_no_angle_brackets_whatever_slack_sent(text: str) -> None:
    assert "<" not in slack_text(text) and ">" not in slack_text(text)
