"""Slack mrkdwn → safe blocks → Markdown and Word: formatting kept, nothing injected."""

from __future__ import annotations

import io
import re
import time
import zipfile

import docx
import pytest
from docx.text.paragraph import Paragraph as WordParagraph
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.markup import (
    UNKNOWN_USER,
    Block,
    Code,
    CodeBlock,
    Link,
    ListItem,
    Paragraph,
    Quote,
    Style,
    Styled,
    Text,
    clean_text,
    parse,
    parse_inline,
    to_markdown,
)
from bot.core.word import add_to_document

USERS = {"U0DCSC01": "Rachel Grant", "U0HOS002": "Tom Ellis"}


def markdown(text: str) -> str:
    return to_markdown(parse(text, USERS))


def word_bytes(blocks: tuple[Block, ...]) -> bytes:
    document = docx.Document()
    add_to_document(document, blocks)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def word(text: str) -> docx.document.Document:
    return docx.Document(io.BytesIO(word_bytes(parse(text, USERS))))


def document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read("word/document.xml").decode()


def style_name(paragraph: WordParagraph) -> str:
    return paragraph.style.name if paragraph.style else ""


def outside_code(rendered: str) -> str:
    """The Markdown without fenced blocks and code spans (literal text), read as CommonMark."""
    text = re.sub(r"^(`{3,})\n.*?\n\1$", "", rendered, flags=re.S | re.M)
    kept: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == "\\":
            kept.append(text[index : index + 2])
            index += 2
            continue
        run = re.match(r"`+", text[index:])
        if run is None:
            kept.append(text[index])
            index += 1
            continue
        close = re.compile(f"(?<!`){run.group()}(?!`)").search(text, index + len(run.group()))
        kept.append("" if close else run.group())
        index = close.end() if close else index + len(run.group())
    return "".join(kept)


def typed_outside_tokens(text: str, secret: str) -> bool:
    """Whether ``secret`` was typed as text rather than only inside a mention token."""
    return secret in re.sub(r"<@UHIDDEN1(\|[^<>]*)?>", "", text)


# --- inline formatting ----------------------------------------------------------------------


def test_bold_italic_strike_and_code_become_styled_nodes() -> None:
    (paragraph,) = parse("*Good* progress, _not_ ~done~ yet: see `Annex A`")
    assert paragraph == Paragraph(
        (
            (
                Styled(Style.BOLD, (Text("Good"),)),
                Text(" progress, "),
                Styled(Style.ITALIC, (Text("not"),)),
                Text(" "),
                Styled(Style.STRIKE, (Text("done"),)),
                Text(" yet: see "),
                Code("Annex A"),
            ),
        )
    )
    assert to_markdown((paragraph,)) == "**Good** progress, _not_ ~~done~~ yet: see `Annex A`"


def test_formatting_nests_and_renders_nested() -> None:
    assert markdown("*all staff _including agency_ staff*") == (
        "**all staff _including agency_ staff**"
    )


def test_markers_inside_words_and_sums_are_literal() -> None:
    assert parse_inline("snake_case_name and 2*3*4 and * spaced *") == (
        Text("snake_case_name and 2*3*4 and * spaced *"),
    )
    assert markdown("2*3*4 snake_case") == r"2\*3\*4 snake\_case"


def test_unclosed_markers_stay_literal() -> None:
    assert markdown("*bold never closed") == r"\*bold never closed"


def test_emoji_codes_stay_as_text() -> None:
    assert parse_inline(":white_check_mark: done") == (Text(":white_check_mark: done"),)


def test_code_span_content_is_literal_and_fenced_safely() -> None:
    assert parse_inline("run `a*b*c`") == (Text("run "), Code("a*b*c"))
    assert to_markdown((Paragraph(((Code("a ` b"),),)),)) == "``a ` b``"


# --- blocks ---------------------------------------------------------------------------------


def test_lines_in_a_paragraph_keep_their_breaks_and_blank_lines_split_paragraphs() -> None:
    blocks = parse("First line\nsecond line\n\nNew paragraph")
    assert blocks == (
        Paragraph(((Text("First line"),), (Text("second line"),))),
        Paragraph(((Text("New paragraph"),),)),
    )
    assert to_markdown(blocks) == "First line\\\nsecond line\n\nNew paragraph"


def test_bullets_of_every_kind_with_one_level_of_nesting() -> None:
    blocks = parse("• one\n- two\n* three\n    ◦ nested\n\t- tabbed")
    assert [(b.level, b.ordered) for b in blocks if isinstance(b, ListItem)] == [
        (0, False),
        (0, False),
        (0, False),
        (1, False),
        (1, False),
    ]
    assert to_markdown(blocks) == "- one\n- two\n- three\n  - nested\n  - tabbed"


def test_numbered_lists_number_on_from_their_first_item() -> None:
    blocks = parse("3. third\n3) fourth, typed wrongly\n\nThen a new list:\n1. one\n2. two")
    numbers = [b.number for b in blocks if isinstance(b, ListItem)]
    assert numbers == [3, 4, 1, 2]
    assert to_markdown(blocks) == (
        "3. third\n4. fourth, typed wrongly\n\nThen a new list:\n\n1. one\n2. two"
    )


def test_nested_list_under_a_numbered_item_is_indented_to_its_content() -> None:
    assert markdown("10. ten\n  - detail\n11. eleven") == "10. ten\n    - detail\n11. eleven"


def test_a_numbered_list_starting_late_after_bullets_gets_a_blank_line() -> None:
    assert markdown("- a bullet\n4. four") == "- a bullet\n\n4. four"


def test_quotes_arrive_as_entities_and_keep_their_lines() -> None:
    blocks = parse("&gt; The service *knows itself*\n> second line\n\nReply")
    assert isinstance(blocks[0], Quote)
    assert len(blocks[0].lines) == 2
    assert to_markdown(blocks) == "> The service **knows itself**\\\n> second line\n\nReply"


def test_fenced_code_keeps_its_text_with_tokens_resolved() -> None:
    blocks = parse("Figures:\n```\nA  | B\n<@U0DCSC01> &lt;b&gt;\n```\nend", USERS)
    assert blocks[1] == CodeBlock("A  | B\nRachel Grant <b>")
    assert to_markdown(blocks) == "Figures:\n\n```\nA  | B\nRachel Grant <b>\n```\n\nend"


def test_a_fence_longer_than_any_backticks_inside() -> None:
    assert to_markdown((CodeBlock("a ```` b"),)) == "`````\na ```` b\n`````"


def test_an_unmatched_fence_is_literal_text() -> None:
    assert markdown("look ```here") == r"look \`\`\`here"


# --- links and mentions ---------------------------------------------------------------------


def test_links_with_and_without_labels_and_mailto() -> None:
    line = parse_inline(
        "<https://hackney.gov.uk/report|hackney.gov.uk/report> <https://example.org> "
        "<mailto:scrutiny@hackney.gov.uk|scrutiny@hackney.gov.uk> <mailto:a@b.org>"
    )
    links = [node for node in line if isinstance(node, Link)]
    assert links == [
        Link("https://hackney.gov.uk/report", "hackney.gov.uk/report"),
        Link("https://example.org", "https://example.org"),
        Link("mailto:scrutiny@hackney.gov.uk", "scrutiny@hackney.gov.uk"),
        Link("mailto:a@b.org", "a@b.org"),
    ]


def test_link_targets_are_percent_encoded_so_they_cannot_break_out() -> None:
    (link,) = parse_inline('<https://x.org/a b)(c"d?q=1&amp;r=2>')
    assert link == Link("https://x.org/a%20b%29%28c%22d?q=1&r=2", 'https://x.org/a b)(c"d?q=1&r=2')
    assert markdown("<https://x.org/a)b>") == r"[https://x.org/a)b](https://x.org/a%29b)"


def test_a_link_labelled_other_than_its_address_shows_the_address() -> None:
    line = parse_inline("See <https://evil.example/login|the council portal> now")
    assert line == (
        Text("See the council portal ("),
        Link("https://evil.example/login", "https://evil.example/login"),
        Text(") now"),
    )
    assert markdown("<https://evil.example|the council portal>") == (
        "the council portal ([https://evil.example](https://evil.example))"
    )


def test_unsafe_link_schemes_become_plain_text() -> None:
    assert parse_inline("<javascript:alert(1)|click me>") == (Text("click me"),)
    assert parse_inline("<data:text/html,hi>") == (Text("<data:text/html,hi>"),)
    assert markdown("<note: see below>") == "&lt;note: see below&gt;"


def test_user_mentions_use_the_callers_names_and_never_the_id() -> None:
    line = parse_inline("Thanks <@U0DCSC01> and <@U9STRANGE> and <@U0HOS002|tom>", USERS)
    assert line == (Text("Thanks Rachel Grant and a colleague and Tom Ellis"),)


def test_the_name_slack_embeds_is_ignored_so_the_caller_decides_who_is_named() -> None:
    def names(user_id: str) -> str | None:
        return None  # e.g. a Hackney of Tomorrow young person

    assert parse_inline("<@U5YOUNG|jamie.young> said", names) == (Text(f"{UNKNOWN_USER} said"),)


def test_a_resolver_echoing_the_id_still_does_not_publish_it() -> None:
    assert parse_inline("<@U123>", lambda user_id: user_id) == (Text(UNKNOWN_USER),)


def test_channel_group_and_date_tokens_become_text() -> None:
    line = parse_inline(
        "<#C024BE7LR|cyp-scrutiny> <#C024BE7LQ> <!subteam^SAZ94GDB8|@csc-leads> "
        "<!subteam^SAZ94GDB9> <!date^1392734382^{date_num}|2014-02-18>"
    )
    assert line == (Text("#cyp-scrutiny a Slack channel csc-leads a team 2014-02-18"),)


def test_broadcast_mentions_are_dropped() -> None:
    for token in ("<!channel>", "<!here>", "<!everyone>", "<!here|here>", "<!channel|@channel>"):
        line = parse_inline(f"{token} please see below {token}")
        assert line == (Text("please see below"),), token


def test_a_line_that_was_only_a_broadcast_vanishes() -> None:
    assert parse("<!channel>\nAnswer") == (Paragraph(((Text("Answer"),),)),)


# --- injection ------------------------------------------------------------------------------


def test_entities_are_decoded_exactly_once() -> None:
    assert parse_inline("A &amp; B &lt;3 &amp;lt;") == (Text("A & B <3 &lt;"),)
    assert markdown("&amp;copy; &amp; more") == r"\&copy; & more"


def test_typed_broadcast_text_stays_harmless_text() -> None:
    assert parse_inline("&lt;!channel&gt;") == (Text("<!channel>"),)
    assert markdown("&lt;!channel&gt; and &lt;@U0DCSC01&gt;") == (
        "&lt;!channel&gt; and &lt;@U0DCSC01&gt;"
    )


def test_raw_html_typed_into_a_modal_is_escaped() -> None:
    rendered = markdown("<script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert rendered == "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;"
    assert "<" not in rendered


def test_markdown_typed_literally_does_not_become_markup() -> None:
    assert markdown("[click](javascript:alert(1)) ![x](y) | a | b | <b>") == (
        r"\[click\](javascript:alert(1)) !\[x\](y) \| a \| b \| &lt;b&gt;"
    )


def test_an_exclamation_mark_before_a_link_does_not_make_an_image() -> None:
    assert markdown("Done!<https://x.org>") == r"Done\![https://x.org](https://x.org)"


def test_markers_after_a_combining_accent_stay_literal_as_commonmark_would_read_them() -> None:
    assert markdown("cafe\u0301_au lait_") == "cafe\u0301\\_au lait\\_"


def test_line_starts_that_would_become_headings_or_lists_are_escaped() -> None:
    assert markdown("# Not a heading\n+ not a list\n2023. a year\n===") == (
        "\\# Not a heading\\\n\\+ not a list\\\n2023\\. a year\\\n\\==="
    )
    assert markdown("- # heading in a list") == "- \\# heading in a list"


def test_control_characters_and_lone_surrogates_are_dropped() -> None:
    dirty = "a\x00b\x08c\x0bd\x0ce\x1ff\x7fg\x85h\ud800i\ufffej\uffffk\tl"
    assert clean_text(dirty) == "abcdefghijk\tl"
    document = word(dirty)
    assert document.paragraphs[0].text == "abcdefghijk\tl"


def test_windows_line_endings_are_lines() -> None:
    assert parse("one\r\ntwo\rthree") == parse("one\ntwo\nthree")


def test_a_very_long_answer_is_quick_and_whole() -> None:
    sentence = "The service *continues* to _improve_ its <https://x.org|practice> &amp; audits. "
    text = "\n".join(f"• {sentence * 5}" if i % 3 else sentence * 5 for i in range(40))
    assert len(text) > 10_000
    started = time.perf_counter()
    blocks = parse(text, USERS)
    rendered = to_markdown(blocks)
    data = word_bytes(blocks)
    assert time.perf_counter() - started < 2
    assert rendered.count("**continues**") == 200
    assert document_xml(data).count("continues") == 200


def test_pathological_markers_do_not_take_quadratic_time() -> None:
    started = time.perf_counter()
    parse("*a _b ~c " * 5_000)
    assert time.perf_counter() - started < 2


# --- Word -----------------------------------------------------------------------------------


def test_word_runs_carry_bold_italic_strike_and_code() -> None:
    paragraph = word("*Bold* _italic_ ~gone~ `code` *_both_*").paragraphs[0]
    runs = {run.text: run for run in paragraph.runs}
    assert runs["Bold"].bold and not runs["Bold"].italic
    assert runs["italic"].italic
    assert runs["gone"].font.strike
    assert runs["code"].font.name == "Consolas"
    assert runs["both"].bold and runs["both"].italic


@pytest.mark.parametrize(
    ("slack", "shown", "paragraph_text"),
    [
        (
            "See <https://hackney.gov.uk/a b|hackney.gov.uk/a b>.",
            "hackney.gov.uk/a b",
            "See hackney.gov.uk/a b.",
        ),
        (  # a label that is not the address: the address is what the hyperlink shows
            "See <https://hackney.gov.uk/a b|the council portal>.",
            "https://hackney.gov.uk/a b",
            "See the council portal (https://hackney.gov.uk/a b).",
        ),
    ],
)
def test_word_hyperlinks_point_at_the_vetted_target(
    slack: str, shown: str, paragraph_text: str
) -> None:
    data = word_bytes(parse(slack))
    paragraph = docx.Document(io.BytesIO(data)).paragraphs[0]
    (hyperlink,) = paragraph.hyperlinks
    assert hyperlink.text == shown
    assert hyperlink.address == "https://hackney.gov.uk/a%20b"
    assert paragraph.text == paragraph_text


def test_word_lists_use_the_built_in_styles() -> None:
    document = word("Intro\n• one\n    ◦ nested\n1. first\n    1. sub\n> quoted")
    assert [(style_name(p), p.text) for p in document.paragraphs] == [
        ("Normal", "Intro"),
        ("List Bullet", "one"),
        ("List Bullet 2", "nested"),
        ("List Number", "first"),
        ("List Number 2", "sub"),
        ("Quote", "quoted"),
    ]


def test_each_numbered_list_in_word_restarts_at_its_own_first_number() -> None:
    xml = document_xml(word_bytes(parse("1. a\n2. b\n\nbreak\n\n4. c\n5. d")))
    num_ids = re.findall(r'<w:numId w:val="(\d+)"/>', xml)
    assert len(num_ids) == 4
    assert num_ids[0] == num_ids[1] != num_ids[2] == num_ids[3]
    document = word("1. a\n\nbreak\n\n4. c")
    numbering = document.part.numbering_part.element.xml
    assert '<w:startOverride w:val="4"/>' in numbering


def test_word_code_blocks_keep_their_lines() -> None:
    paragraph = word("```\nline 1\nline 2\n```").paragraphs[0]
    assert paragraph.text == "line 1\nline 2"
    assert [run.font.name for run in paragraph.runs] == ["Consolas"]


# --- properties -----------------------------------------------------------------------------

SLACKISH = st.sampled_from(
    [
        "*",
        "_",
        "~",
        "`",
        "```",
        "\n",
        "\n\n",
        "• ",
        "- ",
        "1. ",
        "    ◦ ",
        "&gt; ",
        "> ",
        "&lt;",
        "&amp;",
        "<",
        ">",
        "|",
        "<!channel>",
        "<!here|here>",
        "<@UHIDDEN1>",
        "<@UHIDDEN1|jamie.young>",
        "<#C1|general>",
        "<https://x.org/(a)|l*n*k>",
        "<javascript:alert(1)|x>",
        "<script>",
        "[a](javascript:b)",
        "\x00",
        "\x0b",
        "\ud800",
        "\uffff",
        "#",
        "=",
        "!",
        "\u0301",
        "\\",
    ]
)
SLACK_TEXT = st.lists(st.one_of(st.text(max_size=12), SLACKISH), max_size=25).map("".join)


@settings(max_examples=150, deadline=None)
@given(SLACK_TEXT)
def test_markdown_never_carries_raw_html_or_ids(text: str) -> None:
    rendered = to_markdown(parse(text))
    assert "<" not in outside_code(rendered)
    for secret in ("UHIDDEN1", "jamie.young"):
        assert secret not in rendered or typed_outside_tokens(text, secret)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(exclude_characters="`"), max_size=200))
def test_markdown_without_code_has_no_angle_bracket_at_all(text: str) -> None:
    assert "<" not in to_markdown(parse(text))


@settings(max_examples=40, deadline=None)
@given(SLACK_TEXT)
def test_word_writer_never_raises_and_the_file_opens(text: str) -> None:
    data = word_bytes(parse(text))
    document = docx.Document(io.BytesIO(data))
    for secret in ("UHIDDEN1", "jamie.young"):
        assert secret not in document_xml(data) or typed_outside_tokens(text, secret)
    assert all(isinstance(p.text, str) for p in document.paragraphs)
