"""T-30 backup (runbook §4 T-30, checklist section 2): snapshot with id/path, timestamp, checksum; readable; restore
procedure reachable. Nothing here restores anything; the restore drill (steps/restore.py, never in prod) restores the
snapshot this module takes, kept for it in `t30_snapshots`. Outside prod the dump also records what its source holds
(every table's row count and the alembic version, through the profile's SQL) at the dump's own snapshot, for the
drill to compare with; in prod nothing more than the dump is read."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from pytest_bdd import then, when

from cutover_gate.checks.backup import (
    BackupError,
    Snapshot,
    restore_procedure_reachable,
    take_dump,
    verify_checksum,
    verify_readable,
)
from cutover_gate.checks.preflight import Status
from cutover_gate.checks.restore_drill import DrillSql, read_state
from cutover_gate.core.catalogue import T30_SNAPSHOT_READABLE, T30_SNAPSHOT_TAKEN
from cutover_gate.core.clock import iso
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.evidence.recording import Evidence, proves
from cutover_gate.fixtures import Gate


@pytest.fixture(scope="session")
def t30_snapshots() -> list[Snapshot]:
    """The snapshots this session took, newest last: the restore drill restores the newest."""
    return []


@when("the DB owner records a snapshot of the target database", target_fixture="snapshot")
@when("DB Owner hedef veritabanının snapshot'ını kaydeder", target_fixture="snapshot")
@proves(T30_SNAPSHOT_TAKEN)
def _(gate: Gate, evidence: Evidence, t30_snapshots: list[Snapshot]) -> Snapshot | None:
    backup = gate.settings.cutover.backup
    if backup.snapshot_id:
        # a provider snapshot (no dump access): recorded as given, with who attests it
        evidence.put("snapshot_id", backup.snapshot_id)
        evidence.put("snapshot_path", backup.snapshot_location or "provider snapshot")
        evidence.put("created_at", backup.snapshot_taken_at or "")
        evidence.put("sha256", backup.snapshot_checksum or "")
        if not backup.snapshot_taken_at or not backup.snapshot_checksum:
            raise CheckFailed(N_("provider snapshot recorded without snapshot_taken_at and snapshot_checksum"))
        return None
    out_dir = gate.settings.input_path(backup.dump_dir) or gate.settings.reports_dir / "snapshots"
    if gate.dsn is None:
        raise CheckFailed(N_("no database DSN for pg_dump: set CUTOVER_DB_DSN, or give [backup] snapshot_id for a "
                             "provider snapshot"))
    # prod: nothing is read beyond the dump (no count(*) over prod's tables; the drill never runs there)
    prod = gate.settings.env_name == "prod"
    reader = None if prod else partial(read_state, queries=DrillSql.of(gate.settings.profile))
    try:
        snap = take_dump(gate.dsn.reveal(), Path(out_dir), at_snapshot=reader)
    except BackupError as exc:
        raise CheckFailed(N_("pg_dump failed: %(error)s"), error=exc) from None
    t30_snapshots.append(snap)
    evidence.put("snapshot_id", snap.id)
    evidence.put("snapshot_path", str(snap.path))
    evidence.put("created_at", iso(snap.created_at))
    evidence.put("size_bytes", snap.size_bytes)
    evidence.put("sha256", snap.sha256)
    evidence.put("tool_version", snap.tool_version)
    return snap


@then("the snapshot's id, timestamp and checksum are recorded and the checksum verifies")
@then("snapshot'ın ID'si, zamanı ve checksum'ı kaydedilir ve checksum doğrulanır")
@proves(T30_SNAPSHOT_TAKEN)
def _(snapshot: Snapshot | None, evidence: Evidence) -> None:
    if snapshot is None:
        return  # provider snapshot: the checksum is the provider's, recorded above
    if snapshot.size_bytes <= 0:
        raise CheckFailed(N_("snapshot %(path)s is empty"), path=snapshot.path)
    if not verify_checksum(snapshot):
        raise CheckFailed(N_("snapshot %(path)s does not match its recorded sha256"), path=snapshot.path)


@then("the snapshot is readable")
@then("snapshot okunabilirdir")
@proves(T30_SNAPSHOT_READABLE)
def _(snapshot: Snapshot | None, gate: Gate, evidence: Evidence) -> None:
    if snapshot is None:
        attested = gate.settings.cutover.backup.readable_attested_by
        if not attested:
            raise CheckFailed(N_("provider snapshot: readability cannot be checked here and no operator attested it "
                                 "([backup] readable_attested_by)"))
        evidence.put("readable", f"operator attestation by {attested}")
        return
    result = verify_readable(snapshot)
    evidence.put("readable", result.message)
    evidence.put("toc_entries", result.entries)
    if not result.ok:
        raise CheckFailed(N_("snapshot %(path)s is not readable: %(cause)s"), path=snapshot.path, cause=result.reason)


@then("the rollback restore procedure is reachable")
@then("rollback restore prosedürü erişilebilirdir")
def _(gate: Gate, evidence: Evidence) -> None:
    raw = gate.settings.cutover.backup.restore_procedure
    if not raw:
        raise CheckFailed(N_("no restore procedure given: set [backup] restore_procedure in the cutover file"))
    base = gate.settings.cutover_file.parent if gate.settings.cutover_file else Path.cwd()
    finding = restore_procedure_reachable(raw, base)
    evidence.put("restore_procedure", finding.subject)
    if finding.status is Status.FAIL:
        raise CheckFailed(N_("restore procedure: %(cause)s"), cause=finding.cause)
