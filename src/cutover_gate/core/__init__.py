"""The gate's vocabulary, used by every later stage: the runbook's checklist and rollback matrix, time, errors,
and the redaction of secrets."""
