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


def wait_words(seconds: int) -> str:
    """``Retry-After`` in words for a problem's detail: "40 seconds", "14 minutes", "2 hours"."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 2 * 3600:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


@dataclass
class LoginThrottle:
    """Three budgets, so that guessing cannot lock the owner out from elsewhere:

    - failures on one account *from one address* (``failures_per_account``, 5 per window): what one
      guesser gets; the owner, at another address, is not affected;
    - failures on one account from *all* addresses (``failures_per_account_all_addresses``, 50 an
      hour): stops a distributed guess; locking the owner out this way takes many addresses (each is
      held to 5 per window on the account and 30 attempts per window in all), which is why it is ten
      times the first budget;
    - attempts from one address on any accounts (``attempts_per_address``): stops one client from
      trying one password on many accounts.
    """

    failures_per_account: int
    attempts_per_address: int
    window_seconds: int
    storage_uri: str = "memory://"
    failures_per_account_all_addresses: int = 50
    account_window_seconds: int = 3600

    def __post_init__(self) -> None:
        options: dict[str, float] = {}
        if self.storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
            options = {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
        self._storage = storage.storage_from_string(self.storage_uri, wrap_exceptions=True, **options)
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._pair_limit = RateLimitItemPerSecond(self.failures_per_account, self.window_seconds)
        self._account_limit = RateLimitItemPerSecond(
            self.failures_per_account_all_addresses, self.account_window_seconds
        )
        self._address_limit = RateLimitItemPerSecond(self.attempts_per_address, self.window_seconds)

    def check(self, account: str, address: str) -> None:
        """Refuse (429) before the password is even checked when either budget is spent;
        count this attempt against the address."""
        with _counters_reachable():
            self._check(account, address)

    def record_failure(self, account: str, address: str = "") -> None:
        with _counters_reachable():
            self._limiter.hit(self._pair_limit, "login", f"pair:{account}|{address}")
            self._limiter.hit(self._account_limit, "login", f"acct:{account}")

    def _check(self, account: str, address: str) -> None:
        for limit, key, what in (
            (self._pair_limit, f"pair:{account}|{address}", "Too many failed logins to this account from your address"),
            (self._account_limit, f"acct:{account}", "Too many failed logins to this account from several addresses"),
            (self._address_limit, f"addr:{address}", "Too many login attempts from your address"),
        ):
            if not self._limiter.test(limit, "login", key):
                wait = self._retry_after(limit, key)
                raise TooManyRequests(f"{what}: try again in {wait_words(wait)}.", retry_after=wait)
        self._limiter.hit(self._address_limit, "login", f"addr:{address}")

    def reset(self) -> None:
        self._storage.reset()

    def _retry_after(self, limit: RateLimitItemPerSecond, key: str) -> int:
        reset_at, _remaining = self._limiter.get_window_stats(limit, "login", key)
        return max(1, math.ceil(reset_at - time.time()))


@dataclass
class ActionThrottle:
    """Budgets of other abusable requests (registration, password-reset and verification emails),
    in the same storage as the login counters (Redis when ``REDIS_URL`` is set: shared by every app
    process). ``enabled`` is off only for test apps that register hundreds of users from one address."""

    storage_uri: str = "memory://"
    enabled: bool = True

    def __post_init__(self) -> None:
        options: dict[str, float] = {}
        if self.storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
            options = {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
        self._storage = storage.storage_from_string(self.storage_uri, wrap_exceptions=True, **options)
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)

    def hit(self, action: str, key: str, *, per_hour: int, what: str) -> None:
        """Count one request of ``action`` for ``key``; 429 (detail saying how long) past ``per_hour``."""
        if not self.enabled:
            return
        limit = RateLimitItemPerSecond(per_hour, 3600)
        try:
            if self._limiter.hit(limit, action, key):
                return
            reset_at, _ = self._limiter.get_window_stats(limit, action, key)
        except StorageError as exc:
            raise ServiceUnavailable(
                "This request is paused: its counters are unreachable. Try again shortly.",
                headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
            ) from exc
        wait = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(f"{what}: try again in {wait_words(wait)}.", retry_after=wait)

    def reset(self) -> None:
        self._storage.reset()


@contextmanager
def _counters_reachable() -> Iterator[None]:
    try:
        yield
    except StorageError as exc:
        raise ServiceUnavailable(
            "Logging in is paused: the login attempt counters are unreachable. Tokens already issued still work.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        ) from exc
