"""Grouping questions answered together: ``/agenda group``, ``/agenda ungroup`` and the
*Group with…* button on the clerk's card (storage/groups.py has the rules)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.mrkdwn import Mrkdwn, join, link, md
from bot.flows.answers import in_thread
from bot.flows.sending import post_unsent
from bot.flows.slack import permalink
from bot.services import Services
from storage.groups import Group

GROUP_USAGE = "/agenda group <reference> <reference> [<reference>…]"
UNGROUP_USAGE = "/agenda ungroup <reference>"


async def group_questions(
    services: Services, client: AsyncWebClient, user_id: str, references: list[str]
) -> Group:
    """Group the questions under the first; each other question's thread is told where the
    answer will come."""
    actor = await services.actor(user_id)
    group = await services.repos.groups.group(references, actor, services.clock())
    lead = group.lead
    where: Mrkdwn = md("{}", lead.reference)
    if lead.thread is not None:
        address = await permalink(client, lead.thread)
        if address:
            where = link(address, f"{lead.reference}'s thread")
    for other in group.others:
        if other.thread is not None and other.thread != lead.thread:
            await in_thread(
                client,
                other.thread,
                md(
                    "{} is now answered together with {}: the answer is given once, in {}. "
                    "Reminders for it have stopped.",
                    other.reference,
                    lead.reference,
                    where,
                ),
                quiet=True,
            )
    return group


def grouped_note(group: Group) -> Mrkdwn:
    others = join(", ", [q.reference for q in group.others])
    return md(
        "Grouped: {} leads, with {}. The officer answers once; every question in the group "
        "is answered, approved and published with it, and the agenda shows them together.",
        group.lead.reference,
        others,
    )


async def ungroup_question(
    services: Services, client: AsyncWebClient, user_id: str, reference: str
) -> Group:
    """Take the question (or, for the lead, every question) out of its group; any that
    never had a message of its own is posted to the officer now."""
    actor = await services.actor(user_id)
    before = await services.repos.questions.by_reference(reference)
    members = (await services.repos.groups.groups_of([before.id])).get(before.id, [])
    group = await services.repos.groups.ungroup(reference, actor, services.clock())
    await post_unsent(services, client, members)
    return group
