"""The offline full export (`sfcc-connector export --full`): scan a site, write its product feed.

No snapshot, no network: the feed a first sync would send, for checking it before anything is
dropped (`tiktok-sim check`) or for handing it over by other means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from connector.names import feed_file_name
from connector.scan import SiteInputs, scan_site
from connector.summary import ExportSummary


@dataclass(frozen=True)
class ExportFiles:
    """What `export_full` wrote: the feed file, its number of product rows, the export summary."""

    feed: Path
    rows: int
    summary: ExportSummary
    inventory_records: int | None = None  # in the inventory copy, when one was asked for


def export_full(inputs: SiteInputs, out_dir: Path, now: datetime, inventory_copy: Path | None = None
                ) -> ExportFiles:
    """Write the full product feed for `inputs` into `out_dir` (`sfcc-connector export --full`), and the
    inventory export to `inventory_copy` when given (from the scan's own pass over the lists)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / feed_file_name(inputs.site_id, inputs.locale, now)
    with scan_site(inputs, now, inventory_copy=inventory_copy) as scan:
        rows = scan.write_feed(path)
    return ExportFiles(feed=path, rows=rows, summary=scan.summary, inventory_records=scan.inventory_records)
