@hypercare @read_only
Feature: Hypercare (T+0 -> T+72h)
  After GO the on-call team watches the platform for 72 hours (runbook §4 "Hypercare routine (72 h)": every 30
  minutes in 0-6 h, hourly in 6-24 h, three times a day in 24-72 h; focus: 5xx rates, queue backlog, webhook errors,
  random ledger recon; the stuck finance job detector; rollback trigger "payout failure rate > 15%"). One run of
  `pytest -m hypercare` is one watch round; thresholds come from the profile's [hypercare] section. Checklist
  section 5 is proven so:
  - hc_alerting_active: the signals alerts are built on exist. /metrics exposes http_requests_total with handler,
  method and status-class labels (2xx/4xx/5xx, or status codes that map onto them) and the
  http_request_duration_seconds histogram (buckets up to +Inf, _sum, _count); readiness reports the database; every webhook route answers
  and refuses an unsigned request (a missing route cannot raise webhook errors). With the profile's [metrics] source =
  "prometheus" it also asks the Prometheus server (CUTOVER_PROMETHEUS_URL): the alerts the profile names for 5xx,
  latency, db and webhook are loaded, healthy and evaluated within two intervals; an Alertmanager is attached, up, and
  routes them to a receiver with an integration ("alerts go nowhere" otherwise); a server that does not answer within
  the deadline is a FAIL "could not check".
  - hc_first_6h_watch: one watch round. It judges the whole interval since the previous round on record, the first
  since the /metrics baseline T-0's closing scenario stored (a counter reset, a restart, is reported, never a negative
  rate): the 5xx rate is under its threshold (a 5xx on a payout/withdraw route raises payout_withdraw_http_error); p95
  latency from the histogram's bucket deltas over its threshold raises latency_spike (MONITOR, not a failure). In the
  database, through the profile's SQL (the admin API paged instead without a DSN, and a queue read in part is never
  complete): withdrawals waiting in requested/approved/payout_pending past the SLA raise queue_backlog (MONITOR);
  payouts stuck in payout_pending and PSP deposits stuck pending past their limits FAIL; a payout failure rate over
  15% over the interval FAILs and raises payout_failure_rate (immediate rollback), while too few payouts to call a
  rate is "no data", never a failure; the random ledger recon (the profile's invariant SQL, and randomly chosen
  wallets read through the admin API and SQL) and the day's reconciliation of transactions against the ledger
  (reconciliation_report.md/json) must hold, else ledger_invariant_breach. The round and its counters are kept in the
  cutover record of the release (this line's evidence, "rounds"). With [metrics] source = "prometheus" the 5xx rate,
  the volume and p95 are the profile's PromQL queries over the interval (evaluated by the server; each query, its
  result and its time are evidence), and the alerts firing for the target are listed: one the profile's alert_map
  maps raises its rollback-matrix row.
  - hc_control_report_24h: the control report (summary + metrics + actions) is written to hypercare_report.md and
  hypercare_report.json in the reports dir; the first one of a release is the runbook's T+60 first hypercare report.
  - hc_stable_72h: PASS only when the record holds clean watch rounds (no failure, no trigger) running back at least
  72 h with no gap over 8 h. If the latest round failed it is FAIL. Otherwise it stays NOT_RUN (the scenario is
  skipped) saying how far the clock has run: one run cannot prove 72 hours, and an unfinished clock is no failure.
  Hypercare lines never decide GO.

  @hc_alerting_active
  Scenario: The signals alerting is built on are exposed
    Given the cutover target is reachable
    When I send an unsigned request to every webhook route
    Then every webhook route answers and refuses it
    When I scrape the metrics endpoint
    Then the request counter carries handler, method and status-class labels
    And the request latency histogram has buckets, a sum and a count
    And the readiness reports the database connected
    And with the Prometheus source its alert rules are healthy and Alertmanager routes them

  @hc_first_6h_watch
  Scenario: One watch round of the hypercare routine
    Given the watch rounds on record for this release are carried forward
    And the admin is logged in
    When I take a hypercare watch round
    And I write the daily reconciliation report
    Then the round is kept in the hypercare record
    And every rollback-matrix row the round observed is raised
    And the payout failure rate is within the rollback threshold
    And the random ledger reconciliation holds
    And the transactions of the day reconcile with the ledger
    And no finance job is stuck
    And the 5xx rate is under its threshold
    And every signal of the round was read

  @hc_control_report_24h
  Scenario: The hypercare control report is published
    Given the hypercare record of this release
    And the admin is logged in
    When I take a hypercare watch round
    And I write the hypercare control report
    Then the report holds a summary, metrics and actions

  @hc_stable_72h
  Scenario: 72 hours stable
    Given the hypercare record of this release
    And the admin is logged in
    When I take a hypercare watch round
    Then the watch rounds of this release span 72 hours without a trigger
