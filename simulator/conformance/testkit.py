"""The simulator as one test sees it: where it listens, its credentials, a signed client, the journal
and faults, over the simulator's public API only. What the pytest plugin's fixtures hand a user's test.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from simulator.conformance.session import FINISHED, WAIT_S, SignedClient, SimSession, wait_until

PRODUCT_FOLDER = "src/feeds/export/social/tiktok/product"  # under the Impex mount, as the cartridge drops
INVENTORY_FOLDER = "src/feeds/export/social/tiktok/inventory"


def _check(status: int, answer: Any, what: str) -> Any:
    """A refused control call fails the test with the simulator's own message, not a KeyError later."""
    if status != 200:
        raise AssertionError(f"{what} answered {status}: {answer}")
    return answer


class Journal:
    """`GET /_sim/journal`: every request the simulator served or sent, oldest first."""

    def __init__(self, session: SimSession) -> None:
        self._session = session

    def mark(self) -> int:
        """The newest entry's number: take it before acting; `entries(since=mark)` shows what followed."""
        return self._session.journal_mark()

    def entries(self, since: int = 0, direction: str | None = None, method: str | None = None,
                path_prefix: str | None = None) -> list[dict[str, Any]]:
        """Entries after `since`, narrowed by direction (inbound/outbound), method and path prefix."""
        given = {"direction": direction, "method": method, "path_prefix": path_prefix}
        return self._session.journal(since, **{key: value for key, value in given.items() if value})

    def clear(self) -> None:
        _check(*self._session.api("DELETE", "/_sim/journal"), "DELETE /_sim/journal")


class Faults:
    """`/_sim/faults`: make the next calls of a kind fail or stall (docs/control-api.md, Faults)."""

    def __init__(self, session: SimSession) -> None:
        self._session = session

    def arm(self, on: str, **spec: Any) -> dict[str, Any]:
        """e.g. `arm("alert", http_status=503, times=2)`; a refused spec fails naming the field."""
        return self._session.arm_fault(on=on, **spec)

    def armed(self) -> list[dict[str, Any]]:
        """The armed faults, oldest first, each with the calls it still hits."""
        return _check(*self._session.api("GET", "/_sim/faults"), "GET /_sim/faults")["data"]["faults"]

    def clear(self, external_business_id: str | None = None) -> None:
        """Disarm every fault, or only those naming one tenant."""
        tenant = {"external_business_id": external_business_id} if external_business_id else {}
        query = f"?{urlencode(tenant)}" if tenant else ""
        _check(*self._session.api("DELETE", f"/_sim/faults{query}"), "DELETE /_sim/faults")


class TikTokSim:
    """The simulator as one test sees it: where it listens, its credentials, and what reached it."""

    def __init__(self, session: SimSession, partner: SignedClient) -> None:
        self.session = session
        self.partner = partner  # signed Partner API calls as the default tenant's shop
        self.journal = Journal(session)
        self.faults = Faults(session)

    base_url = property(lambda self: self.session.base_url, doc="TikTok's API (and the control API)")
    dav_url = property(lambda self: self.session.dav_url, doc="the embedded SFCC WebDAV: .../Sites/Impex")
    ca_path = property(lambda self: self.session.ca_path, doc="the CA to trust over https, else None")
    external_business_id = property(lambda self: self.session.external_business_id)

    @property
    def credentials(self) -> dict[str, str]:
        """dav_user and dav_password (the connector's WebDAV login), app_key and app_secret."""
        return self.session.credentials

    def api(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        """A JSON call to the simulator (`/_sim/…`, `/api/jobs`, `/tbp/…`): (HTTP status, answer)."""
        return self.session.api(method, path, payload)

    def dav(self, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """A WebDAV request below `Impex/`, logged in as the connector is."""
        return self.session.dav(method, quote(path), body, headers)

    def drop(self, name: str, data: bytes, folder: str = PRODUCT_FOLDER) -> None:
        """Put a feed in place as the cartridge does: MKCOL the folders, PUT `TEMP_<name>`, MOVE to `name`."""
        parts = folder.split("/")
        for depth in range(1, len(parts) + 1):
            self.dav("MKCOL", "/".join(parts[:depth]))
        status, _ = self.dav("PUT", f"{folder}/TEMP_{name}", data)
        assert status in (201, 204), f"PUT {folder}/TEMP_{name} answered {status}"
        destination = f"{self.dav_url}/{quote(folder)}/{quote(name)}"
        status, _ = self.dav("MOVE", f"{folder}/TEMP_{name}", headers={"Destination": destination})
        assert status in (201, 204), f"MOVE {folder}/TEMP_{name} answered {status}"

    def alert(self, feed_type: str = "product", update_type: str = "update") -> str:
        """Alert TikTok to a folder as the cartridge's service does; returns the job's id."""
        folder = INVENTORY_FOLDER if feed_type == "inventory" else PRODUCT_FOLDER
        body = {"business_platform": "SALESFORCE", "external_business_id": self.external_business_id,
                "params": {"url": f"{self.dav_url}/{folder}", "feed_type": feed_type,
                           "update_type": update_type}}
        answer = _check(*self.api("POST", "/tbp/v2.0/feed/download/", body), "the alert")
        assert answer["code"] == 0, f"the alert was refused: {answer}"
        return answer["data"]["job_id"]

    def wait_job(self, job_id: str, timeout: float = WAIT_S) -> dict[str, Any]:
        """The job once it has completed or failed, with its counts and errors (`GET /api/jobs/<id>`)."""
        def finished() -> dict[str, Any] | None:
            job = _check(*self.api("GET", f"/api/jobs/{job_id}"), f"GET /api/jobs/{job_id}")
            return job if job["state"] in FINISHED else None

        return wait_until(finished, f"job {job_id} to finish", timeout)

    def search(self, **filters: Any) -> list[dict[str, Any]]:
        """TikTok's Search Products (202502) as the default tenant's shop, every page."""
        found, token = [], ""
        while True:
            query = {"page_size": "100", **({"page_token": token} if token else {})}
            status, answer = self.partner.post("/product/202502/products/search", filters, **query)
            assert answer["code"] == 0, f"Search Products answered {status}: {answer}"
            found += answer["data"]["products"]
            if not (token := answer["data"]["next_page_token"]):
                return found

    def jobs(self) -> list[dict[str, Any]]:
        """Every job, once none is still queued or running (or the deadline passed)."""
        return self.session.settled_jobs()

    def products(self, **query: str) -> list[dict[str, Any]]:
        """`/_sim/products`, every page: status, item_group_id, stock and warnings TikTok's API hides."""
        return self.session.products(**query)
