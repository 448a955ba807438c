Feature: A QA engineer drives TikTok Shop's review and makes its calls fail, through the control API
  The simulator's control API (docs/control-api.md) resets it between scenarios, holds reviews until
  someone approves or rejects them by hand, and arms faults: the next calls of one kind answer an error,
  so a connector's retries can be tested against the simulator itself.

  Background:
    Given a TikTok Shop simulator with its embedded SFCC WebDAV location
    And the SFCC site "RefArch" exported as the bundled fixtures

  Scenario: A manual rejection with reasons
    Given TikTok Shop's review waits for a decision by hand
    When the connector runs a full sync
    Then every product of the sync waits in PENDING with audit status AUDITING
    When the QA engineer rejects one product with a reason and a suggestion
    Then that product is FAILED with exactly those audit_failed_reasons, as TikTok's Get Product shows it
    And its status history went from PENDING to FAILED
    And approving it now is refused with its status FAILED
    And the other products still wait in PENDING

  Scenario: A manual approval publishes a product the review would have failed
    Given TikTok Shop's review waits for a decision by hand
    When the connector runs a full sync
    And the QA engineer approves every product
    Then every product of the sync is ACTIVATE with audit status APPROVED

  Scenario: An alert that fails twice and then succeeds
    Given TikTok Shop answers the next 2 alerts with HTTP 503
    When the connector runs a full sync
    Then the connector says its delete alert was acknowledged at attempt 3 of 3
    And TikTok Shop was alerted with a delete alert and then an update alert for the product folder
    And no fault is left armed
    And every product of the sync left review

  Scenario: An alert that fails three times stops the sync, and the next sync sends it
    Given TikTok Shop answers the next 3 alerts with HTTP 503
    When the connector runs a full sync that fails
    Then the connector says the delete alert failed 3 times with HTTP 503
    And TikTok Shop recorded no job
    When the connector runs a delta sync
    Then TikTok Shop was alerted for the waiting run's delete and update, then for the new run's
    And every product of the sync left review
