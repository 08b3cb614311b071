"""Questions answered together: /agenda group, Group with…, one answer, one document."""

from __future__ import annotations

import io

import docx

from bot.core.models import QuestionState
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.conftest import CLERK, DCSC_OFFICER, HOT_REP, MEMBER
from tests.handlers.support import (
    clerk_approves,
    dm_with_button,
    ephemeral_containing,
    eventually,
    officer_parent,
    open_modal,
    services,
    set_up_commission,
    submit_question,
)

Q01, Q02, Q03 = (f"CYP-2023-12-18-Q0{n}" for n in (1, 2, 3))
S = QuestionState


async def states(bot: Runtime) -> dict[str, QuestionState]:
    return {q.reference: q.state for q in await services(bot).repos.questions.search()}


async def two_asked(slack: SlackDouble) -> None:
    await set_up_commission(slack)
    await submit_question(slack, MEMBER, "How many children in care moved school this year?")
    await submit_question(
        slack, HOT_REP, "How often do we have to change schools?", asker="hackney_of_tomorrow"
    )


async def test_a_group_is_answered_once_and_compiled_together(
    slack: SlackDouble, bot: Runtime
) -> None:
    await two_asked(slack)
    await clerk_approves(slack, Q01)
    await slack.send_command("/agenda", f"group {Q01} {Q02.lower()}", CLERK)
    note = await ephemeral_containing(slack, CLERK, "Grouped:")
    assert f"{Q01} leads, with {Q02}" in note
    # The second question follows the first: sent to the same officer, not chased itself.
    found = await eventually(lambda: states(bot), lambda s: s[Q02] is S.SENT)
    assert found[Q01] is S.SENT
    repos = services(bot).repos
    second = await repos.questions.by_reference(Q02)
    assert second.assigned_officer == DCSC_OFFICER
    chased = [item.question.reference for item in await repos.reminders.inputs_for_sweep()]
    assert chased == [Q01]

    parent = await officer_parent(slack, DCSC_OFFICER, Q01, bot)
    await slack.post_user_message(
        parent.channel, DCSC_OFFICER, "14 children moved school.", thread_ts=parent.ts
    )
    await eventually(lambda: states(bot), lambda s: s[Q01] is S.ANSWERED and s[Q02] is S.ANSWERED)

    await slack.send_command("/agenda", "compile --final", CLERK)
    await eventually(lambda: states(bot), lambda s: s[Q01] is S.PUBLISHED and s[Q02] is S.PUBLISHED)
    files = await slack.wait_for(lambda: [f for f in slack.files if f.completed] or None)
    document = docx.Document(io.BytesIO(next(f for f in files if f.name.endswith(".docx")).content))
    texts = [p.text for p in document.paragraphs]
    assert texts.count("Questions 1 and 2, answered together.") == 2
    assert "Response: 14 children moved school." in texts
    assert "Response: See the response to Question 1." in texts
    events = [e.action for e in await repos.audit.for_subject("question", Q02)]
    assert "question_published" in events  # each question's own trail says so


async def test_group_with_from_the_clerks_card(slack: SlackDouble, bot: Runtime) -> None:
    await two_asked(slack)
    card = await slack.wait_for(lambda: dm_with_button(slack, CLERK, "group_with", Q01))
    await slack.click_button(CLERK, card, "group_with")
    view = await open_modal(slack, CLERK, "group_with_submit")
    wrong = await slack.submit_view(CLERK, view.id, {"references": "CYP-2023-12-18-Q09"})
    assert "CYP-2023-12-18-Q09" in wrong.json["errors"]["references"]
    await slack.submit_view(CLERK, view.id, {"references": f" {Q02}, "})
    await eventually(
        lambda: services(bot).repos.groups.groups_of([1, 2]), lambda g: g == {1: [1, 2], 2: [1, 2]}
    )
    await clerk_approves(slack, Q01)  # sending the lead sends the group
    await eventually(lambda: states(bot), lambda s: s[Q01] is S.SENT and s[Q02] is S.SENT)


async def test_ungroup_and_refusals(slack: SlackDouble, bot: Runtime) -> None:
    await two_asked(slack)
    await submit_question(slack, MEMBER, "What is the budget for school meals?")
    await clerk_approves(slack, Q01)
    await slack.send_command("/agenda", f"group {Q01} {Q02}", MEMBER)
    await ephemeral_containing(slack, MEMBER, "clerk")
    await slack.send_command("/agenda", f"group {Q01}", CLERK)
    await ephemeral_containing(slack, CLERK, "Name the questions to group.")
    await slack.send_command("/agenda", f"withdraw {Q03}", CLERK)
    await eventually(lambda: states(bot), lambda s: s[Q03] is S.WITHDRAWN)
    await slack.send_command("/agenda", f"group {Q01} {Q03}", CLERK)
    await ephemeral_containing(slack, CLERK, f"{Q03} is withdrawn: only open questions")
    assert await services(bot).repos.groups.groups_of([1, 3]) == {}

    await slack.send_command("/agenda", f"group {Q01} {Q02}", CLERK)
    await eventually(lambda: states(bot), lambda s: s[Q02] is S.SENT)
    parent = await officer_parent(slack, DCSC_OFFICER, Q01, bot)
    await slack.post_user_message(parent.channel, DCSC_OFFICER, "Answer.", thread_ts=parent.ts)
    await eventually(lambda: states(bot), lambda s: s[Q02] is S.ANSWERED)
    await slack.send_command("/agenda", f"ungroup {Q02}", CLERK)
    await ephemeral_containing(slack, CLERK, "is no longer answered with the group")
    # It had only the group's answer: it waits for its own again, and is chased.
    found = await eventually(lambda: states(bot), lambda s: s[Q02] is S.SENT)
    assert found[Q01] is S.ANSWERED
    chased = await services(bot).repos.reminders.inputs_for_sweep()
    assert [item.question.reference for item in chased] == [Q02]
    await officer_parent(slack, DCSC_OFFICER, Q02, bot)  # its own message to answer under
    await slack.send_command("/agenda", f"ungroup {Q02}", CLERK)
    await ephemeral_containing(slack, CLERK, f"{Q02} is not in a group.")


async def test_a_withdrawn_lead_ends_its_group(slack: SlackDouble, bot: Runtime) -> None:
    await two_asked(slack)
    await clerk_approves(slack, Q01)
    await slack.send_command("/agenda", f"group {Q01} {Q02}", CLERK)
    await eventually(lambda: states(bot), lambda s: s[Q02] is S.SENT)
    await slack.send_command("/agenda", f"withdraw {Q01}", CLERK)
    found = await eventually(lambda: states(bot), lambda s: s[Q01] is S.WITHDRAWN)
    assert found[Q02] is S.SENT  # the other asker's question stays open, on its own
    await officer_parent(slack, DCSC_OFFICER, Q02, bot)  # and goes to the officer itself
    repos = services(bot).repos
    assert await repos.groups.groups_of([1, 2]) == {}
    chased = await repos.reminders.inputs_for_sweep()
    assert [item.question.reference for item in chased] == [Q02]
    await slack.send_command("/agenda", f"history {Q02}", CLERK)
    history = await ephemeral_containing(slack, CLERK, f"History of {Q02}")
    assert "took it out of its group" in history
