#!/usr/bin/env python3
"""Trunk post_build hook (see Trunk.toml): writes into the built sw.js the list of files to cache
for offline use and a version for its cache.

Trunk names the .js/.wasm/.css it emits by content hash, so the list can only be known after a
build: it is every file in Trunk's staging directory (what dist/ is about to hold) but sw.js
itself, as paths relative to it. The version is a hash of those paths, their contents and the
worker's own source, so any change to the app gives a new cache and a byte-different sw.js (the
browser's cue to install the new worker).

    TRUNK_STAGING_DIR=dist python3 scripts/sw_precache.py    # also works on a finished dist/
"""
import hashlib
import json
import os
import re
import sys
from pathlib import Path

# The one line of sw.js this script rewrites.
BUILD_LINE = re.compile(r"^const BUILD = .*;$", re.M)
# Never cached: the worker itself (browsers fetch it fresh), source maps, precompressed copies.
SKIP_SUFFIXES = (".map", ".gz", ".br")


def main():
    staging = Path(os.environ.get("TRUNK_STAGING_DIR") or (sys.argv[1] if len(sys.argv) > 1 else "dist"))
    sw = staging / "sw.js"
    if not sw.is_file():
        sys.exit(f"sw_precache: {sw} is missing (index.html copies static/sw.js with copy-file)")
    files = sorted(
        p.relative_to(staging).as_posix()
        for p in staging.rglob("*")
        if p.is_file() and p != sw and not p.name.endswith(SKIP_SUFFIXES)
    )
    source = sw.read_text(encoding="utf-8")
    # Hash the template, not a previous run's output, so running twice gives the same version.
    template = BUILD_LINE.sub("", source, count=1)
    digest = hashlib.sha256(template.encode())
    for name in files:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((staging / name).read_bytes()).digest())
    build = {"version": digest.hexdigest()[:16], "files": files}
    line = "const BUILD = " + json.dumps(build, separators=(", ", ": ")) + ";"
    text, n = BUILD_LINE.subn(lambda _: line, source, count=1)
    if n != 1:
        sys.exit(f"sw_precache: {sw} has no `const BUILD = ...;` line to fill in")
    sw.write_text(text, encoding="utf-8")
    print(f"sw_precache: {len(files)} files, version {build['version']}")


if __name__ == "__main__":
    main()
