"""Login throttling, per account and per client address.

Counters live in Redis when ``REDIS_URL`` is set (shared by every app process), in memory on
the embedded default. The ``limits`` library provides the moving-window algorithm and both
storages, so no counter logic is hand-written here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond, storage, strategies

from marketplace.errors import TooManyRequests


@dataclass
class LoginThrottle:
    failures_per_account: int
    attempts_per_address: int
    window_seconds: int
    storage_uri: str = "memory://"

    def __post_init__(self) -> None:
        self._storage = storage.storage_from_string(self.storage_uri)
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._account_limit = RateLimitItemPerSecond(self.failures_per_account, self.window_seconds)
        self._address_limit = RateLimitItemPerSecond(self.attempts_per_address, self.window_seconds)

    def check(self, account: str, address: str) -> None:
        """Refuse (429) before the password is even checked when either budget is spent;
        count this attempt against the address."""
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

    def record_failure(self, account: str) -> None:
        self._limiter.hit(self._account_limit, "login", f"acct:{account}")

    def reset(self) -> None:
        self._storage.reset()

    def _retry_after(self, limit: RateLimitItemPerSecond, key: str) -> int:
        reset_at, _remaining = self._limiter.get_window_stats(limit, "login", key)
        return max(1, math.ceil(reset_at - time.time()))
