"""Connection settings from flags, else environment variables, else an SFCC `dw.json`.

SFCC developers already keep `hostname`, `username` and `password` in a `dw.json` for their tooling,
so the connector reads it too; flags and environment variables override it for CI and one-off runs.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.tls import check_ca_file

DEFAULT_EXTERNAL_BUSINESS_ID = "sfcc-sim-tenant"
DEFAULT_TIMEZONE = "UTC"


class SettingsError(ValueError):
    """A setting is missing or unusable; the message names the flag and the environment variable."""


class DwJsonError(ValueError):
    """The `dw.json` cannot be read: bad input in a file, not a mistake on the command line."""


@dataclass(frozen=True)
class Settings:
    """Everything one sync run needs to reach the instance's WebDAV and TikTok."""

    instance: str            # scheme://host[:port] of the SFCC instance (WebDAV host)
    user: str
    password: str
    site_id: str
    tiktok_url: str
    state_dir: Path
    external_business_id: str = DEFAULT_EXTERNAL_BUSINESS_ID
    timezone: str = DEFAULT_TIMEZONE
    ca_file: Path | None = None  # CA certificates to trust besides the system's, for https peers

    @property
    def zone(self) -> ZoneInfo:
        """The site calendar's time zone, used for every file-name timestamp."""
        return ZoneInfo(self.timezone)


# setting name -> (flag, environment variable, dw.json key)
_SOURCES: dict[str, tuple[str, str | None, str | None]] = {
    "instance": ("--instance", "SFCC_INSTANCE", "hostname"),
    "user": ("--user", "SFCC_USER", "username"),
    "password": ("--password", "SFCC_PASSWORD", "password"),
    "site_id": ("--site-id", "SFCC_SITE_ID", None),
    "tiktok_url": ("--tiktok-url", "TIKTOK_URL", None),
    "external_business_id": ("--external-business-id", "TIKTOK_EXTERNAL_BUSINESS_ID", None),
    "state_dir": ("--state-dir", "SFCC_CONNECTOR_STATE_DIR", None),
    "ca_file": ("--ca-file", "SFCC_CA_FILE", None),
}
REQUIRED = ("instance", "user", "password", "site_id", "tiktok_url")


def default_state_dir(site_id: str, environ: Mapping[str, str], platform: str = sys.platform) -> Path:
    """The per-user state folder of a site, where the platform keeps such data (see README).

    `$XDG_STATE_HOME/sfcc-connector/<site>` (XDG: `~/.local/state` when unset or relative), on macOS
    `~/Library/Application Support/...`, on Windows `%LOCALAPPDATA%\\...`; never the current folder,
    where a snapshot would follow whichever folder a shell happened to be in.
    """
    if site_id in (".", "..") or any(sep in site_id for sep in "/\\"):
        raise SettingsError(f"--site-id: {site_id!r} cannot name a state folder; give --state-dir")
    xdg = environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(xdg):
        base = Path(xdg)
    elif platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif platform == "win32":
        base = Path(environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path.home() / ".local" / "state"
    return base / "sfcc-connector" / site_id


def describe_source(name: str) -> str:
    """How a user can give setting `name`, for help texts and errors."""
    flag, env, key = _SOURCES[name]
    ways = [flag] + ([f"${env}"] if env else []) + ([f'"{key}" in dw.json'] if key else [])
    return " or ".join(ways)


def read_dw_json(path: Path) -> dict[str, str]:
    """The connection keys of a `dw.json`; `hostname` becomes an https:// instance URL."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DwJsonError(f"{path}: cannot read dw.json: {getattr(error, 'strerror', None) or error} "
                          "(fix it, or give --instance, --user and --password instead)") from None
    if not isinstance(data, dict):
        raise DwJsonError(f"{path}: dw.json must hold a JSON object "
                          '(like {"hostname": ..., "username": ..., "password": ...})')
    return {name: str(data[key]) for name, (_, _, key) in _SOURCES.items() if key and data.get(key)}


def normalise_instance(value: str) -> str:
    """`host` or `https://host/` -> `https://host`: SFCC hosts are https unless a scheme is given."""
    value = value.strip().rstrip("/")
    return value if "://" in value else f"https://{value}"


def resolve_settings(
    flags: Mapping[str, object | None],
    environ: Mapping[str, str],
    dw_json: Path | None,
    *,
    need: tuple[str, ...] = REQUIRED,
) -> Settings:
    """Pick each setting from flags, else the environment, else dw.json; name what is missing."""
    from_file = read_dw_json(dw_json) if dw_json is not None else {}
    values: dict[str, str] = {}
    for name, (_, env, _) in _SOURCES.items():
        flag_value = flags.get(name)
        if flag_value not in (None, ""):
            values[name] = str(flag_value)
        elif env and environ.get(env):
            values[name] = environ[env]
        elif name in from_file:
            values[name] = from_file[name]
    missing = [name for name in need if name not in values]
    if missing:
        raise SettingsError("missing " + "; ".join(f"{name.replace('_', '-')}: give {describe_source(name)}"
                                                   for name in missing))
    timezone = str(flags.get("timezone") or DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"--site-timezone: unknown time zone {timezone!r}") from None
    ca_file = Path(values["ca_file"]) if "ca_file" in values else None
    try:
        if ca_file is not None:
            check_ca_file(ca_file)
    except OSError as error:
        raise SettingsError(f"--ca-file {ca_file}: cannot load it as PEM CA certificates: {error}") from None
    return Settings(
        instance=normalise_instance(values.get("instance", "")) if "instance" in values else "",
        user=values.get("user", ""),
        password=values.get("password", ""),
        site_id=values.get("site_id", ""),
        tiktok_url=values.get("tiktok_url", "").rstrip("/"),
        state_dir=Path(values["state_dir"]) if "state_dir" in values
        else default_state_dir(values.get("site_id", ""), environ),
        external_business_id=values.get("external_business_id", DEFAULT_EXTERNAL_BUSINESS_ID),
        timezone=timezone,
        ca_file=ca_file,
    )


def default_dw_json(explicit: Path | None, cwd: Path) -> Path | None:
    """`--dw-json PATH` if given, else `./dw.json` when it exists."""
    if explicit is not None:
        return explicit
    candidate = cwd / "dw.json"
    return candidate if candidate.is_file() else None
