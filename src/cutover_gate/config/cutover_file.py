"""The cutover file (`--cutover-file`, TOML): owners, canary amounts, and where the T-60/T-30 inputs are.

It is validated when loaded. An unknown key or a wrong type is a usage error that lists every problem at once, each
with its key path (`canary.max_amount: not a decimal`), so a typo never silently falls back to a default.
"""

from __future__ import annotations

import shlex
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cutover_gate.core.errors import UsageError

PhaseName = Literal["t60", "t30", "t15", "t0", "hypercare", "rollback"]
Amount = Annotated[Decimal, Field(gt=0)]
Seconds = Annotated[float, Field(gt=0)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Release(Section):
    sha: str | None = None


class CanaryFile(Section):
    deposit_amount: Amount = Decimal("10")
    withdraw_amount: Amount = Decimal("5")
    max_amount: Amount = Decimal("10")
    """The hard cap: the gate refuses to move more than this in one canary call."""
    deposit_method: str = "card"
    poll_deadline_s: Seconds = 30.0
    poll_interval_s: Seconds = 0.5
    email: str | None = None
    """A pre-provisioned canary (required in prod: no registration there); its password is CUTOVER_CANARY_PASSWORD."""
    tenant_id: str | None = None
    psp_deposit_waiver: str | None = None
    """Where the environment has no asynchronous PSP deposit path: the ticket that waives t0_psp_deposit."""


class Webhooks(Section):
    settle_s: Annotated[float, Field(ge=0)] | None = None
    """How long a PSP may still deliver its own event after the gate's; default: the profile's."""
    payout_flow_waiver: str | None = None
    """A ticket waiving the payout-webhook probes the profile's flows.payout makes impossible (sync or manual)."""


class KitBudget(Section):
    """What the webhook kit and the alternate paths may use of the canary in one run."""

    withdrawals: Annotated[int, Field(ge=0)] = 6
    amount: Amount = Decimal("10")


class ProdEnv(Section):
    file: str | None = None
    waiver_register: str | None = None


class Artifacts(Section):
    dir: str | None = None


class Backup(Section):
    restore_procedure: str | None = None
    dump_dir: str | None = None
    snapshot_id: str | None = None
    """A provider snapshot (no dump access): recorded as given."""
    snapshot_location: str | None = None
    snapshot_taken_at: str | None = None
    snapshot_checksum: str | None = None
    readable_attested_by: str | None = None


class Migrations(Section):
    head: str | None = None
    """The release's migration head: T-15 and the dry-run must reach it."""
    dry_run_command: Annotated[list[str], Field(min_length=1)] | None = Field(
        default=None, json_schema_extra={"anyOf": [{"type": "string", "minLength": 1},
                                                   {"type": "array", "items": {"type": "string"}, "minItems": 1},
                                                   {"type": "null"}]})
    """The release's migration command (runbook A.4), run by the T-30 restore drill against its scratch copy, never
    against the target: a string split like a shell would (`"alembic upgrade head"`, no shell runs it) or a list."""
    dry_run_cwd: str | None = None
    """Where the command runs (relative to the cutover file), e.g. the release checkout holding `alembic.ini`."""
    dry_run_dsn_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "DATABASE_URL"
    """The environment variable that carries the scratch copy's DSN to the command."""
    dry_run_timeout_s: Seconds = 900.0

    @field_validator("dry_run_command", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise ValueError(f"cannot split the command ({exc})") from None
            if not words:
                raise ValueError("an empty command")
            return words
        return value


class Rollback(Section):
    previous_sha: str | None = None


class RecordFile(Section):
    window_hours: dict[PhaseName, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)


class CommsFile(Section):
    """`[comms]`: the runbook's communication plan, posted to CUTOVER_COMMS_URLS (reports/comms_post.py). Defaults are
    the runbook's cadence: during the cutover every 15 minutes or at checkpoints, every 30 minutes in the first 2 hours
    after go-live, then an hourly summary. A checkpoint, the GO-LIVE and a rollback are posted as they happen; an
    update (hold, progress, hypercare round) only when the cadence is due or its content changed."""
    update_every_minutes: Annotated[float, Field(gt=0)] = 15.0
    first_hours: Annotated[float, Field(ge=0)] = 2.0
    first_hours_every_minutes: Annotated[float, Field(gt=0)] = 30.0
    later_every_minutes: Annotated[float, Field(gt=0)] = 60.0
    post_timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    """The hard bound of one post to one channel, and of the wait for the run's last posts at its end."""


class TargetEntry(Section):
    """One target of a cutover of several tenants or regions (`[targets.<name>]`): where it is, and what of the
    cutover file differs for it. Its sections (canary, prod_env, ...) merge over the file's own."""
    url: str | None = None
    """The target's base URL; absent: an embedded sandbox of its own."""
    profile: str | None = None
    """Its target profile (relative to the cutover file); absent: the run's --profile or the default."""
    env_prefix: str = ""
    """Its secrets come from <prefix>CUTOVER_* (EU_CUTOVER_ADMIN_PASSWORD); with a prefix the unprefixed secrets of
    the environment are not passed to it."""
    sandbox_faults: list[str] = Field(default_factory=list)
    """Embedded sandbox only: the faults it boots with."""
    release: dict[str, Any] | None = None
    owners: dict[str, str] | None = None
    canary: dict[str, Any] | None = None
    webhooks: dict[str, Any] | None = None
    kit_budget: dict[str, Any] | None = None
    prod_env: dict[str, Any] | None = None
    artifacts: dict[str, Any] | None = None
    backup: dict[str, Any] | None = None
    migrations: dict[str, Any] | None = None
    rollback: dict[str, Any] | None = None
    record: dict[str, Any] | None = None


TARGET_KEYS = ("url", "profile", "env_prefix", "sandbox_faults")
"""The keys of a target entry that are not cutover-file sections."""


class CutoverFile(Section):
    release: Release = Release()
    owners: dict[str, str] = Field(default_factory=dict)
    canary: CanaryFile = CanaryFile()
    webhooks: Webhooks = Webhooks()
    kit_budget: KitBudget = KitBudget()
    prod_env: ProdEnv = ProdEnv()
    artifacts: Artifacts = Artifacts()
    backup: Backup = Backup()
    migrations: Migrations = Migrations()
    rollback: Rollback = Rollback()
    record: RecordFile = RecordFile()
    comms: CommsFile = CommsFile()
    targets: dict[str, TargetEntry] = Field(default_factory=dict)
    """Several targets (tenants, regions): one run per target, one decision each and a combined one."""


_PHRASES: dict[str, str] = {
    "extra_forbidden": "unknown key",
    "decimal_parsing": "not a decimal",
    "decimal_type": "not a decimal",
    "float_parsing": "not a number",
    "float_type": "not a number",
    "string_type": "not a string",
    "dict_type": "not a table",
    "model_type": "not a table",
    "literal_error": "not a phase (t60, t30, t15, t0, hypercare, rollback)",
    "list_type": "not a string or a list of strings",
    "too_short": "empty",
    "string_pattern_mismatch": "not an environment variable name",
}


def problems(exc: ValidationError) -> list[str]:
    """Every validation error as `key.path: what is wrong`."""
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(part) for part in err["loc"] if part != "[key]")
        phrase = _PHRASES.get(err["type"])
        if phrase is None:
            phrase = str(err["msg"]).removeprefix("Value error, ").lower()
        out.append(f"{path}: {phrase}")
    return out


def parse_cutover(data: dict[str, Any], source: str) -> CutoverFile:
    try:
        return CutoverFile.model_validate(data)
    except ValidationError as exc:
        listed = "; ".join(problems(exc))
        raise UsageError(f"cutover file {source} is invalid: {listed}") from None


def for_target(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The cutover file as one of its targets sees it: the target's sections merged over the file's, no targets."""
    entry = dict((data.get("targets") or {}).get(name) or {})
    out = {k: v for k, v in data.items() if k != "targets"}
    for section, value in entry.items():
        if section in TARGET_KEYS:
            continue
        base = out.get(section)
        out[section] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return out


def load_cutover(path: Path | None, target: str | None = None) -> CutoverFile:
    """The validated cutover file; for `target` (one run of a cutover of several targets) as that target sees it.
    Every target's view is validated with the file, so a problem of any target stops the run before it starts."""
    if path is None:
        if target:
            raise UsageError(f"target '{target}' is run without a cutover file listing it")
        return CutoverFile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read cutover file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"cutover file {path} is not valid TOML: {exc}") from None
    whole = parse_cutover(data, str(path))
    for name in whole.targets:
        parse_cutover(for_target(data, name), f"{path} (target {name})")
    if target is None:
        return whole
    if target not in whole.targets:
        raise UsageError(f"cutover file {path} lists no target '{target}' (it lists: {', '.join(whole.targets)})")
    return parse_cutover(for_target(data, target), f"{path} (target {target})")
