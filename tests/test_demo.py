"""`tiktok-sim demo` narrates every documented step as the simulator records it, then summarises."""

from __future__ import annotations

import re

from click.testing import CliRunner

from simulator.demo import demo_command


def test_demo_narrates_the_lifecycle_and_summarises() -> None:
    result = CliRunner().invoke(demo_command, [], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    # The simulator's own steps, in the flow's order, for the full feed.
    steps = re.findall(r"\[tiktok\] job \S+ product/update\s+(\w+)", out)
    assert steps[:4] == ["pickup", "upload", "review", "publish"], out
    # Inventory is verified and integrated; deletes are applied in the delta part.
    assert re.search(r"\[tiktok\] job \S+ inventory/create\s+verify", out), out
    assert re.search(r"\[tiktok\] job \S+ inventory/create\s+integrate", out), out
    assert re.search(r"\[tiktok\] job \S+ product/delete\s+delete", out), out
    # The connector's lines come from the real connector process.
    assert "[sfcc]" in out
    summary = out.split("\nSummary\n", 1)[1]
    assert re.search(r"ACTIVATE: \d+", summary) and re.search(r"FAILED: 2", summary), summary
    assert "DELETED: 1" in summary, summary
    assert "KIT-MUG-02" in summary and "ACC-TOTE-01" in summary
    # What reached TikTok, read back from the simulator's request journal: drop first, then the alerts.
    wire = re.findall(r"\[wire\]\s+#\d+\s+(\w+)\s+(\S+(?: \S+)?)\s+\d{3}", out.split("2. Ongoing", 1)[0])
    feed = next(name for method, name in wire if name.startswith("TEMP_tiktok-feed-"))
    order = [("PUT", feed), ("MOVE", feed),
             ("POST", "alert product/delete"), ("POST", "alert product/update")]
    assert [wire.index(call) for call in order] == sorted(wire.index(call) for call in order), wire
