"""T-30 restore drill and migration dry-run (runbook A.3 "restore tested", A.4 dry-run on a copy; never in prod).

The drill runs once per session (`restore_drill`, shared by its two scenarios): it restores the snapshot the session
took (steps/backup.py) into a scratch database on the restore server, compares it with its source, runs the release's
migration command on it and drops it, all before any step judges. Both lines are optional (`mandatory=False`): in prod
they are NOT_RUN "never in prod" and never hold GO; a difference, a pg_restore error or a failed dry-run is a FAIL.

The restore server: `CUTOVER_RESTORE_DSN`; against the embedded sandbox, by default, the sandbox's own PostgreSQL
(its DSN with the `postgres` database, where its role may CREATE DATABASE).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, then, when

from cutover_gate.checks.backup import Snapshot, verify_checksum
from cutover_gate.checks.dry_run import DryRunResult, DryRunSpec, child_environment
from cutover_gate.checks.restore_drill import DrillReport, DrillSql, Refusal, refusal, run_drill
from cutover_gate.checks.scratch import DrillError, RestoreServer, with_dbname
from cutover_gate.config.settings import SECRET_ENV
from cutover_gate.core.catalogue import ROW_MIGRATION_FAILURE
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.fixtures import Gate

SANDBOX_RESTORE_DATABASE = "postgres"
"""Where the drill connects on the embedded sandbox's PostgreSQL to create and drop its scratch database."""
MAX_SHOWN = 8


@dataclass
class Drill:
    gate: Gate
    snapshots: list[Snapshot]
    _report: DrillReport | None = field(default=None, init=False)

    @property
    def server_dsn(self) -> Secret | None:
        given = self.gate.settings.secret("restore_dsn")
        if given is not None:
            return given
        if self.gate.settings.embedded and self.gate.dsn is not None:
            return Secret(with_dbname(self.gate.dsn.reveal(), SANDBOX_RESTORE_DATABASE), "CUTOVER_RESTORE_DSN")
        return None

    def refusal(self) -> Refusal | None:
        server, target = self.server_dsn, self.gate.dsn
        return refusal(self.gate.settings.env_name, server.reveal() if server else None,
                       target.reveal() if target else None)

    def dry_run_spec(self) -> DryRunSpec | None:
        m = self.gate.settings.cutover.migrations
        if not m.dry_run_command:
            return None
        return DryRunSpec(tuple(m.dry_run_command), self.gate.settings.input_path(m.dry_run_cwd), m.dry_run_dsn_env,
                          m.dry_run_timeout_s, m.head)

    def snapshot(self) -> Snapshot:
        """The snapshot to restore, or the scenario does not run (NOT_RUN, with why)."""
        if self.gate.settings.cutover.backup.snapshot_id:
            skip(N_("a provider snapshot ([backup] snapshot_id): restore it with the provider's tools; the drill "
                    "restores the gate's own pg_dump archive"))
        if not self.snapshots:
            skip(N_("blocked: no snapshot taken in this run (t30_snapshot_taken did not PASS): the drill restores "
                    "the snapshot the run takes (pytest -m t30)"))
        return self.snapshots[-1]

    def report(self) -> DrillReport:
        if self._report is None:
            snapshot = self.snapshot()
            server = self.server_dsn
            assert server is not None, "refusal() rules out a missing restore server"
            try:
                restore = RestoreServer(server.reveal())
            except DrillError as exc:
                self._report = DrillReport(snapshot.id, "CUTOVER_RESTORE_DSN", error=str(exc))
                return self._report
            if not verify_checksum(snapshot):
                self._report = DrillReport(snapshot.id, restore.where, error=f"snapshot {snapshot.path} no longer "
                                           "has the sha256 recorded when it was taken: not restored")
                return self._report
            secrets = [*SECRET_ENV.values(), "CUTOVER_CANARY_PASSWORD"]
            self._report = run_drill(snapshot, restore, DrillSql.of(self.gate.settings.profile),
                                     dry_run=self.dry_run_spec(),
                                     child_env=lambda var, url: child_environment(var, url, secrets))
        return self._report


@pytest.fixture(scope="session")
def restore_drill(gate: Gate, t30_snapshots: list[Snapshot]) -> Drill:
    return Drill(gate, t30_snapshots)


def _listed(items: list[Reason]) -> Reason | None:
    """The first MAX_SHOWN of `items`, and how many more the evidence holds; None when there are none."""
    if not items:
        return None
    if len(items) > MAX_SHOWN:
        return Reason.of(N_("%(items)s (+%(more)s more in the evidence)"), items=tuple(items[:MAX_SHOWN]),
                         more=len(items) - MAX_SHOWN)
    return Reason.joined(items)


# -- the restore drill ------------------------------------------------------------------------------------------
@given("the restore drill may run against this environment")
@given("restore drill bu ortamda çalışabilir")
def _(restore_drill: Drill, evidence: Evidence) -> None:
    evidence.put("env_name", restore_drill.gate.settings.env_name)
    refused = restore_drill.refusal()
    if refused is None:
        return
    if refused.fails:
        raise CheckFailed(refused.reason)
    skip(refused.reason)


@when("the DB owner restores the snapshot into a scratch database", target_fixture="drill_report")
@when("DB Owner snapshot'ı scratch veritabanına restore eder", target_fixture="drill_report")
def _(restore_drill: Drill, evidence: Evidence) -> DrillReport:
    report = restore_drill.report()
    for key, value in report.evidence().items():
        evidence.put(key, value)
    if report.error:
        if report.scratch and not report.dropped:
            raise CheckFailed(N_("the restore drill could not run: %(error)s; %(left)s"), error=report.error,
                              left=report.problems()[-1])
        raise CheckFailed(N_("the restore drill could not run: %(error)s"), error=report.error)
    return report


@then("every table's row count and the alembic version match the snapshot's source")
@then("her tablonun satır sayısı ve alembic sürümü snapshot'ın kaynağıyla eşleşir")
def _(drill_report: DrillReport) -> None:
    problems = drill_report.problems()
    if problems:
        raise CheckFailed(N_("the snapshot %(snapshot)s does not restore faithfully into %(scratch)s: %(problems)s"),
                          snapshot=drill_report.snapshot_id, scratch=drill_report.scratch, problems=_listed(problems))


@then("the scratch database is dropped")
@then("scratch veritabanı silinir")
def _(drill_report: DrillReport) -> None:
    if not drill_report.dropped:
        raise CheckFailed(N_("scratch database %(scratch)s on %(server)s was not dropped: %(error)s; drop it by hand"),
                          scratch=drill_report.scratch, server=drill_report.server, error=drill_report.drop_error)


# -- the migration dry-run --------------------------------------------------------------------------------------
@given("the release names its migration dry-run command")
@given("release migration dry-run komutunu belirtir")
def _(restore_drill: Drill, evidence: Evidence) -> None:
    refused = restore_drill.refusal()
    if refused is not None and not refused.fails:
        skip(refused.reason)
    spec = restore_drill.dry_run_spec()
    if spec is None:
        skip(N_("no [migrations] dry_run_command in the cutover file: the dry-run runs only where the release "
                "names its migration command (runbook A.4: where possible)"))
    evidence.put("command", " ".join(spec.command))
    if refused is not None:
        skip(N_("blocked: t30_restore_drill refused: %(cause)s"), cause=refused.reason)


@when("the migrations run on the restored scratch copy", target_fixture="dry_run")
@when("migration'lar restore edilen scratch kopyada çalışır", target_fixture="dry_run")
def _(restore_drill: Drill, evidence: Evidence) -> DryRunResult:
    report = restore_drill.report()
    if report.dry_run is None:
        why = report.error or _listed(report.problems()) or Reason.of(N_("the drill did not run it"))
        skip(N_("blocked: the restored copy is not faithful (t30_restore_drill FAIL): %(why)s"), why=why)
    spec = restore_drill.dry_run_spec()
    assert spec is not None
    evidence.put("scratch_database", report.scratch)
    evidence.put("scratch_dropped", report.dropped)
    for key, value in report.dry_run.evidence(spec).items():
        evidence.put(key, value)
    return report.dry_run


@then("the migrations succeed and reach the head")
@then("migration'lar başarılı olur ve head'e ulaşır")
def _(dry_run: DryRunResult, evidence: Evidence) -> None:
    if not dry_run.ok:
        failure = CheckFailed(N_("migration dry-run on the restored copy failed: %(cause)s"), cause=dry_run.reason)
        evidence.trigger(ROW_MIGRATION_FAILURE, failure.reason)
        raise failure
