@t30 @read_only
Feature: T-30 backup
  The DB owner takes and records the restore point (runbook §4 T-30, checklist section 2) and, outside prod, proves
  that it restores (runbook A.3 "snapshot taken (restore tested)") and that the release's migrations run on a copy
  (A.4 "where possible, a dry-run `alembic upgrade head`").
  Never a restore drill against prod: in prod the snapshot is only listed, and the drill's lines are NOT_RUN "never in
  prod" (optional lines: they never hold GO). In staging and the sandbox the drill restores the snapshot into a scratch
  database it creates on the restore server (CUTOVER_RESTORE_DSN, never the target's own database), compares every
  table's row count and the alembic version with the source at the dump's snapshot, runs the cutover file's
  [migrations] dry_run_command on the copy, and drops it, whatever happened.

  @t30_snapshot_taken @t30_snapshot_readable
  Scenario: A readable snapshot is taken and recorded
    When the DB owner records a snapshot of the target database
    Then the snapshot's id, timestamp and checksum are recorded and the checksum verifies
    And the snapshot is readable

  @t30_restore_procedure
  Scenario: The rollback restore procedure is reachable
    Then the rollback restore procedure is reachable

  @t30_restore_drill
  Scenario: The snapshot restores into a scratch database and matches its source
    Given the restore drill may run against this environment
    When the DB owner restores the snapshot into a scratch database
    Then every table's row count and the alembic version match the snapshot's source
    And the scratch database is dropped

  @t30_migration_dry_run
  Scenario: The release's migrations dry-run on the restored copy
    Given the release names its migration dry-run command
    When the migrations run on the restored scratch copy
    Then the migrations succeed and reach the head
