"""The profile's `[metrics]` section (pydantic): where hypercare reads its signals and where alerting is proven.

`source = "scrape"` (the default) reads the target's own /metrics, as the gate always did. `source = "prometheus"`
asks the Prometheus server at `CUTOVER_PROMETHEUS_URL` (a secret) through its HTTP API: the alert rules and the
Alertmanager behind them (hc_alerting_active, t15_alerting_active), the alerts firing for the target, and each
hypercare signal as a PromQL query over the watch interval (`{range}` is filled with it, `[300s]`).
Kept beside profile_schema.py, which validates it as `ProfileModel.metrics`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cutover_gate.core.catalogue import TRIGGERS_BY_ID

AlertKind = Literal["5xx", "latency", "db", "webhook"]
ALERT_KINDS: tuple[str, ...] = ("5xx", "latency", "db", "webhook")
"""The runbook's alerting line: "Alerting active (5xx/latency/DB/webhook)"."""
RANGE = "{range}"
"""The placeholder of a query's range selector, filled with the watch interval (`[300s]`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Queries(_Strict):
    """PromQL, each answering one number at the round's time over `{range}` ("" = not asked)."""

    error_rate: str = ""
    """The 5xx share of the requests (0..1)."""
    requests: str = ""
    """The requests served (the volume the rate is of)."""
    p95_seconds: str = ""
    """The p95 latency in seconds (histogram_quantile, evaluated by the server)."""
    payout_5xx: str = ""
    """5xx answers by route (`sum by (handler) (...)`): a payout/withdraw one raises payout_withdraw_http_error."""
    payouts_paid: str = ""
    """Payouts paid over the interval (goes with payouts_failed)."""
    payouts_failed: str = ""
    """Payout outcomes: with both, the payout failure rate is judged on them as well."""

    @model_validator(mode="after")
    def _payouts_together(self) -> Queries:
        if bool(self.payouts_paid) != bool(self.payouts_failed):
            raise ValueError("payouts_paid and payouts_failed go together (a rate needs both outcomes)")
        return self


class Metrics(_Strict):
    source: Literal["scrape", "prometheus"] = "scrape"
    """Where the signals are read: the target's own /metrics ("scrape"), or the Prometheus server at
    CUTOVER_PROMETHEUS_URL ("prometheus": behind a load balancer, with replicas, or where /metrics is not public)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Header name -> the NAME of the environment variable holding its value (`X-Scope-OrgID = "PROM_TENANT"`)."""
    alert_rules: dict[AlertKind, str] = Field(default_factory=dict)
    """For each of 5xx, latency, db and webhook: the alert (or rule group) that covers it."""
    alert_labels: dict[str, str] = Field(default_factory=dict)
    """Labels that select the target's alerts (`job = "payments"`)."""
    alert_map: dict[str, str] = Field(default_factory=dict)
    """An alert name, or a severity, -> the rollback-matrix row a firing alert raises."""
    queries: Queries = Queries()
    """The PromQL of each hypercare signal, with `source = "prometheus"`."""
    deadline_s: float = Field(default=5.0, gt=0, le=120)
    """The most one check (or one round's queries) waits for Prometheus and Alertmanager together."""

    @field_validator("alert_map")
    @classmethod
    def _rows_exist(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({row for row in value.values() if row not in TRIGGERS_BY_ID})
        if unknown:
            raise ValueError(f"not a rollback-matrix row: {', '.join(unknown)} (rows: {', '.join(TRIGGERS_BY_ID)})")
        return value
