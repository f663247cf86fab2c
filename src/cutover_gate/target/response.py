"""What the target answered: the exchange as the evidence keeps it (redacted) and the answer a step reads, by the
profile's declared call (its answer fields, accepted statuses, success in the body, error codes where they are)."""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from cutover_gate.config.profile_schema import Call
from cutover_gate.config.target_profile import Profile, dig
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import MASK, REDACTOR, SENSITIVE_KEY

MAX_BODY = 4000


class TargetUnreachable(CheckFailed):
    """The target did not answer at all."""


class RateLimited(CheckFailed):
    """The target answered 429 for longer than the step may wait: not a defect of the platform, a retry later."""


class RefusedByRule(CheckFailed):
    """The platform's risk control or a limit refused a probe (a code of the call's `risk_refusal` / `rate_limit`):
    its business, not its failure. The scenario is NOT_RUN with the answer, never a FAIL, never a PASS."""


@dataclass
class Exchange:
    method: str
    url: str
    status: int | None
    elapsed_ms: float
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: Any = None
    response_body: Any = None
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method, "url": self.url, "status": self.status, "elapsed_ms": round(self.elapsed_ms, 1),
            "request_headers": self.request_headers, "request_body": self.request_body,
            "response_body": self.response_body, "error": self.error,
        }


def _redacted_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (MASK if SENSITIVE_KEY.search(k) else REDACTOR.scrub(v)) for k, v in headers.items()}


def _body_for_evidence(raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(raw, bytes | str):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            return REDACTOR.scrub_obj(jsonlib.loads(text))
        except ValueError:
            return REDACTOR.scrub(text[:MAX_BODY])
    return REDACTOR.scrub_obj(raw)


def to_decimal(value: Any, what: str | Reason) -> Decimal:
    """Amounts are compared as Decimal, never float: parse from the JSON text form."""
    label = Reason.label(what)
    if isinstance(value, bool) or value is None:
        raise CheckFailed(N_("%(what)s is %(value)s, not an amount"), what=label, value=repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise CheckFailed(N_("%(what)s is %(value)s, not an amount"), what=label, value=repr(value)) from None


class Response:
    def __init__(self, raw: requests.Response, exchange: Exchange, spec: Call | None = None, name: str = "",
                 profile: Profile | None = None) -> None:
        self.profile = profile
        self.raw = raw
        self.status = raw.status_code
        self.headers = raw.headers
        self.text = raw.text
        self.exchange = exchange
        self.spec = spec
        """The declared call this answers, when it was made with `TargetClient.call`."""
        self.name = name

    def json(self) -> Any:
        try:
            return self.raw.json()
        except ValueError:
            ctype = self.headers.get("content-type", "?")
            raise CheckFailed(N_("%(method)s %(url)s answered %(status)s with a non-JSON body "
                                 "(content-type %(ctype)s)"),
                              method=self.exchange.method, url=self.exchange.url, status=self.status,
                              ctype=ctype) from None

    def field(self, dotted: str) -> Any:
        body = self.json()
        try:
            return dig(body, dotted)
        except KeyError as exc:
            raise CheckFailed(N_("%(method)s %(url)s: %(missing)s in the answer"), method=self.exchange.method,
                              url=self.exchange.url, missing=exc.args[0]) from None

    def answer(self, key: str) -> Any:
        """The answer field `key` of the declared call (`answer.<key>` of the profile's call)."""
        if self.spec is None or key not in self.spec.answer:
            raise CheckFailed(N_("%(method)s %(url)s: the profile's call '%(call)s' does not say where '%(key)s' is in "
                                 "the answer (calls.%(call)s.answer.%(key)s)"),
                              method=self.exchange.method, url=self.exchange.url, call=self.name, key=key)
        return self.field(self.spec.answer[key])

    def word(self, key: str) -> str:
        """The answer field `key` as a state word to compare with the profile's: JSON's own spelling for true, false
        and null (a boolean `"ready": true` is the word "true")."""
        value = self.answer(key)
        return jsonlib.dumps(value) if value is None or isinstance(value, bool) else str(value)

    def items(self) -> list[dict[str, Any]]:
        """The list answer's elements (`answer.items`), objects only."""
        found = self.answer("items")
        if not isinstance(found, list):
            raise CheckFailed(N_("%(method)s %(url)s: '%(call)s' answer's items is not a list"),
                              method=self.exchange.method, url=self.exchange.url, call=self.name)
        return [i for i in found if isinstance(i, dict)]

    def item(self, element: dict[str, Any], key: str) -> Any:
        """Field `key` of one list element (`item.<key>` of the profile's call); KeyError when it lacks it."""
        if self.spec is None or key not in self.spec.item:
            raise CheckFailed(N_("the profile's call '%(call)s' does not say where '%(key)s' is in an element "
                                 "(calls.%(call)s.item.%(key)s)"), call=self.name, key=key)
        return dig(element, self.spec.item[key])

    def ok(self, what: str | Reason) -> Response:
        """The answer, when its status is one the declared call accepts and its body does not say it failed
        (`success`); RefusedByRule when a risk or limit rule refused it; CheckFailed naming it otherwise."""
        label = Reason.label(what)
        if self.spec is not None and self.profile is not None and self.status not in self.spec.accept:
            code = self.error_code(self.profile)
            if code and code in {*self.profile.codes(self.name, "risk_refusal"),
                                 *self.profile.codes(self.name, "rate_limit")}:
                raise RefusedByRule(N_("%(what)s: the platform's risk control refused the probe (%(status)s %(code)s)"),
                                    what=label, status=self.status, code=code)
        self.expect(*(self.spec.accept if self.spec else (200,)), what=what)
        success = self.spec.success if self.spec else None
        if success is not None:
            try:
                said = dig(self.json(), success.field)
            except (KeyError, CheckFailed):
                said = None
            if said not in success.values:
                raise CheckFailed(N_("%(what)s: answered %(status)s but its body says it failed (%(field)s = %(said)s; "
                                     "success is %(values)s): a refusal"), what=label, status=self.status,
                                  field=success.field, said=jsonlib.dumps(said), values=jsonlib.dumps(success.values))
        return self

    def error_code(self, profile: Profile, *, or_detail: bool = False, nested: bool = False) -> str:
        """The platform's error code of a JSON answer, where the profile says it is ([errors] code: paths tried in
        order; with `or_detail`, else its message); "" when the answer carries none. `nested` also tries each code
        path under `detail`, as some frameworks wrap an error: for an answer of a route nobody declared."""
        try:
            body = self.json()
        except CheckFailed:
            return ""
        codes, messages = profile.error_paths()
        if nested:
            codes = (*codes, *(f"detail.{c}" for c in codes if not c.startswith(("/", "detail."))))
        for where in (*codes, *(messages if or_detail else ())):
            try:
                found = dig(body, where)
            except (KeyError, TypeError):
                continue
            if isinstance(found, str | int) and not isinstance(found, bool) and str(found):
                return str(found)
        return ""

    def describe(self) -> str:
        body = _body_for_evidence(self.text)
        snippet = jsonlib.dumps(body)[:300] if not isinstance(body, str) else body[:300]
        return f"{self.exchange.method} {self.exchange.url} -> {self.status} {snippet}"

    def expect(self, *statuses: int, what: str | Reason) -> Response:
        """The answer, when its status is one of `statuses`; CheckFailed naming `what` (a label, see
        `Reason.label`) and the answer otherwise."""
        if self.status not in statuses:
            label = Reason.label(what)
            want = " or ".join(str(s) for s in statuses)
            raise CheckFailed(N_("%(what)s: expected HTTP %(want)s, got %(answer)s"), what=label, want=want,
                              answer=self.describe())
        return self
