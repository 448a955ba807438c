"""The export summary: what a run wrote, what it left out and why, and which values came out empty.

It goes to stderr on every run, because a product missing on TikTok, or one TikTok fails, is
otherwise only found by reading the feed: most often the site catalog was not given, or a product
has no price or is offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXAMPLES = 3  # IDs shown per count: enough to look one up, short enough for a log line

# Why a product of the catalogs gets no row, in the order the cartridge tests it (docs/formats.md 2.1).
NOT_IN_SITE, MASTER, PRODUCT_SET, VARIATION_GROUP, OFFLINE, NO_PRICE = (
    "not in site catalog", "master", "product set", "variation group", "offline", "no price")
SKIP_REASONS = (NOT_IN_SITE, MASTER, PRODUCT_SET, VARIATION_GROUP, OFFLINE, NO_PRICE)


@dataclass
class Tally:
    """A count plus the first few IDs counted."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, product_id: str) -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(product_id)

    def extend(self, later: Tally) -> None:
        """Count what `later` counted after this one (a second half of the rows)."""
        self.count += later.count
        self.examples = (self.examples + later.examples)[:EXAMPLES]

    def describe(self) -> str:
        """`3 (A, B, C)`, or `12 (A, B, C, ...)` when there are more than the examples."""
        more = ", ..." if self.count > len(self.examples) else ""
        return f"{self.count} ({', '.join(self.examples)}{more})" if self.examples else str(self.count)

    def as_dict(self) -> dict[str, object]:
        return {"count": self.count, "examples": list(self.examples)}


# What joining rows counts: SKUs, then those with no category, no image, no brand (ExportSummary).
RowTallies = tuple[int, Tally, Tally, Tally]


@dataclass
class ExportSummary:
    """One scan's figures: site SKUs, skipped products by reason, SKUs with an empty value."""

    site_catalog: str = ""
    skus: int = 0
    skipped: dict[str, Tally] = field(default_factory=dict)
    no_category: Tally = field(default_factory=Tally)
    no_image: Tally = field(default_factory=Tally)
    no_brand: Tally = field(default_factory=Tally)  # neither brand nor manufacturer SKU: Site ID written
    kept: Tally = field(default_factory=Tally)  # gone from the feed, kept out of the delete feed (ATS <= 0)
    warnings: list[str] = field(default_factory=list)

    def row_tallies(self) -> RowTallies:
        return self.skus, self.no_category, self.no_image, self.no_brand

    def add_row_tallies(self, later: RowTallies) -> None:
        """Add the tallies of rows joined after these (in another process)."""
        skus, no_category, no_image, no_brand = later
        self.skus += skus
        self.no_category.extend(no_category)
        self.no_image.extend(no_image)
        self.no_brand.extend(no_brand)

    def lines(self, written: int) -> list[str]:
        """Human-readable report; `written` is the rows this run's feed carries (fewer on a delta)."""
        lines = [f"export summary: {written} SKUs written, {self.skus} on the site "
                 f"(site catalog {self.site_catalog})"]
        lines += [f"  skipped, {reason}: {self.skipped[reason].describe()}"
                  for reason in SKIP_REASONS if reason in self.skipped]
        lines += [f"  empty product_category: {self.no_category.describe()}",
                  f"  empty image_urls: {self.no_image.describe()}",
                  f"  no brand or manufacturer SKU (Site ID written as brand): {self.no_brand.describe()}"]
        if self.kept.count:
            lines.append(f"  gone from the feed but kept out of the delete feed (still exist, ATS <= 0): "
                         f"{self.kept.describe()}")
        lines += [f"warning: {warning}" for warning in self.warnings]
        if self.skus and self.no_category.count == self.skus:
            lines.append(
                f"WARNING: none of the {self.skus} SKUs has a product_category, so TikTok will fail every "
                f"one. Likely cause: no site catalog given ({self.site_catalog} assigns none of their "
                "masters); name the storefront catalog with --site-catalog or SFCC_SITE_CATALOG.")
        return lines

    def as_dict(self, written: int) -> dict[str, object]:
        """The same figures for `--format json`."""
        return {
            "written": written, "site_skus": self.skus, "site_catalog": self.site_catalog,
            "skipped": {reason: tally.as_dict() for reason, tally in self.skipped.items()},
            "empty": {"product_category": self.no_category.as_dict(), "image_urls": self.no_image.as_dict(),
                      "brand": self.no_brand.as_dict()},
            "kept_out_of_delete_feed": self.kept.as_dict(),
            "warnings": list(self.warnings),
        }
