#!/usr/bin/env bash
# The runbook's `bash scripts/db_restore_drill.sh`: the T-30 backup drill, never in prod. Takes the T-30 snapshot,
# restores it into a scratch database on the restore server (CUTOVER_RESTORE_DSN; the sandbox's own PostgreSQL by
# default), compares every table's row count and the alembic version with the source, dry-runs the release's
# migrations on the copy when the cutover file names them, and drops the copy (t30_snapshot_taken,
# t30_restore_drill, t30_migration_dry_run). The same checks the suite runs, with the same inputs and options
# (--env-name=staging --target-url=..., --lang=tr, ...); with prod it refuses before starting anything.
# Exit 0 clean, 1 findings, 2 could not check. See cutover_gate.runbook_commands.
set -u
exec python3 -m cutover_gate.runbook_commands db_restore_drill "$@"
