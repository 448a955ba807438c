Feature: Ongoing catalog sync (delta)
  After onboarding, an update to an existing product, or the addition or deletion of a product,
  produces a delta product feed (plus a delete feed). The connector drops them in the WebDAV location
  and alerts TikTok Shop, which picks the files up, uploads them, reviews them and publishes the
  changes.

  Background:
    Given a TikTok Shop simulator with its embedded SFCC WebDAV location
    And the SFCC site "RefArch" exported as the bundled fixtures
    And the connector has run a full sync

  Scenario: An update to an existing product
    When the merchant changes the title of a simple product in SFCC
    And the connector runs a delta sync
    Then the newest product feed holds exactly that product's SKU
    And the newest delete feed is empty
    And TikTok Shop was alerted with a delete alert and then an update alert for the product folder
    And TikTok Shop picked up, uploaded and reviewed the delta feed
    And the product went back to review and is published again with the new title
    And the product's history names the feed file that changed its title
    And no other product changed status

  Scenario: The addition of a product
    When the merchant adds a new priced product in SFCC
    And the connector runs a delta sync
    Then the newest product feed holds exactly the new product's SKU
    And TikTok Shop picked up, uploaded and reviewed the delta feed
    And the new product is published as ACTIVATE with audit status APPROVED
    And no other product changed status

  Scenario: The deletion of a product
    When the merchant deletes a simple product in SFCC
    And the connector runs a delta sync
    Then the newest delete feed lists exactly that product's SKU
    And the newest product feed holds only the header row
    And TikTok Shop picked up the delete feed
    And the deleted product is DELETED and still visible in the product API
    And no other product changed status

  Scenario: One of each change in one sync
    When the merchant's edit session renames one product, adds one and removes one in SFCC
    And the connector runs a delta sync
    Then the newest product feed holds exactly the renamed and the added SKUs
    And the newest delete feed lists exactly the removed SKU
    And the shop shows the new title, the added product ACTIVATE and the removed product DELETED
    And no other product changed status

  Scenario: A sync with no change changes nothing
    When the connector runs a delta sync
    Then the newest product feed holds only the header row
    And the newest delete feed is empty
    And no other product changed status

  Scenario: The same alert twice changes nothing the second time
    Given the merchant changes the title of a simple product in SFCC
    And the connector runs a delta sync
    When TikTok Shop is alerted again for the product folder
    Then the new job completes without picking up any file
    And no other product changed status

  Scenario: A change that breaks a rule fails a live product
    When the merchant gives a live simple product a price of 9999 USD in SFCC
    And the connector runs a delta sync
    Then that product is FAILED with a reason naming the price field
    And no other product changed status

  Scenario: An interrupted run is finished by the next run
    Given the merchant changes the title of a simple product in SFCC
    When the connector runs a delta sync while TikTok Shop cannot be reached
    Then the connector reports that the run waits in its outbox
    And the delta feed was dropped but TikTok Shop recorded no job
    When the connector runs a delta sync
    Then the product is published with the new title
    And the title change was applied once
    And no other product changed status

  Scenario: A connector killed between the drop and the alert
    Given the merchant changes the title of a simple product in SFCC
    When the connector is killed while it alerts TikTok Shop, after dropping the feed
    Then the delta feed was dropped but TikTok Shop recorded no job
    When the connector runs a delta sync
    Then the product is published with the new title
    And the title change was applied once
    And no other product changed status

  Scenario: Watch mode syncs a finished export without any other command
    Given the connector is watching the folder where the SFCC exports land
    When a catalog export with a changed title is renamed into the watched folder
    Then the shop shows the new title without any other command
    And no other product changed status
