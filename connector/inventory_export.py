"""The inventory export: every input inventory list copied into one SFCC inventory XML file.

TikTok reads inventory in SFCC's own format (docs/formats.md section 5), so records are copied as
the reader validated and serialised them, only re-sorted by product ID within each list.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

from connector.inventory import INVENTORY_NS, ListHeader, StockRecord, read_inventory
from connector.names import temp_name
from connector.scratch import Scratch

# The scratch table a copy collects records in; created with the scratch file (a script would commit).
COPY_SCHEMA = "CREATE TABLE record(list INTEGER, id TEXT, xml TEXT);"


class InventoryCopy:
    """Collects the inventory lists' headers and records, serialised as the reader validated them, in a
    scratch table; then writes them as one SFCC inventory XML file, records sorted by ID in each list.

    The scan's stock pass feeds it (`connector/scan.py`), so an export reads its inventory once.
    """

    def __init__(self, scratch: Scratch) -> None:
        self._scratch = scratch
        self._headers: list[str] = []

    def add(self, item: ListHeader | StockRecord) -> None:
        if isinstance(item, ListHeader):
            self._headers.append(item.xml)
        else:
            self._scratch.add("INSERT INTO record VALUES (?,?,?)",
                              (len(self._headers) - 1, item.product_id, item.xml))

    def write(self, path: Path) -> int:
        """Write the file as `TEMP_<name>`, renamed once whole; returns the records written.

        Call it with every record added and the scratch file's transaction committed.
        """
        self._scratch.flush()
        self._scratch.db.execute("CREATE INDEX record_order ON record(list, id)")
        temp = path.with_name(temp_name(path.name))
        try:
            count = _write_inventory_xml(self._scratch.db, self._headers, temp)
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return count


def write_inventory_export(inventories: Sequence[Path], path: Path) -> int:
    """Copy every inventory list of the inputs into one SFCC inventory XML file, records sorted by ID.

    Records stream through a scratch SQLite file for sorting; the output is written as
    `TEMP_<name>` and renamed only when every record validated. Returns the records written.
    """
    work_dir = Path(tempfile.mkdtemp(prefix="sfcc-inventory-"))
    scratch = Scratch(work_dir / "records.sqlite", COPY_SCHEMA)
    try:
        copy = InventoryCopy(scratch)
        scratch.db.execute("BEGIN")
        for source in inventories:
            for item in read_inventory(source, with_xml=True):
                copy.add(item)
        scratch.flush()
        scratch.db.execute("COMMIT")
        return copy.write(path)
    finally:
        scratch.db.close()
        shutil.rmtree(work_dir, ignore_errors=True)


def _write_inventory_xml(db: sqlite3.Connection, headers: Sequence[str], temp: Path) -> int:
    count = 0
    with open(temp, "w", encoding="utf-8", newline="\n") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<inventory xmlns="{INVENTORY_NS}">\n')
        for index, header in enumerate(headers):
            out.write(f"    <inventory-list>\n        {header}\n        <records>\n")
            for (xml,) in db.execute("SELECT xml FROM record WHERE list = ? ORDER BY id", (index,)):
                out.write(f"            {xml}\n")
                count += 1
            out.write("        </records>\n    </inventory-list>\n")
        out.write("</inventory>\n")
    return count
