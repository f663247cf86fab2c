@t0 @read_only
Feature: T-0 traffic open
  Runbook B.4 ends with "open traffic": by T-0 the maintenance page is off and the platform serves the public route of
  the profile's [maintenance] section again (the canary needs it). Optional: it never holds GO; a maintenance page
  still up at T-0 is a FAIL.

  @t0_traffic_open
  Scenario: Traffic is open after the deploy
    When I call the public route behind the maintenance page
    Then the platform answers it, not the maintenance page
