"""The dashboard's pages: overview, jobs, products, the feed viewer and the WebDAV folders.

Pages are Flask templates with autoescaping on (every value from a feed or an XML file is shown as text),
plain CSS and one small script (static/live.js) that refreshes the live parts by polling their fragments
and sends the control plane's calls to `/_sim/`, so the dashboard changes nothing the control API would
not. Reads follow the control API's rule: on a non-loopback address every page needs the WebDAV
credentials (Basic). Everything but `/` lives under `/dashboard/`, which the request journal skips.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from simulator import access, moderation
from simulator.dashboard.feedview import PAGE_ROWS, feed_page, page_of
from simulator.dashboard.queries import SHOWN_STATUSES, ProductQuery, latest_jobs, status_counts, tenants
from simulator.dav import DAV_MOUNT, HIDDEN_PREFIX
from simulator.feedfile import sniff_kind
from simulator.products import find_product, product_external_id, product_rowid, sim_product_view
from simulator.rules.profiles import get_profile
from simulator.shop import PRODUCT_STATUSES
from simulator.store import Store

PREFIX = "/dashboard"
TIMELINE_JOBS = 20
PRODUCTS_PAGE = 50
FINISHED = ("completed", "failed")
WEB_SCHEMES = ("http://", "https://")

dashboard = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
                      static_url_path=f"{PREFIX}/static")


def _store() -> Store:
    return current_app.extensions["sim"]["store"]


def _plane() -> Any:
    return current_app.extensions["control"]


@dashboard.before_request
def _guard() -> Response | None:
    """The control API's rule (`access`): Basic off loopback; on loopback, only this machine's names."""
    refused = access.refusal(request, _plane().credentials)
    if refused is None:
        return None
    status, why = refused
    answer = Response(f"The dashboard: {why}.\n", status, mimetype="text/plain")
    if status == 401:
        answer.headers["WWW-Authenticate"] = 'Basic realm="tiktok-sim control API"'
    return answer


@dashboard.errorhandler(404)
def _not_found(error: Exception):
    return render_template("missing.html", message=getattr(error, "description", "")), 404


@dashboard.app_template_filter("clock")
def _clock(epoch: float | None) -> str:
    """Epoch seconds as the UTC time of day a person reads next to the terminal's log."""
    return time.strftime("%H:%M:%S", time.gmtime(epoch)) if epoch else ""


@dashboard.app_template_filter("day")
def _day(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch)) if epoch else ""


# --- overview and jobs ----------------------------------------------------------------------------------


def _overview() -> dict[str, Any]:
    store = _store()
    return {"tenants": tenants(store), "counts": status_counts(store), "statuses": SHOWN_STATUSES,
            "jobs": [_timeline(job) for job in latest_jobs(store, TIMELINE_JOBS)]}


def _timeline(job: dict[str, Any]) -> dict[str, Any]:
    """The job with each step's start, and its duration up to the next step (or the job's end)."""
    steps = job["steps"]
    done = job["state"] in FINISHED
    ends = [step["at"] for step in steps[1:]] + [job["updated_at"] if done else None]
    shown = [{**step, "seconds": None if end is None else end - step["at"]} for step, end in zip(steps, ends,
                                                                                                 strict=True)]
    return {**job, "steps": shown, "finished": done}


@dashboard.get("/")
def overview():
    review = moderation.modes(_store()).get(moderation.EVERY_TENANT, moderation.ReviewMode())
    return render_template("overview.html", **_overview(), review=review, modes=moderation.MODES)


@dashboard.get(f"{PREFIX}/live/overview")
def overview_live():
    return render_template("overview_live.html", **_overview())


def _job(job_id: int) -> dict[str, Any]:
    job = _store().get_job(job_id)
    if job is None:
        abort(404, f"job {job_id} does not exist")
    return _timeline(job)


@dashboard.get(f"{PREFIX}/jobs/<int:job_id>")
def job_page(job_id: int):
    job = _job(job_id)
    kept = {name: (_plane().uploads / str(job_id) / name).is_file() for name in job["files"]}
    return render_template("job.html", job=job, kept=kept)


@dashboard.get(f"{PREFIX}/live/jobs/<int:job_id>")
def job_live(job_id: int):
    return render_template("job_live.html", job=_job(job_id))


@dashboard.get(f"{PREFIX}/jobs/<int:job_id>/files/<name>")
def job_file(job_id: int, name: str):
    """A file the job picked up, as it came, with the job's findings on its cells."""
    job = _job(job_id)
    path = _plane().uploads / str(job_id) / name
    if name not in job["files"] or not path.is_file():
        abort(404, f"job {job_id} kept no file {name!r} (serve --keep-uploads keeps the last jobs' files)")
    tenant = _store().get_tenant(job["tenant"])
    known = [{**example, "field": group["field"], "message": group["message"]}
             for group in job["issues"] for example in group["examples"] if example.get("file") == name]
    return _viewer(path, name, get_profile(tenant.region) if tenant else get_profile(), known, job=job)


def _viewer(path: Path, name: str, profile: Any, known: list[dict[str, Any]], **context: Any):
    line = request.args.get("line", "")
    page = request.args.get("page", "")
    if line.isdigit():
        number = page_of(int(line), sniff_kind(path) or "text")
    else:
        number = int(page) if page.isdigit() else 1
    shown = feed_page(path, number, profile, known)
    return render_template("feed.html", feed=shown, name=name, size=path.stat().st_size,
                           target=int(line) if line.isdigit() else None, page_rows=PAGE_ROWS, **context)


# --- products -------------------------------------------------------------------------------------------


@dashboard.get(f"{PREFIX}/products")
def products():
    status = request.args.get("status", "")
    if status and status not in PRODUCT_STATUSES:
        status = ""
    after = request.args.get("after", "")
    query = ProductQuery(status, request.args.get("sku", "").strip(), request.args.get("title", "").strip(),
                         int(after) if after.isdigit() else 0)
    rows, total, last = query.page(_store().connection(), PRODUCTS_PAGE)
    return render_template("products.html", rows=rows, total=total, last=last, query=query,
                           statuses=PRODUCT_STATUSES, product_id=product_external_id)


@dashboard.get(f"{PREFIX}/products/<product_id>")
def product_page(product_id: str):
    row = find_product(_store(), product_id) if product_rowid(product_id) else None
    if row is None:
        abort(404, f"product {product_id} does not exist")
    view = sim_product_view(_store().connection(), row, with_history=True)
    # image_urls as the feed had them; only a web address becomes an image and a link (never javascript:)
    urls = [image["urls"][0] for image in view["main_images"]]
    images = [(url, url.lower().startswith(WEB_SCHEMES)) for url in urls]
    return render_template("product.html", product=view, images=images)


# --- the WebDAV folders ---------------------------------------------------------------------------------


@dashboard.get(f"{PREFIX}/webdav/", defaults={"sub": ""})
@dashboard.get(f"{PREFIX}/webdav/<path:sub>")
def webdav(sub: str):
    """A folder of the embedded WebDAV as the connector left it, or one of its files in the viewer."""
    root = _plane().dav_root.resolve()
    path = (root / sub).resolve()
    if not path.is_relative_to(root) or any(part.startswith(HIDDEN_PREFIX) for part in path.parts) \
            or not path.exists():
        abort(404, f"the WebDAV folders hold no {sub!r}")
    parts = [part for part in sub.strip("/").split("/") if part]
    crumbs = [("/".join(parts[: i + 1]), part) for i, part in enumerate(parts)]
    if path.is_file():
        return _viewer(path, path.name, get_profile(), [], crumbs=crumbs)
    entries = sorted((entry for entry in path.iterdir() if not entry.name.startswith(HIDDEN_PREFIX)),
                     key=lambda entry: (entry.is_file(), entry.name))
    listing = [{"name": entry.name, "folder": entry.is_dir(), "size": entry.stat().st_size,
                "modified": entry.stat().st_mtime,
                "href": "/".join([*parts, entry.name])} for entry in entries]
    return render_template("webdav.html", listing=listing, crumbs=crumbs, mount=DAV_MOUNT,
                           sub="/".join(parts))
