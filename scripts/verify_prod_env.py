#!/usr/bin/env python3
"""The runbook's `python3 scripts/verify_prod_env.py`: the T-60 prod configuration check (t60_prod_env_verified).

The same check the suite runs, with the same inputs and options (`--cutover-file=...`, `--lang=tr`, ...). Exit 0
clean, 1 findings, 2 could not check. See cutover_gate.runbook_commands.
"""

import sys

from cutover_gate.runbook_commands import main

sys.exit(main(["verify_prod_env", *sys.argv[1:]]))
