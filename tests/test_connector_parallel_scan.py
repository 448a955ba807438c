"""Big inputs load prices, stock and the inventory copy in a second process: same output, same errors."""

from __future__ import annotations

import multiprocessing.context
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import connector.scratch
from connector.cli import main
from connector.export import export_full
from connector.scan import SiteInputs, scan_site
from connector.xmlsafe import XmlInputError

SFCC = Path(__file__).resolve().parent.parent / "fixtures" / "sfcc"
NOW = datetime(2024, 3, 15, 14, 15, 30, tzinfo=UTC)
INPUTS = SiteInputs(
    catalogs=(SFCC / "catalog-master.xml", SFCC / "catalog-storefront.xml"),
    pricebooks=(SFCC / "pricebook-list.xml", SFCC / "pricebook-sale.xml"),
    inventories=(SFCC / "inventory.xml",),
    site_id="RefArch",
)


@pytest.fixture
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every input count as big, so the worker process runs even for the small fixtures."""
    monkeypatch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 0)


def feed_text(tmp_path: Path, name: str) -> str:
    return export_full(INPUTS, tmp_path / name, NOW).feed.read_text(encoding="utf-8")


def test_parallel_scan_writes_the_same_feed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inline = feed_text(tmp_path, "inline")
    monkeypatch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 0)
    assert feed_text(tmp_path, "parallel") == inline
    assert inline.count("\n") == 31


@pytest.mark.usefixtures("always_parallel")
def test_price_book_error_in_the_worker_names_file_line_and_field(tmp_path: Path) -> None:
    book = tmp_path / "book.xml"
    book.write_text(
        (SFCC / "pricebook-list.xml").read_text(encoding="utf-8").replace(">129.00<", ">abc<", 1),
        encoding="utf-8",
    )
    inputs = SiteInputs(INPUTS.catalogs, (book,), (), "RefArch")
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(XmlInputError) as caught:
        scan_site(inputs, NOW, work_dir=work)
    assert (Path(caught.value.path).name, caught.value.field) == ("book.xml", "amount")
    assert caught.value.line and f"book.xml:{caught.value.line}: amount: not a" in str(caught.value)
    assert list(work.iterdir()) == []


@pytest.mark.usefixtures("always_parallel")
def test_export_cli_writes_the_inventory_copy_meanwhile(tmp_path: Path) -> None:
    args = ["export", "--site-id", "RefArch", "--out", str(tmp_path)]
    for flag, paths in (("--catalog", INPUTS.catalogs), ("--pricebook", INPUTS.pricebooks),
                        ("--inventory", INPUTS.inventories)):
        args += [part for path in paths for part in (flag, str(path))]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    written = sorted(path.name for path in tmp_path.iterdir())
    assert [name.split("-")[0] for name in written] == ["inventory", "tiktok"]
    assert "inventory records" in result.output


@pytest.mark.usefixtures("always_parallel")
def test_export_cli_error_leaves_no_inventory_copy(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.xml"
    catalog.write_text((SFCC / "catalog-master.xml").read_text(encoding="utf-8")[:2000], encoding="utf-8")
    out = tmp_path / "out"
    args = ["export", "--site-id", "RefArch", "--out", str(out), "--catalog", str(catalog),
            "--pricebook", str(INPUTS.pricebooks[0]), "--inventory", str(INPUTS.inventories[0])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "catalog.xml" in result.output
    assert not out.exists()  # the folder the failed export made is gone too


def test_with_other_threads_alive_the_worker_comes_from_a_forkserver_and_writes_the_same_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Watch mode (and a test runner with servers) has threads: a plain fork could copy a lock one of them
    holds and hang the worker, so it is started from a forkserver instead, with the same output."""
    inline = feed_text(tmp_path, "inline")
    monkeypatch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 0)
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    contexts: list[str] = []
    real = connector.scratch._context

    def recorded() -> multiprocessing.context.BaseContext:
        context = real()
        contexts.append(context.get_start_method())
        return context

    monkeypatch.setattr(connector.scratch, "_context", recorded)
    try:
        assert feed_text(tmp_path, "threaded") == inline
    finally:
        stop.set()
        busy.join()
    assert contexts and set(contexts) == {"forkserver"}
