"""A short digest of files the code renders with, for cache keys of rendered output: a release
that changes a template or stylesheet gets new keys instead of serving what the old one made."""

import functools
import hashlib
from pathlib import Path


@functools.cache
def files_fingerprint(*paths: Path) -> str:
    """Digest of the files at `paths`, folders read whole; computed once per process."""
    digest = hashlib.sha256()
    for path in paths:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(file.read_bytes())
    return digest.hexdigest()[:12]
