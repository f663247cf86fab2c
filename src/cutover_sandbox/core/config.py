"""Settings, read from `CUTOVER_*` environment variables (pydantic-settings) with fixed sandbox defaults.

The suite reads the same variables, so the suite and the sandbox it boots always agree on credentials and secrets.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_GIT_SHA = "5a4d8b0c3e2f1a6978d6c5b4a3928170f6e5d4c3"
"""The release SHA the sandbox reports at `/api/version` unless told otherwise."""

DEFAULT_ADMIN_EMAIL = "admin@sandbox.local"
DEFAULT_ADMIN_PASSWORD = "Sandbox-Admin-Pass-1"
DEFAULT_WEBHOOK_SECRET = "sandbox-payout-webhook-secret"
DEFAULT_ADYEN_HMAC_KEY = "73616E64626F782D616479656E2D686D61632D6B65792D333262797465732121"
"""64 hexadecimal characters, as Adyen issues its HMAC key: the alt dialect's acquirer hex-decodes it as Adyen's
libraries do; the contract's route base64-decodes the same text (CONTRACT §1), which a hex key also is."""
DEFAULT_STRIPE_WEBHOOK_SECRET = "whsec_sandbox_stripe_webhook_secret"
DEFAULT_VERIFY_CODE = "424242"
"""The fixed staging verification code of the alt dialect (`CUTOVER_VERIFY_CODE`; the gate reads the same)."""
DEFAULT_TENANTS = ("casino-eu", "casino-tr")
"""The tenants seeded at start; the alt dialect refuses any other (the default dialect takes any tenant id)."""


class Settings(BaseSettings):
    """Every field `x` reads `CUTOVER_X` (e.g. `admin_email` <- `CUTOVER_ADMIN_EMAIL`)."""

    model_config = SettingsConfigDict(env_prefix="CUTOVER_", extra="ignore")

    environment: str = "sandbox"
    sandbox_git_sha: str = DEFAULT_GIT_SHA
    admin_email: str = DEFAULT_ADMIN_EMAIL
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    adyen_hmac_key: str = DEFAULT_ADYEN_HMAC_KEY
    stripe_webhook_secret: str = DEFAULT_STRIPE_WEBHOOK_SECRET
    adyen_merchant_account: str = "SandboxCasinoECOM"
    cors_origins: list[str] = Field(default_factory=lambda: ["https://admin.sandbox.local"])
    jwt_secret: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    token_ttl_seconds: int = 3600
    webhook_tolerance_seconds: int = 300
    verification_code_ttl_seconds: int = 600
    currency: str = "USD"
    psp_delay_seconds: float = 0.3
    """How long the mock PSP waits before delivering a webhook."""
    max_amount: Decimal = Decimal("1000000.00")
    sandbox_maintenance_flag: str | None = None
    """While this file exists the player-facing routes answer the maintenance page (see `maintenance`)."""
    verify_code: str = DEFAULT_VERIFY_CODE
    """alt: the code every e-mail and SMS verification sends (staging providers are stubbed)."""
    tenants: list[str] = Field(default_factory=lambda: list(DEFAULT_TENANTS))
    register_rate_limit: int = Field(default=3, ge=1)
    """alt: registrations one client may make per window; the next is 429 with Retry-After."""
    register_rate_window_seconds: float = Field(default=60.0, gt=0)
    casino_risk_withdrawals_per_hour: int = Field(default=12, ge=0, validation_alias=AliasChoices(
        "casino_risk_withdrawals_per_hour", "CASINO_RISK_WITHDRAWALS_PER_HOUR"))
    """casino: withdrawal requests one player may make in an hour; the next is 403 RISK_BLOCK (the platform's own
    variable `CASINO_RISK_WITHDRAWALS_PER_HOUR`, without the CUTOVER_ prefix)."""

    @field_validator("verify_code")
    @classmethod
    def _code_fits(cls, value: str) -> str:
        if not 1 <= len(value) <= 6 or not value.isalnum():
            raise ValueError("the verification code must be 1 to 6 letters or digits")
        return value
