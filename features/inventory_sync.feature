Feature: Inventory sync
  An inventory feed is dropped in the WebDAV location and TikTok Shop is alerted. TikTok Shop picks
  the feed up, uploads it, verifies the data for accuracy and completeness, and integrates the
  inventory into the product listings.

  Background:
    Given a TikTok Shop simulator with its embedded SFCC WebDAV location
    And the SFCC site "RefArch" exported as the bundled fixtures
    And the connector has run a full sync

  Scenario: The documented inventory steps, end to end
    When the connector runs an inventory sync
    Then an inventory feed was dropped in the WebDAV inventory folder under its final name
    And TikTok Shop was alerted with an inventory create alert for the inventory folder
    And TikTok Shop picked up and uploaded the inventory feed
    And TikTok Shop verified the inventory for accuracy and completeness
    And TikTok Shop integrated the inventory into the listings
    And every known SKU's quantity in the product API equals the inventory file's

  Scenario Outline: Verifying a record
    When an inventory feed with a record for <sku> of <record> is dropped and TikTok Shop is alerted
    Then the inventory job completes
    And the job's report counts <count> as <counter>
    And <sku> shows a quantity of <quantity>

    Examples:
      | sku           | record                  | counter   | count | quantity  |
      | a live SKU    | ats 7                   | applied   | 1     | 7         |
      | a live SKU    | allocation 5 and no ats | applied   | 1     | 5         |
      | a live SKU    | perpetual               | applied   | 1     | 99999     |
      | a live SKU    | ats 250000              | capped    | 1     | 99999     |
      | a live SKU    | ats -3                  | errors    | 1     | unchanged |
      | an unknown SKU| ats 4                   | unknown   | 1     | absent    |

  Scenario: Live SKUs missing from the file keep their stock
    Given the connector has run an inventory sync
    When an inventory feed that leaves out one live SKU is dropped and TikTok Shop is alerted
    Then the job's report counts the missing SKU with it as an example
    And the missing SKU keeps its previous quantity

  Scenario: A broken file changes nothing
    Given the connector has run an inventory sync
    When a truncated inventory feed is dropped and TikTok Shop is alerted
    Then the inventory job fails with a reason naming the file
    And every quantity is as it was
