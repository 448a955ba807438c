"""A connector's tests with the tiktok-sfcc-sim pytest plugin: `pip install tiktok-sfcc-sim`, then pytest."""

from pathlib import Path

FEED_NAME = "tiktok-feed-RefArch-20261127101500-en_US.txt"
FEED = (Path(__file__).parent / "tiktok-feed.txt").read_bytes()


def test_a_dropped_feed_is_published(tiktok_sim, tiktok_sim_journal):
    tiktok_sim.drop(FEED_NAME, FEED)  # or run your connector with tiktok_sim.dav_url and .credentials
    assert tiktok_sim.wait_job(tiktok_sim.alert())["state"] == "completed"
    (product,) = tiktok_sim.search(seller_skus=["TEE-1-S"])
    assert product["title"] == "Crew Tee" and product["status"] == "ACTIVATE"
    methods = [entry["method"] for entry in tiktok_sim_journal.entries(direction="inbound")]
    assert methods.index("MOVE") < methods.index("POST")  # the feed was in place before the alert


def test_each_test_starts_empty_and_faults_hit(tiktok_sim, tiktok_sim_partner, tiktok_sim_faults):
    assert tiktok_sim.search() == []
    tiktok_sim_faults.arm("product_api", code=12052910, http_status=400)
    assert [fault["on"] for fault in tiktok_sim_faults.armed()] == ["product_api"]
    status, answer = tiktok_sim_partner.post("/product/202502/products/search", {}, page_size="10")
    assert (status, answer["code"]) == (400, 12052910)
