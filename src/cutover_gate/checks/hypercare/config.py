"""The profile's [hypercare] section: thresholds, windows, and where the signals are.

The state names here are the API's vocabulary (the finance withdrawal list the fallback pages through); the profile's
SQL (`[sql] hc_*`, `recon_*`) speaks the database's own, so a platform whose API renames its states keeps both right.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class HypercareConfig:
    # thresholds
    error_rate_max: float = 0.02
    latency_p95_max_s: float = 1.0
    backlog_sla_minutes: float = 60.0
    stuck_minutes: float = 30.0
    stuck_deposit_minutes: float = 60.0
    payout_failure_rate_max: float = 0.15
    payout_window_minutes: float = 60.0
    payout_min_sample: int = 5
    payout_lookback_hours: float = 24.0
    stable_hours: float = 72.0
    max_round_gap_hours: float = 8.0
    recon_sample: int = 3
    recon_hours: float = 24.0
    invariant_window_hours: float = 24.0
    invariant_sample_percent: float = 1.0
    list_limit: int = 20
    metrics_rounds_kept: int = 48
    # where the signals are
    requests_counter: str = "http_requests_total"
    latency_histogram: str = "http_request_duration_seconds"
    start_time_metric: str = "process_start_time_seconds"
    status_label: str = "status"
    handler_label: str = "handler"
    method_label: str = "method"
    exclude_handlers: tuple[str, ...] = ("/metrics",)
    payout_handler_pattern: str = "payout|withdraw"
    backlog_states: tuple[str, ...] = ("requested", "approved", "payout_pending")
    stuck_states: tuple[str, ...] = ("payout_pending",)
    payout_paid_states: tuple[str, ...] = ("paid",)
    payout_failed_states: tuple[str, ...] = ("payout_failed",)
    page_limit: int = 200
    max_pages: int = 20

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> HypercareConfig:
        """Known keys only (an unknown key is a typo: ValueError naming it); numbers checked to be sane."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"[hypercare] has unknown key(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for key, raw in data.items():
            default = getattr(cls, key)
            if isinstance(default, tuple):
                if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
                    raise ValueError(f"[hypercare] {key} must be a list of strings")
                values[key] = tuple(raw)
            elif isinstance(default, bool | str):
                values[key] = str(raw)
            else:
                try:
                    number = type(default)(raw)
                except (TypeError, ValueError):
                    raise ValueError(f"[hypercare] {key} = {raw!r} is not a number") from None
                if number < 0 or (key.endswith("_rate_max") and number > 1) or (key.endswith("_percent")
                                                                                 and number > 100):
                    raise ValueError(f"[hypercare] {key} = {raw!r} is out of range")
                values[key] = number
        try:
            re.compile(values.get("payout_handler_pattern", cls.payout_handler_pattern))
        except re.error as exc:
            raise ValueError(f"[hypercare] payout_handler_pattern is not a regular expression: {exc}") from None
        return cls(**values)
