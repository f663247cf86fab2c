"""Request fingerprints for Idempotency-Key handling: same key + same body -> same result, else 409."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


def request_hash(**fields: Any) -> str:
    """A stable hash of a request's meaningful fields (amounts normalised, so 10 and "10.00" are the same body)."""
    normal = {key: str(money(value)) if isinstance(value, Decimal) else value for key, value in fields.items()}
    return hashlib.sha256(json.dumps(normal, sort_keys=True, default=str).encode()).hexdigest()
