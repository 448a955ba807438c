"""Every file name the connector writes, built in one place (docs/formats.md sections 2 to 5).

Consumers find the files by these names alone (the alert names only a folder), so a name that
drifts from the cartridge's pattern is a file TikTok never reads.
"""

from __future__ import annotations

from datetime import UTC, datetime

TEMP_PREFIX = "TEMP_"
LASTRUN_NAME = ".lastrun.txt"


def temp_name(name: str) -> str:
    """`TEMP_<name>`: the name a file is written under until it is complete; consumers skip it."""
    return TEMP_PREFIX + name


def stamp24(now: datetime) -> str:
    """`yyyyMMddHHmmss` on the 24-hour clock, as trackers and delete feeds use."""
    return now.strftime("%Y%m%d%H%M%S")


def feed_file_name(site_id: str, locale: str, now: datetime) -> str:
    """`tiktok-feed-<site>-<yyyyMMddhhmmss>-<locale>.txt`: 12-hour clock, as the cartridge."""
    return f"tiktok-feed-{site_id}-{now.strftime('%Y%m%d%I%M%S')}-{locale}.txt"


def delete_feed_name(site_id: str, now: datetime) -> str:
    """`delete-feed-<SiteID>-<yyyyMMddHHmmss>.txt`: no locale, as the cartridge passes none."""
    return f"delete-feed-{site_id}-{stamp24(now)}.txt"


def tracker_file_name(now: datetime, locale: str) -> str:
    """`feedtracker-<yyyyMMddHHmmss>-<locale>.txt`; no locale suffix when there is no locale."""
    return f"feedtracker-{stamp24(now)}-{locale}.txt" if locale else f"feedtracker-{stamp24(now)}.txt"


def inventory_file_name(site_id: str, now: datetime) -> str:
    """`inventory-<site>-<yyyyMMddHHmmssSSS>.xml` in UTC (formats.md section 5)."""
    utc = now.astimezone(UTC) if now.tzinfo else now
    return f"inventory-{site_id}-{utc.strftime('%Y%m%d%H%M%S')}{utc.microsecond // 1000:03d}.xml"
