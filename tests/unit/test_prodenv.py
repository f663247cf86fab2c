"""T-60 prod configuration check: the sandbox fixtures, each rule's edge cases, waivers, and that no value leaks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from cutover_gate.checks.preflight import Finding, Status, overall
from cutover_gate.checks.preflight.prodenv import env_git_sha, verify_prod_env
from cutover_gate.checks.preflight.waivers import Waiver, load_waivers
from cutover_gate.config.profile_schema import ProdEnv
from cutover_gate.config.target_profile import load_profile

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ENV_DIR = FIXTURES / "env"
TODAY = date(2026, 11, 27)
CLEAN = (ENV_DIR / "prod.env").read_text(encoding="utf-8")
ALL_RULES = {
    "env_is_prod", "cors_restricted", "psp_key_live:STRIPE_API_KEY", "secret_present:STRIPE_WEBHOOK_SECRET",
    "secret_present:ADYEN_API_KEY", "secret_present:ADYEN_HMAC_KEY", "secret_present:WEBHOOK_SECRET",
    "secret_present:JWT_SECRET", "database_url_safe", "trusted_proxies_set", "flag_off:BOOTSTRAP_ENABLED",
    "flag_off:MOCK_EXTERNAL_SERVICES", "flag_off:KYC_MOCK_ENABLED", "flag_off:ALLOW_TEST_PAYMENT_METHODS",
    "flag_on:WEBHOOK_SIGNATURE_ENFORCED", "git_sha_valid",
}


def failing(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings if f.status is Status.FAIL}


def with_line(tmp_path: Path, key: str, value: str | None) -> Path:
    """prod.env with `key` replaced by `key=value` (dropped when value is None)."""
    lines = [line for line in CLEAN.splitlines() if not line.startswith(f"{key}=")]
    if value is not None:
        lines.append(f"{key}={value}")
    path = tmp_path / "variant.env"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check(tmp_path: Path, key: str, value: str | None) -> set[str]:
    return failing(verify_prod_env(with_line(tmp_path, key, value), [], TODAY))


@pytest.mark.parametrize("register", ["register.empty.md", "register.valid.md", "register.expired.md"])
def test_clean_prod_env_passes_every_rule(register: str) -> None:
    findings = verify_prod_env(ENV_DIR / "prod.env", load_waivers(FIXTURES / "waivers" / register), TODAY)
    assert {f.rule for f in findings} == ALL_RULES
    assert all(f.status is Status.PASS for f in findings), [str(f) for f in findings if not f.ok]
    assert overall(findings) is Status.PASS


@pytest.mark.parametrize(
    ("variant", "rule"),
    [
        ("cors_wildcard", "cors_restricted"),
        ("test_stripe_key", "psp_key_live:STRIPE_API_KEY"),
        ("bootstrap_enabled", "flag_off:BOOTSTRAP_ENABLED"),
        ("sqlite_db", "database_url_safe"),
        ("no_trusted_proxies", "trusted_proxies_set"),
        ("env_staging", "env_is_prod"),
        ("signatures_off", "flag_on:WEBHOOK_SIGNATURE_ENFORCED"),
        ("default_jwt", "secret_present:JWT_SECRET"),
        ("waived", "secret_present:ADYEN_HMAC_KEY"),
        ("expired_waiver", "secret_present:STRIPE_WEBHOOK_SECRET"),
    ],
)
def test_each_variant_breaks_exactly_its_rule(variant: str, rule: str) -> None:
    findings = verify_prod_env(ENV_DIR / f"prod.{variant}.env", [], TODAY)
    assert failing(findings) == {rule}
    (bad,) = [f for f in findings if f.rule == rule]
    assert bad.subject in bad.message  # names the key


def test_waived_variant_is_waived_by_the_valid_register() -> None:
    findings = verify_prod_env(ENV_DIR / "prod.waived.env", load_waivers(FIXTURES / "waivers/register.valid.md"), TODAY)
    (waived,) = [f for f in findings if f.status is Status.WAIVED]
    assert (waived.rule, waived.subject, waived.waiver) == ("secret_present:ADYEN_HMAC_KEY", "ADYEN_HMAC_KEY", "SEC-42")
    assert "SEC-42" in waived.message and "2099-12-31" in waived.message
    assert failing(findings) == set() and overall(findings) is Status.PASS


def test_expired_waiver_keeps_the_fail_and_names_ticket_and_date() -> None:
    waivers = load_waivers(FIXTURES / "waivers/register.expired.md")
    findings = verify_prod_env(ENV_DIR / "prod.expired_waiver.env", waivers, TODAY)
    (bad,) = [f for f in findings if f.status is Status.FAIL]
    assert bad.waiver == "OPS-123"
    assert "the waiver for STRIPE_WEBHOOK_SECRET (OPS-123) expired on 2025-12-27" in bad.message
    assert overall(findings) is Status.FAIL


def test_waiver_is_valid_through_its_deadline_day(tmp_path: Path) -> None:
    env = with_line(tmp_path, "TRUSTED_PROXIES", "")
    waiver = Waiver("TRUSTED_PROXIES", "Low", "DevOps", TODAY, "proxy list lands Monday", "OPS-7")
    on_the_day = [f for f in verify_prod_env(env, [waiver], TODAY) if f.subject == "TRUSTED_PROXIES"]
    day_after = [f for f in verify_prod_env(env, [waiver], TODAY + timedelta(days=1)) if f.subject == "TRUSTED_PROXIES"]
    assert on_the_day[0].status is Status.WAIVED
    assert day_after[0].status is Status.FAIL and "expired on 2026-11-27" in day_after[0].message


def test_a_waiver_for_another_key_does_not_apply() -> None:
    waivers = load_waivers(FIXTURES / "waivers/register.expired.md")
    findings = verify_prod_env(ENV_DIR / "prod.waived.env", waivers, TODAY)
    assert failing(findings) == {"secret_present:ADYEN_HMAC_KEY"}
    assert all(f.waiver is None for f in findings)


@pytest.mark.parametrize("kind", ["missing", "directory", "not_utf8"])
def test_unreadable_file_is_a_single_fail_naming_the_path(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "nope.env"
    if kind == "directory":
        path.mkdir()
    elif kind == "not_utf8":
        path.write_bytes(b"ENV=prod\nJWT_SECRET=\xff\xfe\n")
    (finding,) = verify_prod_env(path, [], TODAY)
    assert finding.status is Status.FAIL and finding.rule == "env_file_readable"
    assert str(path) in finding.message and finding.subject == str(path)


def test_values_come_from_the_file_never_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("REAL_JWT", "a" * 10 + "Zq81nB4vXc7mK2pL9sD3fG6hJ0wE5rT1")
    assert check(tmp_path, "ENV", None) == {"env_is_prod"}
    assert check(tmp_path, "JWT_SECRET", "${REAL_JWT}") == {"secret_present:JWT_SECRET"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ENV", "staging"), ("ENV", ""), ("ENV", None), ("ENV", "prod-eu"),
        ("CORS_ORIGINS", None), ("CORS_ORIGINS", "https://admin.example.org"), ("CORS_ORIGINS", "[]"),
        ("CORS_ORIGINS", '"https://admin.sandbox.local"'), ("CORS_ORIGINS", "[1]"),
        ("CORS_ORIGINS", '["http://admin.sandbox.local"]'), ("CORS_ORIGINS", '["https://localhost:3000"]'),
        ("CORS_ORIGINS", '["https://127.0.0.1"]'), ("CORS_ORIGINS", '["https://*.sandbox.local"]'),
        ("CORS_ORIGINS", '["https://admin.sandbox.local", "*"]'), ("CORS_ORIGINS", '["null"]'),
        ("STRIPE_API_KEY", None), ("STRIPE_API_KEY", "pk_live_Zq81nB4vXc7mK2pL9sD3fG6h"),
        ("STRIPE_API_KEY", "sk_live_short"), ("STRIPE_API_KEY", "sk_live_" + "x" * 30),
        ("STRIPE_WEBHOOK_SECRET", "Zq81nB4vXc7mK2pL9sD3fG6hJ0wE5rT1"), ("STRIPE_WEBHOOK_SECRET", "whsec_"),
        ("ADYEN_API_KEY", ""), ("ADYEN_API_KEY", "test"), ("ADYEN_API_KEY", "AQE_test_Zq81nB4vXc7mK2pL9sD3f"),
        ("ADYEN_HMAC_KEY", "example-hmac-key-0123456789"), ("WEBHOOK_SECRET", "Zq81nB4vXc7mK2p"),
        ("WEBHOOK_SECRET", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), ("JWT_SECRET", "Zq81nB4vXc7mK2pL9sD3fG6hJ0wE5rT"),
        ("JWT_SECRET", "your_jwt_secret_here_please_make_it_long"), ("JWT_SECRET", "changeme"),
        ("JWT_SECRET", "dev-Zq81nB4vXc7mK2pL9sD3fG6hJ0wE5rT1"), ("JWT_SECRET", None),
        ("DATABASE_URL", None), ("DATABASE_URL", "sqlite+aiosqlite:///./casino.db"),
        ("DATABASE_URL", "mysql://app:Zq81nB4v@db.prod.internal/payments"),
        ("DATABASE_URL", "postgresql://app:Zq81nB4v@localhost:5432/payments"),
        ("DATABASE_URL", "postgresql://app:Zq81nB4v@127.0.0.2/payments"),
        ("DATABASE_URL", "postgresql://app:Zq81nB4v@[::1]:5432/payments"),
        ("DATABASE_URL", "postgresql://app:Zq81nB4v@0.0.0.0/payments"),
        ("DATABASE_URL", "postgresql:///payments"),
        ("DATABASE_URL", "postgresql://app@db.prod.internal/payments?host=%2Fvar%2Frun%2Fpostgresql"),
        ("DATABASE_URL", "postgresql://app:Zq81nB4v@db1.prod.internal:5432,localhost:5433/payments"),
        ("DATABASE_URL", "postgresql://postgres:postgres@db.prod.internal/payments"),
        ("TRUSTED_PROXIES", None), ("TRUSTED_PROXIES", "*"), ("TRUSTED_PROXIES", "0.0.0.0/0"),
        ("TRUSTED_PROXIES", "[]"),
        ("BOOTSTRAP_ENABLED", None), ("BOOTSTRAP_ENABLED", "1"), ("BOOTSTRAP_ENABLED", "maybe"),
        ("MOCK_EXTERNAL_SERVICES", "True"), ("KYC_MOCK_ENABLED", None), ("ALLOW_TEST_PAYMENT_METHODS", "yes"),
        ("WEBHOOK_SIGNATURE_ENFORCED", None), ("WEBHOOK_SIGNATURE_ENFORCED", "0"),
        ("GIT_SHA", None), ("GIT_SHA", "060f165"), ("GIT_SHA", "0" * 40), ("GIT_SHA", "g" * 40),
    ],
)
def test_each_unsafe_value_fails_its_rule_alone(tmp_path: Path, key: str, value: str | None) -> None:
    failed = check(tmp_path, key, value)
    assert len(failed) == 1
    findings = verify_prod_env(with_line(tmp_path, key, value), [], TODAY)
    assert all(key in f.message for f in findings if f.status is Status.FAIL)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ENV", "PROD"), ("ENV", "prod"),
        ("CORS_ORIGINS", '["https://admin.sandbox.local", "https://ops.sandbox.local:8443"]'),
        ("STRIPE_API_KEY", "rk_live_Zq81nB4vXc7mK2pL9sD3fG6hJ0wE"),
        ("DATABASE_URL", "postgresql+asyncpg://app:Zq81nB4vXc7m@db.prod.internal:5432/payments"),
        ("DATABASE_URL", "postgres://app@10.20.0.5/payments?sslmode=require"),
        ("TRUSTED_PROXIES", '["10.0.0.0/8"]'), ("TRUSTED_PROXIES", "10.1.2.3"),
        ("BOOTSTRAP_ENABLED", "FALSE"), ("BOOTSTRAP_ENABLED", "off"), ("WEBHOOK_SIGNATURE_ENFORCED", "1"),
        ("GIT_SHA", "060F1658C0F32B260EF61EDDB625805D5849D8B7"),
    ],
)
def test_safe_alternatives_pass(tmp_path: Path, key: str, value: str) -> None:
    assert check(tmp_path, key, value) == set()


def test_missing_flag_fails_closed_with_not_set(tmp_path: Path) -> None:
    findings = verify_prod_env(with_line(tmp_path, "KYC_MOCK_ENABLED", None), [], TODAY)
    (bad,) = [f for f in findings if f.status is Status.FAIL]
    assert bad.rule == "flag_off:KYC_MOCK_ENABLED" and "not set" in bad.message


def test_env_git_sha(tmp_path: Path) -> None:
    assert env_git_sha(ENV_DIR / "prod.env") == "060f1658c0f32b260ef61eddb625805d5849d8b7"
    assert env_git_sha(with_line(tmp_path, "GIT_SHA", "060F1658C0F32B260EF61EDDB625805D5849D8B7")) == (
        "060f1658c0f32b260ef61eddb625805d5849d8b7"
    )
    assert env_git_sha(with_line(tmp_path, "GIT_SHA", "abc123")) is None
    assert env_git_sha(tmp_path / "missing.env") is None


def fragments(value: str, size: int = 6) -> set[str]:
    return {value[i : i + size] for i in range(len(value) - size + 1)}


def rendered(findings: list[Finding]) -> str:
    return "\n".join(f"{f!r}\n{f}\n{f.message}\n{f.subject}\n{f.rule}\n{f.waiver}" for f in findings)


SEEDED_BAD = {
    "STRIPE_API_KEY": "sk_test_QLEAKq7Zt9Zv4Mw",
    "STRIPE_WEBHOOK_SECRET": "whsec_test_QLEAKw4Vq2Xy8",
    "ADYEN_API_KEY": "QLEAKa1Rn6Ue",
    "ADYEN_HMAC_KEY": "example-QLEAKh8Pb3Kd",
    "WEBHOOK_SECRET": "dev-QLEAKs5Gw1",
    "JWT_SECRET": "changeme-QLEAKj3Fy7",
}
SEEDED_GOOD = {
    "STRIPE_API_KEY": "sk_live_QGOODq7Zt9Zv4MwK2mP8rT4wX6",
    "STRIPE_WEBHOOK_SECRET": "whsec_QGOODw4Vq2Xy8N7bV1cL5",
    "ADYEN_API_KEY": "QGOODa1Rn6UeR9tY3uI6oP0aS4d",
    "ADYEN_HMAC_KEY": "QGOODh8Pb3KdF2gH5jK8lZ1xC4vB7",
    "WEBHOOK_SECRET": "QGOODs5Gw1M3nB6vC9xZ2aS5dF8",
    "JWT_SECRET": "QGOODj3Fy7Q9wE2rT5yU8iO1pA4sD7fG0hJ3kL6zX9cV",
}


@pytest.mark.parametrize("seeds", [SEEDED_BAD, SEEDED_GOOD], ids=["failing-values", "passing-values"])
def test_no_secret_value_or_fragment_in_any_finding(tmp_path: Path, seeds: dict[str, str]) -> None:
    db_password = "QDBPWz9LeakSeed4"
    lines = [line for line in CLEAN.splitlines() if line.split("=")[0] not in {*seeds, "DATABASE_URL"}]
    lines += [f"{k}={v}" for k, v in seeds.items()]
    lines.append(f"DATABASE_URL=postgresql://app:{db_password}@localhost:5432/payments")
    env = tmp_path / "seeded.env"
    env.write_text("\n".join(lines) + "\n", encoding="utf-8")
    waivers = [Waiver(k, "High", "DevOps", TODAY - timedelta(days=i % 2), "rotate", f"SEC-{i}")
               for i, k in enumerate(seeds)]
    findings = verify_prod_env(env, waivers, TODAY)
    text = rendered(findings)
    for value in (*seeds.values(), db_password):
        leaked = sorted(f for f in fragments(value) if f in text)
        assert not leaked, f"fragments of a secret leaked: {leaked}"
    assert "QLEAK" not in text and "QGOOD" not in text and "QDBPW" not in text


def profile_rules(tmp_path: Path, text: str) -> ProdEnv:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path).prod_env


def test_the_rules_are_the_profiles_variable_names_formats_and_prod_values(tmp_path: Path) -> None:
    rules = profile_rules(tmp_path, '[prod_env]\nenv = { var = "APP_ENV", values = ["live"] }\n'
                                    'cors = { var = "CORS_ORIGINS", format = "comma" }\n'
                                    'trusted_proxies = { var = "TRUSTED_PROXY_IPS", format = "comma" }\n')
    text = (ENV_DIR / "prod.env").read_text(encoding="utf-8").replace("TRUSTED_PROXIES=", "TRUSTED_PROXY_IPS=")
    env = tmp_path / "alt.env"
    lines = [ln for ln in text.splitlines() if not ln.startswith(("ENV=", "CORS_ORIGINS="))]
    env.write_text("\n".join([*lines, "APP_ENV=Live",
                              "CORS_ORIGINS=https://admin.example-pay.com, https://pay.example-pay.com"]) + "\n")
    findings = verify_prod_env(env, [], TODAY, rules)
    assert failing(findings) == set(), [f.message for f in findings if not f.ok]
    by_rule = {f.rule: f.subject for f in findings}
    assert by_rule["env_is_prod"] == "APP_ENV" and by_rule["trusted_proxies_set"] == "TRUSTED_PROXY_IPS"
    env.write_text(env.read_text() + "CORS_ORIGINS=https://admin.example-pay.com,*\nAPP_ENV=prod\n")
    assert failing(verify_prod_env(env, [], TODAY, rules)) == {"cors_restricted", "env_is_prod"}


def test_a_json_only_cors_rule_refuses_a_comma_list(tmp_path: Path) -> None:
    assert check(tmp_path, "CORS_ORIGINS", "https://admin.example-pay.com,https://pay.example-pay.com") == {
        "cors_restricted"}


def test_a_removed_rule_is_not_checked_and_an_added_one_is(tmp_path: Path) -> None:
    rules = profile_rules(tmp_path, '[profile]\nremove = ["prod_env.flags.KYC_MOCK_ENABLED", '
                                    '"prod_env.secrets.ADYEN_API_KEY"]\n\n[prod_env.flags]\nSEED_DEMO_DATA = false\n\n'
                                    '[prod_env.secrets]\nSESSION_KEY = { min_length = 24 }\n')
    env = with_line(tmp_path, "KYC_MOCK_ENABLED", "true")
    findings = verify_prod_env(env, [], TODAY, rules)
    rules_seen = {f.rule for f in findings}
    assert "flag_off:KYC_MOCK_ENABLED" not in rules_seen and "secret_present:ADYEN_API_KEY" not in rules_seen
    assert failing(findings) == {"flag_off:SEED_DEMO_DATA", "secret_present:SESSION_KEY"}


def test_a_profile_without_rules_fails_closed(tmp_path: Path) -> None:
    rules = ProdEnv()
    (finding,) = verify_prod_env(ENV_DIR / "prod.env", [], TODAY, rules)
    assert finding.status is Status.FAIL and "declares no rule" in finding.message


def test_the_git_sha_variable_is_the_profiles(tmp_path: Path) -> None:
    rules = profile_rules(tmp_path, '[prod_env]\ngit_sha = { var = "RELEASE_COMMIT" }\n')
    env = tmp_path / "sha.env"
    env.write_text("RELEASE_COMMIT=060f1658c0f32b260ef61eddb625805d5849d8b7\nGIT_SHA=abc\n")
    assert env_git_sha(env, rules) == "060f1658c0f32b260ef61eddb625805d5849d8b7"
