"""How the mock PSP delivers to the casino dialect's webhook routes: the contract's paths and payloads, the Adyen
notification signed with the platform's hex key (`adyen.KEY_ENCODING`), as Adyen signs. Payouts are synchronous there
(`settlement.pay_out`): the PSP answers them in the call and sends no payout webhook.
"""

from __future__ import annotations

from typing import Any

from cutover_sandbox import signatures
from cutover_sandbox.api.casino import adyen
from cutover_sandbox.core.config import Settings
from cutover_sandbox.psp import ContractWire, Webhook


class CasinoWire(ContractWire):
    def adyen(self, settings: Settings, item: dict[str, Any]) -> Webhook:
        """`item` comes signed the contract's way (base64 key): signed again as the casino route verifies it."""
        unsigned = {key: value for key, value in item.items() if key != "additionalData"}
        signed = signatures.adyen_sign_item(adyen.hmac_key(settings.adyen_hmac_key), unsigned, adyen.KEY_ENCODING)
        return super().adyen(settings, signed)
