"""HTTP handlers of the product API: TikTok's Get Product and Search Products, and the simulator's own view.

TikTok's routes (`/product/…`) answer only what TikTok documents, scoped to the shop the gateway
authenticated (`gateway.caller_shop()`); every filter and refusal is TikTok's (docs/product-api.md).
`/_sim/products…` is unsigned and lists every tenant with the fields TikTok does not have (item_group_id,
warnings, histories), for tests, the demo and QA. Handlers translate HTTP to `products.py` and back.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from simulator.envelope import Refusal, envelope
from simulator.gateway import caller_shop
from simulator.products import (
    ProductFilter,
    find_page,
    find_product,
    get_product_view,
    search_product_views,
    sim_product_view,
    sku_rowid,
)
from simulator.shop import DELETED, PRODUCT_STATUSES
from simulator.store import Store

# TikTok's codes (reference: tiktok-partner-api.md 4.5); the gateway's 36009004 for a malformed parameter.
PRODUCT_NOT_FOUND = 12052032
NOT_IN_SHOP = 12052048
NOT_AVAILABLE_IN_STATUS = 12052901
NO_VERSION_UNDER_REVIEW = 12052547
TOO_MANY_SELLER_SKUS = 12019027
TOO_MANY_SKU_IDS = 12019087
BAD_PAGE_TOKEN = 12019108
BAD_PAGE_SIZE = 12019109
BAD_CREATE_TIME = 12019118
BAD_UPDATE_TIME = 12019119
BEYOND_RESULT_WINDOW = 12052180
BAD_INPUT = 12052910
BAD_PARAMETER = 36009004
# The simulator's own API: HTTP-like codes, as `/api/jobs` answers.
SIM_BAD_VALUE = 40003
SIM_NOT_FOUND = 40400

MAX_PAGE_SIZE = 100
MAX_SIM_PAGE_SIZE = 1000
MAX_FILTER_IDS = 10
LAST_UNIX_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z: past it a time is no date (and no SQLite integer)
RESULT_WINDOW = 10_000
AUDIT_STATUSES = ("AUDITING", "FAILED", "APPROVED")
QUALITY_TIERS = ("POOR", "FAIR", "GOOD", "EXCELLENT")
LISTING_PLATFORMS = ("TIKTOK_SHOP", "TOKOPEDIA")
SNS_FILTERS = ("CONFIGURED", "ELIGIBLE")
CATEGORY_VERSIONS = ("v1", "v2")

product_api = Blueprint("product", __name__)


def _store() -> Store:
    return current_app.extensions["sim"]["store"]


# --- TikTok: Get Product --------------------------------------------------------------------------------


@product_api.get("/product/202309/products/<product_id>")
def get_product(product_id: str):
    """Get Product 202309: the caller's shop only; DELETED products are refused, as TikTok's page says."""
    under_review = _flag("return_under_review_version")
    if under_review and _flag("return_draft_version"):
        raise Refusal(
            BAD_PARAMETER,
            "Invalid parameter. 'return_under_review_version' and 'return_draft_version'"
            " cannot both be true.",
            400,
        )
    row = find_product(_store(), product_id)
    if row is None:
        raise Refusal(PRODUCT_NOT_FOUND, f"The product does not exist: product_id {product_id!r}.")
    if row["tenant"] != caller_shop().tenant_id:
        raise Refusal(
            NOT_IN_SHOP,
            "You cannot edit the specified product(s) as it isn't listed in your account or shop:"
            f" {product_id}.",
        )
    if row["status"] == DELETED:
        raise Refusal(
            NOT_AVAILABLE_IN_STATUS,
            "The product in its current status is not available for this operation:"
            f" {product_id} is DELETED.",
        )
    if under_review and row["audit_status"] != "AUDITING":
        raise Refusal(
            NO_VERSION_UNDER_REVIEW,
            "There is no version of this product that is under review. Please obtain the online version.",
        )
    return jsonify(envelope(0, "Success", get_product_view(_store().connection(), row)))


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false")
    if raw not in ("true", "false"):
        raise Refusal(BAD_PARAMETER, f"Invalid parameter. '{name}' must be true or false, got {raw!r}.", 400)
    return raw == "true"


# --- TikTok: Search Products ----------------------------------------------------------------------------


@product_api.post('/product/<any("202312", "202502"):version>/products/search')
def search_products(version: str):
    """Search Products 202312 and 202502: `page_size` required, every documented filter applied in SQL."""
    try:
        page_size = _page_size(request.args.get("page_size"), MAX_PAGE_SIZE)
    except ValueError as error:
        raise Refusal(BAD_PAGE_SIZE, f"page size is invalid: {error}.") from error
    try:
        after, seen = _position(request.args.get("page_token", ""))
    except ValueError as error:
        raise Refusal(BAD_PAGE_TOKEN, f"page number is invalid: {error}.") from error
    if seen + page_size > RESULT_WINDOW:
        raise Refusal(
            BEYOND_RESULT_WINDOW,
            f"The total number of search results can not exceed {RESULT_WINDOW}: this page would end at"
            f" result {seen + page_size}. Narrow the search with filters (e.g. update_time_ge).",
        )
    where = _search_filter(_search_body(), version)
    store = _store()
    page = find_page(store, where, after, page_size)
    seen += len(page.rows)
    data = {
        "total_count": page.total,
        "products": search_product_views(store.connection(), page.rows, version),
        "next_page_token": "" if page.last is None else _token(page.last, seen),
    }
    return jsonify(envelope(0, "Success", data))


def _search_body() -> dict[str, Any]:
    if not request.get_data(cache=True).strip():
        return {}
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise Refusal(BAD_INPUT, "Invalid input parameters. The request body is not a JSON object.")
    return body


@dataclass(frozen=True)
class _Body:
    """Typed reads of the search body; each refusal names the field."""

    body: dict[str, Any]

    def text(self, key: str, allowed: tuple[str, ...]) -> str | None:
        value = self.body.get(key)
        if value is None:
            return None
        if value not in allowed:
            raise Refusal(BAD_INPUT, f"Invalid input parameters. '{key}' must be one of {', '.join(allowed)},"
                                     f" got {value!r}.")
        return value

    def texts(self, key: str, allowed: tuple[str, ...] | None = None, limit: tuple[int, str] | None = None
              ) -> tuple[str, ...]:
        value = self.body.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise Refusal(BAD_INPUT, f"Invalid input parameters. '{key}' must be an array of strings.")
        for item in value:
            if allowed is not None and item not in allowed:
                raise Refusal(BAD_INPUT, f"Invalid input parameters. '{key}' may hold {', '.join(allowed)},"
                                         f" got {item!r}.")
        if limit is not None and len(value) > MAX_FILTER_IDS:
            code, message = limit
            raise Refusal(code, f"{message} (got {len(value)}).")
        return tuple(dict.fromkeys(value))

    def flag(self, key: str) -> bool:
        value = self.body.get(key, False)
        if not isinstance(value, bool):
            raise Refusal(BAD_INPUT, f"Invalid input parameters. '{key}' must be true or false,"
                                     f" got {value!r}.")
        return value

    def time_range(self, prefix: str, code: int, message: str) -> tuple[int | None, int | None]:
        low, high = (self.body.get(f"{prefix}_{end}") for end in ("ge", "le"))
        for end, value in (("ge", low), ("le", high)):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= LAST_UNIX_SECOND
            ):
                raise Refusal(code, f"{message}: '{prefix}_{end}' must be Unix seconds, got {value!r}.")
        if low is not None and high is not None and low > high:
            raise Refusal(code, f"{message}: '{prefix}_ge' ({low}) is after '{prefix}_le' ({high}).")
        return low, high


def _search_filter(raw: dict[str, Any], version: str) -> ProductFilter:
    """The body's filters as one ProductFilter on the caller's shop (docs/product-api.md, Search filters)."""
    body = _Body(raw)
    shop = caller_shop()
    status = body.text("status", ("ALL", *PRODUCT_STATUSES)) or "ALL"
    seller_skus = body.texts(
        "seller_skus",
        limit=(TOO_MANY_SELLER_SKUS, 'The maximum count of "seller_skus" in the search filter is 10'),
    )
    sku_ids = body.texts("sku_ids", limit=(TOO_MANY_SKU_IDS, "The number of SKU IDs exceeds the limit of 10"))
    platforms = body.texts("listing_platforms", LISTING_PLATFORMS)
    if platforms and status == "ALL":
        raise Refusal(
            BAD_INPUT, "Invalid input parameters. 'listing_platforms' needs a 'status' other than ALL."
        )
    category_version = body.text("category_version", CATEGORY_VERSIONS)
    if version == "202312":
        tiers = (body.text("listing_quality_tier", QUALITY_TIERS),) if raw.get("listing_quality_tier") else ()
        sns, drafts_only = None, False
    else:
        tiers = body.texts("listing_quality_tiers", QUALITY_TIERS)
        sns, drafts_only = body.text("sns_filter", SNS_FILTERS), body.flag("return_draft_version")
    body.flag("include_live_quick_products")
    rowids = tuple(rowid for rowid in map(sku_rowid, sku_ids) if rowid is not None)
    created = body.time_range("create_time", BAD_CREATE_TIME, "search create time invalid")
    updated = body.time_range("update_time", BAD_UPDATE_TIME, "search update time invalid")
    # What no simulated product has: a quality tier, Subscribe and Save, a draft, a Tokopedia listing,
    # the other category tree (US shops use v2, the rest v1), or any of the SKU ids asked for.
    match_none = bool(
        tiers or sns or drafts_only or "TOKOPEDIA" in platforms or (sku_ids and not rowids)
        or (category_version and category_version != ("v2" if shop.region == "US" else "v1"))
    )
    return ProductFilter(
        tenant=shop.tenant_id,
        statuses=() if status == "ALL" else (status,),
        audit_statuses=body.texts("audit_status", AUDIT_STATUSES),
        seller_skus=seller_skus,
        sku_rowids=rowids,
        created_from=created[0],
        created_to=created[1],
        updated_from=updated[0],
        updated_to=updated[1],
        match_none=match_none,
    )


# --- paging, shared by both APIs ------------------------------------------------------------------------


def _page_size(raw: str | None, limit: int) -> int:
    """The `page_size` query value; ValueError says what is wrong with it."""
    if raw is None or not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= limit:
        raise ValueError(f"'page_size' must be a whole number from 1 to {limit}, got {raw!r}")
    return int(raw)


def _token(after: int, seen: int) -> str:
    """Opaque to clients: the last product id shown and how many results came before the next page."""
    return base64.urlsafe_b64encode(f"{after}:{seen}".encode()).decode()


def _position(token: str) -> tuple[int, int]:
    """(last product rowid shown, results shown so far) from a `page_token`; ValueError if it is not ours."""
    if not token:
        return 0, 0
    try:
        after, seen = (int(part) for part in base64.urlsafe_b64decode(token.encode()).decode().split(":"))
        if not (0 <= after < 2**62 and 0 <= seen < 2**62):
            raise ValueError("out of range")
        return after, seen
    except (binascii.Error, ValueError, UnicodeError) as error:
        raise ValueError(f"'page_token' {token!r} is not a token this server gave out") from error


# --- the simulator's own API ----------------------------------------------------------------------------


@product_api.get("/_sim/products/<product_id>")
def sim_product(product_id: str):
    """Everything the simulator knows about one product, any tenant, histories included."""
    row = find_product(_store(), product_id)
    if row is None:
        return jsonify(envelope(SIM_NOT_FOUND, f"product {product_id} does not exist")), 404
    return jsonify(sim_product_view(_store().connection(), row, with_history=True))


@product_api.get("/_sim/products")
def sim_products():
    """Every tenant's products with the simulator-only fields, paged; filters: status, tenant, group."""
    status = request.args.get("status") or None
    if status is not None and status not in PRODUCT_STATUSES:
        raise Refusal(SIM_BAD_VALUE, f"status {status!r} is not one of {', '.join(PRODUCT_STATUSES)}", 400)
    try:
        page_size = _page_size(request.args.get("page_size", str(MAX_PAGE_SIZE)), MAX_SIM_PAGE_SIZE)
        after, seen = _position(request.args.get("page_token", ""))
    except ValueError as error:
        raise Refusal(SIM_BAD_VALUE, str(error), 400) from error
    where = ProductFilter(
        tenant=request.args.get("external_business_id") or None,
        statuses=(status,) if status else (),
        item_group_id=request.args.get("item_group_id") or None,
    )
    store = _store()
    page = find_page(store, where, after, page_size)
    conn = store.connection()
    return jsonify(
        {
            "products": [sim_product_view(conn, row, with_history=False) for row in page.rows],
            "total_count": page.total,
            "next_page_token": "" if page.last is None else _token(page.last, seen + len(page.rows)),
        }
    )
