"""alt: `GET /internal/metrics`, Prometheus text with the contract's families and the alt label names."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

router = APIRouter(prefix="/internal", tags=["metrics"])

LABELS = ("route", "verb", "code")
"""(route template, HTTP method, status class `2xx`...) in `http_requests_total`; the histogram has the first two."""


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")
