"""`tiktok-sim`: serve the simulator, check feeds offline, list the rules, run the demo."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from simulator import journal
from simulator.check import check_command, rules_command
from simulator.conformance.command import conformance_command
from simulator.credentials import CredentialsError
from simulator.demo import demo_command
from simulator.failures import Commands
from simulator.job import Limits
from simulator.requestlimits import DEFAULT_MAX_REQUEST_BODY
from simulator.rules.profiles import DEFAULT_REGION
from simulator.runner import log_jobs_to
from simulator.server import SimServer
from simulator.tenant import DEFAULT_TENANT_ID
from simulator.tls import TlsError
from simulator.tokens import ACCESS_TOKEN_LIFETIME_S
from simulator.webhooks import RETRY_S

_PEM = click.Path(exists=True, dir_okay=False, path_type=Path)


def _seconds_list(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, ...]:
    """`120,1800` -> (120.0, 1800.0): comma-separated seconds, each 0 or more."""
    try:
        seconds = tuple(float(part) for part in value.split(","))
    except ValueError:
        message = f"{value!r} is not a comma-separated list of seconds (e.g. 120,1800)"
        raise click.BadParameter(message) from None
    if any(not 0 <= s < float("inf") for s in seconds):
        raise click.BadParameter(f"{value!r}: every retry delay must be 0 seconds or more")
    return seconds


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tiktok-sfcc-sim", prog_name="tiktok-sim")
@click.option("--debug", is_flag=True, help="Show the traceback of an expected failure too.")
def main(debug: bool) -> None:
    """TikTok Shop simulator for the TikTok for Salesforce Commerce Cloud catalog and inventory sync.

    An expected failure (unusable data folder, busy port, unwritable file) prints one `error:` line
    and exits 1.
    """


@main.command("serve")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("tiktok-sim-data"),
    show_default=True,
    help="Where the WebDAV files, uploads and the SQLite store live.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8080, show_default=True, help="0 picks a free port.")
@click.option("--dav-user", envvar="TIKTOK_SIM_DAV_USER", help="WebDAV user (generated when not given).")
@click.option(
    "--dav-password", envvar="TIKTOK_SIM_DAV_PASSWORD", help="WebDAV access key (generated when not given)."
)
@click.option(
    "--external-business-id",
    default=DEFAULT_TENANT_ID,
    show_default=True,
    help="Tenant registered for the embedded WebDAV, as the connector's flag of the same name.",
)
@click.option("--region", default=DEFAULT_REGION, show_default=True, help="Rule profile for review.")
@click.option("--app-key", envvar="TIKTOK_SIM_APP_KEY",
              help="The TikTok app's key for Partner API calls (saved, else generated on first start).")
@click.option("--app-secret", envvar="TIKTOK_SIM_APP_SECRET",
              help="The app's secret: signs Partner API calls (saved, else generated on first start).")
@click.option("--external-data-key", envvar="TIKTOK_SIM_EXTERNAL_DATA_KEY",
              help="The app's key for the cartridge's external_data HMAC (saved, else generated).")
@click.option("--access-token-lifetime", "access_token_lifetime_s", type=click.IntRange(1),
              default=ACCESS_TOKEN_LIFETIME_S, show_default=True,
              help="Seconds an access token lives (TikTok: 7 days); shorten it to test refreshing.")
@click.option("--journal-size", type=click.IntRange(1), default=journal.DEFAULT_SIZE, show_default=True,
              help="Requests the journal keeps (GET /_sim/journal); the oldest go first.")
@click.option("--webhook-retry", "webhook_retry_s", callback=_seconds_list,
              default=",".join(f"{s:g}" for s in RETRY_S), show_default=True,
              help="Seconds before each retry of a failed webhook delivery (TikTok's schedule by default).")
@click.option("--tls", is_flag=True, envvar="TIKTOK_SIM_TLS",
              help="Serve https with a CA and certificate made on first start under <data-dir>/tls/ (kept).")
@click.option("--tls-cert", type=_PEM, envvar="TIKTOK_SIM_TLS_CERT",
              help="Serve https with this PEM certificate (chain) instead; needs --tls-key.")
@click.option("--tls-key", type=_PEM, envvar="TIKTOK_SIM_TLS_KEY",
              help="The unencrypted PEM key of --tls-cert.")
@click.option("--ca-file", type=_PEM, envvar="TIKTOK_SIM_CA_FILE",
              help="PEM CA certificates pickup trusts, besides the system's, on tenants' https WebDAV hosts.")
@click.option("--settle-seconds", type=click.FloatRange(0), default=Limits.settle_s, show_default=True,
              help="On any WebDAV host but the embedded one, take a file only once its size and ETag "
                   "held this long and it is not locked.")
@click.option("--download-retries", type=click.IntRange(0), default=Limits.retries, show_default=True,
              help="Tries more for a short or failed download, with doubling waits, before the job fails.")
@click.option("--retry-backoff", type=click.FloatRange(0), default=Limits.backoff_s, show_default=True,
              help="Seconds before the first retry of a download.")
@click.option("--max-download-bytes", type=click.IntRange(1), default=Limits.max_download, show_default=True,
              help="Largest file pickup fetches; a larger one is recorded as failed.")
@click.option("--max-line-bytes", type=click.IntRange(1), default=Limits.max_line, show_default=True,
              help="Longest feed line; a longer one is a row error, skipped unread.")
@click.option("--keep-uploads", type=click.IntRange(0), default=Limits.keep_uploads, show_default=True,
              help="Jobs whose raw files stay under <data-dir>/uploads/.")
@click.option("--max-request-body", type=click.IntRange(1), default=DEFAULT_MAX_REQUEST_BODY,
              show_default=True, help="Largest API request body (bytes); a larger one gets 413 unread.")
def serve_command(
    data_dir: Path,
    host: str,
    port: int,
    dav_user: str | None,
    dav_password: str | None,
    external_business_id: str,
    region: str,
    tls: bool,
    tls_cert: Path | None,
    tls_key: Path | None,
    ca_file: Path | None,
    settle_seconds: float,
    download_retries: int,
    retry_backoff: float,
    max_download_bytes: int,
    max_line_bytes: int,
    keep_uploads: int,
    **partner: Any,
) -> None:
    """Run the embedded SFCC WebDAV and the TikTok Shop API on one port until Ctrl-C."""
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together: give both or neither")
    server = SimServer(data_dir, host, port, dav_user, dav_password, external_business_id, region, **partner,
                       tls=tls, tls_cert=tls_cert, tls_key=tls_key, ca_file=ca_file,
                       limits=Limits(settle_seconds, retries=download_retries, backoff_s=retry_backoff,
                                     max_download=max_download_bytes, max_line=max_line_bytes,
                                     keep_uploads=keep_uploads))
    try:
        server.start()
    except CredentialsError as error:
        raise click.ClickException(str(error)) from None
    except TlsError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        if error.filename is not None:
            raise  # the data folder, not the port: failures.py names the path and what to do
        raise click.ClickException(f"cannot serve on {host}:{port}: {error.strerror or error} "
                                   "(is the port in use? --port 0 picks a free one)") from error
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a service manager's stop is a Ctrl-C
    click.echo(f"Dashboard:           {server.base_url}/")
    click.echo(f"WebDAV (SFCC Impex): {server.dav_url}/")
    click.echo(f"TikTok Shop API:     {server.base_url}")
    click.echo(f"WebDAV user:         {server.dav_user}")
    click.echo(f"WebDAV access key:   {server.dav_password}")
    click.echo(f"Tenant:              {external_business_id}")
    click.echo(f"Data dir:            {data_dir.resolve()}")
    click.echo(f"App key:             {server.app_key}")
    click.echo(f"App secret:          {server.app_secret}")
    click.echo(f"External-data key:   {server.external_data_key}")
    click.echo(f"Saved credentials:   {server.credentials_file.resolve()} (reused at the next start)")
    if server.ca_path:
        click.echo(f"CA to trust:         {server.ca_path.resolve()}")
    log_jobs_to(sys.stdout)
    try:
        click.echo("Press Ctrl-C to stop.")  # inside: a stop right after it is a clean stop
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Stopping...")
    finally:
        server.stop()


main.add_command(check_command)
main.add_command(rules_command)
main.add_command(demo_command)
main.add_command(conformance_command)


if __name__ == "__main__":
    main()
