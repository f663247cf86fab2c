#!/usr/bin/env bash
# The runbook's `bash scripts/go_live_smoke.sh`: the T-15 deploy, migration and smoke checks (every t15 line).
# The same checks the suite runs, with the same inputs and options (--target-url=..., --lang=tr, ...).
# Exit 0 clean, 1 findings, 2 could not check. See cutover_gate.runbook_commands.
set -u
exec python3 -m cutover_gate.runbook_commands go_live_smoke "$@"
