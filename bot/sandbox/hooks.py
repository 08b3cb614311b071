"""response_url endpoints: what ``respond()`` posts after a command, click or shortcut."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from bot.sandbox.blockkit import message_problems, with_generated_ids
from bot.sandbox.grants import RESPONSE_URL_MAX_USES, ResponseUrlGrant
from bot.sandbox.models import ApiError, Ephemeral, JsonDict, ResponsePost
from bot.sandbox.state import SandboxState
from bot.sandbox.workspace import NewMessage


class ResponseUrls:
    def __init__(self, state: SandboxState) -> None:
        self._s = state

    async def handle(self, request: web.Request) -> web.Response:
        grant = self._s.hooks.get(request.match_info["hook_id"])
        if grant is None:
            return web.Response(status=404, text="no_service")
        body = await _read_body(request)
        await asyncio.sleep(self._s.faults.latency)
        status, answer = self._answer(grant, body)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self._s.responses.append(
            ResponsePost(
                grant.hook_id,
                grant.user_id,
                grant.channel_id,
                body,
                status,
                answer,
                connection=f"{peer[0]}:{peer[1]}" if peer else None,
            )
        )
        return web.Response(status=status, text=answer)

    def _answer(self, grant: ResponseUrlGrant, body: JsonDict) -> tuple[int, str]:
        if grant.uses >= RESPONSE_URL_MAX_USES:
            return 404, "used_url"
        grant.uses += 1
        try:
            self.apply(grant, body)
        except ApiError as error:
            return 400 if error.status == 200 else error.status, error.error
        return 200, "ok"

    def apply(self, grant: ResponseUrlGrant, body: JsonDict) -> None:
        """Do what Slack does with a response: delete, replace, post, or show to one person."""
        if body.get("delete_original"):
            self._delete_original(grant)
            return
        content = self._content(body)
        if body.get("replace_original") and grant.message_ts is not None:
            self._replace_original(grant, content)
        elif body.get("response_type") == "in_channel":
            channel = self._s.workspace.channel(grant.channel_id or "")
            self._s.workspace.post(channel, self._s.identity.bot_user_id, content)
        else:
            self._s.workspace.add_ephemeral(self._ephemeral(grant, content))

    def _content(self, body: JsonDict) -> NewMessage:
        text = str(body.get("text") or "")
        blocks, attachments = body.get("blocks"), body.get("attachments")
        problem = message_problems(text, blocks, attachments)
        if problem is not None:
            raise ApiError(problem[0], status=400, messages=problem[1])
        return NewMessage(
            text=text,
            blocks=with_generated_ids(blocks or [], self._s.ids),
            attachments=list(attachments or []),
            thread_ts=body.get("thread_ts"),
        )

    def _ephemeral(self, grant: ResponseUrlGrant, content: NewMessage) -> Ephemeral:
        return Ephemeral(
            channel=grant.channel_id or "",
            user=grant.user_id,
            ts=self._s.ids.next_ts(),
            text=content.text,
            blocks=content.blocks,
            source="response_url",
            thread_ts=content.thread_ts,
        )

    def _replace_original(self, grant: ResponseUrlGrant, content: NewMessage) -> None:
        channel_id, ts = grant.channel_id or "", grant.message_ts or ""
        ephemeral = self._s.workspace.find_ephemeral(channel_id, ts)
        if ephemeral is not None:
            ephemeral.text, ephemeral.blocks = content.text, content.blocks
            return
        original = self._s.workspace.find(channel_id, ts)
        self._s.workspace.update(channel_id, ts, content, editor=original.user)

    def _delete_original(self, grant: ResponseUrlGrant) -> None:
        channel_id, ts = grant.channel_id or "", grant.message_ts or ""
        ephemeral = self._s.workspace.find_ephemeral(channel_id, ts)
        if ephemeral is not None:
            ephemeral.deleted = True
            return
        self._s.workspace.delete(channel_id, ts)


async def _read_body(request: web.Request) -> JsonDict:
    """The JSON body ``respond()`` sends; a ``payload=<json>`` form is accepted too."""
    text = await request.text()
    if request.content_type == "application/x-www-form-urlencoded":
        text = parse_qs(text).get("payload", ["{}"])[0]
    try:
        body: Any = json.loads(text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
