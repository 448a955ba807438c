"""Whom the connector trusts over https: the system's CAs plus the file `--ca-file` names, never nobody.

A certificate the connector cannot verify is a setup problem the user fixes with `--ca-file`, not a
transient failure: it is reported once, naming the host and that fix, and never retried or skipped.
"""

from __future__ import annotations

import ssl
from pathlib import Path

CA_HINT = "check that --ca-file or $SFCC_CA_FILE names the CA that signed it"


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verifying context; raises OSError (ssl.SSLError included) when `ca_file` holds no usable CA."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def untrusted(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate failure inside `error` (urllib wraps it in a URLError), if that is what it is."""
    reason = getattr(error, "reason", error)
    return reason if isinstance(reason, ssl.SSLCertVerificationError) else None


def untrusted_message(host: str, error: ssl.SSLCertVerificationError) -> str:
    return f"the TLS certificate of {host} is not trusted ({error.verify_message}); {CA_HINT}"
