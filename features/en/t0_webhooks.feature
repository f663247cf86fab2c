@t0
Feature: T-0 webhooks and idempotency
  Webhooks are signature-verified and idempotent on replay (runbook §2C webhook watch, CONTRACT §1 Webhooks), on
  every webhook route of the profile ([webhooks.routes]: each its call, signature scheme, payload and secret). An
  unsigned or wrongly signed webhook never moves money; a failed payout is never booked as paid.

  Background:
    Given the cutover target is reachable
    And a funded webhook test player

  @t0_webhook_signature
  Scenario: Every webhook route refuses an event without a signature or signed with a wrong secret
    When I send every webhook route its event without a signature and signed with a wrong secret
    Then every one is refused and no money moved

  @t0_webhook_signature @undeclared_routes
  Scenario: Every webhook-like route nobody declared refuses what nobody signed
    When I look for the webhook-like routes nobody declared
    Then each refuses an unsigned event shaped like a real one, and no money moved

  @t0_webhook_timestamp
  Scenario: Every timestamped webhook route refuses a stale event
    When I send every timestamped webhook route its event with a stale timestamp
    Then every one is refused and no money moved

  @t0_webhook_replay
  Scenario: A replayed webhook event has no second effect, on every route
    When a valid event of every webhook route completes a fresh subject
    Then each took effect exactly once
    When each event is replayed
    Then each replay is acknowledged and moves no money

  @t0_idempotency
  Scenario: Idempotency keys on money requests
    Then a deposit without an Idempotency-Key is refused
    And a withdrawal replayed with the same key returns the same transaction and holds once
    And the same key with another body is refused with 409

  @t0_webhook_classification
  Scenario: A failed payout webhook is never booked as paid
    When the PSP reports a payout failed with a valid signature
    Then the withdrawal is payout_failed and its hold stays
