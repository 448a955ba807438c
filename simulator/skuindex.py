"""A set of SKU ids that costs 16 to 32 bytes per SKU: how a streaming check finds repeated ids.

The feed check and the inventory reader both meet every SKU of a million-row file once and must say
whether they met it before; a set of the strings would hold over 100 bytes per SKU.
"""

from __future__ import annotations

import hashlib
from array import array


class SkuIndex:
    """The SKU ids seen so far, as 8-byte BLAKE2b digests in an open-addressing table kept at most half full:
    16 to 32 bytes per SKU where a set of the strings costs over 100. Two of a million distinct ids share a
    digest with odds of about 3e-8; the digest is keyed by nothing, so a feed's report is reproducible.
    """

    def __init__(self) -> None:
        self._slots = array("Q", bytes(8 * 1024))
        self._count = 0

    def add(self, sku_id: str) -> bool:
        """Remember `sku_id`; False when it was already there."""
        data = sku_id.encode("utf-8", "surrogatepass")
        digest = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") or 1  # 0: free slot
        if not self._insert(self._slots, digest):
            return False
        self._count += 1
        if 2 * self._count > len(self._slots):
            slots = array("Q", bytes(16 * len(self._slots)))
            for old in self._slots:
                if old:
                    self._insert(slots, old)
            self._slots = slots
        return True

    @staticmethod
    def _insert(slots: array, digest: int) -> bool:
        mask = len(slots) - 1
        index = digest & mask
        while slots[index]:
            if slots[index] == digest:
                return False
            index = (index + 1) & mask
        slots[index] = digest
        return True
