"""Misbehaviour on request: forced errors, slow answers, latency and Slack's rate limits."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox.models import ApiError, JsonDict
from bot.sandbox.tiers import calls_per_minute

ANY_METHOD = "*"
_DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None
    remaining: int
    channel: str | None = None
    """Only calls to this channel fail (None: any call)."""


@dataclass
class _RandomFailure:
    """Each call fails with probability ``rate`` (drawn from the plan's seeded generator)."""

    rate: float
    status: int
    error: str
    retry_after: int | None


@dataclass
class _Delay:
    seconds: float
    remaining: int | None


@dataclass
class _ChannelRateLimit:
    """A token bucket per channel: ``burst`` messages at once, refilled at ``per_second``."""

    method: str
    per_second: float
    burst: float
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, channel: str, now: float) -> int | None:
        """None when the message may go now, else the whole seconds to wait."""
        tokens, last = self.buckets.get(channel, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        if tokens >= 1:
            self.buckets[channel] = (tokens - 1, now)
            return None
        self.buckets[channel] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / self.per_second))


@dataclass
class _MethodTiers:
    """A token bucket per Web API method, as Slack's tiers limit each method per workspace:
    ``burst`` times a minute's allowance at once, refilled at the tier's rate."""

    burst: float
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, method: str, now: float) -> int | None:
        """None when the call may go now, else the whole seconds to wait."""
        per_minute = calls_per_minute(method)
        if per_minute is None:
            return None
        per_second = per_minute / 60
        capacity = max(1.0, per_minute * self.burst)
        tokens, last = self.buckets.get(method, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * per_second)
        if tokens >= 1:
            self.buckets[method] = (tokens - 1, now)
            return None
        self.buckets[method] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / per_second))


class FaultPlan:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._failures: dict[str, list[_Failure]] = {}
        self._delays: dict[str, _Delay] = {}
        self._rate_limit: _ChannelRateLimit | None = None
        self._random: dict[str, list[_RandomFailure]] = {}
        self._rng = random.Random(0)
        self._tiers: _MethodTiers | None = None
        self.latency = 0.0
        """Seconds every Web API call and response_url post takes, on top of any delay."""

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
        failure = _Failure(
            status=status,
            error=error or _DEFAULT_ERRORS.get(status, "internal_error"),
            retry_after=retry_after if status == 429 else None,
            remaining=times,
            channel=channel,
        )
        self._failures.setdefault(method, []).append(failure)

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
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {rate}")
        rules = self._random.setdefault(method, [])
        if sum(r.rate for r in rules) + rate > 1.0:
            raise ValueError(f"the failure rates of {method} add up to more than 1")
        if seed is not None:
            self._rng.seed(seed)
        rules.append(
            _RandomFailure(
                rate=rate,
                status=status,
                error=error or _DEFAULT_ERRORS.get(status, "internal_error"),
                retry_after=retry_after if status == 429 else None,
            )
        )

    def delay(self, method: str, seconds: float, *, times: int | None = None) -> None:
        self._delays[method] = _Delay(seconds=seconds, remaining=times)

    def rate_limit_per_channel(
        self, messages_per_second: float | None, burst: int = 1, *, method: str = "chat.postMessage"
    ) -> None:
        if messages_per_second is None:
            self._rate_limit = None
            return
        self._rate_limit = _ChannelRateLimit(method, messages_per_second, float(burst))

    def rate_limit_tiers(self, burst: float | None = 1.0) -> None:
        """Limit each method to its tier's calls a minute (None: no tier limits); ``burst``:
        how many minutes' allowance may go at once."""
        self._tiers = None if burst is None else _MethodTiers(burst)

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self.latency = seconds

    def clear(self) -> None:
        self._failures.clear()
        self._random.clear()
        self._delays.clear()
        self._rate_limit = None
        self._tiers = None
        self.latency = 0.0

    def delay_for(self, method: str) -> float:
        """Seconds to wait before answering ``method``: the latency plus any delay asked for."""
        for key in (method, ANY_METHOD):
            delay = self._delays.get(key)
            if delay is None:
                continue
            if delay.remaining is not None:
                delay.remaining -= 1
                if delay.remaining <= 0:
                    del self._delays[key]
            return self.latency + delay.seconds
        return self.latency

    def failure_for(self, method: str, args: JsonDict) -> ApiError | None:
        """The error to answer instead of handling the call, if any misbehaviour applies."""
        forced = self._forced(method, args)
        if forced is not None:
            return forced
        chance = self._by_chance(method)
        if chance is not None:
            return chance
        return self._rate_limited(method, args)

    def _forced(self, method: str, args: JsonDict) -> ApiError | None:
        for key in (method, ANY_METHOD):
            queue = self._failures.get(key) or []
            failure = next(
                (f for f in queue if f.channel is None or f.channel == args.get("channel")), None
            )
            if failure is None:
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.remove(failure)
            return ApiError(failure.error, status=failure.status, retry_after=failure.retry_after)
        return None

    def _by_chance(self, method: str) -> ApiError | None:
        """One draw per call: the rules' rates are consecutive slices of [0, 1)."""
        for key in (method, ANY_METHOD):
            rules = self._random.get(key)
            if not rules:
                continue
            draw = self._rng.random()
            for rule in rules:
                if draw < rule.rate:
                    return ApiError(rule.error, status=rule.status, retry_after=rule.retry_after)
                draw -= rule.rate
        return None

    def _rate_limited(self, method: str, args: JsonDict) -> ApiError | None:
        wait = None
        if self._tiers is not None:
            wait = self._tiers.take(method, self._clock())
        limit = self._rate_limit
        if wait is None and limit is not None and limit.method == method:
            wait = limit.take(str(args.get("channel", "")), self._clock())
        if wait is None:
            return None
        return ApiError("ratelimited", status=429, retry_after=wait)
