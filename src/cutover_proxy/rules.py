"""The fault rules: what the proxy does to a request, each limited to a method, a path and the Nth..Mth match.

A rule *matches* a request when its method (if any) equals the request's and its path regex (if any) matches the
whole path (without the query, `re.fullmatch`). Every matching request is counted by the rule; the rule *applies* to
the matching requests numbered `first` to `last` (1-based, inclusive; `last=None` means for ever).

Of the rules that apply to a request, every delay adds up (latency, jitter), the first terminal rule in the order
they were added decides what happens instead of forwarding (hang, reset, status), and a `die` rule makes the proxy
die once that request has been handled. The decision and the counting happen under one lock, so the counts are exact
when requests arrive concurrently and rules change from another thread.
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field

DELAYS = ("latency", "jitter")
TERMINAL = ("hang", "reset", "status")
KINDS = (*DELAYS, *TERMINAL, "die")


@dataclass(eq=False)
class Rule:
    """One fault. `matched` counts the requests that matched its method and path, `applied` those it acted on."""

    kind: str
    method: str | None = None
    path: str | None = None
    first: int = 1
    last: int | None = None
    ms: float = 0.0
    code: int = 0
    body: bytes = b""
    seed: int | None = None
    matched: int = 0
    applied: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False)
    _random: random.Random = field(default_factory=random.Random, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.first < 1 or (self.last is not None and self.last < self.first):
            raise ValueError(f"a rule applies to matching requests first..last (1-based), not "
                             f"{self.first}..{self.last}")
        if self.ms < 0:
            raise ValueError("a delay cannot be negative")
        if self.kind == "status" and not 100 <= self.code <= 599:
            raise ValueError(f"not an HTTP status: {self.code}")
        self.method = self.method.upper() if self.method else None
        self._pattern = re.compile(self.path) if self.path is not None else None
        self._random = random.Random(self.seed)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method.upper() != self.method:
            return False
        return self._pattern is None or self._pattern.fullmatch(path) is not None

    def in_range(self) -> bool:
        """Whether the request just counted (number `matched`) is one this rule applies to."""
        return self.first <= self.matched and (self.last is None or self.matched <= self.last)

    def describe(self) -> str:
        what = {"latency": f"latency({self.ms:g}ms)", "jitter": f"jitter({self.ms:g}ms, seed={self.seed})",
                "status": f"status({self.code})"}.get(self.kind, f"{self.kind}()")
        scope = " ".join(s for s in (self.method, self.path) if s)
        span = f"#{self.first}.." + ("" if self.last is None else str(self.last))
        return f"{what} {scope} {span}".replace("  ", " ")


def status_body(code: int) -> bytes:
    """The default answer of a `status` rule: the contract's error shape, saying it was injected."""
    return json.dumps({"error_code": "FAULT_INJECTED", "message": f"cutover-proxy injected HTTP {code}"}).encode()


@dataclass(frozen=True)
class Plan:
    """What to do with one request: wait `delay_ms`, then `action` (forward, hang, reset, status)."""

    action: str = "forward"
    delay_ms: float = 0.0
    code: int = 0
    body: bytes = b""
    die: bool = False
    applied: tuple[str, ...] = ()


class RuleSet:
    """The proxy's rules, safe to change from any thread while requests are being decided."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def snapshot(self) -> list[Rule]:
        with self._lock:
            return list(self._rules)

    def decide(self, method: str, path: str) -> Plan:
        action, code, body, delay, die = "forward", 0, b"", 0.0, False
        applied: list[str] = []
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.matched += 1
                if not rule.in_range():
                    continue
                if rule.kind == "latency":
                    delay += rule.ms
                elif rule.kind == "jitter":
                    delay += rule._random.uniform(0, rule.ms)
                elif rule.kind == "die":
                    die = True
                elif action == "forward":
                    action, code, body = rule.kind, rule.code, rule.body
                else:
                    continue  # a terminal rule already decided: this one does not act
                rule.applied += 1
                applied.append(rule.describe())
        return Plan(action, round(delay, 3), code, body, die, tuple(applied))
