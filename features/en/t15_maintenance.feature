@t15 @maintenance @read_only
Feature: T-15 maintenance window
  Runbook B.1: before the deploy the maintenance page is enabled and ingress blocked. Run while the deploy window is
  open, and only then: `pytest -m maintenance` (the tag runs only when selected; outside the window the page must be
  off). The public route of the profile's [maintenance] section must answer with the maintenance page. Optional: it
  never holds GO; a route the platform still serves during the window is a FAIL.

  @t15_maintenance_page
  Scenario: The maintenance page answers while the deploy window is open
    When I call the public route behind the maintenance page
    Then it answers with the maintenance page
