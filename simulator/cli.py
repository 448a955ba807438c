"""`tiktok-sim`: serve the simulator, check feeds offline, list the rules, run the demo."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from simulator.check import check_command, rules_command
from simulator.demo import demo_command
from simulator.rules.profiles import DEFAULT_REGION
from simulator.server import SimServer
from simulator.tenant import DEFAULT_TENANT_ID


@click.group()
def main() -> None:
    """TikTok Shop simulator for the TikTok for Salesforce Commerce Cloud catalog and inventory sync."""


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
def serve_command(
    data_dir: Path,
    host: str,
    port: int,
    dav_user: str | None,
    dav_password: str | None,
    external_business_id: str,
    region: str,
) -> None:
    """Run the embedded SFCC WebDAV and the TikTok Shop API on one port until Ctrl-C."""
    server = SimServer(data_dir, host, port, dav_user, dav_password, external_business_id, region)
    try:
        server.start()
    except OSError as error:
        raise click.ClickException(f"cannot serve on {host}:{port}: {error}") from error
    click.echo(f"WebDAV (SFCC Impex): {server.dav_url}/")
    click.echo(f"TikTok Shop API:     {server.base_url}")
    click.echo(f"WebDAV user:         {server.dav_user}")
    click.echo(f"WebDAV access key:   {server.dav_password}")
    click.echo(f"Tenant:              {external_business_id}")
    click.echo(f"Data dir:            {data_dir.resolve()}")
    click.echo("Press Ctrl-C to stop.")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a service manager's stop is a Ctrl-C
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Stopping...")
    finally:
        server.stop()


main.add_command(check_command)
main.add_command(rules_command)
main.add_command(demo_command)


if __name__ == "__main__":
    main()
