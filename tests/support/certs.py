"""Certificates for the tests' own https servers, made with trustme, never with the simulator's code.

A test that checks the simulator or the connector against certificates from a second, independent
maker catches a certificate that only its own maker's code would accept.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme


class TestCA:
    """A throwaway CA, written as `<folder>/ca.pem`, that issues server certificates for 127.0.0.1."""

    __test__ = False  # a helper, not a pytest test class

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._ca = trustme.CA()
        self.ca_file = folder / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        self._leaf = self._ca.issue_cert("127.0.0.1", "localhost")

    def server_files(self) -> tuple[Path, Path]:
        """(certificate chain, unencrypted key) of the 127.0.0.1 certificate, as PEM files."""
        cert, key = self.folder / "server.pem", self.folder / "server-key.pem"
        with open(cert, "wb") as out:
            out.writelines(pem.bytes() for pem in self._leaf.cert_chain_pems)
        self._leaf.private_key_pem.write_to_path(str(key))
        return cert, key

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(context)
        return context
