@t0
Feature: T-0 canary money loop
  The payments owner runs the canary with real money: deposit -> withdraw request -> admin approve -> mark paid ->
  ledger settlement (runbook §4 T-0, checklist section 4). Canary FAIL = NO-GO.

  Background:
    Given the cutover target is reachable

  @t0_deposit @t0_withdraw_request @t0_admin_approve @t0_mark_paid @t0_ledger_settlement
  Scenario: Canary money loop
    Given a verified canary player with KYC approved
    When the canary deposits the deposit amount
    Then the deposit completes as its method does
    And the available balance rose by exactly the deposit amount
    And replaying the deposit request returns the same transaction and credits nothing
    When the canary requests a withdrawal of the withdraw amount
    Then available fell and held rose by exactly the withdraw amount
    When the admin approves the withdrawal
    Then the platform shows the withdrawal approved
    When the admin marks the withdrawal paid
    Then the platform shows the withdrawal paid
    And held is back to its start and available is exactly start plus deposit minus withdrawal
    And the database and the admin view agree with the player's balances
    And replaying mark-paid moves no money

  @t0_player_scope
  Scenario: A player's session opens no admin endpoint
    Given the run's canary player is logged in
    When the canary's session calls every admin-only endpoint
    Then every one refuses it while the admin's own session is served

  @t0_psp_deposit
  Scenario: A PSP deposit completes once the PSP's signed webhook arrives
    Given a verified canary player with KYC approved
    When the canary deposits the kit amount with the PSP's asynchronous method
    Then the deposit completes once the PSP's signed webhook arrives
    And the available balance rose by exactly the kit amount

  @t0_alternate_paths
  Scenario: Every alternate approve and pay path pays a kit withdrawal out
    Given a funded webhook test player
    When a kit withdrawal is requested for each alternate approve and pay path
    Then each alternate path approves its withdrawal
    And each alternate path pays its withdrawal out
    And each paid withdrawal settled exactly

  @t0_ledger_invariants @read_only
  Scenario: The ledger has the last word on everything T-0 did
    When I compare the canary's balances with what the run's own transactions explain
    Then no change of the canary's money is unexplained
    When I run the profile's ledger invariant queries
    Then no ledger invariant is broken

  @t0_canary_report @read_only
  Scenario: The canary report ends with what the run left on the platform
    Given the admin is logged in
    When I read what the run left on the platform
    Then the canary's balances, open withdrawals and the gate's transactions are on record
    And the metrics are kept as the hypercare baseline
