@t60 @read_only
Feature: T-60 pre-flight
  Before the cutover starts: the release is pinned, owners are assigned, the prod configuration is verified, the
  RC artifacts are present with verified hashes (runbook preconditions and §4 T-60, checklist section 1).

  @t60_release_pinned
  Scenario: The release SHA is pinned
    Then the release SHA is pinned

  @t60_owners_assigned
  Scenario: Owners are assigned
    Then every cutover role has an owner

  @t60_prod_env_verified
  Scenario: verify_prod_env passes
    When I verify the production configuration file
    Then no configuration finding fails unless it is waived

  @t60_cors_restricted
  Scenario: CORS is restricted on the running target
    Given the cutover target is reachable
    When I send a CORS preflight from a foreign origin
    Then the preflight is refused

  @t60_bootstrap_disabled
  Scenario: Bootstrap, seed and test endpoints are disabled
    Given the cutover target is reachable
    When I probe the bootstrap, seed and test endpoints
    Then none of them is live

  @t60_rc_artifacts_verified
  Scenario: RC artifacts are present and their hashes verified
    When I verify the RC artifacts against their SHA256SUMS manifest
    Then every artifact is present and its hash matches
