Feature: Initial catalog sync (onboarding)
  A merchant connects an SFCC site to TikTok Shop. The connector generates the full product feed,
  drops it in the SFCC WebDAV location and alerts TikTok Shop, which picks the file up, uploads it,
  reviews it and publishes the products.

  Background:
    Given a TikTok Shop simulator with its embedded SFCC WebDAV location
    And the SFCC site "RefArch" exported as the bundled fixtures

  Scenario: The documented onboarding steps, end to end
    When the connector runs a full sync
    Then a full product feed was generated with the cartridge's header and one row per sellable SKU
    And the feed was dropped in the WebDAV product folder under its final name, with no TEMP_ file left
    And TikTok Shop was alerted with a delete alert and then an update alert for the product folder
    And TikTok Shop picked up the feed file from the alerted folder
    And TikTok Shop uploaded every row of the feed
    And TikTok Shop reviewed every product
    And every product that passed review is published as ACTIVATE with audit status APPROVED

  Scenario: Products that break a rule fail review
    When the connector runs a full sync
    Then the rule-breaking products are FAILED with audit status FAILED
    And their audit_failed_reasons name the SKU, the title and image_urls fields and what to do
    And the other products are still published

  Scenario: The alerted folder holds nothing new
    Given the connector has run a full sync
    When TikTok Shop is alerted again for the product folder
    Then the new job completes without picking up any file
    And no product changes status

  Scenario: A feed written by the real cartridge is picked up and published
    When a feed in the cartridge's own format is dropped in the product folder
    And TikTok Shop is alerted for the product folder
    Then every product of that feed is published as ACTIVATE

  Scenario: An alert for a folder on another host is refused
    When TikTok Shop is alerted for a folder on a host the tenant never registered
    Then the alert is answered with a non-zero code that names the url
    And no job is recorded
