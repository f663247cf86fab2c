"""Everything a gate run needs, resolved once from options, environment and the cutover file.

Against the embedded sandbox every input defaults to the sandbox's fixtures under `fixtures/`, so a bare `pytest`
reaches GO on a healthy sandbox. Against any other target nothing defaults: a missing input stays None and the line
that needs it FAILs, naming it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values
from psycopg.conninfo import conninfo_to_dict

from cutover_gate.config.cutover_file import CanaryFile, CutoverFile, load_cutover
from cutover_gate.config.target_profile import Profile, load_profile
from cutover_gate.core.errors import UsageError
from cutover_gate.core.redact import REDACTOR, Secret

FLEET_TARGET_ENV = "CUTOVER_FLEET_TARGET"
"""Set by a cutover of several targets for each target's own run: which `[targets.<name>]` it is."""
SECRET_ENV = {
    "admin_password": "CUTOVER_ADMIN_PASSWORD",
    "db_dsn": "CUTOVER_DB_DSN",
    "webhook_secret": "CUTOVER_WEBHOOK_SECRET",
    "adyen_hmac_key": "CUTOVER_ADYEN_HMAC_KEY",
    "stripe_webhook_secret": "CUTOVER_STRIPE_WEBHOOK_SECRET",
    "verify_code": "CUTOVER_VERIFY_CODE",
    "restore_dsn": "CUTOVER_RESTORE_DSN",
    "comms_urls": "CUTOVER_COMMS_URLS",
    "prometheus_url": "CUTOVER_PROMETHEUS_URL",
}
"""`restore_dsn`: the server of the T-30 restore drill (a database there it may connect to and CREATE DATABASE from);
never the target's own database. Unset against the embedded sandbox: its own PostgreSQL, another database name.
`comms_urls`: the Apprise URLs of the war room's channels (comma or space separated); reports/comms_post.py posts the
runbook's messages there and also masks each URL's host, path and tokens on their own.
`prometheus_url`: the Prometheus server hypercare and the alerting lines ask with `[metrics] source =
"prometheus"` (CONTRACT §2; it may carry credentials, its password is masked on its own too). The values of the
profile's `[metrics] headers` are secrets as well, read from the variables the profile names."""
DSN_SECRETS = ("db_dsn", "restore_dsn")


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
    cutover: CutoverFile
    admin_email: str | None
    secrets: dict[str, Secret | None]
    canary: CanaryFile
    """The canary's amounts and polling; its e-mail from the cutover file or CUTOVER_CANARY_EMAIL."""
    canary_password: Secret | None = None
    """The pre-provisioned canary's password (CUTOVER_CANARY_PASSWORD); prod never registers a canary."""
    plan: bool = False
    faults: list[str] = field(default_factory=list)

    @property
    def fixtures_dir(self) -> Path:
        return self.rootdir / "fixtures"

    @property
    def record_windows(self) -> dict[str, float]:
        """Hours a phase's result stays current in the record, where the cutover file sets them."""
        return {str(phase): hours for phase, hours in self.cutover.record.window_hours.items()}

    @property
    def target_name(self) -> str:
        return self.target_url or "embedded sandbox"

    @property
    def verify_code(self) -> Secret | None:
        """The platform's fixed staging verification code, when it verifies a canary so (flows.verification)."""
        return self.secret("verify_code")

    def secret(self, name: str) -> Secret | None:
        return self.secrets.get(name)

    def secret_of_var(self, var: str) -> Secret | None:
        """A secret by the variable that holds it (a webhook route's `secret`, CUTOVER_WEBHOOK_SECRET, ...)."""
        return self.secrets.get(var)

    def input_path(self, value: str | None) -> Path | None:
        """A path from the cutover file, resolved against the file's directory."""
        if not value:
            return None
        path = Path(value)
        if not path.is_absolute() and self.cutover_file is not None:
            path = self.cutover_file.parent / path
        return path


def resolve(option: Any, rootdir: Path) -> GateSettings:
    """`option` is pytest's `config.option` (the gate's options of config/options.py)."""
    target_url = option.target_url or os.environ.get("CUTOVER_TARGET_URL") or None
    embedded = target_url is None
    fixtures = rootdir / "fixtures"

    cutover_arg = option.cutover_file or os.environ.get("CUTOVER_FILE")
    cutover_file = Path(cutover_arg) if cutover_arg else (fixtures / "cutover.toml" if embedded else None)
    if cutover_file is not None and not cutover_file.is_absolute():
        cutover_file = (Path.cwd() / cutover_file).resolve()
    fleet_target = os.environ.get(FLEET_TARGET_ENV) or None
    cutover = load_cutover(cutover_file, fleet_target)
    if cutover.targets and target_url is not None:
        raise UsageError(f"cutover file {cutover_file} lists targets: give each its url there, not --target-url")
    if embedded and option.env_name == "prod" and not cutover.targets:
        raise UsageError("--env-name=prod needs a target: --target-url or CUTOVER_TARGET_URL is empty or unset, and "
                         "the embedded sandbox is never production")

    # secrets: only from the environment; the embedded sandbox's own credentials are its fixture defaults
    env_values: dict[str, str | None] = dict(os.environ)
    sandbox_env = fixtures / "sandbox.env"
    defaults: dict[str, str | None] = dict(dotenv_values(sandbox_env)) if embedded and sandbox_env.is_file() else {}
    secrets: dict[str, Secret | None] = {}
    for name, var in SECRET_ENV.items():
        value = env_values.get(var) or defaults.get(var)
        secrets[name] = Secret(value, var) if value else None
    profile = load_profile(Path(option.profile) if option.profile else None)
    for route in profile.webhooks.routes.values():  # the profile names the variables of its routes' secrets
        value = env_values.get(route.secret) or defaults.get(route.secret)
        secrets[route.secret] = Secret(value, route.secret) if value else None
    for var in profile.model.metrics.headers.values():  # and those of its Prometheus headers (X-Scope-OrgID)
        value = env_values.get(var) or defaults.get(var)
        secrets[var] = Secret(value, var) if value else None
    for name, var in SECRET_ENV.items():
        secrets.setdefault(var, secrets[name])
    admin_email = env_values.get("CUTOVER_ADMIN_EMAIL") or defaults.get("CUTOVER_ADMIN_EMAIL")

    release_sha = option.release_sha or os.environ.get("RELEASE_SHA") or cutover.release.sha
    canary = cutover.canary.model_copy(update={"email": cutover.canary.email or os.environ.get("CUTOVER_CANARY_EMAIL")})
    canary_pw = os.environ.get("CUTOVER_CANARY_PASSWORD")

    decider = option.decider or cutover.owners.get("incident_commander") or "unassigned"
    reports_dir = Path(option.reports_dir) if option.reports_dir else rootdir / "reports"
    settings = GateSettings(
        rootdir=rootdir,
        embedded=embedded,
        target_url=target_url.rstrip("/") if target_url else None,
        env_name=option.env_name or ("sandbox" if embedded else "prod"),
        lang=option.lang,
        reports_dir=reports_dir.resolve(),
        release_sha=str(release_sha) if release_sha else None,
        decider=str(decider),
        profile=profile,
        cutover_file=cutover_file,
        cutover=cutover,
        admin_email=admin_email,
        secrets=secrets,
        canary=canary,
        canary_password=Secret(canary_pw, "CUTOVER_CANARY_PASSWORD") if canary_pw else None,
        plan=bool(option.plan),
        faults=[f for f in os.environ.get("CUTOVER_SANDBOX_FAULTS", "").split(",") if f.strip()],
    )
    for name, secret in secrets.items():
        if secret is not None:
            REDACTOR.register(secret.reveal())
            if name in DSN_SECRETS:
                REDACTOR.register(dsn_password(secret.reveal()))
            if name == "prometheus_url":
                REDACTOR.register(url_password(secret.reveal()))
    return settings


def url_password(url: str) -> str | None:
    """The password of a URL's user info (`https://user:pass@prometheus`), masked wherever it appears on its own."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def dsn_password(dsn: str) -> str | None:
    """The password inside a DSN (URL or key=value form), so that it is masked wherever it appears on its own."""
    try:
        value = conninfo_to_dict(dsn).get("password")
    except Exception:  # an unparseable DSN: the whole value is registered anyway
        return None
    return str(value) if value else None
