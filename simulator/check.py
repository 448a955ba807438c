"""`tiktok-sim check`: TikTok Shop's verdict on real feed files, offline, Merchant-Center style.

The files' kinds come from their content (names may be anything); each is streamed through the same
engine as the simulator's review. The report groups issues by rule code with a count and a few
examples, so a 100,000-row feed with one systematic mistake reads as one line, not 100,000.
Exit status: 2 when any file is unreadable or not a feed, else 1 when any error was found, else 0;
each file's verdict uses the same words: `not checked`, `errors`, `ok`.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import tempfile
from array import array
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any, BinaryIO

import click
from lxml import etree

from simulator.feedfile import (
    UNREADABLE,
    FeedFileError,
    describe_content,
    read_delete_feed,
    read_product_feed,
    sniff_kind,
)
from simulator.inventoryfile import read_inventory
from simulator.rules import doc
from simulator.rules.catalog import rule
from simulator.rules.engine import FeedChecker
from simulator.rules.issues import MAX_EXAMPLES, Issue, IssueSummary
from simulator.rules.profiles import DEFAULT_REGION, PROFILES, Profile, get_profile
from simulator.sfccexport import explain_export

SCHEMA_VERSION = 1
_ERROR, _WARNING, _ITEM = 1, 2, 4  # bits of FileReport.flags
_RANK = {"error": 0, "warning": 1, "info": 2}
_TEXT_VALUE = 80  # characters of an offending value shown in the text report
_KIND_NAMES = {"product": "product feed", "delete": "delete feed", "inventory": "inventory XML"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # no XML 1.0 character
_CASE_BATCH = 5_000  # rows kept in memory before they go to the junit scratch database
# as `tiktok-sim`'s own; also when a test or another tool runs these commands on their own
_HELP_NAMES = {"help_option_names": ["-h", "--help"]}


class _Cases:
    """Each line's SKU id and issues, for junit's test case per SKU, in a scratch SQLite file.

    JUnit needs every SKU in line order with totals first; held as Python objects and an lxml tree,
    a 1M-row feed took about 1.3 GiB. On disk, the report streams in bounded memory.
    """

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="tiktok-sim-check-")
        self._db = sqlite3.connect(Path(self._folder.name) / "cases.db")
        self._db.executescript(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
            "CREATE TABLE sku (line INTEGER PRIMARY KEY, sku_id TEXT);"
            "CREATE TABLE issue (seq INTEGER PRIMARY KEY, code TEXT, severity TEXT, field TEXT,"
            " message TEXT, hint TEXT, line INTEGER, sku_id TEXT, item_group_id TEXT, value TEXT);")
        self._skus: list[tuple[int, str | None, bool]] = []
        self._issues: list[tuple[Any, ...]] = []

    def sku(self, line: int, sku_id: str | None, replace: bool) -> None:
        """A record's id replaces what an issue named first; an issue's id only fills a gap."""
        self._skus.append((line, sku_id, replace))
        if len(self._skus) >= _CASE_BATCH:
            self._flush()

    def issue(self, issue: Issue) -> None:
        self._issues.append((issue.code, issue.severity, issue.field, issue.message, issue.hint, issue.line,
                             issue.sku_id, issue.item_group_id, issue.value))
        if len(self._issues) >= _CASE_BATCH:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO sku (line, sku_id) VALUES (?1, ?2) ON CONFLICT (line) "
                             "DO UPDATE SET sku_id = excluded.sku_id WHERE ?3", self._skus)
        self._db.executemany("INSERT INTO issue (code, severity, field, message, hint, line, sku_id, "
                             "item_group_id, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._issues)
        self._skus.clear()
        self._issues.clear()

    def totals(self) -> tuple[int, int]:
        """How many test cases (lines), and how many of them fail (have an error)."""
        self._flush()
        (cases,), = self._db.execute("SELECT count(*) FROM sku")
        (failing,), = self._db.execute("SELECT count(DISTINCT line) FROM issue WHERE severity = 'error'")
        return cases, failing

    def __iter__(self) -> Iterator[tuple[int, str | None, list[Issue]]]:
        """(line, SKU id, its issues in the order found), by line."""
        self._flush()
        self._db.execute("CREATE INDEX IF NOT EXISTS issue_line ON issue (line, seq)")
        rows = self._db.execute("SELECT s.line, s.sku_id, i.code, i.severity, i.field, i.message, i.hint, "
                                "i.line, i.sku_id, i.item_group_id, i.value FROM sku s "
                                "LEFT JOIN issue i ON i.line = s.line ORDER BY s.line, i.seq")
        for (line, sku_id), group in groupby(rows, key=lambda row: row[:2]):
            yield line, sku_id, [Issue(*row[2:]) for row in group if row[2] is not None]

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()


class FileReport:
    """Counts and grouped issues of one file; per-SKU detail is kept (on disk) only when junit needs it.

    Memory stays at 8 bytes per record (its line number, to tell whether an issue's line is a record)
    plus an entry per line with issues: a 1M-row feed must not cost a set of a million ints.
    """

    def __init__(self, path: Path, region: str, max_examples: int, keep_items: bool) -> None:
        self.path = path
        self.region = region
        self.kind: str | None = None
        self.error: str | None = None  # why the file was not checked, naming it (JSON, stderr)
        self.problem: str | None = None  # the same without the file's name (text, under its name)
        self.items = array("q")  # record line numbers, ascending, each once (XML may hold many on one line)
        self.flags: dict[int, int] = {}  # line with issues -> _ERROR | _WARNING | _ITEM (it is a record)
        self.summary = IssueSummary(("line", "sku_id", "value"), max_examples)
        self.cases = _Cases() if keep_items else None
        self.file_issues: list[Issue] = []

    def fail(self, message: str, line: int | None = None) -> None:
        """The file could not be checked as a whole."""
        self.problem = f"line {line}: {message}" if line else message
        self.error = f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}"

    def item(self, line: int, sku_id: str | None) -> None:
        """A record was read (it may still get issues)."""
        if not self.items or line > self.items[-1]:
            self.items.append(line)
        elif not self._is_item(line):  # records out of line order: never from the readers, but stay exact
            insort(self.items, line)
        if line in self.flags:
            self.flags[line] |= _ITEM
        if self.cases is not None:
            self.cases.sku(line, sku_id, replace=True)

    def issue(self, issue: Issue) -> None:
        self.summary.add(issue)
        if rule(issue.code).scope == "file" or issue.line is None:
            if self.cases is not None:
                self.file_issues.append(issue)
            return
        flag = {"error": _ERROR, "warning": _WARNING}.get(issue.severity, 0)
        flags = self.flags.get(issue.line)
        if flags is None:
            flags = _ITEM if self._is_item(issue.line) else 0
        self.flags[issue.line] = flags | flag
        if self.cases is not None:
            self.cases.sku(issue.line, issue.sku_id, replace=False)
            self.cases.issue(issue)

    def _is_item(self, line: int) -> bool:
        index = bisect_left(self.items, line)
        return index < len(self.items) and self.items[index] == line

    def count(self, flag: int) -> int:
        return sum(1 for flags in self.flags.values() if flags & flag)

    @property
    def has_errors(self) -> bool:
        return self.summary.has_errors

    @property
    def verdict(self) -> str:
        """In the exit status's words: a file that could not be read has no verdict on its items."""
        return "not checked" if self.error else "errors" if self.has_errors else "ok"

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape documented in docs/check-report.md."""
        with_errors = self.count(_ERROR)
        total = len(self.items) + sum(1 for flags in self.flags.values() if not flags & _ITEM)
        return {
            "schema_version": SCHEMA_VERSION,
            "file": str(self.path),
            "kind": self.kind,
            "region": self.region,
            "processing_state": "failure" if self.error else "success",
            "verdict": self.verdict,
            "error": self.error,
            "items_total": total,
            "items_valid": 0 if self.error else total - with_errors,
            "items_with_errors": with_errors,
            "items_with_warnings": self.count(_WARNING),
            "issues": sorted(self.summary.groups(),
                             key=lambda g: (_RANK[g["severity"]], -g["count"], g["code"])),
        }


def _check_product(path: Path, profile: Profile, report: FileReport) -> None:
    checker = FeedChecker(profile)
    for record in read_product_feed(path, report.issue):
        report.item(record.line, record.sku_id)
        for issue in checker.add(record):
            report.issue(issue)
    for issue in checker.finish():
        report.issue(issue)


def _check_delete(path: Path, _profile: Profile, report: FileReport) -> None:
    for line, sku_id in read_delete_feed(path, report.issue):
        report.item(line, sku_id)


def _check_inventory(path: Path, profile: Profile, report: FileReport) -> None:
    for record in read_inventory(path, profile, report.issue):
        report.item(record.line, record.product_id)


_CHECKS: dict[str, Callable[[Path, Profile, FileReport], None]] = {
    "product": _check_product, "delete": _check_delete, "inventory": _check_inventory}


def check_file(path: Path, profile: Profile, max_examples: int = MAX_EXAMPLES,
               keep_items: bool = False) -> FileReport:
    """Check one file of any kind; unreadable input ends up in `report.error`, never as an exception."""
    report = FileReport(path, profile.region, max_examples, keep_items)
    try:
        kind = sniff_kind(path)
        export = explain_export(path) if kind in (None, "inventory") else None
        if export or kind is None:
            report.fail(export or f"not a feed: {describe_content(path, None)}")
            return report
        report.kind = kind
        _CHECKS[kind](path, profile, report)
    except UNREADABLE as error:
        report.fail(*_unreadable(error))
    return report


def _unreadable(error: Exception) -> tuple[str, int | None]:
    """What went wrong and the line, if known; the report adds the file's name once."""
    if isinstance(error, FeedFileError):
        return error.message, error.line
    if isinstance(error, OSError):
        return f"cannot read the file: {error.strerror or error}", None
    return str(error), None


# --- rendering -------------------------------------------------------------------------------------------

def _show(value: str | None, limit: int = 0) -> str:
    """A value as a quoted, escaped string (control characters visible), cut to `limit` if given."""
    if value is None:
        return ""
    if value == "":
        return "(empty)"
    if limit and len(value) > limit:
        value = f"{value[:limit]}…"
    return json.dumps(value, ensure_ascii=False)


def render_text(reports: list[FileReport]) -> str:
    out: list[str] = []
    for report in reports:
        data = report.to_dict()
        kind = f"{_KIND_NAMES[report.kind]}, region {report.region}: " if report.kind else ""
        out.append(f"{report.path}: {kind}{report.verdict}")
        if report.problem:
            out.append(f"  {report.problem}")
        else:
            out.append(f"  items: {data['items_total']} total, {data['items_valid']} valid, "
                       f"{data['items_with_errors']} with errors, "
                       f"{data['items_with_warnings']} with warnings")
        for group in data["issues"]:
            out.append(f"  {group['severity'].upper():<7} {group['code']} [{group['field']}] "
                       f"x{group['count']}: {group['message']}")
            out.append(f"          fix: {group['hint']}")
            for example in group["examples"]:
                where = ", ".join(part for part in (
                    f"line {example['line']}" if example["line"] is not None else "",
                    f"sku {example['sku_id']}" if example["sku_id"] else "") if part)
                out.append(f"          {where or 'file'}: {_show(example['value'], _TEXT_VALUE)}".rstrip())
        out.append("")
    return "\n".join(out)


def render_json(reports: list[FileReport]) -> str:
    """One JSON object per file, one per line (JSON Lines)."""
    return "".join(json.dumps(report.to_dict(), ensure_ascii=False) + "\n" for report in reports)


def _xml(text: str) -> str:
    """Text lxml can write: a character XML 1.0 cannot hold (a control character in a SKU) as `\\uXXXX`."""
    return _NOT_XML.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _testcase(classname: str, name: str, issues: list[Issue]) -> etree._Element:
    """A testcase failing on error issues, with warnings in system-out, indented as in its suite."""
    case = etree.Element("testcase", classname=_xml(classname), name=_xml(name))
    errors = [i for i in issues if i.severity == "error"]
    others = [i for i in issues if i.severity != "error"]
    if errors:
        failure = etree.SubElement(case, "failure",
                                   message=_xml("; ".join(f"{i.code}: {i.message}" for i in errors)),
                                   type=_xml(errors[0].code))
        failure.text = _xml("\n".join(f"{i.code} [{i.field}] line {i.line}: {i.message} "
                                      f"value={_show(i.value)} fix: {i.hint}" for i in errors))
    if others:
        etree.SubElement(case, "system-out").text = _xml("\n".join(
            f"{i.severity} {i.code} [{i.field}] line {i.line}: {i.message} value={_show(i.value)}"
            for i in others))
    etree.indent(case, space="  ", level=2)
    return case


def _suite_cases(report: FileReport) -> Iterator[etree._Element]:
    classname = f"{report.path.name}.{report.kind or 'unknown'}"
    if report.error:
        case = etree.Element("testcase", classname=_xml(classname), name="file is readable")
        error = etree.SubElement(case, "error", message=_xml(report.error), type="unreadable")
        error.text = error.get("message")
        etree.indent(case, space="  ", level=2)
        yield case
    if report.file_issues:
        yield _testcase(classname, "file layout", report.file_issues)
    for line, sku_id, issues in report.cases or ():
        yield _testcase(classname, f"sku {sku_id} (line {line})" if sku_id else f"line {line}", issues)


def write_junit(reports: list[FileReport], out: BinaryIO) -> None:
    """One testsuite per file, one testcase per SKU, so CI lists each failing SKU; streamed case by case."""
    with etree.xmlfile(out, encoding="UTF-8") as xml:
        xml.write_declaration()
        with xml.element("testsuites", name="tiktok-sim check"):
            for report in reports:
                cases, failing = report.cases.totals() if report.cases else (0, 0)
                has_file_case = bool(report.file_issues)
                file_fails = any(i.severity == "error" for i in report.file_issues)
                suite = {"name": _xml(str(report.path)),
                         "tests": str(cases + has_file_case + bool(report.error)),
                         "failures": str(failing + file_fails), "errors": str(int(bool(report.error)))}
                xml.write("\n  ")
                if suite["tests"] == "0":
                    xml.write(etree.Element("testsuite", suite))
                    continue
                with xml.element("testsuite", suite):
                    for case in _suite_cases(report):
                        xml.write("\n    ", case)
                    xml.write("\n  ")
            xml.write("\n")
    out.write(b"\n")


FORMATS = ("text", "json", "junit")


def _renderer(fmt: str, reports: list[FileReport]) -> Callable[[BinaryIO], None]:
    """What writes the report to a binary stream: junit streams, the others are small."""
    if fmt == "junit":
        return lambda out: write_junit(reports, out)
    text = render_text(reports) if fmt == "text" else render_json(reports)
    return lambda out: out.write(text.encode("utf-8"))


def _write_report(output: Path, write: Callable[[BinaryIO], None]) -> None:
    """All or nothing: a report cut short by a full disk would read as a shorter, cleaner one.

    A regular file is replaced at once; a device or pipe (`/dev/stdout`) is written as it is.
    """
    temp = output if output.exists() and not output.is_file() else output.with_name(f".{output.name}.part")
    try:
        with open(temp, "wb") as handle:
            write(handle)
        if temp != output:
            os.replace(temp, output)
    except OSError as error:
        if temp != output:
            temp.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(output)) from None  # name the file the user gave


@click.command("check", context_settings=_HELP_NAMES)
@click.argument("files", nargs=-1, required=True,  # a missing or unreadable file is reported as not checked
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--region", default=DEFAULT_REGION, show_default=True,
              type=click.Choice(list(PROFILES), case_sensitive=False),
              help="TikTok Shop region profile: currency, price range, title and SKU limits.")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(FORMATS),
              help="text for people, json (one object per file per line) or junit for CI.")
@click.option("--max-examples", default=MAX_EXAMPLES, show_default=True, type=click.IntRange(min=0),
              help="Examples listed per issue code.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of standard output.")
def check_command(files: tuple[Path, ...], region: str, fmt: str, max_examples: int,
                  output: Path | None) -> None:
    """Check product feeds, delete feeds and inventory XML against TikTok Shop's rules.

    Exit status 0: no errors; 1: errors found; 2: a file is unreadable or not a feed.
    """
    profile = get_profile(region)
    reports = [check_file(path, profile, max_examples, keep_items=fmt == "junit") for path in files]
    try:
        write = _renderer(fmt, reports)
        if output is None:
            write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            _write_report(output, write)
    finally:
        for report in reports:
            if report.cases is not None:
                report.cases.close()
    if fmt != "text" or output is not None:  # a text report on the terminal says it once already
        for report in reports:
            if report.error:
                click.echo(f"error: {report.error}", err=True)
    if any(report.error for report in reports):
        sys.exit(2)
    sys.exit(1 if any(report.has_errors for report in reports) else 0)


@click.command("rules", context_settings=_HELP_NAMES)
@click.option("--markdown", is_flag=True, help="Print docs/rules.md (the catalog and region profiles).")
def rules_command(markdown: bool) -> None:
    """List the rule catalog: every code, its severity, scope and message."""
    click.echo(doc.markdown() if markdown else doc.plain(), nl=False)
