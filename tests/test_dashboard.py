"""The dashboard over plain HTTP: who may read it, the feed viewer on a large file, escaping, the folders,
and the command lines that print its address (`serve`, `demo --serve`). The browser tests are in
test_dashboard_browser.py."""

from __future__ import annotations

import importlib.util
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support.net import basic_auth, request
from support.sfcc import INVENTORY_FOLDER, inventory_xml
from support.simulator_client import Client, row, running

from simulator.dashboard.feedview import PAGE_ROWS, line_index, read_lines

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/dashboard/live/overview", "/dashboard/products", "/dashboard/webdav/",
         "/dashboard/static/live.js")


def _get(client: Client, path: str) -> tuple[int, str]:
    status, body = request("GET", client.server.base_url + path)
    return status, body.decode()


def test_off_loopback_the_dashboard_needs_the_webdav_credentials(tmp_path: Path) -> None:
    with running(tmp_path / "sim", host="0.0.0.0") as sim:
        url = f"http://127.0.0.1:{sim.server.port}"
        for path in PAGES:
            status, body = request("GET", url + path)
            assert status == 401 and b"WebDAV user" in body, (path, status, body)
            wrong = basic_auth(sim.server.dav_user, "not-the-key")
            assert request("GET", url + path, headers=wrong)[0] == 401, path
            good = basic_auth(sim.server.dav_user, sim.server.dav_password)
            assert request("GET", url + path, headers=good)[0] == 200, path


def test_on_loopback_anyone_on_the_machine_may_read_it(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        for path in PAGES:
            assert _get(sim, path)[0] == 200, path


def test_the_viewer_pages_through_a_large_feed_and_marks_broken_cells_on_any_page(tmp_path: Path) -> None:
    rows = [row(f"SKU-{n:04d}", f"G{n:04d}", title=f"Product {n:04d}") for n in range(1, 1001)]
    rows[776]["price"] = "free"  # file line 778: the header is line 1
    with running(tmp_path / "sim") as sim:
        sim.drop_feed(rows)
        job = sim.run()
        viewer = f"/dashboard/jobs/{job['id']}/files/{job['files'][0]}"
        status, page4 = _get(sim, viewer + "?page=4")
        assert status == 200
        shown = [int(n) for n in re.findall(r'<tr id="L(\d+)"', page4)]
        assert shown == list(range(3 * PAGE_ROWS + 2, 4 * PAGE_ROWS + 2))
        assert "page 4 of 10" in page4 and "1001 lines" in page4
        assert 'class="broken"' not in page4
        status, found = _get(sim, viewer + "?line=778")
        assert '<tr id="L778" class="target">' in found and "page 8 of 10" in found
        marked = re.findall(r'<td class="broken">([^<]*)<span class="rule">([^<]*)</span>', found)
        rule = "price is not `&lt;number&gt; &lt;ISO currency&gt;`, for example `12.99 USD`."
        assert marked == [("free", rule)]
        assert "breaks: price" in found


def test_every_value_from_a_feed_is_escaped(tmp_path: Path) -> None:
    title = '<script>window.__xss=1</script><img src=x onerror="alert(1)">'
    with running(tmp_path / "sim") as sim:
        images = '{"images":["javascript:alert(1)","https://img.example.com/x.jpg\\" onerror=\\"alert(2)"]}'
        sim.drop_feed([row("X-1", "X", title=title, price="<b>9</b> USD", image_urls=images)])
        job = sim.run()
        (product,) = sim.products()
        product_page = f"/dashboard/products/{product['id']}"
        for path in (product_page, "/dashboard/products", f"/dashboard/jobs/{job['id']}",
                     f"/dashboard/jobs/{job['id']}/files/{job['files'][0]}"):
            status, page = _get(sim, path)
            assert status == 200, path
            assert "<script>window" not in page and "<img src=x" not in page and "<b>9" not in page, path
        page = _get(sim, product_page)[1]
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
        assert 'href="javascript:' not in page and 'src="javascript:' not in page
        assert "javascript:alert(1) <span" in page  # shown as text
        assert '" onerror="' not in page and "&#34; onerror=&#34;alert(2)" in page


def test_an_inventory_job_shows_its_verify_report_and_stock_per_warehouse(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        sim.drop_feed([row("A-1", "A"), row("A-2", "A", is_default_variant="false")])
        sim.run()
        sim.drop(INVENTORY_FOLDER, "inventory-RefArch-20261126000000001.xml", inventory_xml(
            [("A-1", "<allocation>5</allocation>"), ("GHOST", "<allocation>1</allocation>")]))
        job = sim.run("inventory", "create")
        status, page = _get(sim, f"/dashboard/jobs/{job['id']}")
        assert status == 200 and "Verify report" in page
        report = dict(re.findall(r'<tr><th scope="row">(\w+)</th><td>(\d+)</td>', page))
        assert report == {"read": "2", "applied": "1", "unknown": "1", "duplicate": "0", "capped": "0",
                          "missing": "1", "errors": "0"}, report
        (product,) = sim.products()
        status, page = _get(sim, f"/dashboard/products/{product['id']}")
        first_sku = page.split("<td>A-1</td>", 1)[1].split("</tr>")[0]
        assert "inventory_m: 5" in first_sku


def test_unknown_jobs_files_and_folders_are_pages_that_say_so(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        sim.drop_feed([row("A-1", "A")])
        job = sim.run()
        for path, said in (("/dashboard/jobs/999", "job 999 does not exist"),
                           (f"/dashboard/jobs/{job['id']}/files/other.txt", "kept no file"),
                           ("/dashboard/products/1729000000000099999", "does not exist"),
                           ("/dashboard/products/not-a-number", "does not exist"),
                           ("/dashboard/webdav/../../credentials.json", "hold no"),
                           ("/dashboard/webdav/%2e%2e/%2e%2e/shop.sqlite3", "hold no")):
            status, page = _get(sim, path)
            assert status == 404 and said in page and page.startswith("<!doctype html>"), (path, page[:300])


def test_polling_the_dashboard_leaves_the_request_journal_to_the_connector(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        for _ in range(3):
            _get(sim, "/dashboard/live/overview")
        status, answer = sim.api("GET", "/_sim/journal?path_prefix=/dashboard/")
        assert status == 200 and answer["data"]["entries"] == []


def test_the_line_index_counts_an_unended_last_line_and_reads_crlf_and_long_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.txt"
    lines = [f"line {n}" for n in range(1, 200)] + ["x" * 5000, "last"]
    path.write_bytes("\r\n".join(lines).encode())
    assert line_index(path).lines == 201
    assert read_lines(path, 130, 2) == [(130, "line 130"), (131, "line 131")]
    assert read_lines(path, 200, 5, max_line=100) == [(200, "[longer than 100 bytes]"), (201, "last")]


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from simulator.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _read_until(proc: subprocess.Popen[str], start: str) -> list[str]:
    lines: list[str] = []
    while not any(line.startswith(start) for line in lines):
        line = proc.stdout.readline() if proc.stdout else ""
        assert line, "".join(lines) + (proc.stderr.read() if proc.stderr else "")
        lines.append(line)
    return lines


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return out


def test_serve_prints_the_dashboard_address(tmp_path: Path) -> None:
    proc = _serve("serve", "--data-dir", str(tmp_path / "d"), "--port", "0")
    try:
        said = dict(line.split(":", 1) for line in _read_until(proc, "Press Ctrl-C") if ":" in line)
        url = said["Dashboard"].strip()
        assert url == said["TikTok Shop API"].strip() + "/"
        status, page = request("GET", url)
        assert status == 200 and b"<h1>Overview</h1>" in page
    finally:
        _stop(proc)


def test_demo_serve_keeps_the_shop_open_and_prints_the_dashboard_address() -> None:
    proc = _serve("demo", "--serve")
    try:
        lines = _read_until(proc, "Dashboard:")
        assert any(line.startswith("Summary") for line in lines)
        url = lines[-1].split(":", 1)[1].strip()
        status, page = request("GET", url)
        assert status == 200 and re.search(rb'data-status="FAILED">2<', page), page[:2000]
        status, products = request("GET", url + "dashboard/products?status=ACTIVATE")
        assert status == 200 and b"ACTIVATE" in products
    finally:
        out = _stop(proc)
    assert "Stopping..." in out


def test_a_100000_row_feed_opens_in_the_viewer_in_under_a_second(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 15's budget, measured by the bench script itself (bench/dashboard_viewer.py)."""
    spec = importlib.util.spec_from_file_location("dashboard_viewer", ROOT / "bench" / "dashboard_viewer.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(100_000)
    out = capsys.readouterr().out
    figures = {label.strip(): float(ms) for label, ms in re.findall(r"^  (.+?)\s+([\d.]+) ms", out, re.M)}
    assert len(figures) == 4, out
    assert all(ms < 1000 for ms in figures.values()), out
