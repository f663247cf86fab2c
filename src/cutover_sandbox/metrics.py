"""Prometheus metrics, hand-rolled: `http_requests_total{handler,method,status}` (status 2xx/4xx/5xx) and the
`http_request_duration_seconds{handler,method}` histogram, fed by an ASGI middleware."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "none"


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self._sum: dict[tuple[str, str], float] = defaultdict(float)
        self._count: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, handler: str, method: str, status_code: int, seconds: float) -> None:
        status = f"{status_code // 100}xx"
        with self._lock:
            self._requests[(handler, method, status)] += 1
            buckets = self._buckets[(handler, method)]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self._sum[(handler, method)] += seconds
            self._count[(handler, method)] += 1

    def render(self) -> str:
        out = [
            "# HELP http_requests_total Total number of requests by handler, method and status class.",
            "# TYPE http_requests_total counter",
        ]
        with self._lock:
            for (handler, method, status), n in sorted(self._requests.items()):
                out.append(f'http_requests_total{{handler="{_esc(handler)}",method="{method}",status="{status}"}} {n}')
            out += [
                "# HELP http_request_duration_seconds Latency of HTTP requests by handler and method.",
                "# TYPE http_request_duration_seconds histogram",
            ]
            for (handler, method), counts in sorted(self._buckets.items()):
                labels = f'handler="{_esc(handler)}",method="{method}"'
                for bound, n in zip(BUCKETS, counts, strict=True):
                    out.append(f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
                total = self._count[(handler, method)]
                out.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {total}')
                out.append(f"http_request_duration_seconds_sum{{{labels}}} {self._sum[(handler, method)]:.6f}")
                out.append(f"http_request_duration_seconds_count{{{labels}}} {total}")
        return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class MetricsMiddleware:
    """Times every HTTP request and labels it with the matched route template (never the raw path)."""

    def __init__(self, app: ASGIApp, registry: Registry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status_code = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route: Any = scope.get("route")
            handler = getattr(route, "path", None) or UNMATCHED
            self.registry.observe(handler, scope["method"], status_code, time.perf_counter() - start)
