"""Which SFCC export a file is when it is not a feed, so `check` can say what to run on it instead.

People who check "the feed" often hand over the SFCC export the feed is made from: a catalog, a price
book or a whole site export. TikTok never receives those, so the useful answer is not why the file is
not a feed but the command that turns it into one. Only the root element is read, through `xmlsafe`.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from simulator import xmlsafe

_IMPEX = re.compile(r"http://www\.demandware\.com/xml/impex/([a-z-]+)/")
_ZIP = b"PK\x03\x04"
_EXPORT = "sfcc-connector export --catalog {catalog} --pricebook {pricebook} --site-id SITE --out DIR"
# impex namespace segment -> (what it is, --catalog, --pricebook); inventory lists are checked as they are
_KINDS: dict[str, tuple[str, str, str]] = {
    "catalog": ("an SFCC catalog export", "{file}", "PRICEBOOK.xml"),
    "pricebook": ("an SFCC price book export", "CATALOG.xml", "{file}"),
}


def _root_namespace(path: Path) -> str | None:
    """The namespace of the root element, or None when the file is not XML with a safe prolog."""
    try:
        for _, element in xmlsafe.iterparse(path, events=("start",)):
            return etree.QName(element).namespace
    except (etree.XMLSyntaxError, xmlsafe.UnsafeXmlError, OSError):
        return None
    return None


def explain_export(path: Path) -> str | None:
    """One line saying which SFCC export `path` is and the command that makes the TikTok feed from it.

    None when the file is not an SFCC export other than an inventory list (those are checked as is).
    """
    with open(path, "rb") as handle:
        if handle.read(len(_ZIP)) == _ZIP:
            return ("this is a zip archive (an SFCC site export?), not a TikTok feed. Unzip it, run `"
                    + _EXPORT.format(catalog="catalogs/*/catalog.xml", pricebook="pricebooks/*.xml")
                    + "` on its catalogs and price books and check the feed it writes")
    match = _IMPEX.match(_root_namespace(path) or "")
    if match is None or match.group(1) == "inventory":
        return None
    what, catalog, pricebook = _KINDS.get(match.group(1), (
        f"an SFCC {match.group(1)} export", "CATALOG.xml", "PRICEBOOK.xml"))
    command = _EXPORT.format(catalog=catalog.format(file=path), pricebook=pricebook.format(file=path))
    return f"this is {what}, not a TikTok feed. Run `{command}` on it and check the feed it writes"
