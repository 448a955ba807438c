"""The dashboard in a real browser: Debian's chromium driven by Playwright, against a real simulator.

A sync runs while the overview is open and its job appears, step by step, without a reload; a FAILED
product shows its reasons; the feed viewer marks the broken cell with its rule's message; a manual
approval from the product page makes the product ACTIVATE; a title holding `<script>` shows as text and
never runs. Screenshots of the main views at a laptop's and a phone's width go to reports/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.peers import real_peer
from support.simulator_client import Client, row, running

try:
    from playwright import sync_api
except ImportError:  # skipped on a laptop without it; in CI, where the test extra installs it, a failure
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("playwright is not installed: pip install -e '.[test]'", allow_module_level=True)

SCREENSHOTS = Path(__file__).resolve().parents[1] / "reports" / "screenshots"
WIDTHS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
XSS_TITLE = "<script>window.__xss = 1</script> Escaped Tee"
BAD_PRICE = "twelve dollars"
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    with running(tmp_path_factory.mktemp("sim")) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = real_peer("chromium")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=WIDTHS["laptop"])
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def _shoot(page: Any, name: str) -> None:
    """The page at both widths, for CI's artifacts and a person's eye."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(WIDTHS["laptop"])


@pytest.fixture(scope="module")
def synced(shop: Client, browser: Any) -> dict[str, Any]:
    """The first sync, watched live on the overview: the job it made and what the page saw."""
    context = browser.new_context(viewport=WIDTHS["laptop"])
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(shop.server.base_url + "/")
    page.evaluate("window.__sameDocument = true")
    shop.drop_feed([
        row("TEE-M", "TEE", title=XSS_TITLE),
        row("MUG-1", "MUG", title="Stoneware Mug", price=BAD_PRICE),
        row("CAP-1", "CAP", title="Canvas Cap"),
    ])
    job_id = shop.alert()["data"]["job_id"]
    card = page.locator(f"[data-job='{job_id}']")
    sync_api.expect(card.locator(".badge")).to_have_text("completed")
    seen = {"steps": card.locator(".step-name").all_inner_texts(),
            "same_document": page.evaluate("window.__sameDocument === true"),
            "counts": card.locator(".job-counts").inner_text()}
    _shoot(page, "overview")
    context.close()
    return {"job": shop.wait_job(job_id), "seen": seen}


def test_the_job_appears_live_with_each_step(synced: dict[str, Any]) -> None:
    seen = synced["seen"]
    assert seen["same_document"], "the overview reloaded instead of updating in place"
    assert seen["steps"] == ["pickup", "upload", "review", "publish"]
    assert "records 3" in seen["counts"]


def test_a_failed_product_shows_its_reasons(shop: Client, synced: dict[str, Any], page: Any) -> None:
    (mug,) = shop.products(item_group_id="MUG")
    assert mug["status"] == "FAILED"
    page.goto(shop.server.base_url + "/dashboard/products?status=FAILED")
    page.get_by_role("link", name=mug["id"]).click()
    reasons = page.locator(".reasons")
    sync_api.expect(reasons).to_contain_text("price is not")
    sync_api.expect(reasons).to_contain_text("sku MUG-1 / price")
    sync_api.expect(page.locator("#product-status")).to_have_text("FAILED")
    _shoot(page, "product-failed")


def test_the_feed_viewer_marks_the_broken_cell(shop: Client, synced: dict[str, Any], page: Any) -> None:
    job = synced["job"]
    page.goto(f"{shop.server.base_url}/dashboard/jobs/{job['id']}")
    group = page.locator("article.issue", has_text="PRICE_FORMAT")
    sync_api.expect(group).to_contain_text("1 item")
    _shoot(page, "job")
    group.get_by_role("link", name=re.compile(r":3$")).click()  # the example: the feed's line 3
    target = page.locator("tr#L3")
    sync_api.expect(target).to_have_class("target")
    broken = target.locator("td.broken")
    sync_api.expect(broken).to_have_count(1)
    sync_api.expect(broken).to_contain_text(BAD_PRICE)
    sync_api.expect(broken.locator(".rule")).to_contain_text("price is not")
    assert page.locator("tr#L2 td.broken").count() == 0, "a row that broke no rule is marked"
    _shoot(page, "feed")


def test_a_title_with_a_script_tag_shows_as_text(shop: Client, synced: dict[str, Any], page: Any) -> None:
    base = shop.server.base_url
    (tee,) = shop.products(item_group_id="TEE")
    job = synced["job"]
    for path in ("/", "/dashboard/products?title=Escaped", f"/dashboard/products/{tee['id']}",
                 f"/dashboard/jobs/{job['id']}/files/{job['files'][0]}"):
        page.goto(base + path)
        if "/products/" in path:
            sync_api.expect(page.locator("h1")).to_have_text(XSS_TITLE)
        elif path != "/":
            sync_api.expect(page.get_by_text(XSS_TITLE, exact=True).first).to_be_visible()
        assert page.evaluate("typeof window.__xss") == "undefined", f"the title ran as a script on {path}"


def test_a_manual_review_from_the_page_approves_and_rejects(shop: Client, synced: dict[str, Any],
                                                              page: Any) -> None:
    status, answer = shop.api("PUT", "/_sim/review", {"mode": "manual"})
    assert status == 200, answer
    try:
        shop.drop_feed([row("SOCK-1", "SOCK", title="Wool Socks"), row("BELT-1", "BELT", title="Belt")])
        assert shop.run()["state"] == "completed"
        (sock,) = shop.products(item_group_id="SOCK")
        assert sock["status"] == "PENDING"
        page.goto(f"{shop.server.base_url}/dashboard/products/{sock['id']}")
        _shoot(page, "product-pending")
        page.get_by_role("button", name="Approve").click()
        sync_api.expect(page.locator("#product-status")).to_have_text("ACTIVATE")
        assert shop.product_by_id(sock["id"])["status"] == "ACTIVATE"
        (belt,) = shop.products(item_group_id="BELT")
        page.goto(f"{shop.server.base_url}/dashboard/products/{belt['id']}")
        page.get_by_label("Reason to reject").fill("Counterfeit <b>brand</b>")
        page.get_by_role("button", name="Reject").click()
        sync_api.expect(page.locator("#product-status")).to_have_text("FAILED")
        sync_api.expect(page.locator(".reasons .reason")).to_have_text("Counterfeit <b>brand</b>")
        (reason,) = shop.product_by_id(belt["id"])["audit_failed_reasons"]
        assert reason["reasons"] == ["Counterfeit <b>brand</b>"]
    finally:  # leaving manual mode would publish whatever is still held
        shop.api("PUT", "/_sim/review", {"mode": "immediate"})


def test_pages_work_from_the_keyboard(shop: Client, synced: dict[str, Any], page: Any) -> None:
    page.goto(shop.server.base_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(shop.server.base_url + "/dashboard/products")
    page.get_by_label("Title").fill("Canvas")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("tbody tr")).to_have_count(1)
    sync_api.expect(page.locator("tbody")).to_contain_text("Canvas Cap")


def test_the_webdav_folders_list_what_the_connector_dropped(shop: Client, synced: dict[str, Any],
                                                            page: Any) -> None:
    page.goto(shop.server.base_url + "/dashboard/webdav/")
    for folder in ("src", "feeds", "export", "social", "tiktok", "product"):
        page.get_by_role("link", name=f"{folder}/", exact=True).click()
    name = synced["job"]["files"][0]
    sync_api.expect(page.get_by_role("link", name=name)).to_be_visible()
    _shoot(page, "webdav")


def test_reset_asks_first(shop: Client, synced: dict[str, Any], page: Any) -> None:
    """Last: it empties the shop. Dismissed, nothing goes; accepted, every product goes."""
    page.goto(shop.server.base_url + "/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name=re.compile("Reset")).click()
    sync_api.expect(page.locator("#notice")).to_have_text("")
    assert shop.products()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("Reset")).click()
    sync_api.expect(page.locator("#notice")).to_have_text("The simulator was reset.")
    assert shop.products() == []
    assert shop.jobs() == []
