"""`tiktok-sim serve --tls`: https on the one port for WebDAV and API alike, a CA made once and kept, the
user's own certificate, pickup that verifies tenants' hosts, and real clients that refuse it without the CA.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from support.certs import TestCA
from support.net import request
from support.peers import real_peer
from support.sfcc import PRODUCT_FOLDER
from support.simulator_client import Client, row, running

from connector.cli import main as connector_main
from simulator.server import SimServer
from simulator.tls import TlsError, local_certificate

ROOT = Path(__file__).resolve().parent.parent


def handshake(name: str, cert: Path, key: Path, ca: Path) -> None:
    """A real TLS handshake in memory: a client trusting only `ca` connects to `name`; raises if refused."""
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ssl.create_default_context(cafile=str(ca)).wrap_bio(to_client, to_server, server_hostname=name)
    server = server_side.wrap_bio(to_server, to_client, server_side=True)
    for _ in range(10):
        pending = False
        for side in (client, server):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                pending = True
        if not pending:
            return
    raise AssertionError("the handshake did not finish")


def test_first_start_makes_a_ca_and_a_certificate_kept_across_restarts(tmp_path: Path) -> None:
    with running(tmp_path / "sim", tls=True) as client:
        assert client.server.base_url.startswith("https://") and client.server.dav_url.startswith("https://")
        assert client.server.ca_path == tmp_path / "sim" / "tls" / "ca.pem"
        assert client.api("GET", "/_sim/health")[1] == {"status": "ok"}
        first = {p.name: p.read_bytes() for p in (tmp_path / "sim" / "tls").iterdir()}
    assert sorted(first) == ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]
    for key in ("ca-key.pem", "server-key.pem"):
        assert (tmp_path / "sim" / "tls" / key).stat().st_mode & 0o777 == 0o600, key

    with running(tmp_path / "sim", tls=True) as client:
        assert client.api("GET", "/_sim/health")[0] == 200  # the CA a client trusted still works
        assert {p.name: p.read_bytes() for p in (tmp_path / "sim" / "tls").iterdir()} == first


@pytest.mark.parametrize("host, name", [("sim.example.test", "sim.example.test"),
                                        ("0.0.0.0", socket.gethostname())], ids=["name", "wildcard"])
def test_a_new_host_gets_a_new_server_certificate_from_the_same_ca(tmp_path: Path, host: str,
                                                                   name: str) -> None:
    before = local_certificate(tmp_path, "127.0.0.1")
    ca, cert = before.ca.read_bytes(), before.cert.read_bytes()
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(name, before.cert, before.key, before.ca)

    after = local_certificate(tmp_path, host)

    assert after.ca.read_bytes() == ca and after.cert.read_bytes() != cert
    for covered in (name, "localhost", "127.0.0.1"):
        handshake(covered, after.cert, after.key, after.ca)


def test_a_damaged_ca_is_an_error_naming_the_file_not_silently_replaced(tmp_path: Path) -> None:
    made = local_certificate(tmp_path, "127.0.0.1")
    key = tmp_path / "ca-key.pem"
    key.write_text("not a key\n", encoding="utf-8")
    with pytest.raises(TlsError, match=str(key)):
        local_certificate(tmp_path, "127.0.0.1")
    assert made.ca.exists()


def test_a_client_without_the_ca_gets_a_certificate_error_never_plain_http(tmp_path: Path) -> None:
    with running(tmp_path / "sim", tls=True) as client:
        with pytest.raises(urllib.error.URLError) as refused:
            urllib.request.urlopen(client.server.base_url + "/_sim/health", timeout=10)
        assert isinstance(refused.value.reason, ssl.SSLCertVerificationError), refused.value
        plain = client.server.base_url.replace("https://", "http://") + "/_sim/health"
        try:
            status, _ = request("GET", plain)
        except OSError:
            status = None  # the server dropped the plain connection
        assert status != 200


def test_temp_then_move_with_an_https_destination(tmp_path: Path) -> None:
    with running(tmp_path / "sim", tls=True) as client:
        client.drop(PRODUCT_FOLDER, "feed.txt", b"data")  # PUT TEMP_feed.txt, MOVE to an https:// URL

        assert client.dav("GET", f"{PRODUCT_FOLDER}/feed.txt") == (200, b"data")
        assert client.dav("GET", f"{PRODUCT_FOLDER}/TEMP_feed.txt")[0] == 404


def test_pickup_of_the_embedded_webdav_over_https(tmp_path: Path) -> None:
    with running(tmp_path / "sim", tls=True) as client:
        client.drop_feed([row("SKU-1", "G-1")])
        job = client.run()
        assert job["state"] == "completed", job
        assert job["url"].startswith("https://")
        assert [p["item_group_id"] for p in client.products()] == ["G-1"]


def onboard(tiktok: Client, instance: Client, tenant: str) -> None:
    """`sfcc-connector onboard` registers `instance` as the WebDAV host of `tenant` with `tiktok`."""
    result = CliRunner().invoke(connector_main, [
        "onboard", "--site-id", "RefArch", "--instance", instance.server.base_url,
        "--user", instance.server.dav_user, "--password", instance.server.dav_password,
        "--tiktok-url", tiktok.server.base_url, "--external-business-id", tenant,
        "--external-data-key", tiktok.server.external_data_key, "--ca-file", str(tiktok.ca_file)])
    assert result.exit_code == 0, result.output


def test_pickup_from_an_https_host_it_cannot_verify_fails_naming_it_until_given_the_ca(
        tmp_path: Path) -> None:
    with running(tmp_path / "instance", tls=True) as instance:
        instance.drop_feed([row("SKU-2", "G-2")])
        folder = f"{instance.server.dav_url}/{PRODUCT_FOLDER}"
        with running(tmp_path / "tiktok", tls=True) as tiktok:
            onboard(tiktok, instance, "tenant-2")
            answer = tiktok.alert(url=folder, external_business_id="tenant-2")
            job = tiktok.wait_job(answer["data"]["job_id"])
            assert job["state"] == "failed", job
            host = instance.server.base_url.split("://")[1]
            assert f"TLS certificate of {host} does not verify" in job["error"], job["error"]
            assert "--ca-file" in job["error"] and tiktok.products() == []

        with running(tmp_path / "tiktok", tls=True, ca_file=instance.ca_file) as tiktok:
            answer = tiktok.alert(url=folder, external_business_id="tenant-2")
            job = tiktok.wait_job(answer["data"]["job_id"])
            assert job["state"] == "completed", job
            assert [p["item_group_id"] for p in tiktok.products()] == ["G-2"]


def test_own_certificate_and_key_are_served(tmp_path: Path) -> None:
    ca = TestCA(tmp_path / "ca")
    cert, key = ca.server_files()
    with SimServer(tmp_path / "sim", tls_cert=cert, tls_key=key, ca_file=ca.ca_file) as server:
        assert server.ca_path is None and not (tmp_path / "sim" / "tls").exists()
        client = Client(server, ca_file=ca.ca_file)
        served = ssl.get_server_certificate(("127.0.0.1", server.port))
        assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(cert.read_text().split(
            "-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")
        client.drop_feed([row("SKU-3", "G-3")])
        assert client.run()["state"] == "completed"  # its pickup trusts the CA given as --ca-file


def test_own_certificate_its_pickup_could_not_verify_fails_at_start(tmp_path: Path) -> None:
    cert, key = TestCA(tmp_path / "ca").server_files()
    server = SimServer(tmp_path / "sim", tls_cert=cert, tls_key=key)
    with pytest.raises(TlsError, match="does not verify .*--ca-file"):
        server.start()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0  # nothing is left listening


def encrypted(key: Path) -> Path:
    """The same key as PEM encrypted with a passphrase, which `serve` cannot use unattended."""
    loaded = serialization.load_pem_private_key(key.read_bytes(), None)
    locked = key.with_name("locked-key.pem")
    locked.write_bytes(loaded.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"passphrase")))
    return locked


@pytest.mark.parametrize("broken, says", [("cert", "holds no PEM certificate"),
                                          ("key", "the private key is encrypted"),
                                          ("ca_file", "cannot load it as PEM CA certificates")])
def test_unusable_tls_files_are_refused_naming_the_file(tmp_path: Path, broken: str, says: str) -> None:
    ca = TestCA(tmp_path / "ca")
    files = dict(zip(("cert", "key"), ca.server_files(), strict=True), ca_file=ca.ca_file)
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n", encoding="utf-8")
    files[broken] = encrypted(files["key"]) if broken == "key" else not_pem
    server = SimServer(tmp_path / "sim", tls_cert=files["cert"], tls_key=files["key"],
                       ca_file=files["ca_file"])
    with pytest.raises(TlsError, match=f"^{files[broken]}: {says}"):
        server.start()


def serve(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from simulator.cli import main; main()", "serve",
                             "--data-dir", str(tmp_path / "d"), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_serve_with_a_key_that_is_not_the_certificates_names_the_file(tmp_path: Path) -> None:
    ca = TestCA(tmp_path / "ca")
    cert, _ = ca.server_files()
    other_key = TestCA(tmp_path / "other").server_files()[1]
    with serve(tmp_path, "--tls-cert", str(cert), "--tls-key", str(other_key)) as proc:
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, out
    assert f"{other_key}: this key does not belong to the certificate in {cert}" in err
    assert "Traceback" not in err


def test_serve_with_a_certificate_but_no_key_is_a_usage_error(tmp_path: Path) -> None:
    cert, _ = TestCA(tmp_path / "ca").server_files()
    with serve(tmp_path, "--tls-cert", str(cert)) as proc:
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "--tls-cert and --tls-key go together" in err


def test_serve_tls_prints_the_ca_and_https_urls(tmp_path: Path) -> None:
    with serve(tmp_path, "--tls") as proc:
        lines = []
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        said = dict(line.split(":", 1) for line in lines if ":" in line)
        ca = Path(said["CA to trust"].strip())
        assert ca == (tmp_path / "d" / "tls" / "ca.pem").resolve() and ca.is_file()
        api = said["TikTok Shop API"].strip()
        assert api.startswith("https://") and said["WebDAV (SFCC Impex)"].strip().startswith("https://")
        assert request("GET", api + "/_sim/health", ca_file=ca)[0] == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


@pytest.mark.litmus
def test_litmus_passes_every_test_over_https(tmp_path: Path) -> None:
    """Conformance over TLS. litmus (neon) does not verify certificates, so rclone below checks that."""
    litmus = real_peer("litmus")
    with running(tmp_path / "sim", tls=True, dav_user="merchant", dav_password="access-key") as client:
        result = subprocess.run([litmus, client.server.dav_url + "/", "merchant", "access-key"],
                                cwd=tmp_path, capture_output=True, text=True, timeout=120)
    summaries = [line for line in result.stdout.splitlines() if line.startswith("<- summary")]
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(summaries) == 5 and all(" 0 failed" in line for line in summaries), summaries
    skipped = [line for line in result.stdout.splitlines() if "SKIPPED" in line]
    assert all("expect100" in line for line in skipped), skipped  # litmus skips it for any SSL server


def test_rclone_copies_in_and_lists_over_https_only_with_the_ca(tmp_path: Path) -> None:
    rclone = real_peer("rclone")
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    env["RCLONE_CONFIG"] = str(tmp_path / "rclone.conf")  # no user config; the remote is on the command line
    local = tmp_path / "tiktok-feed-RefArch-x.txt"
    local.write_bytes(b"feed")
    with running(tmp_path / "sim", tls=True) as client:
        secret = subprocess.run([rclone, "obscure", "-"], input=client.server.dav_password + "\n", env=env,
                                capture_output=True, text=True, check=True).stdout.strip()
        remote = (f":webdav,url='{client.server.dav_url}',vendor=other,user={client.server.dav_user},"
                  f"pass={secret}:{PRODUCT_FOLDER}")

        refused = subprocess.run([rclone, "copy", str(local), remote], env=env, capture_output=True,
                                 text=True, timeout=60)
        assert refused.returncode != 0 and "certificate signed by unknown authority" in refused.stderr
        assert client.dav("GET", f"{PRODUCT_FOLDER}/{local.name}")[0] == 404

        trusted = [rclone, "--ca-cert", str(client.server.ca_path)]
        subprocess.run([*trusted, "copy", str(local), remote], env=env, capture_output=True, text=True,
                       timeout=60, check=True)
        listing = subprocess.run([*trusted, "lsf", remote], env=env, capture_output=True, text=True,
                                 timeout=60, check=True)
        assert listing.stdout.split() == [local.name]
        assert client.dav("GET", f"{PRODUCT_FOLDER}/{local.name}") == (200, b"feed")
