"""Login throttling, per account and per client address.

Counters live in Redis when ``REDIS_URL`` is set (shared by every app process), in memory on
the embedded default. The ``limits`` library provides the moving-window algorithm and both
storages, so no counter logic is hand-written here.

When Redis cannot be reached, logins are refused with a 503 (fail closed): letting them through
uncounted would give password guessing an unlimited budget for as long as Redis is down. Bearer
tokens already issued keep working; only ``POST /tokens`` depends on the counters. Redis calls time
out after ``REDIS_TIMEOUT_SECONDS``, so a stalled Redis holds a request thread that long, not forever.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from limits import RateLimitItemPerSecond, storage, strategies
from limits.errors import StorageError

from marketplace.errors import ServiceUnavailable, TooManyRequests

REDIS_TIMEOUT_SECONDS = 2
#: What a client is told to wait when the counters are unreachable.
UNAVAILABLE_RETRY_AFTER = 30


@dataclass
class LoginThrottle:
    failures_per_account: int
    attempts_per_address: int
    window_seconds: int
    storage_uri: str = "memory://"

    def __post_init__(self) -> None:
        options: dict[str, float] = {}
        if self.storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
            options = {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
        self._storage = storage.storage_from_string(self.storage_uri, wrap_exceptions=True, **options)
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._account_limit = RateLimitItemPerSecond(self.failures_per_account, self.window_seconds)
        self._address_limit = RateLimitItemPerSecond(self.attempts_per_address, self.window_seconds)

    def check(self, account: str, address: str) -> None:
        """Refuse (429) before the password is even checked when either budget is spent;
        count this attempt against the address."""
        with _counters_reachable():
            self._check(account, address)

    def record_failure(self, account: str) -> None:
        with _counters_reachable():
            self._limiter.hit(self._account_limit, "login", f"acct:{account}")

    def _check(self, account: str, address: str) -> None:
        for limit, key in (
            (self._account_limit, f"acct:{account}"),
            (self._address_limit, f"addr:{address}"),
        ):
            if not self._limiter.test(limit, "login", key):
                raise TooManyRequests(
                    "Too many login attempts; wait before trying again.",
                    retry_after=self._retry_after(limit, key),
                )
        self._limiter.hit(self._address_limit, "login", f"addr:{address}")

    def reset(self) -> None:
        self._storage.reset()

    def _retry_after(self, limit: RateLimitItemPerSecond, key: str) -> int:
        reset_at, _remaining = self._limiter.get_window_stats(limit, "login", key)
        return max(1, math.ceil(reset_at - time.time()))


@contextmanager
def _counters_reachable() -> Iterator[None]:
    try:
        yield
    except StorageError as exc:
        raise ServiceUnavailable(
            "Logging in is paused: the login attempt counters are unreachable. Tokens already issued still work.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        ) from exc
