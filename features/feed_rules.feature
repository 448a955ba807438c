Feature: TikTok Shop's feed rules, the same in `tiktok-sim check` and in the simulator's review
  An SFCC integrator checks a real feed before TikTok rejects its products. Every rule has a stable
  code; an error blocks publication (the product is FAILED, with the rule's message in its
  audit_failed_reasons), a warning publishes the product with a warning. `tiktok-sim check` and the
  simulator's review give the same verdict because they run the same engine.

  In values, {text*N} stands for N copies of text, and {tab} for a TAB character.

  Background:
    Given a valid product feed in the cartridge's layout, with a variant value that carries the cartridge's escaped quote

  Scenario: The valid feed passes both the check and the review
    When the feed is checked with tiktok-sim check
    Then tiktok-sim check finds nothing and exits with status 0
    When the feed is dropped in the product folder and TikTok Shop is alerted
    Then every product of the feed is published as ACTIVATE

  Scenario Outline: A bad <column> value breaks <code>
    When the SKU "<sku>" gets the <column> value "<value>"
    And the feed is checked with tiktok-sim check
    Then tiktok-sim check reports only <code>, as <severity>, on that SKU's line
    And tiktok-sim check exits with the status for <severity>
    When the feed is dropped in the product folder and TikTok Shop is alerted
    Then the simulator's job reports <code>
    And the product "<product>" is <outcome> because of <code>

    Examples:
      | code                              | severity | product | sku  | column               | value                                                                | outcome  |
      | SKU_ID_MISSING                    | error    | S1      | S1   | sku_id               |                                                                      | FAILED   |
      | SKU_ID_TOO_LONG                   | error    | S1      | S1   | sku_id               | {X*51}                                                               | FAILED   |
      | ITEM_GROUP_ID_MISSING             | error    | S1      | S1   | item_group_id        |                                                                      | FAILED   |
      | TITLE_MISSING                     | error    | S1      | S1   | title                |                                                                      | FAILED   |
      | TITLE_TOO_LONG                    | error    | S1      | S1   | title                | {T*256}                                                              | FAILED   |
      | TITLE_CONTROL_CHARS               | error    | S1      | S1   | title                | Wool{tab}Blend Blazer                                                | FAILED   |
      | TITLE_EMOJI                       | error    | S1      | S1   | title                | Wool Blend Blazer 🔥                                                 | FAILED   |
      | TITLE_PROMOTIONAL                 | warning  | S1      | S1   | title                | Wool Blend Blazer - Free Shipping                                    | ACTIVATE |
      | DESCRIPTION_MISSING               | error    | S1      | S1   | description          |                                                                      | FAILED   |
      | DESCRIPTION_TOO_LONG              | error    | S1      | S1   | description          | {d*10001}                                                            | FAILED   |
      | IMAGE_URLS_INVALID                | error    | S1      | S1   | image_urls           | https://www.example.com/images/large/S1.jpg                          | FAILED   |
      | IMAGE_URLS_NONE                   | error    | S1      | S1   | image_urls           | {"images":[]}                                                        | FAILED   |
      | IMAGE_URLS_TOO_MANY               | error    | S1      | S1   | image_urls           | {"images":[{"https://e.com/b.jpg",*9}"https://e.com/a.jpg"]}        | FAILED   |
      | IMAGE_URL_NOT_ABSOLUTE            | error    | S1      | S1   | image_urls           | {"images":["/images/large/S1.jpg"]}                                  | FAILED   |
      | IMAGE_URL_FILE_TYPE               | warning  | S1      | S1   | image_urls           | {"images":["https://www.example.com/images/large/S1.gif"]}           | ACTIVATE |
      | LANDING_PAGE_URL_INVALID          | error    | S1      | S1   | landing_page_url     | www.example.com/S1.html                                              | FAILED   |
      | PRODUCT_CATEGORY_MISSING          | error    | S1      | S1   | product_category     |                                                                      | FAILED   |
      | SALE_REGIONS_INVALID              | error    | S1      | S1   | sale_regions         | default                                                              | FAILED   |
      | SALE_REGIONS_OTHER_REGION         | error    | S1      | S1   | sale_regions         | CA                                                                   | FAILED   |
      | AVAILABILITY_INVALID              | error    | S1      | S1   | availability         | In Stock                                                             | FAILED   |
      | PRICE_MISSING                     | error    | S1      | S1   | price                |                                                                      | FAILED   |
      | PRICE_FORMAT                      | error    | S1      | S1   | price                | 0 N/A                                                                | FAILED   |
      | PRICE_CURRENCY                    | error    | S1      | S1   | price                | 12.99 EUR                                                            | FAILED   |
      | PRICE_OUT_OF_RANGE                | error    | S1      | S1   | price                | 7600.01 USD                                                          | FAILED   |
      | VARIATION_PROPERTIES_INVALID      | error    | S1      | S1   | variation_properties | {"Color":                                                            | FAILED   |
      | VARIATION_PROPERTY_NAME_LENGTH    | error    | S1      | S1   | variation_properties | {"A very long attribute name":"x"}                                   | FAILED   |
      | VARIATION_PROPERTY_VALUE_TOO_LONG | error    | S1      | S1   | variation_properties | {"Color":"{v*51}"}                                                   | FAILED   |
      | IS_DEFAULT_VARIANT_INVALID        | error    | M1      | M1-2 | is_default_variant   | FALSE                                                                | FAILED   |
      | BRAND_MISSING                     | error    | S1      | S1   | brand                |                                                                      | FAILED   |
      | CONDITION_INVALID                 | error    | S1      | S1   | condition            | mint                                                                 | FAILED   |
      | GROUP_TOO_MANY_PROPERTIES         | error    | S1      | S1   | variation_properties | {"A":"1","B":"1","C":"1","D":"1"}                                    | FAILED   |
      | GROUP_PROPERTY_NAMES_DIFFER       | error    | M1      | M1-2 | variation_properties | {"Colour":"Olive","Size":"1"}                                        | FAILED   |
      | GROUP_DUPLICATE_COMBINATION       | error    | M1      | M1-2 | variation_properties | {"Color":"Black","Size":"1"}                                         | FAILED   |
      | GROUP_DEFAULT_VARIANT_COUNT       | warning  | M1      | M1-2 | is_default_variant   | true                                                                 | ACTIVATE |
      | GROUP_BRAND_INCONSISTENT          | warning  | M1      | M1-2 | brand                | Other Brand                                                          | ACTIVATE |
      | GROUP_CATEGORY_INCONSISTENT       | warning  | M1      | M1-2 | product_category     | mens-jackets                                                         | ACTIVATE |

  Scenario Outline: A file with <change> breaks <code>
    When the feed has <change>
    And the feed is checked with tiktok-sim check
    Then tiktok-sim check reports <code>, as <severity>
    And tiktok-sim check exits with the status for <severity>
    When the feed is dropped in the product folder and TikTok Shop is alerted
    Then the simulator's job reports <code>

    Examples:
      | change                               | code                | severity |
      | a byte order mark                    | FILE_BOM            | warning  |
      | CR LF line ends                      | FILE_CRLF           | warning  |
      | a row with two fields                | FILE_COLUMN_COUNT   | error    |
      | a row with an unbalanced quote       | FILE_QUOTING        | error    |
      | a second row for the SKU S1          | SKU_ID_DUPLICATE    | warning  |
      | a header with its columns reordered  | FILE_HEADER_INVALID | warning  |
      | no rows after the header             | FILE_NO_ROWS        | info     |
      | a product with 101 SKUs              | GROUP_TOO_MANY_SKUS | error    |

  Scenario: A title shorter than 25 characters is an error only in a region that requires 25
    When the SKU "S1" gets the title value "Wool Blazer"
    And the feed is checked with tiktok-sim check
    Then tiktok-sim check finds nothing and exits with status 0
    When the feed is checked with tiktok-sim check for region SG
    Then tiktok-sim check reports TITLE_TOO_SHORT, as error
