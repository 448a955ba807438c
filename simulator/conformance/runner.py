"""Runs the connector under test as a shell command with the contract's environment, and nothing more.

The connector is a black box: it gets its settings only from the environment (docs/conformance.md), its
whole process tree is killed when it exits or overstays the timeout, and only its exit code and the last
lines of its output are kept, for a failing scenario to show.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

TAIL_LINES = 20
DEFAULT_TIMEOUT_S = 120.0
READER_JOIN_S = 5.0


@dataclass(frozen=True)
class Contract:
    """What the harness tells a connector for one sync: the contract's environment variables."""

    export_dir: Path
    site_catalog: Path
    instance: str
    user: str
    password: str
    tiktok_url: str
    state_dir: Path
    mode: str  # full, delta or inventory
    ca_file: Path | None = None
    site_id: str = "RefArch"
    locale: str = "en_US"
    external_business_id: str = "sfcc-sim-tenant"

    def environment(self) -> dict[str, str]:
        env = {
            "SFCC_EXPORT_DIR": str(self.export_dir), "SFCC_SITE_CATALOG": str(self.site_catalog),
            "SFCC_INSTANCE": self.instance, "SFCC_USER": self.user, "SFCC_PASSWORD": self.password,
            "SFCC_SITE_ID": self.site_id, "SFCC_LOCALE": self.locale, "TIKTOK_URL": self.tiktok_url,
            "TIKTOK_EXTERNAL_BUSINESS_ID": self.external_business_id,
            "CONNECTOR_STATE_DIR": str(self.state_dir), "SYNC_MODE": self.mode,
        }
        if self.ca_file:
            env["SFCC_CA_FILE"] = str(self.ca_file)
        return env


@dataclass(frozen=True)
class ConnectorRun:
    """How one run of the command ended."""

    command: str
    exit_code: int | None  # None: killed at the timeout
    tail: list[str]
    timeout_s: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
        """Why the run failed, with the output a user needs to see why, or '' when it succeeded."""
        if self.ok:
            return ""
        how = (f"did not exit within {self.timeout_s:g} s and was killed" if self.exit_code is None
               else f"exited with code {self.exit_code}")
        if self.exit_code in (126, 127):
            how += " (the shell could not run it: not found or not executable)"
        shown = "\n".join(f"    | {line}" for line in self.tail) or "    | (no output)"
        lines = f"its last {len(self.tail)} lines of output"
        return f"connector command `{self.command}` {how}; {lines}:\n{shown}"


def _kill_group(pgid: int) -> None:
    """Kill every process left in the connector's session: a hung child or an orphaned grandchild."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_connector(command: str, contract: Contract, timeout_s: float = DEFAULT_TIMEOUT_S) -> ConnectorRun:
    """Run `command` through /bin/sh in its own session; collect output; kill its group when done."""
    env = {**os.environ, **contract.environment()}
    proc = subprocess.Popen(["/bin/sh", "-c", command], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)

    def read() -> None:
        for raw in proc.stdout:
            tail.append(raw.decode("utf-8", "replace").rstrip("\r\n"))

    reader = threading.Thread(target=read, name="connector-output", daemon=True)
    reader.start()
    try:
        exit_code: int | None = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        exit_code = None
    finally:  # also on Ctrl-C: nothing the connector started outlives the run
        _kill_group(proc.pid)  # the session id is the shell's pid; children may outlive the shell
        proc.wait()
    reader.join(READER_JOIN_S)
    proc.stdout.close()
    return ConnectorRun(command, exit_code, list(tail), timeout_s)
