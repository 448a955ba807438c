Feature: The request journal
  A QA engineer checks a connector by what crossed the wire, in order: the simulator journals every
  request it serves (TikTok's API and the embedded WebDAV) and every one it sends, and
  GET /_sim/journal reads them back.

  Background:
    Given a TikTok Shop simulator with its embedded SFCC WebDAV location
    And the SFCC site "RefArch" exported as the bundled fixtures
    And the request journal is cleared

  Scenario: A full sync follows the documented order on the wire
    When the connector runs a full sync
    Then the journal shows the product feed PUT as TEMP_ and then MOVEd to its final name
    And the delete feed was in place before the delete alert
    And the delete alert came before the update alert, and both after the MOVE
    And TikTok Shop fetched the feed files only after the alerts

  Scenario: The journal names no credential
    When the connector runs a full sync
    Then no WebDAV password or Basic credentials appear in the journal
