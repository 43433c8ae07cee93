"""A token bucket shared by the streams to one distribution point (its rate limit)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``take(n)`` waits until ``n`` bytes may go at ``rate`` bytes a second; bursts up to
    ``capacity`` bytes (default: a quarter second of the rate, at least 64 KiB)."""

    def __init__(self, rate: float, capacity: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("a rate limit must be above 0 bytes a second")
        self.rate = float(rate)
        self.capacity = float(capacity) if capacity is not None else max(self.rate / 4, 65536.0)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self, amount: int) -> None:
        """Wait (bounded: ``amount / rate`` seconds plus the bucket's debt) for ``amount`` bytes."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= amount  # may go below 0: the debt is the wait
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
