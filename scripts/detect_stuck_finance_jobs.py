#!/usr/bin/env python3
"""The runbook's `python3 scripts/detect_stuck_finance_jobs.py` (hypercare, every 30 minutes): the stuck job detector.

It runs the suite's hypercare watch round (hc_first_6h_watch), which is kept in the cutover record like any round,
and answers for its stuck finance jobs: payouts pending with the PSP past `[hypercare] stuck_minutes`, PSP deposits
pending past `stuck_deposit_minutes`, computed in the database (CUTOVER_DB_DSN; without it the admin API is paged
and a queue too long to read whole is "could not check"). Same inputs and options as the suite
(`--target-url=...`, `--lang=tr`, ...). Exit 0 clean, 1 findings, 2 could not check. See
cutover_gate.runbook_commands.
"""

import sys

from cutover_gate.runbook_commands import main

sys.exit(main(["detect_stuck_finance_jobs", *sys.argv[1:]]))
