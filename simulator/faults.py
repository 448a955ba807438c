"""Armed faults: the next N matching calls answer a TikTok code or an HTTP status, or take longer.

WireMock's faults, for the calls a connector's retries must survive. A fault names what it hits (`on`),
and may name one tenant: it then never touches another tenant's calls. Faults live in memory, not in
SQLite: they are test-time state for the calls that follow, so a restart clears them as it ends the test
that armed them (docs/control-api.md). One lock guards them, since the API threads, the job workers and
the webhook sender all take from them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from simulator.per_store import PerStore

TARGETS = ("alert", "auth_callback", "product_api", "token", "pickup", "webhook")
# The simulator's own outbound calls: a fault makes the far side answer an HTTP error, never a TikTok code.
OUTBOUND = ("pickup", "webhook")
FIELDS = ("on", "code", "http_status", "delay_s", "times", "external_business_id")
MAX_DELAY_S = 300.0


class FaultRefused(ValueError):
    """A fault that cannot be armed; the message names the field."""


@dataclass(frozen=True)
class Fault:
    """One armed fault and how many matching calls it still hits."""

    id: int
    on: str
    code: int | None
    http_status: int | None
    delay_s: float
    times: int
    external_business_id: str | None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "id": str(self.id)}

    def hits(self, on: str, tenant: str | None) -> bool:
        return self.on == on and self.external_business_id in (None, tenant)

    def stall(self) -> None:
        """The injected latency, spent on the thread serving the call."""
        if self.delay_s:
            time.sleep(self.delay_s)


def _number(body: dict[str, Any], key: str, low: float, high: float, whole: bool) -> Any:
    value = body.get(key)
    if value is None:
        return None
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        kind = "a whole number" if whole else "a number"
        raise FaultRefused(f"'{key}' must be {kind} from {low:g} to {high:g}, got {value!r}")
    return value


def parse(body: Any) -> dict[str, Any]:
    """A fault's fields from a request body, checked; FaultRefused names the first bad field."""
    if not isinstance(body, dict):
        raise FaultRefused("the request body is not a JSON object")
    for key in body:
        if key not in FIELDS:
            raise FaultRefused(f"unknown field '{key}' (known: {', '.join(FIELDS)})")
    on = body.get("on")
    if on not in TARGETS:
        raise FaultRefused(f"'on' must be one of {', '.join(TARGETS)}, got {on!r}")
    tenant = body.get("external_business_id")
    if tenant is not None and (not isinstance(tenant, str) or not tenant):
        raise FaultRefused(f"'external_business_id' must be a non-empty string, got {tenant!r}")
    code = _number(body, "code", -(2**31), 2**31 - 1, whole=True)
    if code == 0:
        raise FaultRefused("'code' must not be 0: 0 is TikTok's success")
    http_status = _number(body, "http_status", 200, 599, whole=True)
    if on in OUTBOUND and code is not None:
        raise FaultRefused(f"'code' does not apply to {on}: the simulator's own calls fail by 'http_status'")
    if on in OUTBOUND and http_status is not None and http_status < 400:
        raise FaultRefused(f"'http_status' must be an error (400 to 599) for {on}, got {http_status}")
    delay_s = _number(body, "delay_s", 0, MAX_DELAY_S, whole=False) or 0.0
    if code is None and http_status is None and not delay_s:
        raise FaultRefused("a fault needs at least one of 'code', 'http_status' or 'delay_s'")
    times = _number(body, "times", 1, 10**6, whole=True) or 1
    return {"on": on, "code": code, "http_status": http_status, "delay_s": float(delay_s), "times": times,
            "external_business_id": tenant}


class Faults:
    """The armed faults of one simulator, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []
        self._ids = iter(range(1, 2**63))

    def arm(self, fields: dict[str, Any]) -> Fault:
        """Arm a fault from `parse`d fields."""
        with self._lock:
            fault = Fault(next(self._ids), **fields)
            self._armed.append(fault)
        return fault

    def take(self, on: str, tenant: str | None) -> Fault | None:
        """The oldest fault that hits this call, counted down (and dropped at zero); None if none does."""
        with self._lock:
            for index, fault in enumerate(self._armed):
                if fault.hits(on, tenant):
                    if fault.times > 1:
                        self._armed[index] = replace(fault, times=fault.times - 1)
                    else:
                        del self._armed[index]
                    return fault
        return None

    def armed(self) -> list[Fault]:
        with self._lock:
            return list(self._armed)

    def clear(self, tenant: str | None = None) -> int:
        """Drop every fault, or only those naming `tenant`; returns how many were dropped."""
        with self._lock:
            kept = [f for f in self._armed if tenant is not None and f.external_business_id != tenant]
            dropped = len(self._armed) - len(kept)
            self._armed = kept
        return dropped


# The faults of the simulator that owns a store: job steps and the webhook sender get only the store.
of: PerStore[Faults] = PerStore(Faults)
