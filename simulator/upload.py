"""Upload: keep each picked-up file as it came, parse it, and stage its records in SQLite.

Staging is per job and per file (one transaction each), so a file that turns out unreadable leaves
nothing staged: it is recorded processed-with-failure and the job goes on with its other files (the
job still ends failed, naming it). The shop only changes in the next step, from staged rows. The raw
files stay under `<data-dir>/uploads/<job>/` for the last jobs (`serve --keep-uploads`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from json.encoder import encode_basestring
from operator import add, itemgetter

from simulator.feedfile import FeedFileError, read_delete_feed, read_product_feed
from simulator.job import JobContext, JobFailed, PickedFile
from simulator.rules.issues import make_issue
from simulator.rules.record import group_key
from simulator.store import stage

_STAGED = ("line", "sku_id", "item_group_id", "row_values", "filled")
StagedRow = tuple[int, str, str, str, str]  # one value per _STAGED column

# built once: json.dumps with options builds a new encoder for every row
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=64)
def _layout(names: tuple[str, ...]) -> tuple[Callable[[dict[str, str]], tuple[str, ...]], tuple[str, ...]]:
    """A header's values in sorted-key order, and each key's JSON text with its colon: worked out once
    per header, not once per row."""
    keys = sorted(names)
    return itemgetter(*keys), tuple(encode_basestring(key) + ":" for key in keys)


def canonical(values: dict[str, str]) -> str:
    """One text per set of feed values, so 'unchanged' is a plain string comparison: exactly the text of
    `_CANONICAL.encode`, put together from the header's precomputed keys (4 against 6 µs a row: the
    encoder sorts and looks up the keys of every row)."""
    if len(values) < 2:  # itemgetter of one key gives the value, not a tuple
        return _CANONICAL.encode(values)
    pick, keys = _layout(tuple(values))
    return "{" + ",".join(map(add, keys, map(encode_basestring, pick(values)))) + "}"


def _stage_file(ctx: JobContext, picked: PickedFile, rows: Iterator[StagedRow]) -> int:
    """Stage the rows of one file in one transaction. A file that is not a feed at all is rejected (none
    of its rows stay staged) and the job goes on with the next; a disk that fails us fails the job."""
    try:
        with ctx.store.transaction() as conn:
            return stage(conn, "staged_rows", _STAGED, ctx.job_id, picked.name, rows)
    except FeedFileError as error:
        ctx.reject(picked, picked.name, error.line, f"{error.message}; nothing of the file was applied")
        return 0
    except OSError as error:
        raise JobFailed(f"{picked.name}: the file cannot be read, nothing was changed: {error}") from error


def _product_rows(ctx: JobContext, picked: PickedFile) -> Iterator[StagedRow]:
    """Rows of one product feed; layout problems go on the job. Product rules wait for the review,
    which sees each product whole. The names of the non-empty fields (one per line) are staged too: they
    are what a new SKU's history entry lists, and the review need not parse the values again for them."""
    on_issue = partial(ctx.add_issue, file=picked.name)
    for record in read_product_feed(picked.path, on_issue, ctx.limits.max_line):
        values = record.values
        filled = "\n".join(name for name, value in values.items() if value)
        yield record.line, record.sku_id, group_key(record), canonical(values), filled


def _report_repeats(ctx: JobContext, picked: PickedFile) -> None:
    """A SKU on several rows of one file: reported; its last row wins, as TikTok's catalog feeds replace
    an item sent again. Found in SQL, so no per-SKU set is held in memory."""
    repeats = ctx.store.connection().execute(
        "SELECT line, sku_id, item_group_id FROM staged_rows s WHERE job_id = ? AND file = ? AND EXISTS"
        " (SELECT 1 FROM staged_rows t INDEXED BY staged_rows_sku WHERE t.job_id = s.job_id"
        " AND t.sku_id = s.sku_id AND t.file = s.file AND t.seq < s.seq) ORDER BY seq",
        (ctx.job_id, picked.name),
    )
    for line, sku, group in repeats:
        ctx.add_issue(
            make_issue("SKU_ID_DUPLICATE", line=line, sku_id=sku, item_group_id=group, value=sku), picked.name
        )


def upload_product_feeds(ctx: JobContext) -> None:
    """Parse each product feed (quoted or not) into staged rows."""
    for picked in list(ctx.files):
        ctx.count("records", _stage_file(ctx, picked, _product_rows(ctx, picked)))
        _report_repeats(ctx, picked)
    ctx.save()


def upload_delete_feeds(ctx: JobContext) -> None:
    """Parse each delete feed (one SKU id per line) into staged rows."""
    for picked in list(ctx.files):
        ids = read_delete_feed(picked.path, partial(ctx.add_issue, file=picked.name), ctx.limits.max_line)
        rows = ((line, sku, "", "", "") for line, sku in ids)
        ctx.count("records", _stage_file(ctx, picked, rows))
    ctx.save()
