#!/usr/bin/env python3
"""Trunk post_build hook (see Trunk.toml; runs before sw_precache.py): puts the lessons' prose
files into the site.

build.rs renders each lesson's Markdown into OUT_DIR/lessons/<slug>.<content hash>.html, a file
the page fetches when the lesson opens (so the wasm does not carry every lesson's text). The
wasm names the files it will fetch, so this copies exactly those: it reads the names out of the
built wasm and finds each file under cargo's target directory. A file named but not found is an
error, never a site with a lesson that cannot load.

    TRUNK_STAGING_DIR=dist python3 scripts/lesson_prose.py
"""
import os
import re
import shutil
import sys
from pathlib import Path

NAME = re.compile(rb"lessons/[a-z0-9-]+\.[0-9a-f]{16}\.html")


def main():
    staging = Path(os.environ.get("TRUNK_STAGING_DIR") or (sys.argv[1] if len(sys.argv) > 1 else "dist"))
    source = Path(os.environ.get("TRUNK_SOURCE_DIR") or Path(__file__).resolve().parent.parent)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or source / "target")
    if not target.is_absolute():
        target = source / target
    wasms = list(staging.glob("*_bg.wasm"))
    if len(wasms) != 1:
        sys.exit(f"lesson_prose: expected one *_bg.wasm in {staging}, found {len(wasms)}")
    names = sorted({m.decode() for m in NAME.findall(wasms[0].read_bytes())})
    if not names:
        sys.exit(f"lesson_prose: {wasms[0].name} names no lesson prose file")
    # Every build's OUT_DIR (one per target, profile and build-script hash) keeps its files;
    # a name carries its content's hash, so any copy of it is the right one.
    found = {}
    for out in target.glob("wasm32-unknown-unknown/*/build/lockstep-*/out/lessons"):
        for name in names:
            f = out.parent / name
            if name not in found and f.is_file():
                found[name] = f
    missing = [n for n in names if n not in found]
    if missing:
        sys.exit(f"lesson_prose: not found under {target}: {', '.join(missing)}")
    (staging / "lessons").mkdir(exist_ok=True)
    for name in names:
        shutil.copyfile(found[name], staging / name)
    print(f"lesson_prose: {len(names)} files")


if __name__ == "__main__":
    main()
