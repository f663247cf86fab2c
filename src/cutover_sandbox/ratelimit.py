"""A sliding-window rate limit per client, in memory (one sandbox process; a real platform keeps it in Redis)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` hits per `window` seconds per key; `hit` answers 0 when allowed, else the seconds to wait."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        """Count one hit for `key` when allowed (0); when not, count nothing and answer the whole seconds until
        the oldest hit of the window expires (at least 1)."""
        now = self._clock()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return 0
