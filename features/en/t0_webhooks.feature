@t0
Feature: T-0 webhooks and idempotency
  Webhooks are signature-verified and idempotent on replay (runbook §2C webhook watch, CONTRACT §1 Webhooks).
  An unsigned or wrongly signed webhook never moves money; a failed payout is never booked as paid.

  Background:
    Given the cutover target is reachable
    And a funded webhook test player

  @t0_webhook_signature
  Scenario Outline: The <route> webhook <flaw> is refused
    Given a subject for the <route> webhook
    When I send the <route> webhook <flaw>
    Then the webhook is refused and no money moved

    Examples:
      | route  | flaw                       |
      | payout | without a signature        |
      | payout | signed with a wrong secret |
      | Adyen  | without a signature        |
      | Adyen  | signed with a wrong secret |
      | Stripe | without a signature        |
      | Stripe | signed with a wrong secret |

  @t0_webhook_timestamp
  Scenario Outline: The <route> webhook with a stale timestamp is refused
    Given a subject for the <route> webhook
    When I send the <route> webhook with a stale timestamp
    Then the webhook is refused and no money moved

    Examples:
      | route  |
      | payout |
      | Stripe |

  @t0_webhook_replay
  Scenario Outline: A replayed <route> webhook has no second effect
    When a valid <route> webhook completes a fresh <route> subject
    Then its effect applied exactly once
    When the same webhook is replayed
    Then the replay is acknowledged and moves no money

    Examples:
      | route  |
      | payout |
      | Adyen  |
      | Stripe |

  @t0_webhook_classification
  Scenario: A failed payout webhook is never booked as paid
    When the PSP reports a payout failed with a valid signature
    Then the withdrawal is payout_failed and its hold stays

  @t0_idempotency
  Scenario: Idempotency keys on money requests
    Then a deposit without an Idempotency-Key is refused
    And a withdrawal replayed with the same key returns the same transaction and holds once
    And the same key with another body is refused with 409
