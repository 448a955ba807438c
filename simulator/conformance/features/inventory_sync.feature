@inventory
Feature: Inventory sync
  The connector exports the site's inventory lists as SFCC inventory XML, drops the file in the
  documented inventory folder (TEMP_ then MOVE) and alerts TikTok Shop, which applies the stock of the
  SKUs it lists.

  Scenario: An inventory sync after the catalog
    Given the SFCC site "RefArch" exported as the bundled fixtures
    And the connector has run a full sync
    When the connector runs an inventory sync
    Then every file was written in its documented folder
    And the inventory file was PUT as TEMP_ and then MOVEd into place
    And every alert was sent after its files were in place
    And the inventory records name only products the SFCC site defines
    And TikTok Shop completed every job of the sync
    And TikTok Shop applied the stock of the inventory file
