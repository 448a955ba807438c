"""Call a running `tiktok-sim serve` with the unofficial PyPI client `tiktok-shop-api`, unmodified.

    pip install tiktok-shop-api
    tiktok-sim serve --tls &                      # https; the CA is tiktok-sim-data/tls/ca.pem
    sfcc-connector sync --full ...                # or any feed drop + alert, so the shop has products
    python examples/tiktok_shop_api_client.py --base-url https://127.0.0.1:8080 --seller-sku SKU-1

The app key and secret come from `<data-dir>/credentials.json`, which `serve` writes. Over https the
client trusts the simulator's CA through `SSL_CERT_FILE`, which httpx reads when it builds its client.
A real seller's consent is a browser redirect carrying `?code=`; the simulator hands the code out at
`POST /_sim/shops/<external_business_id>/auth_code` instead. Then everything is the client's own calls:
exchange the code for a token, list the authorized shop and its cipher, search, get a product.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import urllib.request
from pathlib import Path

from tiktok_shop_api import TikTokShop, TikTokShopAuth, TikTokShopError
from tiktok_shop_api.generated.models.search_products_request import SearchProductsRequest


def auth_code(base_url: str, tenant: str, ca_file: Path | None) -> str:
    """The seller's consent without a browser: the simulator's stand-in for TikTok's redirect."""
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    request = urllib.request.Request(f"{base_url}/_sim/shops/{tenant}/auth_code", method="POST")
    with urllib.request.urlopen(request, timeout=10, context=context) as answer:
        return json.load(answer)["code"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8080", help="the simulator, for API and auth")
    parser.add_argument("--data-dir", type=Path, default=Path("tiktok-sim-data"), help="serve's --data-dir")
    parser.add_argument("--tenant", default="sfcc-sim-tenant", help="the shop's external_business_id")
    parser.add_argument("--seller-sku", action="append", default=[], help="search for these SKUs (max 10)")
    args = parser.parse_args()

    credentials = json.loads((args.data_dir / "credentials.json").read_text(encoding="utf-8"))
    app_key, app_secret = credentials["app_key"], credentials["app_secret"]
    ca_file = args.data_dir / "tls" / "ca.pem" if args.base_url.startswith("https:") else None
    if ca_file:
        os.environ["SSL_CERT_FILE"] = str(ca_file)  # before the clients exist: httpx reads it then

    code = auth_code(args.base_url, args.tenant, ca_file)
    tokens = TikTokShopAuth(app_key, app_secret, base_url=args.base_url).exchange_code(code)
    print(f"token for {tokens.seller_name} ({tokens.seller_base_region}),"
          f" expires at {tokens.access_token_expire_in}")
    with TikTokShop(app_key, app_secret, access_token=tokens.access_token, base_url=args.base_url) as client:
        (shop,) = client.authorization.get_authorized_shops().data.shops
        print(f"shop {shop.id} {shop.name} region {shop.region} cipher {shop.cipher}")
        products = client.with_shop(shop_cipher=shop.cipher).products
        body = SearchProductsRequest(seller_skus=args.seller_sku) if args.seller_sku else None
        found = products.search_products(page_size=20, **({"body": body} if body else {})).data
        print(f"{found.total_count} product(s)")
        for product in found.products:
            for sku in product.skus:
                print(f"  {product.id} {product.status:<9} {sku.seller_sku:<24} "
                      f"{sku.price.sale_price} {sku.price.currency}")
        if found.products:
            detail = products.get_product(found.products[0].id).data
            print(f"product {detail.id}: {detail.title!r}, {len(detail.skus)} SKU(s), "
                  f"brand {detail.brand.name if detail.brand else '-'}, audit {detail.audit.status}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except TikTokShopError as error:
        sys.exit(f"TikTok refused: code {error.code}: {error.message}")
