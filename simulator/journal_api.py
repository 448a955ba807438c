"""`GET /_sim/journal` and `DELETE /_sim/journal`: the request journal over HTTP (docs/control-api.md).

Unsigned like the rest of `/_sim/`, and itself never journaled, so polling it does not fill the ring.
A query parameter this API does not know is refused with 400 naming it: a misspelt filter would
otherwise silently answer everything.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from simulator import journal
from simulator.envelope import Refusal, envelope

PATH = "/_sim/journal"
FILTERS = ("since", "direction", "method", "path_prefix")
BAD_VALUE = 40003  # the simulator's own API: HTTP-like codes

journal_api = Blueprint("journal", __name__)


def _journal() -> journal.Journal:
    return journal.of(current_app.extensions["sim"]["store"])


@journal_api.get(PATH)
def read():
    """Entries after `since`, oldest first, narrowed by direction, method and path prefix."""
    for name in request.args:
        if name not in FILTERS:
            raise Refusal(BAD_VALUE, f"unknown query parameter '{name}' (known: {', '.join(FILTERS)})", 400)
    since = request.args.get("since", "0")
    if not since.isascii() or not since.isdigit():
        raise Refusal(BAD_VALUE, f"'since' must be a sequence number (0 or more), got {since!r}", 400)
    direction = request.args.get("direction")
    if direction is not None and direction not in journal.DIRECTIONS:
        known = " or ".join(journal.DIRECTIONS)
        raise Refusal(BAD_VALUE, f"'direction' must be {known}, got {direction!r}", 400)
    method = request.args.get("method")
    ring = _journal()
    entries = ring.entries(int(since), direction, method.upper() if method else None,
                           request.args.get("path_prefix", ""))
    return jsonify(envelope(0, "OK", {"entries": entries, "last_seq": ring.last_seq}))


@journal_api.delete(PATH)
def clear():
    ring = _journal()
    ring.clear()
    return jsonify(envelope(0, "OK", {"last_seq": ring.last_seq}))
