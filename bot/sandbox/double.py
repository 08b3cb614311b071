"""The Slack double: a loopback server that plays Slack's side for tests and demos.

It serves the Web API the bot calls (``api_url``), keeps what was posted as a workspace, refuses
what Slack refuses, misbehaves on request, and drives the bot with signed HTTP requests or
Socket Mode envelopes, exactly as Slack would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, Literal, TypeVar

import aiohttp
from aiohttp import web

from bot.sandbox.blockkit import (
    MAX_TEXT_INPUT,
    element_state,
    find_element,
    is_empty_state,
    message_problems,
    view_problems,
    with_generated_ids,
)
from bot.sandbox.hooks import ResponseUrls
from bot.sandbox.ids import DEFAULT_TS_BASE, IdSource
from bot.sandbox.models import (
    ApiCall,
    ApiError,
    Channel,
    DeliveryResult,
    Ephemeral,
    JsonDict,
    ResponsePost,
    StoredFile,
    StoredMessage,
    StoredView,
    User,
)
from bot.sandbox.payloads import PayloadFactory, user_message_blocks
from bot.sandbox.socket_mode import SocketModeHub
from bot.sandbox.state import SandboxState
from bot.sandbox.transport import (
    HttpTransport,
    RequestKind,
    encode_for_http,
    retry_headers,
)
from bot.sandbox.web_api import WebApi
from bot.sandbox.workspace import Identity, NewMessage

T = TypeVar("T")
Target = StoredMessage | Ephemeral | StoredView
"""What a person can click in: a message, an ephemeral message, a modal or a Home tab."""

GENERAL_CHANNEL_ID = "C0GENERAL"
SLACK_ACK_SECONDS = 3.0


class SlackDouble:
    def __init__(
        self,
        signing_secret: str = "sandbox-signing-secret",
        *,
        bot_token: str = "xoxb-sandbox-bot-token",
        team_id: str = "T111",
        team_name: str = "Sandbox",
        team_domain: str = "sandbox",
        bot_user_id: str = "UBOTUSER",
        bot_id: str = "B111",
        app_id: str = "A111",
        bot_name: str = "scrutiny-bot",
        verification_token: str = "sandbox-verification-token",
        host: str = "127.0.0.1",
        port: int = 0,
        ack_timeout: float = SLACK_ACK_SECONDS,
        trigger_ttl: float | None = 3.0,
        ts_base: int = DEFAULT_TS_BASE,
        general_channel: str | None = GENERAL_CHANNEL_ID,
        control: bool = False,
        granted_scopes: frozenset[str] | None = None,
    ) -> None:
        """``ack_timeout``: how long a request waits for the bot's answer (Slack: 3 s).
        ``granted_scopes``: the bot token's scopes (default: those ``manifest.json`` asks
        for, as when the app is installed from it); see ``grant_scopes``.
        ``control``: also serve ``/_sandbox/{operation}`` so another process can set up and
        read the workspace (see ``bot.sandbox.control``).
        ``trigger_ttl``: seconds a trigger id stays valid (None: forever).
        ``general_channel``: id of a public channel named "general" the bot is in (None: none).
        """
        self.signing_secret = signing_secret
        self.identity = Identity(
            team_id, team_name, team_domain, bot_user_id, bot_id, app_id, bot_name
        )
        self._ids = IdSource(ts_base)
        self._s = SandboxState.create(
            self.identity, self._ids, bot_token, time.monotonic, trigger_ttl
        )
        self._s.granted_scopes = (
            granted_scopes if granted_scopes is not None else _manifest_scopes()
        )
        self._payloads = PayloadFactory(self.identity, self._ids, verification_token)
        self._web_api = WebApi(self._s)
        self._hooks = ResponseUrls(self._s)
        self._socket = SocketModeHub(self._ids, app_id, self._s.socket_ids, ack_timeout)
        self._host, self._port = host, port
        self._ack_timeout = ack_timeout
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._http: HttpTransport | None = None
        self._mode: Literal["auto", "http", "socket"] = "auto"
        self._control = control
        self.deliveries: list[DeliveryResult] = []
        if general_channel is not None:
            self.add_channel(general_channel, "general")

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._web_api.handle_method)
        app.router.add_post("/upload/v1/{file_id}", self._web_api.handle_upload)
        app.router.add_post("/response/{hook_id}", self._hooks.handle)
        app.router.add_get("/socket-mode/{connection_id}", self._socket.endpoint)
        if self._control:
            from bot.sandbox.control import ControlApi

            app.router.add_post("/_sandbox/{operation}", ControlApi(self).handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        self._port = int(self._runner.addresses[0][1])
        self._s.root_url = f"http://{self._host}:{self._port}/"
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        await self._socket.close()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner, self._session, self._http = None, None, None

    async def __aenter__(self) -> SlackDouble:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``"""
        if not self._s.root_url:
            raise RuntimeError("the Slack double is not started")
        return self._s.root_url

    @property
    def api_url(self) -> str:
        """Base URL for ``AsyncWebClient(base_url=...)``: ``http://127.0.0.1:PORT/api/``."""
        return self.url + "api/"

    @property
    def port(self) -> int:
        return self._port

    @property
    def bot_token(self) -> str:
        return self._s.bot_token

    def grant_scopes(self, scopes: set[str] | frozenset[str]) -> None:
        """From now on the bot token has these scopes (an app installed with fewer or more)."""
        self._s.granted_scopes = frozenset(scopes)

    @property
    def bot_user_id(self) -> str:
        return self.identity.bot_user_id

    @property
    def team_id(self) -> str:
        return self.identity.team_id

    # ------------------------------------------------------------------ workspace set-up

    def add_user(
        self, user_id: str, name: str | None = None, real_name: str | None = None, **profile: Any
    ) -> User:
        """Add a person; ``profile`` may set display_name, email, is_admin, tz, deleted..."""
        return self._s.workspace.add_user(user_id, name, real_name, **profile)

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, bot_is_member: bool = True
    ) -> Channel:
        return self._s.workspace.add_channel(
            channel_id, name, private=private, bot_is_member=bot_is_member
        )

    def channel(self, channel_id: str) -> Channel:
        return self._s.workspace.channel(channel_id)

    def dm_channel_for(self, user_id: str) -> str:
        """The id of the bot's DM with this person (stable; created on first use)."""
        return self._s.workspace.dm_channel_for(user_id)

    def new_trigger_id(self, user_id: str) -> str:
        """A fresh trigger id for this person, e.g. to put in a recorded Slack payload."""
        return self._s.triggers.issue(user_id)

    def new_response_url(
        self, user_id: str, channel_id: str | None, message_ts: str | None = None
    ) -> str:
        """A response_url leading back to the double, e.g. to put in a recorded Slack payload."""
        return self._s.hooks.issue(self.url, user_id, channel_id, message_ts)

    # ------------------------------------------------------------------ queries

    def messages(self, channel_id: str, *, include_replies: bool = True) -> list[StoredMessage]:
        """Messages in a conversation, oldest first."""
        messages = self._s.workspace.messages(channel_id)
        return messages if include_replies else [m for m in messages if m.in_channel_history]

    def message(self, channel_id: str, ts: str) -> StoredMessage:
        return self._s.workspace.find(channel_id, ts)

    def last_message(self, channel_id: str) -> StoredMessage | None:
        messages = self._s.workspace.messages(channel_id)
        return messages[-1] if messages else None

    def thread(self, channel_id: str, ts: str) -> list[StoredMessage]:
        """The thread's parent followed by its replies."""
        return self._s.workspace.thread(channel_id, ts)

    def bot_messages(self, channel_id: str | None = None) -> list[StoredMessage]:
        channels = [channel_id] if channel_id else list(self._s.workspace.channels)
        return [m for c in channels for m in self._s.workspace.messages(c) if m.is_from_bot]

    def dm_messages(self, user_id: str) -> list[StoredMessage]:
        return self.messages(self.dm_channel_for(user_id))

    def ephemerals(self, user_id: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages still shown: chat.postEphemeral, response_url and command acks."""
        return [
            e
            for e in self._s.workspace.ephemerals
            if not e.deleted and (user_id is None or e.user == user_id)
        ]

    def reactions(self, channel_id: str, ts: str) -> dict[str, list[str]]:
        return dict(self.message(channel_id, ts).reactions)

    @property
    def views_opened(self) -> list[StoredView]:
        """Every modal opened or pushed, in order (closed ones included)."""
        return list(self._s.views.opened)

    def view(self, view_id: str) -> StoredView:
        return self._s.views.get(view_id)

    def open_views(self, user_id: str) -> list[StoredView]:
        """The person's open modal stack, root first."""
        return self._s.views.stack(user_id)

    def home_view(self, user_id: str) -> StoredView | None:
        return self._s.views.home(user_id)

    @property
    def files(self) -> list[StoredFile]:
        return self._s.files.all

    @property
    def calls(self) -> list[ApiCall]:
        return list(self._s.calls)

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[ApiCall]:
        return [c for c in self._s.calls if c.method == method and (ok is None or c.ok == ok)]

    @property
    def responses(self) -> list[ResponsePost]:
        """Every POST the bot made to a response_url."""
        return list(self._s.responses)

    @property
    def socket_messages(self) -> list[JsonDict]:
        """Everything the bot sent over Socket Mode (acknowledgements)."""
        return list(self._socket.received)

    # ------------------------------------------------------------------ misbehaviour

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        error: str | None = None,
        retry_after: int | None = 1,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*" for any; "upload_url") with an error
        (only calls to ``channel``, if given).

        429 comes with ``Retry-After: retry_after`` and ``ratelimited``; other statuses with
        ``error`` (default ``internal_error``), e.g. ``status=200, error="channel_not_found"``.
        """
        self._s.faults.fail_next(
            method,
            status=status,
            error=error,
            retry_after=retry_after,
            times=times,
            channel=channel,
        )

    def fail_randomly(
        self,
        method: str,
        rate: float,
        *,
        status: int = 429,
        error: str | None = None,
        retry_after: int | None = 1,
        seed: int | None = None,
    ) -> None:
        """Answer each call of ``method`` ("*" for any) with an error, with probability ``rate``.

        Several rules for one method add up: ``fail_randomly(m, 0.2, status=429)`` then
        ``fail_randomly(m, 0.05, status=500)`` fails 25% of calls, one draw per call. The draws
        come from one generator (seeded 0, or ``seed``), so a run can be repeated exactly.
        Errors are as for ``fail_next``; ``clear_faults`` removes the rules.
        """
        self._s.faults.fail_randomly(
            method, rate, status=status, error=error, retry_after=retry_after, seed=seed
        )

    def delay(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Answer ``method`` ("*" for any) ``seconds`` late, for ``times`` calls (None: always)."""
        self._s.faults.delay(method, seconds, times=times)

    def rate_limit_per_channel(
        self,
        messages_per_second: float | None = 1.0,
        burst: int = 1,
        *,
        method: str = "chat.postMessage",
    ) -> None:
        """Answer 429 + ``Retry-After`` when a channel gets messages faster (None: no limit)."""
        self._s.faults.rate_limit_per_channel(messages_per_second, burst, method=method)

    def set_latency(self, seconds: float) -> None:
        """Answer every Web API call and response_url post ``seconds`` late, as Slack over the
        internet does (0: at once)."""
        self._s.faults.set_latency(seconds)

    def rate_limit_tiers(self, burst: float | None = 1.0) -> None:
        """Limit each Web API method to its tier's calls a minute (``bot.sandbox.tiers``),
        answering 429 + ``Retry-After`` beyond it; ``burst``: minutes' allowance that may go
        at once (None: no tier limits)."""
        self._s.faults.rate_limit_tiers(burst)

    def clear_faults(self) -> None:
        self._s.faults.clear()

    # ------------------------------------------------------------------ connecting to the bot

    def connect_http(self, url: str) -> None:
        """Send requests to the bot's HTTP endpoint, e.g. ``http://127.0.0.1:3000/slack/events``."""
        if self._session is None:
            raise RuntimeError("start the Slack double first")
        self._http = HttpTransport(self._session, url, self.signing_secret, self._ack_timeout)
        self._mode = "http"

    def connect_socket_mode(self) -> None:
        """Send requests over the bot's Socket Mode connection."""
        self._mode = "socket"

    @property
    def socket_connected(self) -> bool:
        return self._socket.connected

    @property
    def socket_connection_count(self) -> int:
        """How many websocket connections the bot has opened so far."""
        return self._socket.connection_count

    async def wait_socket_connected(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await self.wait_for(lambda: self._socket.connected, timeout, description="Socket Mode")

    async def disconnect_socket(self, reason: str = "refresh_requested") -> None:
        """Send ``{"type": "disconnect"}``; the client is expected to reconnect."""
        await self._socket.send_disconnect(reason)

    # ------------------------------------------------------------------ sending requests

    async def send_command(
        self, command: str, text: str, user_id: str, channel_id: str | None = None
    ) -> DeliveryResult:
        """A slash command typed by ``user_id`` in ``channel_id`` (default: general)."""
        user = self._s.workspace.ensure_user(user_id)
        channel = self._s.workspace.channel(channel_id or GENERAL_CHANNEL_ID)
        payload = self._payloads.slash_command(
            command=command,
            text=text,
            user=user,
            channel=channel,
            response_url=self.new_response_url(user.id, channel.id),
            trigger_id=self.new_trigger_id(user.id),
        )
        result = await self._deliver("slash_commands", payload)
        return self._apply_command_ack(result, user.id, channel)

    async def send_event(
        self,
        event: JsonDict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> DeliveryResult:
        """An Events API ``event_callback`` wrapping ``event``; a retry if ``retry_num`` is set."""
        payload = self._payloads.event_callback(event, event_id or self._ids.event_id())
        return await self._deliver("events_api", payload, retry_num, retry_reason)

    async def redeliver(
        self, result: DeliveryResult, retry_num: int = 1, reason: str = "http_timeout"
    ) -> DeliveryResult:
        """Send an event again, as Slack retries it: same body and ``event_id``, retry headers."""
        if result.payload.get("type") != "event_callback":
            raise ValueError("only Events API requests are retried by Slack")
        again = await self._deliver("events_api", result.payload, retry_num, reason)
        return replace(again, message=result.message)

    async def send_interaction(self, payload: JsonDict) -> DeliveryResult:
        """An interactivity payload as given; its trigger_id is accepted by views.open."""
        user_id = str((payload.get("user") or {}).get("id", ""))
        if payload.get("trigger_id") and user_id:
            self._s.triggers.register(str(payload["trigger_id"]), user_id)
        result = await self._deliver("interactive", payload)
        view_id = str((payload.get("view") or {}).get("id", ""))
        if payload.get("type") != "view_submission":
            return result
        try:
            view = self._s.views.get(view_id)
        except ApiError:
            return result  # a view the double never opened: nothing to update
        return self._apply_view_ack(result, view)

    async def send_raw(
        self,
        body: bytes | str,
        content_type: str = "application/json",
        *,
        signed: bool = True,
        timestamp: str | None = None,
        bad_signature: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> DeliveryResult:
        """POST any body to the bot's HTTP endpoint, optionally unsigned, stale or mis-signed."""
        data = body.encode() if isinstance(body, str) else body
        result = await self._require_http().post(
            data,
            content_type,
            payload={},
            signed=signed,
            timestamp=timestamp,
            bad_signature=bad_signature,
            headers=headers,
        )
        self.deliveries.append(result)
        return result

    async def send_raw_envelope(self, kind: RequestKind, payload: JsonDict) -> DeliveryResult:
        """Deliver any payload, unchecked, in a Socket Mode envelope of ``kind``."""
        if not self._uses_socket():
            raise RuntimeError("no Socket Mode connection: start the bot's Socket Mode handler")
        result = await self._socket.deliver(kind, payload)
        self.deliveries.append(result)
        return result

    # ------------------------------------------------------------------ people acting

    def seed_message(
        self, channel_id: str, user_id: str, text: str, thread_ts: str | None = None
    ) -> StoredMessage:
        """Store a message a person wrote earlier, without telling the bot."""
        channel = self._s.workspace.channel(channel_id)
        self._s.workspace.ensure_user(user_id)
        channel.members.add(user_id)
        content = NewMessage(text, user_message_blocks(text, self._ids), [], thread_ts)
        message = self._s.workspace.post(channel, user_id, content)
        message.client_msg_id = self._ids.client_msg_id()
        return message

    async def post_user_message(
        self,
        channel_id: str,
        user_id: str,
        text: str,
        thread_ts: str | None = None,
        *,
        broadcast: bool = False,
    ) -> DeliveryResult:
        """A person writes a message or thread reply: stored, then sent as a ``message`` event."""
        channel = self._s.workspace.channel(channel_id)
        message = self.seed_message(channel_id, user_id, text, thread_ts)
        if broadcast and message.is_reply:
            message.subtype = "thread_broadcast"
        event = self._payloads.message_event(message, channel)
        if message.subtype == "thread_broadcast":
            event["root"] = self.message(channel.id, message.thread_ts or "").to_slack()
        return replace(await self._deliver_to_member(channel, event), message=message)

    async def edit_user_message(self, channel_id: str, ts: str, new_text: str) -> DeliveryResult:
        """A person edits their message: a ``message_changed`` event."""
        channel = self._s.workspace.channel(channel_id)
        message = self._s.workspace.find(channel_id, ts)
        previous = replace(message)
        content = NewMessage(new_text, user_message_blocks(new_text, self._ids), [])
        self._s.workspace.update(channel_id, ts, content, editor=message.user)
        event = self._payloads.message_changed_event(message, previous, channel)
        return replace(await self._deliver_to_member(channel, event), message=message)

    async def delete_user_message(self, channel_id: str, ts: str) -> DeliveryResult:
        """A person deletes a message: a ``message_deleted`` event with ``deleted_ts``."""
        channel = self._s.workspace.channel(channel_id)
        previous = self._s.workspace.delete(channel_id, ts)
        event = self._payloads.message_deleted_event(previous, channel)
        return replace(await self._deliver_to_member(channel, event), message=previous)

    async def notify_thread_changed(self, channel_id: str, parent_ts: str) -> DeliveryResult:
        """The ``message_changed`` Slack sends for a parent when its thread summary changes."""
        channel = self._s.workspace.channel(channel_id)
        parent = self._s.workspace.find(channel_id, parent_ts)
        event = self._payloads.message_changed_event(parent, replace(parent), channel)
        return await self._deliver_to_member(channel, event)

    async def click_button(
        self,
        user_id: str,
        target: Target,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
    ) -> DeliveryResult:
        """A person clicks a button shown in ``target`` (found by action_id, and value if given)."""
        block, element = find_element(
            self._blocks_seen_by(user_id, target), action_id, value=value, block_id=block_id
        )
        if element.get("type") != "button":
            raise ValueError(f"{action_id!r} is a {element.get('type')}, not a button")
        action = self._payloads.action(block, element, None)
        return await self._deliver("interactive", self._action_payload(user_id, target, action))

    async def select(
        self, user_id: str, target: Target, action_id: str, choice: Any
    ) -> DeliveryResult:
        """A person picks ``choice`` (an option value, a user id...) in a select or picker."""
        block, element = find_element(self._blocks_seen_by(user_id, target), action_id)
        selection = element_state(element, choice)
        if isinstance(target, StoredView):
            self._s.views.set_state(target, str(block["block_id"]), action_id, selection)
        action = self._payloads.action(block, element, selection)
        return await self._deliver("interactive", self._action_payload(user_id, target, action))

    async def submit_view(
        self, user_id: str, view_id: str, values: Mapping[str, Any] | None = None
    ) -> DeliveryResult:
        """A person fills a modal and submits it.

        ``values`` maps an input's action_id (or block_id) to what was entered: text for text
        inputs, an option value for selects, a user id for user pickers, a list for multi-selects.
        Inputs left out keep their initial value. A required input left empty raises ValueError,
        since Slack's client would not submit.
        """
        view = self._open_view_of(user_id, view_id)
        view.data["state"]["values"] = _submission_state(view, dict(values or {}))
        user = self._s.workspace.ensure_user(user_id)
        payload = self._payloads.view_submission(
            user, view, trigger_id=self.new_trigger_id(user_id)
        )
        result = await self._deliver("interactive", payload)
        return self._apply_view_ack(result, view)

    async def close_view(self, user_id: str, view_id: str) -> DeliveryResult | None:
        """A person closes a modal; the bot hears ``view_closed`` only if notify_on_close is set."""
        view = self._open_view_of(user_id, view_id)
        self._s.views.close(view)
        if not view.data.get("notify_on_close"):
            return None
        user = self._s.workspace.ensure_user(user_id)
        return await self._deliver("interactive", self._payloads.view_closed(user, view))

    async def message_shortcut(
        self, user_id: str, callback_id: str, channel_id: str, message_ts: str
    ) -> DeliveryResult:
        """A person runs a message shortcut on a message."""
        user = self._s.workspace.ensure_user(user_id)
        channel = self._s.workspace.channel(channel_id)
        message = self._s.workspace.find(channel_id, message_ts)
        payload = self._payloads.message_action(
            user,
            callback_id,
            channel,
            message,
            trigger_id=self.new_trigger_id(user_id),
            response_url=self.new_response_url(user_id, channel_id, message_ts),
        )
        return await self._deliver("interactive", payload)

    async def global_shortcut(self, user_id: str, callback_id: str) -> DeliveryResult:
        user = self._s.workspace.ensure_user(user_id)
        payload = self._payloads.global_shortcut(
            user, callback_id, trigger_id=self.new_trigger_id(user_id)
        )
        return await self._deliver("interactive", payload)

    async def open_app_home(self, user_id: str, tab: str = "home") -> DeliveryResult:
        """A person opens the app's Home tab: ``app_home_opened``."""
        user = self._s.workspace.ensure_user(user_id)
        dm = self._s.workspace.channel(self.dm_channel_for(user_id))
        event = self._payloads.app_home_opened_event(user, dm, tab, self.home_view(user_id))
        return await self.send_event(event)

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        condition: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        interval: float = 0.01,
        description: str | None = None,
    ) -> T:
        """Poll ``condition`` until it returns something truthy, and return that."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = condition()
            if value:
                return value
            if loop.time() >= deadline:
                what = description or getattr(condition, "__name__", "condition")
                raise TimeoutError(f"{what} not met after {timeout}s; {self._recent_calls()}")
            await asyncio.sleep(interval)

    async def wait_for_call(
        self,
        method: str,
        where: Callable[[ApiCall], bool] | None = None,
        *,
        ok: bool | None = True,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ApiCall:
        """Wait until the bot made ``count`` matching calls of ``method``; return the last one."""

        def matching() -> ApiCall | None:
            calls = [c for c in self.calls_to(method, ok=ok) if where is None or where(c)]
            return calls[count - 1] if len(calls) >= count else None

        return await self.wait_for(matching, timeout, description=f"{count} call(s) to {method}")

    def _recent_calls(self) -> str:
        recent = [f"{c.method}:{'ok' if c.ok else c.error}" for c in self._s.calls[-10:]]
        return f"last calls: {recent}"

    # ------------------------------------------------------------------ internals

    def _require_http(self) -> HttpTransport:
        if self._http is None:
            raise RuntimeError("call connect_http(url) first")
        return self._http

    def _uses_socket(self) -> bool:
        if self._mode == "auto":
            if self._socket.connected:
                return True
            if self._http is None:
                raise RuntimeError(
                    "the bot is not connected: call connect_http(url) or start Socket Mode"
                )
            return False
        return self._mode == "socket"

    async def _deliver(
        self,
        kind: RequestKind,
        payload: JsonDict,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> DeliveryResult:
        if self._uses_socket():
            result = await self._socket.deliver(
                kind, payload, retry_attempt=retry_num, retry_reason=retry_reason
            )
        else:
            body, content_type = encode_for_http(kind, payload)
            headers = retry_headers(retry_num, retry_reason)
            result = await self._require_http().post(
                body, content_type, payload=payload, headers=headers
            )
        self.deliveries.append(result)
        return result

    async def _deliver_to_member(self, channel: Channel, event: JsonDict) -> DeliveryResult:
        """Message events reach the bot only from conversations it is in."""
        if self.identity.bot_user_id not in channel.members:
            return DeliveryResult(mode="none", status=None, body="", json=None, payload={})
        return await self.send_event(event)

    def _blocks_seen_by(self, user_id: str, target: Target) -> list[JsonDict]:
        """The blocks ``user_id`` sees in ``target``; ValueError if they cannot see it."""
        if isinstance(target, StoredView):
            view = self._s.views.get(target.id)
            if view.closed or view.user_id != user_id:
                raise ValueError(f"{user_id} does not see view {target.id}")
            return view.blocks
        if isinstance(target, Ephemeral):
            if target.user != user_id or target.deleted:
                raise ValueError(f"only {target.user} sees that ephemeral message")
            return target.blocks
        return self._s.workspace.find(target.channel, target.ts).blocks

    def _action_payload(self, user_id: str, target: Target, action: JsonDict) -> JsonDict:
        user = self._s.workspace.ensure_user(user_id)
        trigger_id = self.new_trigger_id(user_id)
        if isinstance(target, StoredView):
            return self._payloads.block_actions_in_view(user, target, action, trigger_id=trigger_id)
        channel = self._s.workspace.channel(target.channel)
        message = target.to_slack() if isinstance(target, StoredMessage) else None
        return self._payloads.block_actions_on_message(
            user,
            channel,
            message,
            target.ts,
            action,
            trigger_id=trigger_id,
            response_url=self.new_response_url(user_id, channel.id, target.ts),
        )

    def _open_view_of(self, user_id: str, view_id: str) -> StoredView:
        view = self._s.views.get(view_id)
        if view.user_id != user_id or view.closed or view.type != "modal":
            raise ValueError(f"{user_id} has no open modal {view_id}")
        return view

    def _apply_command_ack(
        self, result: DeliveryResult, user_id: str, channel: Channel
    ) -> DeliveryResult:
        """Show a command's acknowledgement text as Slack does: to the user, or in the channel."""
        if not result.ok or not result.body:
            return result
        body = result.json if isinstance(result.json, dict) else {"text": result.body}
        text, blocks = str(body.get("text") or ""), body.get("blocks")
        problem = message_problems(text, blocks, body.get("attachments"))
        if problem is not None:
            return replace(result, ack_problems=(problem[0], *problem[1]))
        shown: list[JsonDict] = blocks if isinstance(blocks, list) else []
        content = NewMessage(text, with_generated_ids(shown, self._ids), [])
        if body.get("response_type") == "in_channel":
            self._s.workspace.post(channel, self.identity.bot_user_id, content)
        else:
            ephemeral = Ephemeral(
                channel.id, user_id, self._ids.next_ts(), text, content.blocks, "command_ack"
            )
            self._s.workspace.add_ephemeral(ephemeral)
        return result

    def _apply_view_ack(self, result: DeliveryResult, view: StoredView) -> DeliveryResult:
        """Apply a view_submission acknowledgement: errors, update, push, clear, or close."""
        if not result.ok:
            return result
        ack = result.json if isinstance(result.json, dict) else {}
        action = ack.get("response_action")
        if action == "errors":
            return result
        if action in ("update", "push"):
            problems = view_problems(ack.get("view"))
            if problems:
                return replace(result, ack_problems=("invalid_arguments", *problems))
        try:
            self._apply_response_action(action, ack, view)
        except ApiError as error:
            return replace(result, ack_problems=(error.error, *error.messages))
        return result

    def _apply_response_action(self, action: Any, ack: JsonDict, view: StoredView) -> None:
        if action == "update":
            self._s.views.update(view, ack["view"], None)
        elif action == "push":
            self._s.views.open(view.user_id, ack["view"], pushed=True)
        elif action == "clear":
            self._s.views.clear(view.user_id)
        else:
            self._s.views.close(view)


def _submission_state(view: StoredView, values: dict[str, Any]) -> dict[str, dict[str, JsonDict]]:
    """``state.values`` for a submission: every input, with what was entered or its default."""
    inputs = [(b, b["element"]) for b in view.blocks if b.get("type") == "input"]
    known = {str(e["action_id"]) for _, e in inputs} | {str(b["block_id"]) for b, _ in inputs}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"the modal has no input for {unknown}")
    state = {block_id: dict(entries) for block_id, entries in view.state_values.items()}
    for block, element in inputs:
        block_id, action_id = str(block["block_id"]), str(element["action_id"])
        chosen = values[action_id] if action_id in values else values.get(block_id)
        entry = element_state(element, chosen)
        _check_entry(block, element, entry)
        state[block_id] = {action_id: entry}
    return state


def _check_entry(block: JsonDict, element: JsonDict, entry: JsonDict) -> None:
    """What Slack's client enforces before it lets a person submit."""
    name = f"{block['block_id']}/{element['action_id']}"
    if not block.get("optional") and is_empty_state(entry):
        raise ValueError(f"required input {name} is empty")
    value = entry.get("value")
    if not isinstance(value, str) or not value:
        return
    max_length = int(element.get("max_length", MAX_TEXT_INPUT))
    min_length = int(element.get("min_length", 0))
    if not min_length <= len(value) <= max_length:
        raise ValueError(f"{name} takes {min_length} to {max_length} characters, got {len(value)}")


def _manifest_scopes() -> frozenset[str]:
    """The bot scopes of the repository's manifest; none if it cannot be read."""
    from bot.manifest import ManifestUnreadable, bot_scopes

    try:
        return bot_scopes()
    except ManifestUnreadable:
        return frozenset()
