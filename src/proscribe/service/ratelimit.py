"""Rate limits: a token bucket per user or key, kept in memory.

Each caller has a bucket holding up to ``burst`` tokens that refills at ``rate`` tokens a second;
a request takes one token or, when there is none, is refused with 429 and the seconds to wait.
In memory is right for one server process; several processes behind a load balancer would each
allow the full rate (a shared store such as Redis would be the next step).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, who: str, rate: float | None = None) -> float:
        """Take a token for ``who``: 0.0 when allowed, else the seconds until a token is there.

        ``rate`` overrides the default for this caller (a key's own limit); its burst is twice it,
        at least one request.
        """
        r = rate or self.rate
        burst = self.burst if rate is None else max(1.0, 2 * rate)
        now = time.monotonic()
        with self._lock:
            b = self._buckets.get(who)
            if b is None:
                b = self._buckets[who] = _Bucket(burst, now)
            b.tokens = min(burst, b.tokens + (now - b.at) * r)
            b.at = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return 0.0
            return (1.0 - b.tokens) / r
