"""A cheap content fingerprint for cache keys (zlib is already loaded; hashlib costs milliseconds to import).

Two independent 32-bit checksums and the length: accidental collisions between two versions of a file are
negligible, and the caches it keys only ever hold our own validated results.
"""

from __future__ import annotations

import zlib


def fingerprint(data: bytes) -> str:
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}"
