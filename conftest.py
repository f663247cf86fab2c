"""The gate's step implementations, one module per area (each serves the English and the Turkish wording)."""

pytest_plugins = ["steps.common", "steps.preflight", "steps.backup", "steps.restore", "steps.smoke",
                  "steps.maintenance", "steps.canary", "steps.psp_deposit", "steps.ledger", "steps.webhooks",
                  "steps.webhook_replay", "steps.idempotency", "steps.player_scope", "steps.discovery",
                  "steps.alternates", "steps.footprint",
                  "steps.metrics_baseline", "steps.hypercare", "steps.hypercare_alerting", "steps.reconciliation",
                  "steps.rollback"]
