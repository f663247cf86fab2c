"""The webhook kit's writes (T-0: signature, timestamp, replay, classification, idempotency, the PSP path, the
alternate paths), declared once (checks/declared.py). steps/webhooks.py, webhook_replay.py, idempotency.py,
psp_deposit.py and alternates.py make them; `--plan` lists them from here (checks/writes.py).

Every one concerns the run's canary. A forged event always names a transaction of the canary that is already
completed; a withdrawal the kit requests counts against the cutover file's [kit_budget] and is rejected or paid out
before the next, so the kit leaves nothing held behind. One withdrawal serves two probes when both run: the
idempotency probe's, still held, is the payout the classification probe then fails (one withdrawal and one reject
fewer on the platform, `spare_for_classification`).
"""

from __future__ import annotations

from collections.abc import Mapping

from cutover_gate.checks.declared import Write
from cutover_gate.config.profile_schema import WebhookRoute
from cutover_gate.config.target_profile import Profile
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.target import signing

KIT_BUDGET = "kit budget ([kit_budget]): beyond it the probe does not run"
FORGED = "moves nothing on a correct platform: it names a completed transaction of the canary"
NEVER_IN_PROD = "never in prod: no forged event funds anything there"
DISCOVERED = "<each webhook-like route nobody declared that discovery finds>"

# the canary is funded by the kit itself (staging and the sandbox, when the money loop has not completed a deposit)
FUND = Write("{deposit}", "the webhook kit funds the canary (no completed deposit yet)", "funding",
             guard=NEVER_IN_PROD)
FUND_EVENT = Write("{route}", "a validly signed {name} event completes it", guard=NEVER_IN_PROD)

# t0_webhook_signature / t0_webhook_timestamp: each route's forged events
FLAWS = {"missing": "without a signature", "wrong": "signed with a wrong secret", "stale": "with a stale timestamp"}
"""A flaw of a forged event, as the plan says it."""


def forged_probes(profile: Profile, routes: Mapping[str, WebhookRoute], flaws: tuple[str, ...]
                  ) -> tuple[list[tuple[str, WebhookRoute, str]], dict[str, str]]:
    """The (route name, route, flaw) the signature or timestamp scenario forges an event for, in order, and why each
    route or flaw it leaves out is left out (an evidence key -> the reason): an acknowledged route is not probed, a
    route that carries no signature only gets the unsigned event, and only a timestamped scheme the stale one."""
    probes: list[tuple[str, WebhookRoute, str]] = []
    left_out: dict[str, str] = {}
    acknowledged = profile.model.discovery.acknowledged
    for name, route in routes.items():
        why = acknowledged.get(profile.call(route.call).path)
        if why:
            left_out[f"{name}_acknowledged"] = why
            continue
        for flaw in flaws:
            if route.scheme == "none" and flaw != "missing":
                continue  # a route that carries no signature: only the unsigned event means anything
            if flaw == "stale" and route.scheme not in signing.TIMESTAMPED:
                left_out[f"{name}_stale"] = f"scheme {route.scheme} carries no timestamp: not probed"
                continue
            probes.append((name, route, flaw))
    return probes, left_out


def payout_flow_blocks(profile: Profile, name: str, probe: str) -> Reason | None:
    """Why a payout webhook probe cannot be built under flows.payout, or None when it can ("webhook": the payout call
    leaves the withdrawal pending for the PSP's signed event)."""
    flow = profile.flows.payout
    if flow == "webhook":
        return None
    how = (Reason.of(N_("the payout call settles a withdrawal in its answer")) if flow == "sync"
           else Reason.of(N_("no payout call exists")))
    return Reason.of(N_("flows.payout = %(flow)s: %(how)s, so no PSP event completes a payout and the %(name)s route's "
                        "%(probe)s probe has no subject in the state it needs"), flow=flow, how=how, name=name,
                     probe=probe)


def classification_route(routes: Mapping[str, WebhookRoute]) -> tuple[str, WebhookRoute] | None:
    """The payout route whose 'failed' event the classification probe sends: the first that completes a payout."""
    return next(((name, route) for name, route in routes.items() if route.completes == "payout"), None)


def classification_payout(profile: Profile) -> tuple[str, WebhookRoute] | None:
    """The classification probe's route when the probe can be built (flows.payout permitting), else None."""
    found = classification_route(profile.webhooks.routes)
    return found if found is not None and payout_flow_blocks(profile, found[0], "classification") is None else None


def spare_for_classification(profile: Profile, runs_later: bool) -> bool:
    """Does the idempotency probe leave its withdrawal, still held, to the classification probe instead of rejecting
    it? Only when that probe runs later in the same run and can build its payout (`classification_payout`): it
    approves that withdrawal, pays it out and rejects it once the 'failed' event is judged."""
    return runs_later and classification_payout(profile) is not None


PROBE_SUBJECT = Write("withdraw", "a requested withdrawal as the payout probe's subject", "kit", guard=KIT_BUDGET)
FORGED_EVENT = Write("{route}", "the {name} webhook {flaw} (must be refused, moving nothing)", guard=FORGED)
TWIN = Write("{route}", "the correctly signed twin of an unsigned or wrongly signed probe whose answer proves nothing",
             guard="declared routes with a known secret only, for the same completed canary transaction; not listed "
                   "one by one (the plan's guards name it)")
PROBE_REJECT = Write("withdrawal_review", "the probe's withdrawal is rejected (releases its hold)")
UNDECLARED_EVENTS = Write("", "unsigned events, each route: the {names} events' shapes and the generic event, then the "
                              "generic event wrongly signed; all name the canary and its completed transactions only",
                          guard=FORGED, path=DISCOVERED)

# a payout the PSP will not settle by itself: the gate's event alone decides it (replay, classification)
HELD_WITHDRAW = Write("withdraw", "a withdrawal for a payout the PSP will not settle by itself", "kit",
                      guard=KIT_BUDGET)
HELD_APPROVE = Write("withdrawal_review", "the admin approves it")
HELD_PAYOUT = Write("withdrawal_payout", "its payout (calls.withdrawal_payout: a provider the PSP does not serve)")
HELD_PAYOUT_WRITES = (HELD_WITHDRAW, HELD_APPROVE, HELD_PAYOUT)
SPARE_APPROVE = Write("withdrawal_review", "the admin approves the idempotency probe's withdrawal, held since (its "
                                           "payout is the one the 'failed' event decides)")

# t0_webhook_replay: a valid event of each route, then each replayed
REPLAY_COMPLETED = Write("{route}", "a valid {name} event for a completed canary transaction (no effect)", guard=FORGED)
REPLAY_DEPOSIT = Write("{deposit}", "a fresh deposit for the {name} webhook", "kit", guard=NEVER_IN_PROD)
REPLAY_EVENT = Write("{route}", "a valid {name} event completes it", guard=NEVER_IN_PROD)
REPLAYED = Write("{route}", "the {name} event replayed (no second effect)")

# t0_webhook_classification: a 'failed' outcome for a held payout
FAILED_EVENT = Write("{route}", "a validly signed 'failed' payout event (must not be booked paid)")
FAILED_REJECT = Write("withdrawal_review", "the failed payout's withdrawal is rejected (releases its hold)")

# t0_idempotency
NO_KEY_DEPOSIT = Write("{deposit}", "a deposit without an idempotency key (must be refused)", "kit")
KEYED_WITHDRAW = Write("withdraw", "a withdrawal with an idempotency key", "kit", guard=KIT_BUDGET)
KEYED_REPLAY = Write("withdraw", "the same withdrawal replayed (must hold once)", "kit")
KEY_CONFLICT = Write("withdraw", "the same key with another body (must be refused with 409)", "conflict")
IDEMPOTENCY = (NO_KEY_DEPOSIT, KEYED_WITHDRAW, KEYED_REPLAY, KEY_CONFLICT, PROBE_REJECT)
"""Its writes; the last (the reject) only when the classification probe does not take the withdrawal."""

# t0_psp_deposit
PSP_DEPOSIT = Write("{deposit}", "a deposit with the PSP's asynchronous method (completed by its webhook)", "kit")

# t0_alternate_paths: each alternate approve and pay path, on a kit withdrawal of its own
ALTERNATE_WITHDRAW = Write("withdraw", "a kit withdrawal for the alternate path calls.{review} + calls.{paid}", "kit",
                           guard=KIT_BUDGET)
ALTERNATE_APPROVE = Write("{review}", "approved through that path")
ALTERNATE_PAID = Write("{paid}", "paid out through that path (the canary's own money, to its address)")
ALTERNATE_PATH = (ALTERNATE_WITHDRAW, ALTERNATE_APPROVE, ALTERNATE_PAID)

# hc_alerting_active (steps/hypercare_alerting.py): every webhook route answers, and refuses an empty unsigned body
ALERTING_PROBE = Write("{route}", "an unsigned request every webhook route must refuse", guard=FORGED)
