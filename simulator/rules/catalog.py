"""The rule catalog: every check the simulator applies, as data with a stable code.

Codes never change meaning once published: users filter CI output and suppressions on them, and the
review's `audit_failed_reasons` quote the messages. The check functions live in `engine.py`, keyed by
the same codes; `docs/rules.md` is generated from this tuple (`tiktok-sim rules --markdown`).
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("error", "warning", "info")
SCOPES = ("file", "row", "group", "delete", "inventory")

_SHOP = "tiktok-shop-rules.md"
_CART = "cartridge-feeds-and-calls.md"
_ADS = "https://ads.tiktok.com/help/article/catalog-product-parameters"
_SHORT_TITLE_REGIONS = ("SG", "MY", "TH", "VN", "ID", "PH")


@dataclass(frozen=True)
class Rule:
    """One check: what it looks at, how bad a failure is, and what the seller should do."""

    code: str
    severity: str
    field: str
    message: str
    hint: str
    regions: tuple[str, ...]
    source: str
    scope: str


def _r(code: str, severity: str, field: str, message: str, hint: str, source: str, scope: str,
       regions: tuple[str, ...] = ()) -> Rule:
    return Rule(code, severity, field, message, hint, regions, source, scope)


RULES: tuple[Rule, ...] = (
    # --- product feed: the file itself ------------------------------------------------------------
    _r("FILE_EMPTY", "error", "(file)", "The file is empty: a product feed needs at least its header row.",
       "The cartridge always writes the header row, even with no products; re-run the export.",
       f"{_CART} §1.2", "file"),
    _r("FILE_NO_ROWS", "info", "(file)", "The feed has a header row and no products.",
       "Nothing to do if the catalog really has no online, priced products.", f"{_CART} §1.6", "file"),
    _r("FILE_BOM", "warning", "(file)", "The file starts with a UTF-8 byte order mark.",
       "The cartridge writes UTF-8 without a BOM; remove it, as some readers take it into the first column.",
       f"{_CART} §1.3", "file"),
    _r("FILE_HEADER_INVALID", "warning", "(header)",
       "The header row is not the 15 TikTok feed columns in the cartridge's order; rows are read by column "
       "name, and a missing column fails each product through that column's own rule.",
       "Use the SalesChannelFeedConfig `tiktok-feed` header: sku_id|title|description|image_urls|"
       "landing_page_url|product_category|sale_regions|availability|price|item_group_id|"
       "variation_properties|is_default_variant|brand|google_product_category|condition.",
       f"{_CART} §1.2", "file"),
    _r("FILE_CRLF", "warning", "(file)", "Rows end with CR LF instead of a single LF.",
       "The cartridge's writer ends rows with LF; check what rewrote the file.", f"{_CART} §1.3", "file"),
    _r("FILE_COLUMN_COUNT", "error", "(row)",
       "The row does not have as many fields as the header; the row is skipped.",
       "A value probably contains an unescaped `|` or the row was cut; the cartridge replaces `|` by a "
       "space.", f"{_CART} §1.3", "row"),
    _r("FILE_QUOTING", "error", "(row)",
       "The row's quoting is broken (an unbalanced `\"`); the row is skipped.",
       "Quote every field and double each embedded `\"`, as opencsv's CSVWriter does.", f"{_CART} §1.3",
       "row"),
    _r("FILE_ROW_NOT_UTF8", "error", "(row)", "The line is not UTF-8 text; the row is skipped.",
       "The cartridge writes UTF-8; check what rewrote the file (a Latin-1 or Windows-1252 editor?).",
       f"{_CART} §1.3", "row"),
    _r("FILE_ROW_BINARY", "error", "(row)", "The line holds a NUL byte (binary data); the row is skipped.",
       "Feeds are text; check the export for binary data pasted into a product attribute.",
       f"{_CART} §1.3", "row"),
    _r("FILE_ROW_TOO_LONG", "error", "(row)",
       "The line is longer than the maximum line length (1 MiB unless `serve --max-line-bytes` says "
       "otherwise); the row is skipped unread.",
       "A row is one product; a line this long is not one (a missing line end?).", f"{_CART} §1.3", "row"),
    # --- product feed: one row (one SKU) ---------------------------------------------------------
    _r("SKU_ID_MISSING", "error", "sku_id", "sku_id is empty.",
       "Every row needs the SFCC product ID of the variant or simple product.", f"{_CART} §2.1", "row"),
    _r("SKU_ID_TOO_LONG", "error", "sku_id", "sku_id is longer than 50 characters.",
       "TikTok's seller_sku holds at most 50 characters; shorten the SFCC product ID.",
       f"{_SHOP} §2 seller_sku [OLD]", "row"),
    _r("SKU_ID_DUPLICATE", "warning", "sku_id",
       "The same sku_id appears on an earlier row of this file; this later row replaces it.",
       "Each SKU must appear once per feed; remove the repeated row.", f"{_SHOP} §2 sku_id [ADS]", "row"),
    _r("ITEM_GROUP_ID_MISSING", "error", "item_group_id", "item_group_id is empty.",
       "The cartridge writes the master ID, or the product's own ID (format nonEmpty).", f"{_CART} §2.10",
       "row"),
    _r("TITLE_MISSING", "error", "title", "title is empty.",
       "Give the product a name in the feed locale (or x-default).", f"{_SHOP} §2 title [OLD]", "row"),
    _r("TITLE_TOO_SHORT", "error", "title",
       "title is shorter than 25 characters, the minimum in this region.",
       "Write a descriptive title of at least 25 characters.", f"{_SHOP} §2 title [OLD]", "row",
       _SHORT_TITLE_REGIONS),
    _r("TITLE_TOO_LONG", "error", "title", "title is longer than 255 characters.",
       "Shorten the product name to at most 255 characters.", f"{_SHOP} §2 title [OLD]", "row"),
    _r("TITLE_CONTROL_CHARS", "error", "title", "title contains control characters (such as TAB).",
       "Remove tabs and other invisible control characters from the product name.",
       f"{_SHOP} §2 title (catalog feeds) [ADS] {_ADS}", "row"),
    _r("TITLE_EMOJI", "error", "title", "title contains emoji.", "Remove emoji from the product name.",
       f"{_SHOP} §2 title (catalog feeds) [ADS] {_ADS}", "row"),
    _r("TITLE_PROMOTIONAL", "warning", "title",
       "title contains promotional text (such as \"free shipping\", \"best price\" or \"sale\").",
       "Describe the product; put offers in promotions, not in the name.",
       f"{_SHOP} §2 title (catalog feeds) [ADS] {_ADS}", "row"),
    _r("DESCRIPTION_MISSING", "error", "description", "description is empty.",
       "Fill the short or long description; the cartridge falls back to the name only when both are empty.",
       f"{_CART} §2.3", "row"),
    _r("DESCRIPTION_TOO_LONG", "error", "description", "description is longer than 10,000 characters.",
       "Shorten the short description (the cartridge prefers it over the long one).",
       f"{_SHOP} §2 description [OLD]", "row"),
    _r("IMAGE_URLS_INVALID", "error", "image_urls", "image_urls is not JSON of the form {\"images\":[...]}.",
       "The cartridge writes compact JSON with one key, images, holding a list of URL strings.",
       f"{_CART} §2.4", "row"),
    _r("IMAGE_URLS_NONE", "error", "image_urls", "image_urls lists no image; TikTok needs 1 to 9.",
       "Assign at least one image of the `large` view type to the product.",
       f"{_SHOP} §2 main images [OLD]", "row"),
    _r("IMAGE_URLS_TOO_MANY", "error", "image_urls", "image_urls lists more than 9 images.",
       "Keep at most 9 images of the `large` view type.", f"{_SHOP} §2 main images [OLD]", "row"),
    _r("IMAGE_URL_NOT_ABSOLUTE", "error", "image_urls", "An image URL is not an absolute http(s) URL.",
       "Images must be reachable by TikTok: check the image base URL / MediaFile.getAbsURL host.",
       f"{_CART} §2.4, §7.3", "row"),
    _r("IMAGE_URL_FILE_TYPE", "warning", "image_urls",
       "An image URL does not end in .jpg, .jpeg, .png or .webp.",
       "TikTok accepts png, jpg and jpeg images; other types may be rejected when fetched.",
       f"{_SHOP} §2 main images [OLD]", "row"),
    _r("LANDING_PAGE_URL_INVALID", "error", "landing_page_url",
       "landing_page_url is not an absolute http(s) URL.",
       "The cartridge builds it with URLUtils.https('Product-Show'); check the site's host settings.",
       f"{_CART} §2.5", "row"),
    _r("PRODUCT_CATEGORY_MISSING", "error", "product_category", "product_category is empty.",
       "Assign the master a primary category (or any category).", f"{_CART} §2.6", "row"),
    _r("SALE_REGIONS_INVALID", "error", "sale_regions", "sale_regions is not an ISO 3166 country code.",
       "The cartridge writes the country of the feed locale; use a locale with a country, such as en_US.",
       f"{_CART} §2.7, §7.9", "row"),
    _r("SALE_REGIONS_OTHER_REGION", "error", "sale_regions", "sale_regions is not the shop's country.",
       "Export the feed with a locale of the shop's country, or check against the right --region.",
       f"{_CART} §2.7", "row"),
    _r("AVAILABILITY_INVALID", "error", "availability",
       "availability is not one of: in stock, out of stock, available for order, preorder, discontinued.",
       "Use the exact lower-case value; the cartridge writes `in stock` or `out of stock`.",
       f"{_SHOP} §2 availability [ADS]", "row"),
    _r("PRICE_MISSING", "error", "price", "price is empty.",
       "Give the product a price in an active price book (TikTok error 12052571, missing price).",
       f"{_SHOP} §3 error codes", "row"),
    _r("PRICE_FORMAT", "error", "price", "price is not `<number> <ISO currency>`, for example `12.99 USD`.",
       "Write the amount with `.` decimals, one space, then the 3-letter currency code; `0 N/A` means "
       "the product has no price.", f"{_CART} §2.9, §7.4", "row"),
    _r("PRICE_CURRENCY", "error", "price", "price is not in the shop's currency.",
       "Export with the site currency of the shop's region.", f"{_SHOP} §2 price [OLD]", "row"),
    _r("PRICE_OUT_OF_RANGE", "error", "price", "price is outside the region's allowed range.",
       "Ranges: US 0.01-7,600 USD; UK 0.01-5,600 GBP; SG 0.01-10,000; MY 0.01-320,000; TH 30-260,000; "
       "VN 1-180,000,000; ID 100-100,000,000; PH 0.01-400,000.", f"{_SHOP} §2 price [OLD]", "row"),
    _r("VARIATION_PROPERTIES_INVALID", "error", "variation_properties",
       "variation_properties is not a JSON object of text values (after undoing the cartridge's `\\\\\"`).",
       "The cartridge writes {\"Color\":\"Black\",\"Size\":\"M\"} for variants and {} otherwise.",
       f"{_CART} §2.11", "row"),
    _r("VARIATION_PROPERTY_NAME_LENGTH", "error", "variation_properties",
       "A variation property name is empty or longer than 20 characters.",
       "Shorten the variation attribute's display name to 1-20 characters.",
       f"{_SHOP} §2 sales_attributes [OLD]", "row"),
    _r("VARIATION_PROPERTY_VALUE_TOO_LONG", "error", "variation_properties",
       "A variation property value is longer than 50 characters.",
       "Shorten the variation value's display value to at most 50 characters.",
       f"{_SHOP} §2 sales_attributes [OLD]", "row"),
    _r("IS_DEFAULT_VARIANT_INVALID", "error", "is_default_variant",
       "is_default_variant is not true, false or empty.",
       "Write lower-case `true` or `false`.", f"{_CART} §2.12, §7.5", "row"),
    _r("BRAND_MISSING", "error", "brand", "brand is empty.",
       "Set the brand (the cartridge falls back to manufacturer SKU, then the Site ID).",
       f"{_CART} §2.13", "row"),
    _r("CONDITION_INVALID", "error", "condition", "condition is not one of: new, refurbished, used.",
       "Set the custom attribute `condition` to new, refurbished or used, or leave it unset (new).",
       f"{_SHOP} §2 condition [ADS]", "row"),
    # --- product feed: one product (all rows of an item_group_id) --------------------------------
    _r("GROUP_TOO_MANY_SKUS", "error", "item_group_id", "The product has more SKUs than the region allows.",
       "US and UK allow 100 SKUs per product, other regions 300; split the master.",
       f"{_SHOP} §2 SKUs per product [OLD]", "group"),
    _r("GROUP_TOO_MANY_PROPERTIES", "error", "variation_properties",
       "The product's SKUs use more than 3 variation properties.",
       "TikTok allows at most 3 sales attributes per product; drop or merge variation attributes.",
       f"{_SHOP} §2 sales_attributes [OLD]", "group"),
    _r("GROUP_PROPERTY_NAMES_DIFFER", "error", "variation_properties",
       "This SKU's variation property names differ from the product's first SKU.",
       "Every variant of a master must select a value for the same variation attributes.",
       f"{_SHOP} §2 sales_attributes [OLD]", "group"),
    _r("GROUP_DUPLICATE_COMBINATION", "error", "variation_properties",
       "Another SKU of the product has the same variation values.",
       "Give each variant a distinct combination of variation values.", f"{_SHOP} §2 sales_attributes [OLD]",
       "group"),
    _r("GROUP_DEFAULT_VARIANT_COUNT", "warning", "is_default_variant",
       "The product does not have exactly one default variant.",
       "Set one online default variant on the master; TikTok then shows that SKU first.", f"{_CART} §2.12",
       "group"),
    _r("GROUP_BRAND_INCONSISTENT", "warning", "brand",
       "This SKU's brand differs from the product's first SKU.",
       "Give all variants of a master the same brand; TikTok keeps one brand per product.",
       f"{_SHOP} §2 brand_id [OLD]", "group"),
    _r("GROUP_CATEGORY_INCONSISTENT", "warning", "product_category",
       "This SKU's category differs from the product's first SKU.",
       "A TikTok product has one category; the cartridge takes it from the master.",
       f"{_CART} §2.6", "group"),
    # --- delete feed -------------------------------------------------------------------------------
    _r("DELETE_BLANK_ID", "error", "sku_id", "The delete feed has a blank line.",
       "Write one SKU ID per line, each followed by LF, with no empty lines.", f"{_CART} §3.3", "delete"),
    _r("DELETE_ID_TOO_LONG", "error", "sku_id", "The ID is longer than 100 characters, the SFCC maximum.",
       "SFCC product IDs hold at most 100 characters; the line is probably not an ID.",
       "sfcc-schemas/inventory.xsd simpleType.Generic.NonEmptyString.100", "delete"),
    _r("DELETE_ID_INVALID", "error", "sku_id",
       "The line is not one bare ID: it has surrounding whitespace, a CR, quotes, `|` or control characters.",
       "Write one SKU ID per line, unquoted, with no header and LF line ends.", f"{_CART} §3.3", "delete"),
    _r("DELETE_ID_UNTERMINATED", "error", "sku_id",
       "The last line has no LF: it may be cut off mid-write, so nothing is deleted for it.",
       "The cartridge ends every ID with LF; drop the delete feed only once it is written whole.",
       f"{_CART} §3.3", "delete"),
    _r("DELETE_UNKNOWN_SKU", "warning", "sku_id", "The shop has no SKU with this ID; nothing was deleted.",
       "Nothing to do if the SKU was never synced; otherwise check the SKU ID.", f"{_CART} §3.3", "delete"),
    # --- inventory XML -------------------------------------------------------------------------------
    _r("INVENTORY_PRODUCT_ID_MISSING", "error", "product-id", "The record has no product-id; it is skipped.",
       "Every <record> needs a product-id attribute.",
       "sfcc-schemas/inventory.xsd complexType.InventoryRecord",
       "inventory"),
    _r("INVENTORY_QUANTITY_MALFORMED", "error", "ats",
       "The quantity is not a number; the record is skipped and the SKU's stock is unchanged.",
       "Quantities are decimal numbers such as 12 or 12.0.",
       "sfcc-schemas/inventory.xsd simpleType.InventoryAmount",
       "inventory"),
    _r("INVENTORY_QUANTITY_NEGATIVE", "error", "ats",
       "The quantity is negative; the record is skipped and the SKU's stock is unchanged.",
       "Inventory amounts are at least 0; check the list's allocation and turnover.",
       "sfcc-schemas/inventory.xsd simpleType.InventoryAmount", "inventory"),
    _r("INVENTORY_QUANTITY_FRACTIONAL", "error", "ats",
       "The quantity is not a whole number; the record is skipped and the SKU's stock is unchanged.",
       "TikTok stock is counted in whole units.", f"{_SHOP} §2 inventory quantity", "inventory"),
    _r("INVENTORY_QUANTITY_MISSING", "error", "ats",
       "The record has no ats, no allocation and is not perpetual; it is skipped and stock is unchanged.",
       "Export the list with allocations, or mark the record perpetual.", f"{_CART} §4", "inventory"),
    _r("INVENTORY_FIELD_INVALID", "error", "perpetual",
       "perpetual is not a boolean, or preorder-backorder-handling is not none, preorder or backorder; "
       "the record is skipped.", "Use the values of SFCC's inventory schema.",
       "sfcc-schemas/inventory.xsd complexType.InventoryRecord", "inventory"),
    _r("INVENTORY_DUPLICATE_RECORD", "error", "product-id",
       "The list already has a record for this product-id; this second record is skipped.",
       "Keep one record per product in each inventory list.", f"{_CART} §4", "inventory"),
    _r("INVENTORY_QUANTITY_CAPPED", "warning", "ats",
       "The quantity is above TikTok's maximum of 99,999 and was capped at 99,999.",
       "Nothing to do; TikTok cannot hold more than 99,999 units per SKU and warehouse.",
       f"{_SHOP} §2 inventory quantity [NEW]", "inventory"),
    _r("INVENTORY_UNKNOWN_SKU", "warning", "product-id",
       "The shop has no SKU with this product-id; the record creates nothing.",
       "Sync the product feed first, or check that the list belongs to this site.",
       f"{_CART} §4", "inventory"),
    _r("INVENTORY_MISSING_SKU", "warning", "product-id",
       "A live SKU has no record in the inventory file; its stock was kept as it was.",
       "Export every list that holds stock for the TikTok catalog.", f"{_CART} §4", "inventory"),
)

_BY_CODE = {rule.code: rule for rule in RULES}


def rule(code: str) -> Rule:
    """The rule with this code; KeyError names the code so a typo fails loudly."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown rule code {code!r}") from None
