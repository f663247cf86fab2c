"""The casino platform's Adyen HMAC key: what Adyen issues, 64 hexadecimal characters, hex-decoded as Adyen's own
libraries do (`signatures.adyen_key(..., "hex")`), on its Adyen webhook route and in the mock PSP's notifications.

The key is `CUTOVER_ADYEN_HMAC_KEY` (Settings.adyen_hmac_key) when that text is hexadecimal (an even count of hex
digits, either case, nothing else); any other text becomes a deterministic hex key derived from it,
`hashlib.sha256(text.encode("utf-8")).hexdigest()` (64 lowercase hex characters), so the platform always has one a
signer can be given: set the gate's `CUTOVER_ADYEN_HMAC_KEY` to that derived key (or give both the same hex key).
"""

from __future__ import annotations

import binascii
import hashlib

from cutover_sandbox import signatures

KEY_ENCODING: signatures.KeyEncoding = "hex"


def is_hex(text: str) -> bool:
    try:
        return bool(text) and bool(binascii.a2b_hex(text))
    except (binascii.Error, ValueError):  # odd length, a non-hex digit, a non-ASCII character
        return False


def hmac_key(text: str) -> str:
    """The platform's hex key for the configured text: the text itself when it is hex, else its SHA-256 hex digest."""
    return text if is_hex(text) else hashlib.sha256(text.encode("utf-8")).hexdigest()
