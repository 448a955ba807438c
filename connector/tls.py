"""Whom the connector trusts over https: the system's CAs plus the file `--ca-file` names, never nobody.

A certificate the connector cannot verify is a setup problem the user fixes with `--ca-file`, not a
transient failure: it is reported once, naming the host and that fix, and never retried or skipped.
"""

from __future__ import annotations

import functools
import ssl
from pathlib import Path

CA_HINT = "check that --ca-file or $SFCC_CA_FILE names the CA that signed it"


@functools.cache
def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """The verifying context, made once per CA file and process and only for an https call: loading the
    system's CAs takes tens of milliseconds (OpenSSL 3), which a plain-http run should not pay."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def check_ca_file(ca_file: Path) -> None:
    """Raise OSError (ssl.SSLError included) unless `ca_file` holds PEM CA certificates; loads only it."""
    ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(ca_file))


def untrusted(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate failure inside `error` (urllib wraps it in a URLError), if that is what it is."""
    reason = getattr(error, "reason", error)
    return reason if isinstance(reason, ssl.SSLCertVerificationError) else None


def untrusted_message(host: str, error: ssl.SSLCertVerificationError) -> str:
    return f"the TLS certificate of {host} is not trusted ({error.verify_message}); {CA_HINT}"
