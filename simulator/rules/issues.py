"""The issue model: one finding of a rule, and the shapes findings are reported in.

Everything that reports findings (the readers, the engine, the job steps, `tiktok-sim check`) builds them
with `make_issue`, so a rule's severity, message and hint come from the catalog alone. Reports group them
by code with a count and a few examples (Merchant Center style): a 100,000-row feed with one systematic
mistake reads as one entry, and memory stays flat however many rows fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from simulator.rules.catalog import rule

VALUE_CLIP = 200
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Issue:
    """One finding: which rule, where (line, SKU, product), and the offending value."""

    code: str
    severity: str
    field: str
    message: str
    hint: str
    line: int | None = None
    sku_id: str | None = None
    item_group_id: str | None = None
    value: str | None = None


OnIssue = Callable[[Issue], None]  # how a reader hands over what it finds, so it can keep streaming


def make_issue(code: str, *, line: int | None = None, sku_id: str | None = None,
               item_group_id: str | None = None, value: str | None = None,
               field: str | None = None) -> Issue:
    """An Issue carrying the catalog's severity, message and hint; `field` overrides the rule's."""
    found = rule(code)
    return Issue(found.code, found.severity, field or found.field, found.message, found.hint, line,
                 sku_id or None, item_group_id or None, clip(value))


def clip(value: str | None) -> str | None:
    """Keep reported values short: a 10,000-character description helps nobody in a report."""
    if value is None or len(value) <= VALUE_CLIP:
        return value
    return f"{value[:VALUE_CLIP]}… ({len(value)} characters)"


def blocks_publication(issues: Iterable[Issue]) -> bool:
    """Any error keeps the product from being published (FAILED audit)."""
    return any(issue.severity == "error" for issue in issues)


def audit_failed_reasons(issues: Iterable[Issue]) -> list[dict]:
    """TikTok's `audit_failed_reasons` built from the error issues, one entry per SKU and field."""
    entries: dict[str, dict] = {}
    for issue in issues:
        if issue.severity != "error":
            continue
        if issue.sku_id:
            who = f"sku {issue.sku_id}"
        else:
            who = f"product {issue.item_group_id}" if issue.item_group_id else "file"
        position = f"{who} / {issue.field}"
        entry = entries.setdefault(position, {"position": position, "reasons": [], "suggestions": []})
        if issue.message not in entry["reasons"]:
            entry["reasons"].append(issue.message)
        if issue.hint not in entry["suggestions"]:
            entry["suggestions"].append(issue.hint)
    return list(entries.values())


def product_warnings(issues: Iterable[Issue]) -> list[dict]:
    """What a published product shows of its non-blocking issues."""
    return [{"code": i.code, "field": i.field, "message": i.message, "sku_id": i.sku_id}
            for i in issues if i.severity != "error"]


class Tally:
    """A count and the first few examples per key. The dicts may be a report's own, so the report is
    always current without a copy."""

    def __init__(self, counts: dict[str, Any] | None = None, examples: dict[str, list] | None = None,
                 max_examples: int = MAX_EXAMPLES) -> None:
        self.counts = {} if counts is None else counts
        self.examples = {} if examples is None else examples
        self.max_examples = max_examples

    def count(self, key: str) -> list | None:
        """Count one more under `key`; returns its examples while they have room for another, so a
        caller builds an example only when it will be kept."""
        self.counts[key] = self.counts.get(key, 0) + 1
        kept = self.examples.setdefault(key, [])
        return kept if len(kept) < self.max_examples else None

    def add(self, key: str, example: Any) -> None:
        """Count one more under `key`, keeping `example` (unless None) among the first few."""
        room = self.count(key)
        if room is not None and example is not None:
            room.append(example)


class IssueSummary:
    """Issues grouped by rule code: the rule's wording once, a count, and a few examples of where.

    `example_keys` are the Issue attributes an example shows; keyword arguments to `add` come first."""

    def __init__(self, example_keys: tuple[str, ...], max_examples: int = MAX_EXAMPLES) -> None:
        self.example_keys = example_keys
        self.tally = Tally(max_examples=max_examples)
        self._first: dict[str, Issue] = {}  # per code, the issue whose wording the group shows

    def add(self, issue: Issue, **where: Any) -> None:
        if issue.code not in self._first:
            self._first[issue.code] = issue
        room = self.tally.count(issue.code)
        if room is not None:
            room.append(where | {key: getattr(issue, key) for key in self.example_keys})

    @property
    def has_errors(self) -> bool:
        return blocks_publication(self._first.values())

    def groups(self) -> list[dict[str, Any]]:
        """One entry per code, in the order the codes were first found."""
        return [
            {"code": code, "severity": first.severity, "field": first.field, "message": first.message,
             "hint": first.hint, "count": self.tally.counts[code], "examples": self.tally.examples[code]}
            for code, first in self._first.items()
        ]
