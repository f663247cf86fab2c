"""Prometheus metrics with `prometheus_client`, one registry per app: `http_requests_total{handler,method,status}`
(status 2xx/4xx/5xx) and the `http_request_duration_seconds{handler,method}` histogram, fed by an ASGI middleware,
the shape prometheus-fastapi-instrumentator gives the platform the runbook was written for. A dialect may name the
three labels otherwise (the alt dialect: `route`, `verb`, `code`); the families and the values stay the same."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "none"
CONTRACT_LABELS = ("handler", "method", "status")
"""The labels of (route template, HTTP method, status class)."""

disable_created_metrics()  # the `_created` timestamps are noise for the platform's alerting


class Registry:
    def __init__(self, labels: tuple[str, str, str] = CONTRACT_LABELS) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        route, method, status = labels
        self._requests = Counter("http_requests", f"Total number of requests by {route}, {method} and {status} class.",
                                 [route, method, status], registry=self.registry)
        self._latency = Histogram("http_request_duration_seconds", f"Latency of HTTP requests by {route} and {method}.",
                                  [route, method], buckets=BUCKETS, registry=self.registry)

    def observe(self, handler: str, method: str, status_code: int, seconds: float) -> None:
        self._requests.labels(handler, method, f"{status_code // 100}xx").inc()
        self._latency.labels(handler, method).observe(seconds)

    def render(self) -> str:
        return generate_latest(self.registry).decode("utf-8")


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
