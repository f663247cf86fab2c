"""Everything a gate run needs, resolved once from options, environment and the cutover file.

Against the embedded sandbox every input defaults to the sandbox's fixtures under `fixtures/`, so a bare `pytest`
reaches GO on a healthy sandbox. Against any other target nothing defaults: a missing input stays None and the line
that needs it FAILs, naming it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values

from .profile import Profile, load_profile
from .secrets import REDACTOR, Secret

SECRET_ENV = {
    "admin_password": "CUTOVER_ADMIN_PASSWORD",
    "db_dsn": "CUTOVER_DB_DSN",
    "webhook_secret": "CUTOVER_WEBHOOK_SECRET",
    "adyen_hmac_key": "CUTOVER_ADYEN_HMAC_KEY",
    "stripe_webhook_secret": "CUTOVER_STRIPE_WEBHOOK_SECRET",
}


class SettingsError(ValueError):
    """An input the user gave cannot be used (unreadable file, bad amount...)."""


@dataclass
class Canary:
    deposit_amount: Decimal = Decimal("10")
    withdraw_amount: Decimal = Decimal("5")
    max_amount: Decimal = Decimal("10")
    deposit_method: str = "card"
    poll_deadline_s: float = 30.0
    poll_interval_s: float = 0.5
    email: str | None = None
    """Pre-provisioned canary credentials (required in prod: no registration there)."""
    password: Secret | None = None
    tenant_id: str | None = None


@dataclass
class GateSettings:
    rootdir: Path
    embedded: bool
    target_url: str | None
    env_name: str
    lang: str
    reports_dir: Path
    release_sha: str | None
    decider: str
    profile: Profile
    cutover_file: Path | None
    cutover: dict[str, Any]
    admin_email: str | None
    secrets: dict[str, Secret | None]
    canary: Canary
    plan: bool = False
    faults: list[str] = field(default_factory=list)

    @property
    def fixtures_dir(self) -> Path:
        return self.rootdir / "fixtures"

    def secret(self, name: str) -> Secret | None:
        return self.secrets.get(name)

    def input_path(self, section: str, key: str) -> Path | None:
        """A path from the cutover file, resolved against the file's directory."""
        value = self.cutover.get(section, {}).get(key)
        if not value:
            return None
        path = Path(str(value))
        if not path.is_absolute() and self.cutover_file is not None:
            path = self.cutover_file.parent / path
        return path


def _amount(raw: Any, name: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise SettingsError(f"cutover file: canary {name} '{raw}' is not an amount") from None
    if value <= 0:
        raise SettingsError(f"cutover file: canary {name} must be positive, got {value}")
    return value


def _load_cutover(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot read cutover file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"cutover file {path} is not valid TOML: {exc}") from None


def resolve(config: pytest.Config) -> GateSettings:
    opt = config.option
    rootdir = Path(config.rootpath)
    target_url = opt.target_url or os.environ.get("CUTOVER_TARGET_URL") or None
    embedded = target_url is None
    fixtures = rootdir / "fixtures"

    cutover_arg = opt.cutover_file or os.environ.get("CUTOVER_FILE")
    cutover_file = Path(cutover_arg) if cutover_arg else (fixtures / "cutover.toml" if embedded else None)
    if cutover_file is not None and not cutover_file.is_absolute():
        cutover_file = (Path.cwd() / cutover_file).resolve()
    cutover = _load_cutover(cutover_file)

    # secrets: only from the environment; the embedded sandbox's own credentials are its fixture defaults
    env_values: dict[str, str | None] = dict(os.environ)
    sandbox_env = fixtures / "sandbox.env"
    defaults: dict[str, str | None] = dict(dotenv_values(sandbox_env)) if embedded and sandbox_env.is_file() else {}
    secrets: dict[str, Secret | None] = {}
    for name, var in SECRET_ENV.items():
        value = env_values.get(var) or defaults.get(var)
        secrets[name] = Secret(value, var) if value else None
    admin_email = env_values.get("CUTOVER_ADMIN_EMAIL") or defaults.get("CUTOVER_ADMIN_EMAIL")

    release_sha = opt.release_sha or os.environ.get("RELEASE_SHA") or cutover.get("release", {}).get("sha")
    canary_cfg = cutover.get("canary", {})
    canary = Canary(
        deposit_amount=_amount(canary_cfg.get("deposit_amount", "10"), "deposit_amount"),
        withdraw_amount=_amount(canary_cfg.get("withdraw_amount", "5"), "withdraw_amount"),
        max_amount=_amount(canary_cfg.get("max_amount", "10"), "max_amount"),
        deposit_method=str(canary_cfg.get("deposit_method", "card")),
        poll_deadline_s=float(canary_cfg.get("poll_deadline_s", 30)),
        poll_interval_s=float(canary_cfg.get("poll_interval_s", 0.5)),
        email=canary_cfg.get("email") or os.environ.get("CUTOVER_CANARY_EMAIL"),
        tenant_id=canary_cfg.get("tenant_id"),
    )
    canary_pw = os.environ.get("CUTOVER_CANARY_PASSWORD")
    canary.password = Secret(canary_pw, "CUTOVER_CANARY_PASSWORD") if canary_pw else None

    owners = cutover.get("owners", {})
    decider = opt.decider or owners.get("incident_commander") or "unassigned"
    reports_dir = Path(opt.reports_dir) if opt.reports_dir else rootdir / "reports"
    profile_path = Path(opt.profile) if opt.profile else None
    settings = GateSettings(
        rootdir=rootdir,
        embedded=embedded,
        target_url=target_url.rstrip("/") if target_url else None,
        env_name=opt.env_name or ("sandbox" if embedded else "prod"),
        lang=opt.lang,
        reports_dir=reports_dir.resolve(),
        release_sha=str(release_sha) if release_sha else None,
        decider=str(decider),
        profile=load_profile(profile_path),
        cutover_file=cutover_file,
        cutover=cutover,
        admin_email=admin_email,
        secrets=secrets,
        canary=canary,
        plan=bool(opt.plan),
        faults=[f for f in os.environ.get("CUTOVER_SANDBOX_FAULTS", "").split(",") if f.strip()],
    )
    for secret in secrets.values():
        if secret is not None:
            REDACTOR.register(secret.reveal())
    return settings
