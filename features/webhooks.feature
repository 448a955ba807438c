Feature: Webhooks
  TikTok Shop tells an app about review outcomes through webhooks, signed with the app secret. A shop
  subscribes an address per event type through the signed Event API; the simulator then pushes each
  event as it happens.

  Background:
    Given a TikTok Shop simulator with its embedded SFCC WebDAV location
    And the SFCC site "RefArch" exported as the bundled fixtures
    And a webhook receiver subscribed to product creation, audit status and status changes

  Scenario: A webhook receiver sees a product PENDING, then ACTIVATE
    Given TikTok Shop reviews products by hand
    When the connector runs a full sync
    Then the receiver is told every product was created and is under review, and nothing more
    And the products are PENDING
    When one product is approved
    Then the receiver is told that product passed its first review
    And that product is ACTIVATE
    And every delivery verifies with the app secret and parses with TikTok's Python client
