"""The alt platform's fixtures: `env/alt.prod.env` is what a prod-ready alt platform has (the default T-60 rules pass
on it once its names and formats are translated), and `alt.cutover.toml` is a valid cutover file for the alt sandbox.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from dotenv import dotenv_values

from cutover_gate.checks.preflight.prodenv import verify_prod_env
from cutover_gate.config.cutover_file import load_cutover
from cutover_sandbox.core.config import DEFAULT_TENANTS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ALT_ENV = FIXTURES / "env" / "alt.prod.env"

TO_DEFAULT = {
    "APP_ENV": "ENV", "BUILD_COMMIT": "GIT_SHA", "DB_URL": "DATABASE_URL", "CORS_ALLOWED": "CORS_ORIGINS",
    "TRUSTED_PROXY_IPS": "TRUSTED_PROXIES", "SESSION_SIGNING_KEY": "JWT_SECRET", "PAYOUT_HOOK_SECRET": "WEBHOOK_SECRET",
    "CARD_PSP_SECRET_KEY": "STRIPE_API_KEY", "CARD_PSP_HOOK_SECRET": "STRIPE_WEBHOOK_SECRET",
    "ACQUIRER_API_KEY": "ADYEN_API_KEY", "ACQUIRER_HMAC_KEY": "ADYEN_HMAC_KEY", "SEED_ON_BOOT": "BOOTSTRAP_ENABLED",
    "FAKE_PROVIDERS": "MOCK_EXTERNAL_SERVICES", "KYC_STUB": "KYC_MOCK_ENABLED",
    "TEST_CHANNELS": "ALLOW_TEST_PAYMENT_METHODS", "ENFORCE_HOOK_SIGNATURES": "WEBHOOK_SIGNATURE_ENFORCED",
}


def _alt_env() -> dict[str, str]:
    values = dotenv_values(ALT_ENV, interpolate=False)
    assert all(value is not None for value in values.values())
    return {key: str(value) for key, value in values.items()}


def test_the_alt_prod_env_uses_only_the_alt_names_and_formats() -> None:
    env = _alt_env()
    assert set(env) == set(TO_DEFAULT)
    assert not set(env) & set(TO_DEFAULT.values())
    origins = env["CORS_ALLOWED"].split(",")
    assert len(origins) == 2 and all(o.startswith("https://") and "*" not in o for o in origins)
    assert not env["CORS_ALLOWED"].startswith("[")  # a comma list, not JSON


def test_the_alt_prod_env_passes_every_prod_rule_once_translated(tmp_path: Path) -> None:
    env = _alt_env()
    lines = []
    for key, value in env.items():
        if key == "CORS_ALLOWED":
            value = "'" + json.dumps(value.split(",")) + "'"
        lines.append(f"{TO_DEFAULT[key]}={value}")
    translated = tmp_path / "translated.env"
    translated.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings = verify_prod_env(translated, [], date.today())
    assert findings and all(f.status.name == "PASS" for f in findings), [f.message for f in findings]


def test_the_alt_cutover_file_is_valid_and_names_a_seeded_tenant() -> None:
    cutover = load_cutover(FIXTURES / "alt.cutover.toml")
    default = load_cutover(FIXTURES / "cutover.toml")
    assert cutover.canary.tenant_id in DEFAULT_TENANTS
    assert cutover.prod_env.file == "env/alt.prod.env"
    assert (FIXTURES / "alt.cutover.toml").parent.joinpath(cutover.prod_env.file) == ALT_ENV
    assert cutover.release.sha == default.release.sha == _alt_env()["BUILD_COMMIT"]
    assert cutover.owners == default.owners
    assert cutover.canary.deposit_method == "bank"  # alt's channel that waits for its PSP's signed webhook
    assert (FIXTURES / str(cutover.prod_env.waiver_register)).is_file()
