@catalog @initial
Feature: Initial catalog sync
  The connector's first sync of a site sends TikTok Shop every sellable SKU: it writes the product feed
  and a delete feed, drops them in the documented WebDAV folder (the product feed as TEMP_ then MOVE),
  and alerts TikTok Shop, the delete alert first. TikTok Shop picks the files up, reviews the products
  and publishes them.

  Scenario: The first full sync of the site
    Given the SFCC site "RefArch" exported as the bundled fixtures
    When the connector runs a full sync
    Then every file was written in its documented folder
    And the product file was PUT as TEMP_ and then MOVEd into place
    And the product feed starts with the documented header
    And a delete feed was dropped and a delete alert sent
    And the delete alert came before the update alert
    And every alert was sent after its files were in place
    And TikTok Shop completed every job of the sync
    And every sellable SKU of the site is on TikTok Shop, ACTIVATE but for the rule breakers "HOME-RUG-LONG" and "HOME-MIRROR-NOIMG", which are FAILED
