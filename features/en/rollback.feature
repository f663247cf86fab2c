@rollback @read_only
Feature: Rollback verification (rollback plan steps 1, 4 and 5)
  After a rollback (runbook §3: maintenance on, previous Docker tag / commit, snapshot restored or migration rolled
  back) and before traffic is reopened, verify login and the read-only endpoints on the restored release. Runs only
  with `pytest -m rollback`; never part of the GO decision.
  - rb_login: the admin logs in and the admin profile answers with the token.
  - rb_readonly_endpoints: health 200 and healthy, version 200, readiness 200 with migrations at head, the admin
  profile, the dashboard, the finance withdrawals list, and for the newest withdrawal its payout status and its
  player's wallet all answer 200; every endpoint that does not is named (a 404/5xx on the withdrawals, payout or
  wallet reads raises payout_withdraw_http_error). The running git_sha is recorded: it must equal
  [rollback] previous_sha when the cutover file gives one.
  - rb_maintenance_page (step 1, only with `pytest -m "rollback and maintenance"`): the public route of the profile's
  [maintenance] section answers with the maintenance page.
  - rb_traffic_reopened (step 5, only with `pytest -m "rollback and reopened"`, once traffic is reopened): the
  platform serves that route again, not the maintenance page.

  Background:
    Given the cutover target is reachable

  @rb_login
  Scenario: Admin login works on the restored release
    When the admin logs in
    Then the admin receives a bearer token
    And the admin profile answers with that token

  @rb_readonly_endpoints
  Scenario: Read-only endpoints answer on the restored release
    Given the admin is logged in
    When I read every read-only endpoint
    Then every read-only endpoint answers
    And the running release is the previous release

  @rb_maintenance_page @maintenance
  Scenario: The maintenance page answers during the rollback
    When I call the public route behind the maintenance page
    Then it answers with the maintenance page

  @rb_traffic_reopened @reopened
  Scenario: Traffic is reopened after the rollback
    When I call the public route behind the maintenance page
    Then the platform answers it, not the maintenance page
