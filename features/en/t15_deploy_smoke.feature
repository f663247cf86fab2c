@t15 @read_only
Feature: T-15 deploy, migration and smoke
  The deployer proves the release is deployed, migrated and answering (runbook §4 T-15, checklist section 3).

  Background:
    Given the cutover target is reachable

  @t15_deploy_completed
  Scenario: The deployed build is the pinned release
    When I read the deployed version
    Then the deployed git SHA equals the release SHA

  @t15_migrations_at_head
  Scenario: Migrations are at head
    When I read the readiness of the target
    Then the readiness reports migrations at head
    And the applied migration in the database equals the head

  @t15_api_health
  Scenario: API health answers 200 and healthy
    When I call the health endpoint
    Then it answers 200 with a healthy status

  @t15_admin_login
  Scenario: Admin login
    When the admin logs in
    Then the admin receives a bearer token
    And the admin profile answers with that token
    And a wrong password is refused

  @t15_dashboard_loads
  Scenario: The admin dashboard loads
    Given the admin is logged in
    When the admin opens the dashboard
    Then the dashboard answers 200 with a summary

  @t15_payouts_router
  Scenario: The payouts router is reachable
    Given the admin is logged in
    When I probe the payouts router
    Then the payouts router is mounted

  @t15_admin_auth_enforced
  Scenario: Admin endpoints are closed to anonymous callers
    Then admin endpoints reject a request without a token
    And admin endpoints reject an invalid token

  @t15_alerting_active
  Scenario: Alerting is live in Prometheus and Alertmanager
    When I ask Prometheus about the platform's alerting
    Then every alert the runbook needs is a healthy rule evaluated on time
    And an Alertmanager is attached, up and routes the alerts to a receiver
