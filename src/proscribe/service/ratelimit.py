"""Rate limits: a token bucket per user or key, in this process's memory or in Redis.

Each caller has a bucket holding up to ``burst`` tokens that refills at ``rate`` tokens a second;
a request takes one token or, when there is none, is refused with 429 and the seconds to wait.
In memory is right for one server process. With several workers (``proscribe serve --workers N``,
or several machines) the buckets live in Redis (``PROSCRIBE_REDIS_URL``), so that a caller gets
the rate once, not once per process: ``RedisRateLimiter`` keeps each bucket in a Redis hash and
takes a token in one Lua script, which Redis runs atomically with its own clock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio


@dataclass
class _Bucket:
    tokens: float
    at: float


def _params(default_rate: float, default_burst: float, rate: float | None) -> tuple[float, float]:
    """``rate`` overrides the default for a caller (a key's own limit); its burst is twice it, at
    least one request."""
    if rate is None:
        return default_rate, default_burst
    return rate, max(1.0, 2 * rate)


class RateLimiter:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, who: str, rate: float | None = None) -> float:
        """Take a token for ``who``: 0.0 when allowed, else the seconds until a token is there."""
        r, burst = _params(self.rate, self.burst, rate)
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

    async def take_async(self, who: str, rate: float | None = None) -> float:
        return self.take(who, rate)


#: KEYS[1] the bucket; ARGV rate, burst. Returns the seconds to wait (as a string), "0" when allowed.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


class RedisRateLimiter:
    """The same buckets, shared by every process using the same Redis (keys ``proscribe:rate:*``)."""

    def __init__(self, url: str, rate: float, burst: float, prefix: str = "proscribe:rate:") -> None:
        self.url = url
        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self._sync = redis.Redis.from_url(url)
        self._take = self._sync.register_script(_TAKE)
        # the asyncio client belongs to the event loop that first uses it (one per worker process)
        self._async: Any = None
        self._take_async: Any = None

    def take(self, who: str, rate: float | None = None) -> float:
        r, burst = _params(self.rate, self.burst, rate)
        return float(self._take(keys=[self.prefix + who], args=[r, burst]))

    async def take_async(self, who: str, rate: float | None = None) -> float:
        if self._async is None:
            self._async = redis.asyncio.Redis.from_url(self.url)
            self._take_async = self._async.register_script(_TAKE)
        r, burst = _params(self.rate, self.burst, rate)
        return float(await self._take_async(keys=[self.prefix + who], args=[r, burst]))
