#!/usr/bin/env python3
"""Writes bundle zips that test how much memory `pico serve` needs to serve an archive.

Each is a bundle with a correct canonical `pico-manifest.json` and `SHA256SUMS` (computed the
way pico computes them), packed with Python's zipfile (deflate, zip64 where needed); the large
entries are streamed in, never held in memory, and are zeros, so they compress ~1000:1.

  big             index.html and big.bin (SIZE bytes), both listed: an honest large file
  lying-entry     index.html is listed with its real 40-odd bytes, but the zip's index.html
                  entry holds SIZE bytes (a zip bomb where a page should be)
  manifest-bomb   pico-manifest.json is SIZE bytes of spaces

usage: serve_zip.py KIND OUT.zip --size BYTES
"""
import argparse, hashlib, json, sys, zipfile

CHUNK = 1 << 20
INDEX = b"<!doctype html><title>big</title><h1>Big</h1>\n"


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def zeros_sha256(size):
    digest, left, block = hashlib.sha256(), size, bytes(CHUNK)
    while left:
        digest.update(block[:min(left, CHUNK)])
        left -= min(left, CHUNK)
    return digest.hexdigest()


def describe(files):
    """files: {path: (size, sha256, type)} -> (manifest bytes, SHA256SUMS bytes)"""
    paths = sorted(files, key=lambda p: p.encode())
    sums = "".join(f"{files[p][1]}  {p}\n" for p in paths).encode()
    manifest = {
        "entry": "index.html",
        "files": [{"path": p, "sha256": files[p][1], "size": files[p][0], "type": files[p][2]} for p in paths],
        "format": "pico-bundle/1",
        "id": hashlib.sha256(sums).hexdigest(),
        "name": "big",
    }
    return canonical(manifest), sums


def write_zeros(zf, name, size, fill=b"\0"):
    info = zipfile.ZipInfo(name, (2023, 11, 14, 22, 13, 20))
    info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o100644 << 16
    block = fill * CHUNK
    with zf.open(info, "w", force_zip64=True) as entry:
        left = size
        while left:
            entry.write(block[:min(left, CHUNK)])
            left -= min(left, CHUNK)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["big", "lying-entry", "manifest-bomb"])
    parser.add_argument("out")
    parser.add_argument("--size", type=int, required=True)
    args = parser.parse_args()

    index = (len(INDEX), hashlib.sha256(INDEX).hexdigest(), "text/html")
    files = {"index.html": index}
    if args.kind == "big":
        files["big.bin"] = (args.size, zeros_sha256(args.size), "application/octet-stream")
    manifest, sums = describe(files)
    with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED) as zf:
        if args.kind == "manifest-bomb":
            write_zeros(zf, "pico-manifest.json", args.size, fill=b" ")
        else:
            zf.writestr("pico-manifest.json", manifest)
        zf.writestr("SHA256SUMS", sums)
        if args.kind == "lying-entry":
            write_zeros(zf, "index.html", args.size)
        else:
            zf.writestr("index.html", INDEX)
        if args.kind == "big":
            write_zeros(zf, "big.bin", args.size)


if __name__ == "__main__":
    sys.exit(main())
