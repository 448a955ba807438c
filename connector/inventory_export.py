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

from connector.inventory import INVENTORY_NS, ListHeader, read_inventory
from connector.names import temp_name
from connector.scratch import Scratch


def write_inventory_export(inventories: Sequence[Path], path: Path) -> int:
    """Copy every inventory list of the inputs into one SFCC inventory XML file, records sorted by ID.

    Records stream through a scratch SQLite file for sorting; the output is written as
    `TEMP_<name>` and renamed only when every record validated. Returns the records written.
    """
    work_dir = Path(tempfile.mkdtemp(prefix="sfcc-inventory-"))
    temp = path.with_name(temp_name(path.name))
    scratch = Scratch(work_dir / "records.sqlite", "CREATE TABLE record(list INTEGER, id TEXT, xml TEXT);")
    try:
        scratch.db.execute("BEGIN")
        headers: list[str] = []
        for source in inventories:
            for record in read_inventory(source, with_xml=True):
                if isinstance(record, ListHeader):
                    headers.append(record.xml)
                else:
                    row = (len(headers) - 1, record.product_id, record.xml)
                    scratch.add("INSERT INTO record VALUES (?,?,?)", row)
        scratch.flush()
        scratch.db.execute("CREATE INDEX record_order ON record(list, id)")
        scratch.db.execute("COMMIT")
        count = _write_inventory_xml(scratch.db, headers, temp)
        os.replace(temp, path)
        return count
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
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
