#!/usr/bin/env python3
"""The runbook's `python3 scripts/daily_reconciliation_report.py` (hypercare, daily): the daily reconciliation report.

It runs the suite's hypercare watch round (hc_first_6h_watch), which writes reconciliation_report.md and
reconciliation_report.json to the reports dir: for the last `[hypercare] recon_hours` (24), volume and amount by type
and state, the transactions against the ledger with every difference, the failed payouts whose funds are still held
and the stuck deposits, all computed in the database through the profile's SQL (CUTOVER_DB_DSN). Same inputs and
options as the suite (`--target-url=...`, `--lang=tr`, ...). Exit 0 clean, 1 on any difference (or a broken ledger
invariant), 2 could not check. See cutover_gate.runbook_commands.
"""

import sys

from cutover_gate.runbook_commands import main

sys.exit(main(["daily_reconciliation_report", *sys.argv[1:]]))
