"""`sfcc-connector`: the SFCC side from a shell (sync, export, watch, onboard).

Settings come from flags, else environment variables, else a `dw.json`; user mistakes and bad input
end in one clear line and exit code 1, never a traceback.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from connector.alert import onboard
from connector.export import export_full
from connector.failures import Commands, ExistingFile
from connector.jobwait import JobWaitError, describe_failure, wait_for_jobs
from connector.names import inventory_file_name
from connector.newfolder import removed_on_failure
from connector.scan import DEFAULT_LOCALE, SiteInputs
from connector.settings import (
    DEFAULT_EXTERNAL_BUSINESS_ID,
    DEFAULT_TIMEZONE,
    REQUIRED,
    Settings,
    SettingsError,
    default_dw_json,
    describe_source,
    resolve_settings,
)
from connector.sync import MANIFEST, Syncer
from connector.watch import FolderWatch

_FILE = ExistingFile()


def _echo_err(line: str) -> None:
    click.echo(line, err=True)


def _first_run(state_dir: Path) -> None:
    """The default state folder is out of sight, so its first use says where it is."""
    _echo_err(f"state: using {state_dir} (first run)")


def _format_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
        help="json: progress on stderr, and on stdout one JSON report with the export summary.")(function)


def _input_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--catalog", "catalogs", multiple=True, type=_FILE,
                     help="SFCC catalog export (repeat: master catalog, storefront catalog, ...)."),
        click.option("--site-catalog", type=_FILE, envvar="SFCC_SITE_CATALOG",
                     help="The site (storefront) catalog: only its assignments make a product a site product "
                          "and give product_category. Default: the only --catalog, else the one that assigns "
                          "products but defines none ($SFCC_SITE_CATALOG)."),
        click.option("--pricebook", "pricebooks", multiple=True, type=_FILE,
                     help="SFCC price book export (repeat: list and sale books; the lowest price wins)."),
        click.option("--inventory", "inventories", multiple=True, type=_FILE,
                     help="SFCC inventory list export (repeat); sets availability and the inventory feed."),
        click.option("--locale", default=DEFAULT_LOCALE, show_default=True,
                     help="Feed locale (site default)."),
        click.option("--image-base-url", default=None, help="Prefix for image paths in image_urls."),
        click.option("--storefront-url", default=None,
                     help="Storefront base URL; landing pages are <URL>/<product id>.html."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _settings_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--site-id", help=f"SFCC Site ID ({describe_source('site_id')})."),
        click.option("--instance", help=f"Instance URL, e.g. https://host ({describe_source('instance')})."),
        click.option("--user", help=f"Business Manager user ({describe_source('user')})."),
        click.option("--password", help=f"WebDAV access key ({describe_source('password')})."),
        click.option("--tiktok-url", help=f"TikTok base URL ({describe_source('tiktok_url')})."),
        click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Snapshot and outbox folder; default the per-user $XDG_STATE_HOME/sfcc-connector/"
                          f"<site-id> (~/.local/state/... when unset; {describe_source('state_dir')})."),
        click.option("--external-business-id",
                     help=f"Tenant ID; default {DEFAULT_EXTERNAL_BUSINESS_ID} "
                          f"({describe_source('external_business_id')})."),
        click.option("--site-timezone", "timezone", default=DEFAULT_TIMEZONE, show_default=True,
                     help="Site time zone for file-name timestamps (the cartridge's site calendar)."),
        click.option("--dw-json", type=_FILE, help="dw.json with hostname/username/password "
                                                   "(default ./dw.json when present)."),
        click.option("--ca-file", type=_FILE, help="PEM CA certificates to trust besides the system's, for "
                                                   f"https ({describe_source('ca_file')})."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _settings(params: dict[str, Any], need: tuple[str, ...] = REQUIRED) -> Settings:
    try:
        return resolve_settings(params, os.environ, default_dw_json(params.get("dw_json"), Path.cwd()),
                                need=need)
    except SettingsError as error:
        raise click.UsageError(str(error)) from None


def _site_inputs(params: dict[str, Any], site_id: str) -> SiteInputs:
    extra = {key: params[key] for key in ("image_base_url", "storefront_url") if params.get(key)}
    return SiteInputs(catalogs=tuple(params["catalogs"]), pricebooks=tuple(params["pricebooks"]),
                      inventories=tuple(params["inventories"]), site_id=site_id,
                      locale=params["locale"], site_catalog=params.get("site_catalog"), **extra)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tiktok-sfcc-sim", prog_name="sfcc-connector")
@click.option("--debug", is_flag=True, help="Show the traceback of an expected failure too.")
def main(debug: bool) -> None:
    """SFCC side of the TikTok for SFCC sync: SFCC exports -> TikTok feeds -> WebDAV -> alert.

    An expected failure (bad input, permissions, disk, network) prints one `error:` line and exits 1.
    """


@main.command()
@click.option("--full", "mode", flag_value="full", help="Send every SKU (default on a first sync).")
@click.option("--delta", "mode", flag_value="delta",
              help="Send new and changed SKUs only (default once a snapshot exists).")
@click.option("--inventory-only", "mode", flag_value="inventory", help="Only export and alert inventory.")
@click.option("--no-inventory", is_flag=True,
              help="Do not export the inventory lists (by default every sync with --inventory sends them).")
@_input_options
@_settings_options
@click.option("--cartridge-compat", is_flag=True,
              help="Delta rule of the cartridge: only new SKUs and price changes count.")
@click.option("--partial", is_flag=True,
              help="Catalogs are an SFCC delta import (changed products and mode=\"delete\"): apply them "
                   "on top of the last sync instead of replacing it.")
@click.option("--wait", is_flag=True,
              help="CI runs against tiktok-sim: wait for the simulator's job of each alert and exit 1 "
                   "when one failed, printing its issues (real TikTok has no job API).")
@click.option("--wait-timeout", type=click.FloatRange(0), default=600.0, show_default=True,
              help="Seconds --wait waits for all the jobs.")
@_format_option
def sync(**params: Any) -> None:
    """Write the feeds, drop them on the instance's WebDAV and alert TikTok.

    With --inventory, every sync (full, delta or default) also exports and alerts the inventory, as
    the cartridge's inventory job does on its schedule; a delta sync only when a stock figure changed.
    An export summary (skipped products, empty values) goes to stderr.

    A run whose drop or alert fails stays in the state dir's outbox and is finished by the next run.
    """
    settings = _settings(params)
    mode = params["mode"] or "auto"
    as_json = params["output_format"] == "json"
    if mode == "inventory" and not params["inventories"]:
        raise click.UsageError("--inventory-only needs at least one --inventory file")
    if mode == "inventory" and params["no_inventory"]:
        raise click.UsageError("--inventory-only cannot be combined with --no-inventory")
    if mode != "inventory" and not (params["catalogs"] and params["pricebooks"]):
        raise click.UsageError("a product sync needs at least one --catalog and one --pricebook")
    pending = settings.state_dir / "outbox"  # a failed first run keeps its folder only for a waiting run
    with removed_on_failure(settings.state_dir, keep=lambda: any(pending.glob(f"*/*/{MANIFEST}"))) as new:
        syncer = Syncer(settings, _echo_err if as_json else click.echo, _echo_err)
        report: dict[str, Any] = {"product": None, "inventory": None}
        try:
            delta = False
            if mode != "inventory":
                run = syncer.sync_products(_site_inputs(params, settings.site_id), mode,
                                           partial=params["partial"],
                                           cartridge_compat=params["cartridge_compat"])
                delta, report["product"] = run.mode == "delta", run.as_dict()
            if params["inventories"] and not params["no_inventory"]:
                stock = syncer.sync_inventory(tuple(params["inventories"]), only_if_changed=delta)
                report["inventory"] = stock.as_dict() if stock else None
        finally:
            syncer.close()
    if new:
        _first_run(settings.state_dir)
    if params["wait"]:
        report["jobs"] = _wait(settings, syncer.job_ids, params["wait_timeout"])
    if as_json:
        click.echo(json.dumps(report, indent=1))
    if any(job["state"] == "failed" for job in report.get("jobs", [])):
        raise click.ClickException("TikTok Shop failed a job of this sync (see above): fix the cause and "
                                   "sync again (--full resends every SKU)")


def _wait(settings: Settings, job_ids: list[str], timeout: float) -> list[dict]:
    """The simulator's jobs for this run's alerts as they ended; each failure printed with its issues."""
    try:
        jobs = wait_for_jobs(settings.tiktok_url, job_ids, timeout, settings.ca_file)
    except JobWaitError as error:
        raise click.ClickException(str(error)) from None
    for job in jobs:
        if job["state"] == "failed":
            for line in describe_failure(job):
                _echo_err(line)
        else:
            _echo_err(f"job {job['id']} ({job['feed_type']}/{job['update_type']}) completed")
    keys = ("id", "feed_type", "update_type", "state", "error")
    return [{key: job.get(key) for key in keys} for job in jobs]


@main.command()
@click.option("--full/--no-full", default=True, show_default=True,
              help="Full export, the only kind without a snapshot (for a delta, use `sync --delta`).")
@_input_options
@click.option("--site-id", required=True, help="SFCC Site ID.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the files.")
@_format_option
def export(**params: Any) -> None:
    """Only write the product feed (and the inventory export when --inventory is given)."""
    if not (params["catalogs"] and params["pricebooks"]):
        raise click.UsageError("export needs at least one --catalog and one --pricebook")
    if not params["full"]:
        raise click.UsageError("--no-full: export writes full feeds only; a delta needs the snapshot that "
                               "`sfcc-connector sync --delta` keeps")
    as_json = params["output_format"] == "json"
    progress = _echo_err if as_json else click.echo
    with removed_on_failure(params["out_dir"]):
        params["out_dir"].mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        inventories = params["inventories"]
        path = params["out_dir"] / inventory_file_name(params["site_id"], now)
        # The scan's stock pass writes the inventory copy too: the lists are read once.
        try:
            files = export_full(_site_inputs(params, params["site_id"]), params["out_dir"], now,
                                path if inventories else None)
            progress(f"wrote {files.feed}: {files.rows} rows")
            for line in files.summary.lines(files.rows):
                _echo_err(line)
            records = files.inventory_records
            if inventories:
                progress(f"wrote {path}: {records} inventory records")
        except BaseException:
            path.unlink(missing_ok=True)  # the copy may have finished before the feed failed
            raise
    if as_json:
        click.echo(json.dumps({"feed": str(files.feed), "rows": files.rows,
                               "inventory": str(path) if inventories else None, "inventory_records": records,
                               "summary": files.summary.as_dict(files.rows)}, indent=1))


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_settings_options
@click.option("--locale", default=DEFAULT_LOCALE, show_default=True, help="Feed locale (site default).")
@click.option("--image-base-url", default=None, help="Prefix for image paths in image_urls.")
@click.option("--storefront-url", default=None, help="Storefront base URL for landing pages.")
@click.option("--site-catalog", type=click.Path(dir_okay=False, path_type=Path), envvar="SFCC_SITE_CATALOG",
              help="The site (storefront) catalog: a file name in FOLDER, or a path; a product sync waits "
                   "until it is there. Default: the only catalog in FOLDER, else the one that assigns "
                   "products but defines none ($SFCC_SITE_CATALOG).")
@click.option("--debounce", default=1.0, show_default=True, type=click.FloatRange(0.05),
              help="Seconds a created file must stay unchanged before it counts as finished.")
def watch(folder: Path, debounce: float, **params: Any) -> None:
    """Sync whenever an SFCC export finishes arriving in FOLDER (Ctrl-C stops).

    A catalog or price book runs the product sync over all exports in FOLDER; an inventory list
    runs the inventory sync. Files named *.part or TEMP_* are ignored until renamed into place.
    The site catalog is told as `sync` tells it, from the catalogs in FOLDER or by --site-catalog.
    """
    settings = _settings(params)
    if not settings.state_dir.exists():
        _first_run(settings.state_dir)
    site_catalog = params["site_catalog"]
    if site_catalog is not None and len(site_catalog.parts) == 1:  # a bare name: the file in FOLDER
        site_catalog = folder / site_catalog
    base = _site_inputs({**params, "catalogs": (), "pricebooks": (), "inventories": (),
                         "site_catalog": site_catalog and site_catalog.resolve()}, settings.site_id)
    watcher = FolderWatch(folder.resolve(), settings, base, click.echo, debounce=debounce)
    watcher.start()
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        watcher.stop()


@main.command(name="onboard")
@_settings_options
@click.option("--app-id", default="sfcc-connector", show_default=True, help="TikTok app ID.")
@click.option("--client-id", default="", help="Account Manager API client ID (also the WebDAV client ID).")
@click.option("--client-secret", default="", help="Account Manager API client secret.")
@click.option("--external-data-key", envvar="TIKTOK_EXTERNAL_DATA_KEY", required=True,
              help="Key TikTok gave for the external_data HMAC (`tiktok-sim serve` prints its own)"
                   " ($TIKTOK_EXTERNAL_DATA_KEY).")
@click.option("--locale", default=DEFAULT_LOCALE, show_default=True, help="Site default locale.")
@click.option("--storefront-url", default="https://www.example.com", show_default=True,
              help="Storefront URL (website_url, create_order_url).")
def onboard_command(**params: Any) -> None:
    """Register this instance with TikTok (the cartridge's auth callback), WebDAV URL included."""
    settings = _settings(params)
    storefront = params["storefront_url"].rstrip("/")
    fields = {
        "external_business_id": settings.external_business_id, "app_id": params["app_id"],
        "client_id": params["client_id"], "client_secret": params["client_secret"],
        "commerce_cloud_username": settings.user, "commerce_cloud_password": settings.password,
        "site_id": settings.site_id, "webdav_password": settings.password,
        "create_order_url": f"{storefront}/OrderCreate-Social", "website_url": storefront,
        "webdav_url": settings.instance, "locale": params["locale"],
    }
    onboard(settings.tiktok_url, fields, params["external_data_key"],
            ca_file=settings.ca_file)
    click.echo(f"onboarded tenant {settings.external_business_id}: TikTok will read {settings.instance}")


if __name__ == "__main__":
    main()
