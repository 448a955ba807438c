"""The SFCC site a scenario hands the connector: the bundled fixtures copied into a fresh export folder.

The files are the installed `fixtures` package's, so the conformance run needs no clone. What the site
holds (its sellable SKUs, the products that break a rule) is the page fixtures/README.md keeps exact.
"""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

SITE_ID = "RefArch"
LOCALE = "en_US"
EXPORTS = ("catalog-master.xml", "catalog-storefront.xml", "pricebook-list.xml", "pricebook-sale.xml",
           "inventory.xml")
SITE_CATALOG = "catalog-storefront.xml"
# The merchant's one edit session (fixtures/README.md, `sfcc/changes/`): each replaces its namesake.
EDIT_SESSION = {"catalog-master-changed.xml": "catalog-master.xml",
                "catalog-storefront-changed.xml": "catalog-storefront.xml",
                "pricebook-list-changed.xml": "pricebook-list.xml"}


def _fixtures() -> resources.abc.Traversable:
    return resources.files("fixtures")


def export_site(folder: Path) -> Path:
    """Copy the site's exports into `folder`, as SFCC's export jobs leave them; returns the site catalog."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in EXPORTS:
        (folder / name).write_bytes(_fixtures().joinpath("sfcc", name).read_bytes())
    return folder / SITE_CATALOG


def apply_edit_session(folder: Path) -> None:
    """Replace the exports with the site after the edit session, each file whole, as a new export would."""
    for changed, name in EDIT_SESSION.items():
        data = _fixtures().joinpath("sfcc", "changes", changed).read_bytes()
        temporary = folder / f".{name}.part"
        temporary.write_bytes(data)
        shutil.move(temporary, folder / name)


def sellable_skus() -> frozenset[str]:
    """The bundled site's sellable SKUs, as fixtures/README.md lists them."""
    readme = _fixtures().joinpath("README.md").read_text("utf-8")
    listed = re.search(r"<!-- sellable-skus:begin -->\s*```\n(.*?)```", readme, re.S)
    if not listed:
        raise RuntimeError("the installed fixtures/README.md has no sellable-skus list")
    return frozenset(listed.group(1).split())
