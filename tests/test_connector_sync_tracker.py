"""Tracker, delete feed and `.lastrun.txt` byte for byte as the cartridge writes them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from connector.names import delete_feed_name, tracker_file_name
from connector.tracker import write_delete_feed, write_lastrun, write_tracker

AFTERNOON = datetime(2024, 3, 15, 14, 15, 30)


def test_names_use_the_24_hour_clock() -> None:
    assert tracker_file_name(AFTERNOON, "en_US") == "feedtracker-20240315141530-en_US.txt"
    assert tracker_file_name(AFTERNOON, "") == "feedtracker-20240315141530.txt"
    assert delete_feed_name("RefArch", AFTERNOON) == "delete-feed-RefArch-20240315141530.txt"


def test_tracker_groups_by_the_first_8_characters_in_string_order(tmp_path: Path) -> None:
    entries = sorted([("ABC12345", "1 USD"), ("ABC1234567", "12.99 USD"), ("ABC1234599", "15 USD"),
                      ("SHORT", "3 USD"), ("SHORTER", "4 USD")])
    path = tmp_path / "t.txt"
    assert write_tracker(entries, path) == 5
    assert path.read_bytes() == (b"ABC12345,ABC1234567|12.99 USD,ABC1234599|15 USD,ABC12345|1 USD\n"
                                 b"SHORT,SHORT|3 USD\nSHORTER,SHORTER|4 USD\n")


def test_delete_feed_one_id_per_line_and_empty_when_nothing_left(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    assert write_delete_feed(["A-1", "B-2"], path) == 2
    assert path.read_bytes() == b"A-1\nB-2\n"
    assert write_delete_feed([], path) == 0
    assert path.read_bytes() == b""


def test_lastrun_is_compact_json_without_newline(tmp_path: Path) -> None:
    path = tmp_path / ".lastrun.txt"
    write_lastrun(path, delta_enabled=False)
    assert path.read_bytes() == b'{"deltaEnabled":false,"deleteFileGenerated":true}'
    write_lastrun(path, delta_enabled=True)
    assert path.read_bytes() == b'{"deltaEnabled":true,"deleteFileGenerated":true}'
