"""The stored text of a feed row: "unchanged" is a string comparison against what earlier runs stored,
so the fast path must give the JSON encoder's text to the byte, for every header and value."""

from __future__ import annotations

import json

import pytest

from simulator.upload import canonical

TRICKY = ["", "plain", 'say "hi"', "back\\slash", "tab\there", "new\nline", "\x01\x1f\x7f", "é ü 中文",
          "\U0001f600 emoji", "</script>", "\u2028\u2029", "{\"images\":[\"https://x/y.jpg\"]}"]


def encoder_text(values: dict[str, str]) -> str:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("names", [
    ("sku_id", "title", "price", "brand"),
    ("price", "brand", "sku_id"),  # a header out of order
    ("z\"key", "a\\key", "ключ", "k\n"),  # names needing escapes
    ("only",),
    (),
])
def test_canonical_is_the_encoders_text(names: tuple[str, ...]) -> None:
    for shift in range(len(TRICKY)):
        values = {name: TRICKY[(shift + i) % len(TRICKY)] for i, name in enumerate(names)}
        assert canonical(values) == encoder_text(values)
        assert json.loads(canonical(values)) == values
