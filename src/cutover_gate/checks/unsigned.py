"""What an answer to an unsigned (or wrongly signed, or stale) webhook event proves. A PASS needs proof:

- 2xx: accepted. The route acts on what nobody signed (FAIL, `security_incident`).
- 5xx: crashed. The route did not refuse the event; it processed it or broke on it (FAIL).
- A status of `[webhooks] refused` (401, 403), or any 4xx carrying one of `[webhooks] signature_codes`: refused.
- Anything else (a 400 for the body's shape, a 404 of a route discovery found, a 422, no answer): unproven. Nothing
  says the signature was what the route refused, so the line stays NOT_RUN naming the route and its answer until the
  profile declares its payload or acknowledges it. Where the route's secret is known, a correctly signed twin of the
  event that the route accepts proves the refusal was the signature's.

A route is refused when at least one of its events was refused and none was accepted or crashed it; it fails when
any was accepted or crashed it, or the canary's money moved while it was probed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from cutover_gate.config.profile_schema import Webhooks
from cutover_gate.config.target_profile import Profile
from cutover_gate.target.response import Response

Verdict = Literal["accepted", "crashed", "refused", "unproven"]


def verdict(status: int | None, code: str, webhooks: Webhooks, codes: Iterable[str] = ()) -> tuple[Verdict, str]:
    """(the verdict, what it means in words); `codes`: the route's own signature codes (calls.<call>.codes.signature)
    beside [webhooks] signature_codes."""
    if status is None:
        return "unproven", "no answer proves nothing"
    if 200 <= status < 300:
        return "accepted", "accepted"
    if status >= 500:
        return "crashed", "it processed or broke on the event instead of refusing it"
    if status in webhooks.refused:
        return "refused", "refused"
    if 400 <= status < 500 and code and (code in webhooks.signature_codes or code in set(codes)):
        return "refused", "refused (a signature error code of the profile)"
    return "unproven", "this proves no signature check"


@dataclass(frozen=True)
class Answer:
    route: str
    event: str
    """Which event: "unsigned <template>", "wrongly signed generic"..."""
    status: int | None
    code: str
    verdict: Verdict
    why: str
    quote: str = ""

    def describe(self) -> str:
        article = "an" if self.event[:1] in "aeiou" else "a"
        said = "got no answer" if self.status is None else \
            f"answered {self.status}{f' {self.code}' if self.code else ''}"
        quoted = f" {self.quote}" if self.quote and self.verdict != "refused" else ""
        return f"POST {self.route} {said}{quoted} to {article} {self.event} event: {self.why}"


def answer_of(resp: Response, profile: Profile, route: str, event: str, codes: Iterable[str] = ()) -> Answer:
    """What `resp`, the answer to an unsigned, wrongly signed or stale `event` sent to `route`, proves; `codes`: the
    route's own signature codes."""
    code = resp.error_code(profile, nested=True)
    found, why = verdict(resp.status, code, profile.webhooks, codes)
    return Answer(route, event, resp.status, code, found, why, quote_of(resp.text))


def no_answer(route: str, event: str, cause: object) -> Answer:
    return Answer(route, event, None, "", "unproven", f"no answer proves nothing ({cause})")


def quote_of(text: str, limit: int = 160) -> str:
    try:
        return json.dumps(json.loads(text), separators=(",", ":"))[:limit]
    except ValueError:
        return " ".join(text.split())[:limit]


@dataclass
class RouteJudgement:
    route: str
    source: str
    """How the gate knows the route: declared, OpenAPI, the catalogue."""
    answers: list[Answer] = field(default_factory=list)
    moved: str = ""
    """How the canary's balances moved while the route was probed ("" when they did not)."""
    acknowledged: str = ""

    @property
    def outcome(self) -> Literal["fail", "refused", "unproven"]:
        if self.moved or any(a.verdict in ("accepted", "crashed") for a in self.answers):
            return "fail"
        if any(a.verdict == "refused" for a in self.answers):
            return "refused"
        return "unproven"

    def to_json(self) -> dict[str, Any]:
        return {"route": self.route, "source": self.source, "outcome": self.outcome, "moved": self.moved,
                "acknowledged": self.acknowledged,
                "answers": [{"event": a.event, "status": a.status, "code": a.code, "verdict": a.verdict}
                            for a in self.answers]}


def unproven_message(judgements: Iterable[RouteJudgement]) -> str:
    parts = []
    for j in judgements:
        answer = next((a for a in j.answers if a.verdict == "unproven"), None)
        said = answer.describe() if answer else f"POST {j.route} was not probed"
        parts.append(f"unproven: {said}; declare its payload in the profile ([webhooks.routes]) or acknowledge it "
                     f"([discovery] acknowledged)")
    return "; ".join(parts)


def failure_message(judgements: Iterable[RouteJudgement]) -> str:
    parts = []
    for j in judgements:
        bad = next((a for a in j.answers if a.verdict in ("accepted", "crashed")), None)
        said = bad.describe() if bad else f"POST {j.route} answered no event with a 2xx or 5xx"
        if j.moved:
            said += f"; the canary's money moved while it was probed: {j.moved}"
        parts.append(said)
    return "; ".join(parts)
