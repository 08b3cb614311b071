"""The compiled agenda item, read back as Markdown and as a Word document."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import date

import docx
from docx.text.paragraph import Paragraph as WordParagraph
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.agenda import (
    HACKNEY_OF_TOMORROW,
    TITLE,
    AgendaEntry,
    AgendaMeeting,
    CompiledAgenda,
    EntryStatus,
    OutstandingQuestion,
    PackDetails,
    asked_by_label,
    compile_agenda,
    long_date,
    meeting_date,
)

TARGET = AgendaMeeting(
    committee_name="Children and Young People Scrutiny Commission",
    title="Children and Young People Scrutiny Commission",
    meeting_date=date(2026, 5, 11),
    reference="CYP-2026-05-11",
)
DECEMBER = "Children and Young People Scrutiny Commission, 18 December 2023"
DECEMBER_TITLE = (
    "Responses to questions not reached at the meeting of the Children and Young People "
    "Scrutiny Commission on 18 December 2023"
)
REPORT = "Children's Social Care Annual Report (2022/23)"
DCSC = "Director of Children's Social Care"
HOS = "Head of Service, Children in Care and Care Leavers"
YOUNG_PERSON = "U05YOUNG"


def names(user_id: str) -> str | None:
    """The lead's resolver: officers by name, a Hackney of Tomorrow young person never."""
    return {"U0DCSC01": "Rachel Grant", "U0HOS002": "Tom Ellis"}.get(user_id)


Q07 = (
    "A full inspection of children's social care services by Ofsted is expected early in the "
    "New Year. Can you update the Commission on service preparations ahead of this visit? "
    "What have internal audit and quality assurance systems revealed about the services "
    "strengths and weaknesses ahead of this inspection? What is morale like ahead of the visit?"
)
Q16 = (
    "Care leavers noted that they had experienced periods of high turnover with their social "
    "workers that supported them. What was the overarching approach of social workers, was "
    "this practice holistic, trauma informed and anti-racist? Are all social workers trauma "
    "informed - are all practitioners being trained in this approach?"
)
Q22 = (
    "Quality and affordable accommodation is paramount for care leavers stability and "
    "progression, yet care leavers are still reporting they are being placed in unsuitable "
    "accommodation. Can officers update the Commission on the implementation of the new "
    "supported housing strategy? What assurances can be provided that care leavers are being "
    "placed in accommodation which they can afford?"
)
A07 = (
    "*Preparation*: the service has completed its self-evaluation and the Annex A return.\n"
    "• 200 supporting documents are cleared and ready\n"
    "• the last 6 months of audits are complete\n"
    "    ◦ including the _anti-racist practice_ audit\n\n"
    "Morale is good; the <https://hackney.gov.uk/csc-annual-report|annual report> sets out "
    "the detail &amp; <@U0HOS002> can brief members."
)
A16 = (
    "The new practice model is *systemic, trauma-informed and anti-racist*. Training:\n"
    "1. all social workers complete the trauma-informed module\n"
    "2. personal advisers follow in the spring"
)
A16_MORE = "Follow-up: completion figures are in the appendix."


def entry(reference: str, sequence: int, **changes: object) -> AgendaEntry:
    base = AgendaEntry(
        reference=reference,
        source_meeting_label=DECEMBER,
        source_meeting_date=date(2023, 12, 18),
        item_number="4",
        item_title=REPORT,
        sequence=sequence,
        asked_by="The Commission",
        question_text="A question?",
        status=EntryStatus.APPROVED,
        response_parts=("An answer.",),
        responder_role_title=DCSC,
        answered_on=date(2026, 4, 21),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def december_entries() -> list[AgendaEntry]:
    return [
        entry("CYP-2023-12-18-Q07", 7, question_text=Q07, response_parts=(A07,)),
        entry(
            "CYP-2023-12-18-Q16",
            16,
            question_text=Q16,
            asked_by="Jamie Young",
            hackney_of_tomorrow=True,
            response_parts=(A16, A16_MORE),
            responder_role_title=HOS,
            answered_on=date(2026, 4, 22),
        ),
        entry(
            "CYP-2023-12-18-Q22",
            22,
            question_text=Q22,
            asked_by=HACKNEY_OF_TOMORROW,
            hackney_of_tomorrow=True,
            status=EntryStatus.AWAITED,
            response_parts=(),
            answered_on=None,
        ),
    ]


def read_word(agenda: CompiledAgenda) -> docx.document.Document:
    return docx.Document(io.BytesIO(agenda.to_docx_bytes()))


def package_part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name).decode()


def all_package_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return "".join(
            package.read(name).decode(errors="replace")
            for name in package.namelist()
            if name.endswith((".xml", ".rels"))
        )


def headings(document: docx.document.Document) -> list[tuple[str, str]]:
    return [(style_name(p), p.text) for p in document.paragraphs if is_heading(p)]


def style_name(paragraph: WordParagraph) -> str:
    return paragraph.style.name if paragraph.style else ""


def is_heading(paragraph: WordParagraph) -> bool:
    return style_name(paragraph).startswith("Heading")


# --- the realistic case ---------------------------------------------------------------------


def test_questions_from_18_december_compile_into_the_agenda_item() -> None:
    agenda = compile_agenda(TARGET, december_entries(), names)
    document = read_word(agenda)
    assert headings(document) == [
        ("Heading 1", DECEMBER_TITLE),
        ("Heading 2", DECEMBER),
        ("Heading 3", f"Item 4: {REPORT}"),
        ("Heading 4", "Question 1 (CYP-2023-12-18-Q07)"),
        ("Heading 4", "Question 2 (CYP-2023-12-18-Q16)"),
        ("Heading 4", "Question 3 (CYP-2023-12-18-Q22)"),
    ]
    texts = [p.text for p in document.paragraphs]
    assert "Meeting: Children and Young People Scrutiny Commission, Monday 11 May 2026" in texts
    assert f"Response from: {DCSC}" in texts
    assert "Date answered: 21 April 2026" in texts
    assert "Response: Response awaited." in texts
    assert "3 questions: 2 answered, 1 response awaited." in texts


def test_the_intro_names_the_source_and_target_meetings() -> None:
    markdown = compile_agenda(TARGET, december_entries(), names).markdown
    assert (
        "The questions below were not reached in the time available at the meeting of the "
        "Children and Young People Scrutiny Commission on 18 December 2023 and were sent to "
        "officers for a written response. The responses are published for the meeting of the "
        "Children and Young People Scrutiny Commission on Monday 11 May 2026."
    ) in markdown


def test_a_question_raised_for_the_meeting_itself_reads_right() -> None:
    ahead = [replace(e, source_meeting_date=date(2026, 5, 11)) for e in december_entries()]
    ahead = [
        replace(
            e, source_meeting_label="Children and Young People Scrutiny Commission, 11 May 2026"
        )
        for e in ahead
    ]
    markdown = compile_agenda(TARGET, ahead, names).markdown
    assert "not reached in the time available" not in markdown
    assert (
        "The questions below were raised for the meeting of the Children and Young People "
        "Scrutiny Commission on 11 May 2026 and sent to officers for a written response ahead "
        "of it."
    ) in markdown


def test_the_markdown_reads_like_the_document() -> None:
    markdown = compile_agenda(TARGET, december_entries(), names).markdown
    assert markdown.startswith(f"# {DECEMBER_TITLE}\n\n**Meeting:** Children and Young People")
    assert "**Recommendation:** The Commission is asked to note the responses." in markdown
    assert "#### Question 2 (CYP-2023-12-18-Q16)\n\n**Asked by:** Hackney of Tomorrow\n" in markdown
    assert "**Response:** **Preparation**: the service has completed" in markdown
    assert "- 200 supporting documents are cleared and ready\n" in markdown
    assert "  - including the _anti-racist practice_ audit\n" in markdown
    address = "https://hackney.gov.uk/csc-annual-report"
    assert f"the annual report ([{address}]({address})) sets out" in markdown
    assert "the detail & Tom Ellis can brief members." in markdown
    assert "1. all social workers complete the trauma-informed module\n2. personal" in markdown
    assert markdown.endswith(f"**Response requested from:** {DCSC}\n")


def test_responses_keep_their_formatting_in_word() -> None:
    document = read_word(compile_agenda(TARGET, december_entries(), names))
    paragraphs = document.paragraphs
    styled = [(style_name(p), p.text) for p in paragraphs if style_name(p).startswith("List")]
    assert styled == [
        ("List Bullet", "200 supporting documents are cleared and ready"),
        ("List Bullet", "the last 6 months of audits are complete"),
        ("List Bullet 2", "including the anti-racist practice audit"),
        ("List Number", "all social workers complete the trauma-informed module"),
        ("List Number", "personal advisers follow in the spring"),
    ]
    response = next(p for p in paragraphs if p.text.startswith("Response: Preparation"))
    bold = [run.text for run in response.runs if run.bold]
    assert bold == ["Response:", "Preparation"]
    linked = next(p for p in paragraphs if p.hyperlinks)
    assert linked.hyperlinks[0].address == "https://hackney.gov.uk/csc-annual-report"
    assert linked.text.endswith("the detail & Tom Ellis can brief members.")


def test_a_response_in_several_thread_replies_keeps_them_in_order() -> None:
    texts = [
        p.text for p in read_word(compile_agenda(TARGET, december_entries(), names)).paragraphs
    ]
    assert texts.index("personal advisers follow in the spring") < texts.index(A16_MORE)


# --- Hackney of Tomorrow --------------------------------------------------------------------


def test_hackney_of_tomorrow_young_people_are_never_named() -> None:
    entries = [
        entry(
            "CYP-2023-12-18-Q16",
            16,
            asked_by="Jamie Young",
            hackney_of_tomorrow=True,
            question_text=f"Asked by <@{YOUNG_PERSON}|jamie.young> for the group",
            response_parts=(f"Thank you <@{YOUNG_PERSON}> for asking.",),
        )
    ]
    agenda = compile_agenda(TARGET, entries, names)
    data = agenda.to_docx_bytes()
    for published in (agenda.markdown, all_package_text(data)):
        assert "Jamie" not in published
        assert "jamie" not in published
        assert YOUNG_PERSON not in published
    assert "Asked by: Hackney of Tomorrow" in [p.text for p in read_word(agenda).paragraphs]


def test_typed_questions_and_notes_never_become_links() -> None:
    typed = "Is <https://evil.example|the council portal> safe? *Really* <!channel>"
    entries = [
        entry("CYP-2023-12-18-Q01", 1, question_text=typed),
        entry(
            "CYP-2023-12-18-Q02",
            2,
            status=EntryStatus.HOLDING,
            holding_note=f"See {typed}",
            promised_date=date(2026, 5, 1),
        ),
    ]
    agenda = compile_agenda(TARGET, entries, names)
    assert "](" not in agenda.markdown
    assert r"Is &lt;https://evil.example\|the council portal&gt; safe? **Really**" in (
        agenda.markdown
    )
    document = read_word(agenda)
    assert [link for p in document.paragraphs for link in p.hyperlinks] == []
    assert any("<https://evil.example|the council portal>" in p.text for p in document.paragraphs)


def test_asked_by_label() -> None:
    assert asked_by_label(entry("R", 1, asked_by="Cllr Jane Smith")) == "Cllr Jane Smith"
    assert asked_by_label(entry("R", 1, asked_by="Anyone", hackney_of_tomorrow=True)) == (
        HACKNEY_OF_TOMORROW
    )
    assert asked_by_label(entry("R", 1, asked_by=" \x00 ")) == "Not recorded"


# --- order ----------------------------------------------------------------------------------


def test_grouped_by_source_meeting_then_item_in_numeric_order_then_sequence() -> None:
    january = {
        "source_meeting_label": "Children and Young People Scrutiny Commission, 15 January 2024",
        "source_meeting_date": date(2024, 1, 15),
    }
    entries = [
        entry("CYP-2024-01-15-Q02", 2, item_number="10", item_title="Work programme", **january),
        entry("CYP-2023-12-18-Q09", 9, item_number="10", item_title="Work programme"),
        entry("CYP-2023-12-18-Q03", 3, item_number=None, item_title=None),
        entry("CYP-2023-12-18-Q12", 12),
        entry("CYP-2023-12-18-Q02", 2),
        entry("CYP-2024-01-15-Q01", 1, item_number="5", item_title="Budget", **january),
    ]
    assert [text for _, text in headings(read_word(compile_agenda(TARGET, entries, names)))] == [
        TITLE,
        DECEMBER,
        f"Item 4: {REPORT}",
        "Question 1 (CYP-2023-12-18-Q02)",
        "Question 2 (CYP-2023-12-18-Q12)",
        "Item 10: Work programme",
        "Question 3 (CYP-2023-12-18-Q09)",
        "Questions not linked to an agenda item",
        "Question 4 (CYP-2023-12-18-Q03)",
        "Children and Young People Scrutiny Commission, 15 January 2024",
        "Item 5: Budget",
        "Question 5 (CYP-2024-01-15-Q01)",
        "Item 10: Work programme",
        "Question 6 (CYP-2024-01-15-Q02)",
    ]


def test_two_source_meetings_are_both_named_in_the_intro() -> None:
    later = entry(
        "CYP-2024-01-15-Q01",
        1,
        source_meeting_label="Children and Young People Scrutiny Commission, 15 January 2024",
        source_meeting_date=date(2024, 1, 15),
    )
    markdown = compile_agenda(TARGET, [later, entry("CYP-2023-12-18-Q01", 1)], names).markdown
    assert (
        "at the meeting of the Children and Young People Scrutiny Commission on 18 December "
        "2023 and the meeting of the Children and Young People Scrutiny Commission on "
        "15 January 2024"
    ) in markdown


# --- statuses -------------------------------------------------------------------------------


def test_holding_reply_with_its_promised_date() -> None:
    holding = entry(
        "CYP-2023-12-18-Q10",
        10,
        status=EntryStatus.HOLDING,
        response_parts=(),
        answered_on=None,
        holding_note="We are collating *consultation line* figures.",
        promised_date=date(2026, 4, 28),
    )
    markdown = compile_agenda(TARGET, [holding], names).markdown
    assert (
        "**Holding reply:** We are collating **consultation line** figures. "
        "(full response promised by 28 April 2026)"
    ) in markdown
    assert f"**Response from:** {DCSC}" in markdown
    assert "Date answered" not in markdown


def test_withdrawn_and_awaited() -> None:
    entries = [
        entry("CYP-2023-12-18-Q11", 11, status=EntryStatus.WITHDRAWN, response_parts=()),
        entry("CYP-2023-12-18-Q12", 12, status=EntryStatus.AWAITED, response_parts=()),
    ]
    texts = [p.text for p in read_word(compile_agenda(TARGET, entries, names)).paragraphs]
    assert "Response: Withdrawn." in texts
    assert "Response: Response awaited." in texts
    assert f"Response requested from: {DCSC}" in texts


def test_a_correction_shows_the_corrected_text_and_keeps_the_original() -> None:
    corrected = entry(
        "CYP-2023-12-18-Q13",
        13,
        status=EntryStatus.CORRECTED,
        response_parts=("Performance is now *92%* within 45 days.",),
        correction_note="The first figure covered a different period.",
        corrected_on=date(2026, 5, 2),
        original_text="Performance is now 89% within 45 days.",
    )
    texts = [p.text for p in read_word(compile_agenda(TARGET, [corrected], names)).paragraphs]
    assert texts[-6:] == [
        "Response: Performance is now 92% within 45 days.",
        f"Response from: {DCSC}",
        "Date answered: 21 April 2026",
        "Status: Corrected on 2 May 2026; the original response is kept on record.",
        "Reason for the correction: The first figure covered a different period.",
        "Original response: Performance is now 89% within 45 days.",
    ]


def test_an_answer_with_no_text_says_so() -> None:
    markdown = compile_agenda(TARGET, [entry("R-1", 1, response_parts=("  ",))], names).markdown
    assert "**Response:** No response text was recorded." in markdown


# --- summary --------------------------------------------------------------------------------


def test_summary_counts_and_lists_what_is_outstanding() -> None:
    entries = [
        *december_entries(),
        entry("CYP-2023-12-18-Q08", 8, status=EntryStatus.ANSWERED),
        entry(
            "CYP-2023-12-18-Q09",
            9,
            status=EntryStatus.HOLDING,
            response_parts=(),
            answered_on=None,
            promised_date=date(2026, 4, 28),
            responder_role_title="Director of Education",
        ),
        entry("CYP-2023-12-18-Q30", 30, status=EntryStatus.WITHDRAWN, response_parts=()),
        entry(
            "CYP-2023-12-18-Q05",
            5,
            status=EntryStatus.AWAITED,
            response_parts=(),
            responder_role_title=HOS,
        ),
    ]
    summary = compile_agenda(TARGET, entries, names).summary
    assert (summary.answered, summary.holding, summary.awaited, summary.withdrawn) == (3, 1, 2, 1)
    assert summary.total == 7
    assert summary.awaited_questions == (
        OutstandingQuestion("CYP-2023-12-18-Q05", HOS),
        OutstandingQuestion("CYP-2023-12-18-Q22", DCSC),
    )
    assert summary.holding_questions == (
        OutstandingQuestion("CYP-2023-12-18-Q09", "Director of Education", date(2026, 4, 28)),
    )
    assert summary.not_yet_approved == ("CYP-2023-12-18-Q08",)
    assert summary.headline == (
        "7 questions: 3 answered, 1 holding reply, 2 responses awaited, 1 withdrawn."
    )


# --- empty meeting --------------------------------------------------------------------------


def test_a_meeting_with_no_questions_gives_a_clear_document() -> None:
    agenda = compile_agenda(TARGET, [], names)
    assert agenda.summary.total == 0
    assert agenda.summary.headline == "No questions are addressed to this meeting."
    assert agenda.markdown == (
        f"# {TITLE}\n\n"
        "**Meeting:** Children and Young People Scrutiny Commission, Monday 11 May 2026\n\n"
        "**Reference:** CYP-2026-05-11\n\n"
        "**Recommendation:** The Commission is asked to note the responses.\n\n"
        "No questions from earlier meetings are addressed to the meeting of the Children and "
        "Young People Scrutiny Commission on Monday 11 May 2026, so there are no responses "
        "to publish.\n"
    )
    document = read_word(agenda)
    assert headings(document) == [("Heading 1", TITLE)]
    assert document.core_properties.created.date() == date(2026, 5, 11)


# --- determinism ----------------------------------------------------------------------------


def test_compiling_twice_gives_identical_markdown_and_word() -> None:
    first = compile_agenda(TARGET, december_entries(), names)
    second = compile_agenda(TARGET, list(reversed(december_entries())), names)
    assert first.markdown == second.markdown
    one, two = first.to_docx_bytes(), second.to_docx_bytes()
    for part in ("word/document.xml", "docProps/core.xml", "word/numbering.xml"):
        assert package_part(one, part) == package_part(two, part)
    assert one == two


def test_core_properties_come_from_the_input() -> None:
    agenda = compile_agenda(TARGET, december_entries(), names, prepared_on=date(2026, 4, 30))
    properties = read_word(agenda).core_properties
    assert properties.created.date() == date(2026, 4, 30)
    assert properties.modified.date() == date(2026, 4, 30)
    assert properties.revision == 1
    assert properties.last_modified_by == "Scrutiny questions bot"
    assert properties.title == TITLE
    default = read_word(compile_agenda(TARGET, december_entries(), names)).core_properties
    assert default.created.date() == date(2026, 4, 22)  # the latest answer


def test_every_numbered_list_restarts_in_word() -> None:
    entries = [
        entry("R-1", 1, response_parts=("1. a\n2. b",)),
        entry("R-2", 2, response_parts=("1. c\n2. d",)),
    ]
    xml = package_part(compile_agenda(TARGET, entries, names).to_docx_bytes(), "word/document.xml")
    num_ids = re.findall(r'<w:numId w:val="(\d+)"/>', xml)
    assert len(num_ids) == 4 and num_ids[0] == num_ids[1] != num_ids[2] == num_ids[3]


# --- hostile input --------------------------------------------------------------------------


def test_nothing_typed_can_inject_markup_mentions_or_bad_xml() -> None:
    hostile = entry(
        "CYP-2023-12-18-Q99",
        99,
        asked_by="Cllr <b>Bold</b>\x00",
        item_title="Report \x0b(2022/23)\ufffe",
        question_text="<!channel> <script>alert(1)</script> [x](javascript:alert(1))",
        response_parts=("&lt;!channel&gt; <!here> `<img src=x>` \x1f*ok*\ud800",),
    )
    agenda = compile_agenda(replace(TARGET, committee_name="CYP\x07 <i>"), [hostile], names)
    markdown = agenda.markdown
    assert "<script" not in markdown and "<b>" not in markdown and "<i>" not in markdown
    assert "@channel" not in markdown and "here" not in markdown
    assert "\\[x\\](javascript:alert(1))" in markdown
    assert "&lt;!channel&gt;" in markdown
    document = read_word(agenda)
    texts = [p.text for p in document.paragraphs]
    assert "Asked by: Cllr <b>Bold</b>" in texts
    assert "Response: <!channel> <img src=x> ok" in texts
    assert "Item 4: Report (2022/23)" in texts


def test_dates_are_written_as_the_council_writes_them() -> None:
    assert long_date(date(2026, 4, 21)) == "21 April 2026"
    assert meeting_date(date(2026, 5, 11)) == "Monday 11 May 2026"


def test_file_stem_is_safe() -> None:
    agenda = compile_agenda(replace(TARGET, reference="CYP/2026 05 11"), [], names)
    assert agenda.file_stem == "CYP-2026-05-11-question-responses"


def test_long_committee_and_meeting_names_fit_the_document_properties() -> None:
    # Word caps each core property at 255 characters; the two names together may not fit.
    meeting = replace(TARGET, committee_name="C" * 200, title="T" * 200, reference="R" * 300)
    properties = read_word(compile_agenda(meeting, december_entries(), names)).core_properties
    assert len(properties.subject) == 255 and properties.subject.endswith("…")
    assert properties.subject.startswith("C" * 200 + ", " + "T" * 40)
    assert len(properties.keywords) <= 255 and len(properties.comments) <= 255


# Examples come from the Hypothesis profile: "dev" locally, "ci" (500) in .ci/run.
@settings(deadline=None)
@given(st.text(), st.text(), st.text(), st.text(max_size=300), st.text(max_size=300))
def test_any_text_in_any_field_compiles_to_a_file_that_opens(
    committee: str, label: str, item: str, question: str, response: str
) -> None:
    hostile = entry(
        "R-1",
        1,
        source_meeting_label=label,
        item_title=item,
        asked_by=label,
        question_text=question,
        response_parts=(response,),
        holding_note=response,
        correction_note=question,
        original_text=response,
    )
    entries = [replace(hostile, status=status) for status in EntryStatus]
    agenda = compile_agenda(replace(TARGET, committee_name=committee), entries, names)
    assert read_word(agenda).paragraphs[0].text.startswith("Responses to questions not reached")


def word_xml(data: bytes, member: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = [n for n in package.namelist() if n.startswith(member)]
        return "".join(package.read(n).decode("utf-8") for n in names)


def test_the_word_file_is_a4_british_english_with_page_numbers_and_a_draft_mark() -> None:
    draft = compile_agenda(TARGET, december_entries(), names)
    document = docx.Document(io.BytesIO(draft.to_docx_bytes()))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 2) == 2.54
    assert document.core_properties.language == "en-GB"
    assert 'w:val="en-GB"' in word_xml(draft.to_docx_bytes(), "word/styles.xml")
    footer = word_xml(draft.to_docx_bytes(), "word/footer")
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer
    header = " ".join(p.text for p in section.header.paragraphs)
    assert "DRAFT – not for publication" in header
    assert "Children and Young People Scrutiny Commission" in header
    final = compile_agenda(TARGET, december_entries(), names, final=True)
    final_header = " ".join(
        p.text
        for p in docx.Document(io.BytesIO(final.to_docx_bytes())).sections[0].header.paragraphs
    )
    assert "DRAFT" not in final_header
    heading = document.styles["Heading 1"]
    assert heading.font.color.rgb == docx.shared.RGBColor(0, 0, 0)


def test_the_title_block_names_the_item_the_publication_date_and_the_contact() -> None:
    meeting = replace(TARGET, publication_date=date(2026, 4, 30))
    pack = PackDetails("7", "Jo Clerk", "jo.clerk@example.gov.uk")
    markdown = compile_agenda(meeting, december_entries(), names, pack=pack).markdown
    block = markdown.split("The questions below")[0]
    assert block == (
        f"# {DECEMBER_TITLE}\n\n"
        "**Agenda item:** 7\n\n"
        "**Meeting:** Children and Young People Scrutiny Commission, Monday 11 May 2026\n\n"
        "**Reference:** CYP-2026-05-11\n\n"
        "**Date of publication:** 30 April 2026\n\n"
        "**Contact officer:** Jo Clerk, jo.clerk@example.gov.uk\n\n"
        "**Recommendation:** The Commission is asked to note the responses.\n\n"
    )
