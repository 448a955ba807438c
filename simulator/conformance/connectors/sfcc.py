"""The conformance contract mapped onto `sfcc-connector sync`: the template for a connector command.

`tiktok-sim conformance --connector-cmd "python -m simulator.conformance.connectors.sfcc"` runs it. It reads
only the contract's environment variables and runs the `sfcc-connector` executable (the simulator never
imports the connector's code). Copy it and change the command line to wrap another connector.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

MODE_FLAGS = {"full": ["--full", "--no-inventory"], "delta": ["--delta", "--no-inventory"],
              "inventory": ["--inventory-only"]}
INPUTS = (("--catalog", "catalog-*.xml"), ("--pricebook", "pricebook-*.xml"),
          ("--inventory", "inventory*.xml"))


def command_line(env: dict[str, str], executable: str) -> list[str]:
    """The `sfcc-connector sync` call for one SYNC_MODE, its inputs found in SFCC_EXPORT_DIR by name."""
    mode = env.get("SYNC_MODE", "")
    if mode not in MODE_FLAGS:
        raise SystemExit(f"error: SYNC_MODE must be one of {', '.join(MODE_FLAGS)}, got {mode!r}")
    export_dir = Path(env["SFCC_EXPORT_DIR"])
    args = [executable, "sync", *MODE_FLAGS[mode]]
    for flag, pattern in INPUTS:
        for path in sorted(export_dir.glob(pattern)):
            args += [flag, str(path)]
    args += ["--site-catalog", env["SFCC_SITE_CATALOG"], "--site-id", env["SFCC_SITE_ID"],
             "--locale", env["SFCC_LOCALE"], "--instance", env["SFCC_INSTANCE"], "--user", env["SFCC_USER"],
             "--password", env["SFCC_PASSWORD"], "--tiktok-url", env["TIKTOK_URL"],
             "--state-dir", env["CONNECTOR_STATE_DIR"]]
    if env.get("SFCC_CA_FILE"):
        args += ["--ca-file", env["SFCC_CA_FILE"]]
    return args


def main() -> None:
    """Replace this process with the connector, so the harness's timeout and kill reach it directly.

    The `sfcc-connector` beside this Python comes first: the one installed with this simulator."""
    beside = Path(sys.executable).parent / "sfcc-connector"
    executable = str(beside) if beside.exists() else shutil.which("sfcc-connector")
    if executable is None:
        raise SystemExit("error: no `sfcc-connector` executable beside Python or on PATH "
                         "(pip install tiktok-sfcc-sim)")
    args = command_line(dict(os.environ), executable)
    os.execv(executable, args)


if __name__ == "__main__":
    main()
