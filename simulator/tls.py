"""TLS for `tiktok-sim serve`: a local CA and a server certificate kept under `<data-dir>/tls/`, or the
user's own pair, and the one way the simulator decides whom it trusts as a client.

SFCC's tools and the cartridge speak only https. A CA made once and kept across restarts means a user
trusts it once (curl --cacert, an OS store); the server certificate it signs is remade whenever it no
longer covers the host being served, which the CA outlives.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE, CA_KEY_FILE = "ca.pem", "ca-key.pem"
CERT_FILE, KEY_FILE = "server.pem", "server-key.pem"
CA_LIFETIME = timedelta(days=3650)
# Apple's clients refuse server certificates valid for more than 825 days, even from a private CA.
CERT_LIFETIME = timedelta(days=397)
RENEW_BEFORE = timedelta(days=30)
_WILDCARD_HOSTS = ("0.0.0.0", "::")


class TlsError(ValueError):
    """A certificate or key that cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class ServerCertificate:
    """The pair the server presents, and the CA a client must trust when the simulator made it."""

    cert: Path
    key: Path
    ca: Path | None


def served_names(host: str) -> list[str]:
    """Names the server certificate must cover: localhost, 127.0.0.1 and the host served on.

    A wildcard bind is also reached by the machine's own name, so that name is covered too.
    """
    names = ["localhost", "127.0.0.1", "::1"]
    extra = [host, socket.gethostname()] if host in _WILDCARD_HOSTS else [host]
    return names + [name for name in dict.fromkeys(extra) if name and name.lower() not in names]


def local_certificate(tls_dir: Path, host: str) -> ServerCertificate:
    """The simulator's own CA and server certificate, made on first use and kept; the server certificate
    is remade when it does not cover `host`, is near its end, or was not signed by this CA."""
    tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_cert, ca_key = _load_or_make_ca(tls_dir)
    names = served_names(host)
    cert_path, key_path = tls_dir / CERT_FILE, tls_dir / KEY_FILE
    if not _still_good(cert_path, key_path, ca_cert, names):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _server_certificate(key, names, ca_cert, ca_key)
        _write_private(key_path, _key_pem(key))  # the key first: server.pem is what marks the pair done
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return ServerCertificate(cert_path, key_path, tls_dir / CA_FILE)


def own_certificate(cert_path: Path, key_path: Path) -> ServerCertificate:
    """The user's `--tls-cert`/`--tls-key`, checked so a mistake names the file instead of failing later."""
    chain = _read_certificates(cert_path)
    key = _read_key(key_path)
    if _public_der(chain[0].public_key()) != _public_der(key.public_key()):
        raise TlsError(f"{key_path}: this key does not belong to the certificate in {cert_path}")
    return ServerCertificate(cert_path, key_path, None)


@functools.cache
def client_context(*ca_files: Path | None) -> ssl.SSLContext:
    """Verify servers against the system store plus `ca_files`; verification is never turned off.

    Made once per set of files and process: loading the system's CAs takes tens of milliseconds
    (OpenSSL 3), which every start of an http-only server would otherwise pay."""
    context = ssl.create_default_context()
    for ca_file in ca_files:
        if ca_file is None:
            continue
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as error:
            raise TlsError(f"{ca_file}: cannot load it as PEM CA certificates: {error}") from None
    return context


def _load_or_make_ca(tls_dir: Path) -> tuple[x509.Certificate, PrivateKeyTypes]:
    """The kept CA; a damaged one is an error, not silently replaced, since users have trusted it."""
    ca_path, key_path = tls_dir / CA_FILE, tls_dir / CA_KEY_FILE
    if ca_path.exists():
        cert = _read_certificates(ca_path)[0]
        key = _read_key(key_path)
        if _public_der(cert.public_key()) != _public_der(key.public_key()):
            raise TlsError(f"{key_path}: this key does not belong to the CA in {ca_path}; "
                           f"remove {tls_dir} to make a new CA (clients must then trust the new one)")
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"tiktok-sim local CA {os.urandom(4).hex()}"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tiktok-sfcc-sim")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    _write(ca_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _server_certificate(key: PrivateKeyTypes, names: Iterable[str], ca_cert: x509.Certificate,
                        ca_key: PrivateKeyTypes) -> x509.Certificate:
    now = datetime.now(UTC)
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tiktok-sim")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name.lower())


def _still_good(cert_path: Path, key_path: Path, ca_cert: x509.Certificate, names: list[str]) -> bool:
    """Whether the kept server certificate can be served again as it is."""
    try:
        cert = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        cert.verify_directly_issued_by(ca_cert)
        covered = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    return (
        _public_der(cert.public_key()) == _public_der(key.public_key())
        and cert.not_valid_after_utc - RENEW_BEFORE > datetime.now(UTC)
        and all(_general_name(name) in covered for name in names)
    )


def _read_certificates(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as error:
        raise TlsError(f"{path}: cannot read the certificate: {error.strerror}") from None
    except ValueError:
        raise TlsError(f"{path}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)") from None


def _read_key(path: Path) -> PrivateKeyTypes:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), None)
    except OSError as error:
        raise TlsError(f"{path}: cannot read the private key: {error.strerror}") from None
    except TypeError:
        raise TlsError(f"{path}: the private key is encrypted; give an unencrypted PEM key") from None
    except ValueError:
        raise TlsError(f"{path}: holds no PEM private key (-----BEGIN PRIVATE KEY-----)") from None
    return key


def _public_der(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by its owner only, replacing any old one whole."""
    temp = path.with_name(path.name + ".tmp")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temp, path)


def _write(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
