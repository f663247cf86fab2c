"""The logic behind each phase's checks: pre-flight, backup, the canary's reads, hypercare. Pure functions over
what the target answers; the steps (steps/) call them and write the evidence."""
