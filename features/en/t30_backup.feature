@t30 @read_only
Feature: T-30 backup
  The DB owner takes and records the restore point (runbook §4 T-30, checklist section 2).
  Never a restore drill against prod: the snapshot is only listed, never restored.

  @t30_snapshot_taken @t30_snapshot_readable
  Scenario: A readable snapshot is taken and recorded
    When the DB owner records a snapshot of the target database
    Then the snapshot's id, timestamp and checksum are recorded and the checksum verifies
    And the snapshot is readable

  @t30_restore_procedure
  Scenario: The rollback restore procedure is reachable
    Then the rollback restore procedure is reachable
