Feature: The site catalog decides what TikTok Shop gets, and a plain sync keeps stock current
  The cartridge exports the site's products (ProductMgr.queryAllSiteProducts()): those the site
  (storefront) catalog assigns to a category, plus the variants of masters it assigns. Their
  product_category is the primary category in the site catalog, else the first assignment there; a
  variant takes its master's. A master catalog's own categories never count. In stock means ATS > 0
  or perpetual, and a product that still exists with ATS <= 0 is never in the delete feed.

  Background:
    Given a TikTok Shop simulator with its embedded SFCC WebDAV location
    And the SFCC site "RefArch" exported as the bundled fixtures

  Scenario: A product only the master catalog assigns is not a site product
    When the connector runs a full sync
    Then the product feed has no row for "ACC-CAP-UNLISTED"
    And TikTok Shop has no product with the SKU "ACC-CAP-UNLISTED"
    And the export summary counts "ACC-CAP-UNLISTED" as skipped because it is not in the site catalog

  Scenario: A product assigned in both catalogs gets the site catalog's category
    When the connector runs a full sync
    Then the product feed gives "BELT-LTH-001" the product_category "mens-accessories"

  Scenario: A variant takes the category its master has in the site catalog
    When the connector runs a full sync
    Then the product feed gives every variant of "M-TEE-CREW" the product_category "womens-clothing-tops"
    And no row of the product feed has an empty product_category

  Scenario: An inventory record with allocation but zero ATS is out of stock
    When the connector runs a full sync
    Then the product feed says "ACC-BEANIE-01" is "out of stock"

  Scenario: A plain sync sends the stock, every time a stock figure changed
    When the connector runs a sync without a mode
    Then an inventory feed was dropped and TikTok Shop was alerted to create inventory
    When the connector runs a sync without a mode
    Then no inventory feed was dropped, because no stock figure changed
    When the merchant sets the ATS of "KIT-DRIP-01" to 42
    And the connector runs a sync without a mode
    Then an inventory feed was dropped and TikTok Shop was alerted to create inventory
    And the dropped inventory feed gives "KIT-DRIP-01" an ATS of 42

  Scenario: --no-inventory leaves the stock alone
    When the connector runs a sync without a mode, with --no-inventory
    Then no inventory feed was dropped

  Scenario: A product that still exists with no stock is not deleted
    Given the connector has run a full sync
    When the merchant takes "FRAME-NAT-8IN" and "KIT-DRIP-01" offline
    And the connector runs a delta sync
    Then the delete feed lists "KIT-DRIP-01" only
    And the export summary says "FRAME-NAT-8IN" was kept out of the delete feed

  Scenario Outline: A site catalog that cannot be told, or that assigns nothing, stops the sync before anything is sent
    When the connector runs a full sync with <catalogs>
    Then the connector exits with status 1 and one error line that says "<message>"
    And nothing was dropped and TikTok Shop was not alerted

    Examples:
      | catalogs                                                    | message                                          |
      | the price book given as --site-catalog                      | pricebook-list.xml                               |
      | a --site-catalog that assigns no product                    | 0 category assignments) assigns none of the      |
      | a second storefront catalog with another catalog-id         | cannot tell which catalog is the site            |

  Scenario: Assignments of products no catalog defines are reported
    When the connector runs a full sync with the storefront catalog of the edited site
    Then the connector warns that the site catalog assigns 1 product that no given catalog defines: "KIT-MUG-02"
