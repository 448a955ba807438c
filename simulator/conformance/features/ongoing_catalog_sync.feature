@catalog @delta
Feature: Ongoing catalog sync
  After onboarding, the merchant's edits reach TikTok Shop as a delta: a product feed with the new and
  changed SKUs and a delete feed with the removed ones, both dropped before TikTok Shop is alerted, the
  delete alert before the update alert.

  Scenario: An update, an addition and a deletion in one edit session
    Given the SFCC site "RefArch" exported as the bundled fixtures
    And the connector has run a full sync
    When the merchant renames "KIT-BOTTLE-750", adds "KIT-MUG-02" and removes "ACC-TOTE-01" in SFCC
    And the connector runs a delta sync
    Then every file was written in its documented folder
    And the product file was PUT as TEMP_ and then MOVEd into place
    And the product feed starts with the documented header
    And a delete feed was dropped and a delete alert sent
    And the delete alert came before the update alert
    And every alert was sent after its files were in place
    And TikTok Shop completed every job of the sync
    And "KIT-MUG-02" is ACTIVATE on TikTok Shop
    And "ACC-TOTE-01" is DELETED on TikTok Shop
