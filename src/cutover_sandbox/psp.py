"""The mock PSP: after a short delay it POSTs real, signed webhooks to the sandbox's own webhook routes.

- card (Stripe) deposits: a `checkout.session.completed` event with `client_reference_id=<tx id>`
- Adyen deposits: an `AUTHORISATION` standard notification with `merchantReference=<tx id>`
- payouts to provider `mockpsp`: `{"withdraw_tx_id", "provider", "provider_event_id", "status"}` to the payout
  webhook (a payout to any other provider waits for that provider's signed webhook)

Only these webhooks complete an asynchronous PSP deposit or a provider payout, exactly as a real PSP would. A
synchronous charge (`charge`) is confirmed in the call itself, as a card API answers an authorise-and-capture, and a
synchronous payout (`pay_now`, the casino dialect's) is answered in the call, with no webhook after it.

Where each webhook goes, with which headers and payload wrapper, is the dialect's `Wire` (`ContractWire` here: CONTRACT
§1; the alt dialect's in `cutover_sandbox.api.alt.wire`). A webhook marked `bearer` is sent with the platform's
service token as `Authorization: Bearer`, minted at delivery time by the callable the sandbox hands over.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import requests

from cutover_sandbox import signatures
from cutover_sandbox.core.config import Settings
from cutover_sandbox.faults import Faults

log = logging.getLogger("cutover_sandbox.psp")

STRIPE_PATH = "/api/v1/payments/webhook/stripe"
ADYEN_PATH = "/api/v1/payments/adyen/webhook"
PAYOUT_PATH = "/api/v1/finance/withdrawals/payout/webhook"
DELIVERY_ATTEMPTS = 3
PROVIDER = "mockpsp"
"""The payout provider this PSP is; a payout to another provider waits for that provider's webhook."""


def minor_units(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


@dataclass(frozen=True)
class Webhook:
    path: str
    body: bytes
    headers: dict[str, str]
    bearer: bool = False
    """Sent with the platform's service token (`Authorization: Bearer ...`) besides its signature."""


class Wire(Protocol):
    """How one dialect takes the PSP's webhooks: each event's path, headers and payload wrapper, signed."""

    def stripe(self, settings: Settings, event: dict[str, Any]) -> Webhook: ...

    def adyen(self, settings: Settings, item: dict[str, Any]) -> Webhook:
        """`item`: an Adyen NotificationRequestItem, already signed (`additionalData.hmacSignature`)."""
        ...

    def payout(self, settings: Settings, tx_id: str, provider: str, event_id: str, status: str) -> Webhook:
        """`status`: the domain's payout outcome, `paid` or `failed`."""
        ...


class ContractWire:
    """CONTRACT §1's webhooks."""

    def stripe(self, settings: Settings, event: dict[str, Any]) -> Webhook:
        body = _json(event)
        return Webhook(STRIPE_PATH, body, {"Stripe-Signature": signatures.stripe_header(
            settings.stripe_webhook_secret, body), "Content-Type": "application/json"})

    def adyen(self, settings: Settings, item: dict[str, Any]) -> Webhook:
        body = _json({"live": "false", "notificationItems": [{"NotificationRequestItem": item}]})
        return Webhook(ADYEN_PATH, body, {"Content-Type": "application/json"})

    def payout(self, settings: Settings, tx_id: str, provider: str, event_id: str, status: str) -> Webhook:
        body = _json({"withdraw_tx_id": tx_id, "provider": provider, "provider_event_id": event_id, "status": status})
        return Webhook(PAYOUT_PATH, body, signatures.payout_headers(settings.webhook_secret, body))


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    hook: Webhook = field(compare=False)
    attempt: int = field(default=1, compare=False)


class MockPSP:
    def __init__(self, settings: Settings, faults: Faults, wire: Wire | None = None,
                 service_token: Callable[[], str] | None = None) -> None:
        self.settings = settings
        self.faults = faults
        self.wire: Wire = wire or ContractWire()
        self.service_token = service_token
        """Mints the platform's service token for `bearer` webhooks (None: such a webhook goes without one)."""
        self.base_url = ""
        self._queue: list[_Delivery] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.delivered: deque[tuple[str, int]] = deque(maxlen=1000)
        """(path, HTTP status) of every delivery attempt, for tests and debugging."""
        self.charges: deque[tuple[str, str, int, str]] = deque(maxlen=1000)
        """(tx id, provider, minor units, currency) of every synchronous charge confirmed."""
        self.payouts: deque[tuple[str, str, str]] = deque(maxlen=1000)
        """(tx id, provider, outcome) of every synchronous payout answered."""

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="mock-psp", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    # -- what the sandbox asks of its PSP ----------------------------------------------------------------------

    def deposit(self, tx_id: str, provider: str, amount: Decimal, currency: str, provider_ref: str | None) -> None:
        if self.faults.active("deposit_stuck_pending"):  # FAULT: the PSP never calls back
            log.info("PSP deposit webhook withheld (fault deposit_stuck_pending) tx=%s", tx_id)
            return
        if provider == "stripe":
            self._stripe_checkout_completed(tx_id, amount, currency, provider_ref)
        elif provider == "adyen":
            self._adyen_authorisation(tx_id, amount, currency)
        else:
            raise ValueError(f"unknown PSP provider {provider!r}")

    def charge(self, tx_id: str, provider: str, amount: Decimal, currency: str) -> str | None:
        """A synchronous charge (authorise and capture in one call): the PSP's charge id, or None when the PSP
        gives no confirmation (the deposit then waits, like one whose webhook never comes)."""
        if self.faults.active("deposit_stuck_pending"):  # FAULT: the PSP never confirms a deposit
            log.info("PSP charge confirmation withheld (fault deposit_stuck_pending) tx=%s", tx_id)
            return None
        self.charges.append((tx_id, provider, minor_units(amount), currency))
        return "ch_" + secrets.token_hex(12)

    def pay_now(self, tx_id: str, provider: str, status: str) -> str:
        """A synchronous payout (the PSP answers the payout within the call, no webhook follows): its outcome,
        `paid` or `failed` (`status`: what the payout asked the mock PSP to report)."""
        if self.faults.active("payout_failure_spike"):  # FAULT: the PSP fails every payout
            status = "failed"
        self.payouts.append((tx_id, provider, status))
        return status

    def payout(self, tx_id: str, provider: str, event_id: str, status: str) -> None:
        if provider != PROVIDER:
            log.info("payout %s goes to provider %s, not this PSP: it waits for that provider's webhook", tx_id,
                     provider)
            return
        if self.faults.active("payout_failure_spike"):  # FAULT: the PSP fails every payout
            status = "failed"
        self._schedule(self.wire.payout(self.settings, tx_id, provider, event_id, status))

    # -- event builders ----------------------------------------------------------------------------------------

    def _stripe_checkout_completed(self, tx_id: str, amount: Decimal, currency: str, session_id: str | None) -> None:
        event = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": "checkout.session.completed",
            "created": signatures.now(),
            "data": {"object": {
                "id": session_id or "cs_test_" + secrets.token_hex(12),
                "object": "checkout.session",
                "client_reference_id": tx_id,
                "amount_total": minor_units(amount),
                "currency": currency.lower(),
                "payment_status": "paid",
            }},
        }
        self._schedule(self.wire.stripe(self.settings, event))

    def _adyen_authorisation(self, tx_id: str, amount: Decimal, currency: str) -> None:
        item: dict[str, Any] = {
            "pspReference": secrets.token_hex(8).upper(),
            "originalReference": "",
            "merchantAccountCode": self.settings.adyen_merchant_account,
            "merchantReference": tx_id,
            "amount": {"value": minor_units(amount), "currency": currency},
            "eventCode": "AUTHORISATION",
            "success": "true",
            "eventDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "reason": "",
        }
        self._schedule(self.wire.adyen(self.settings, signatures.adyen_sign_item(self.settings.adyen_hmac_key, item)))

    # -- delivery ----------------------------------------------------------------------------------------------

    def _schedule(self, hook: Webhook, delay: float | None = None, attempt: int = 1) -> None:
        due = time.monotonic() + (self.settings.psp_delay_seconds if delay is None else delay)
        with self._cond:
            heapq.heappush(self._queue, _Delivery(due, next(self._seq), hook, attempt))
            self._cond.notify_all()

    def _run(self) -> None:
        with requests.Session() as http:
            http.trust_env = False  # never send loopback webhooks through an HTTP(S)_PROXY from the environment
            while True:
                with self._cond:
                    while not self._stopping and (not self._queue or self._queue[0].due > time.monotonic()):
                        self._cond.wait(timeout=(self._queue[0].due - time.monotonic()) if self._queue else None)
                    if self._stopping:
                        return
                    job = heapq.heappop(self._queue)
                self._deliver(http, job)

    def _deliver(self, http: requests.Session, job: _Delivery) -> None:
        hook = job.hook
        headers = dict(hook.headers)
        if hook.bearer and self.service_token is not None:
            headers["Authorization"] = f"Bearer {self.service_token()}"
        try:
            status = http.post(self.base_url + hook.path, data=hook.body, headers=headers, timeout=10).status_code
        except requests.RequestException as exc:
            log.warning("PSP webhook %s failed: %s", hook.path, exc.__class__.__name__)
            status = 0
        self.delivered.append((hook.path, status))
        if (status == 0 or status >= 500) and job.attempt < DELIVERY_ATTEMPTS:
            # like a real PSP: retry with the same event and a fresh delay (signatures stay valid well within 300 s)
            self._schedule(hook, delay=0.5 * job.attempt, attempt=job.attempt + 1)
        else:
            log.debug("PSP webhook %s delivered: HTTP %s", hook.path, status)


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
