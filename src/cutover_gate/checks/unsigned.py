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
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.target.response import Response

Verdict = Literal["accepted", "crashed", "refused", "unproven"]
EVENTS = frozenset({N_("unsigned"), N_("wrongly signed"), N_("stale"), N_("unsigned generic"),
                    N_("wrongly signed generic")})
"""The events a probe names by a fixed word (a label looked up in the catalogue, see `Reason.label`)."""


def verdict(status: int | None, code: str, webhooks: Webhooks, codes: Iterable[str] = ()) -> tuple[Verdict, Reason]:
    """(the verdict, what it means in words); `codes`: the route's own signature codes (calls.<call>.codes.signature)
    beside [webhooks] signature_codes."""
    if status is None:
        return "unproven", Reason.of(N_("no answer proves nothing"))
    if 200 <= status < 300:
        return "accepted", Reason.of(N_("accepted"))
    if status >= 500:
        return "crashed", Reason.of(N_("it processed or broke on the event instead of refusing it"))
    if status in webhooks.refused:
        return "refused", Reason.of(N_("refused"))
    if 400 <= status < 500 and code and (code in webhooks.signature_codes or code in set(codes)):
        return "refused", Reason.of(N_("refused (a signature error code of the profile)"))
    return "unproven", Reason.of(N_("this proves no signature check"))


@dataclass(frozen=True)
class Answer:
    route: str
    event: Reason
    """Which event: "unsigned <template>-shaped", "wrongly signed generic"..."""
    status: int | None
    code: str
    verdict: Verdict
    why: Reason
    """What the answer proves, in words (a step may add to it: the control of its correctly signed twin)."""
    quote: str = ""

    def describe(self) -> str:
        """The answer in English (evidence): `reason()`'s words."""
        return self.reason().text()

    def reason(self) -> Reason:
        """What the answer proves, as a record: the route, its answer and a quote of its body are shown as given."""
        vowel = self.event.text()[:1] in "aeiou"
        quoted = f" {self.quote}" if self.quote and self.verdict != "refused" else ""
        if self.status is None:
            message = N_("POST %(route)s got no answer%(quoted)s to an %(event)s event: %(why)s") if vowel else \
                N_("POST %(route)s got no answer%(quoted)s to a %(event)s event: %(why)s")
            return Reason.of(message, route=self.route, quoted=quoted, event=self.event, why=self.why)
        message = N_("POST %(route)s answered %(status)s%(quoted)s to an %(event)s event: %(why)s") if vowel else \
            N_("POST %(route)s answered %(status)s%(quoted)s to a %(event)s event: %(why)s")
        return Reason.of(message, route=self.route, status=f"{self.status}{f' {self.code}' if self.code else ''}",
                         quoted=quoted, event=self.event, why=self.why)


def answer_of(resp: Response, profile: Profile, route: str, event: str | Reason, codes: Iterable[str] = ()
              ) -> Answer:
    """What `resp`, the answer to an unsigned, wrongly signed or stale `event` (a label, see `Reason.label`) sent to
    `route`, proves; `codes`: the route's own signature codes."""
    code = resp.error_code(profile, nested=True)
    found, why = verdict(resp.status, code, profile.webhooks, codes)
    return Answer(route, Reason.label(event), resp.status, code, found, why, quote_of(resp.text))


def no_answer(route: str, event: str | Reason, cause: object) -> Answer:
    """`event` got no answer; `cause`: the failure (its record when it is a CheckFailed, else its words)."""
    said = cause.reason if isinstance(cause, CheckFailed) else cause
    return Answer(route, Reason.label(event), None, "", "unproven",
                  Reason.of(N_("no answer proves nothing (%(cause)s)"), cause=said))


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
                "answers": [{"event": a.event.text(), "status": a.status, "code": a.code, "verdict": a.verdict}
                            for a in self.answers]}


def unproven_message(judgements: Iterable[RouteJudgement]) -> Reason:
    parts = []
    for j in judgements:
        answer = next((a for a in j.answers if a.verdict == "unproven"), None)
        said = answer.reason() if answer else Reason.of(N_("POST %(route)s was not probed"), route=j.route)
        parts.append(Reason.of(N_("unproven: %(said)s; declare its payload in the profile ([webhooks.routes]) or "
                                  "acknowledge it ([discovery] acknowledged)"), said=said))
    return Reason.joined(parts)


def failure_message(judgements: Iterable[RouteJudgement]) -> Reason:
    parts = []
    for j in judgements:
        bad = next((a for a in j.answers if a.verdict in ("accepted", "crashed")), None)
        said = bad.reason() if bad else Reason.of(N_("POST %(route)s answered no event with a 2xx or 5xx"),
                                                  route=j.route)
        if j.moved:
            said = Reason.of(N_("%(said)s; the canary's money moved while it was probed: %(moved)s"), said=said,
                             moved=j.moved)
        parts.append(said)
    return Reason.joined(parts)
