#!/usr/bin/env python3
"""Writes a corpus of hostile archives for `pico unpack` and `pico verify FILE`.

Each archive is built around a small bundle that is correct on its own (`index.html`, its
`SHA256SUMS` and a canonical `pico-manifest.json`, computed the way pico computes them), so
that only the hostile part is wrong. Hostile entries are extra entries, not listed in the
manifest, except where noted. `pico unpack` must refuse every archive here with a clear
message and exit status 1, and write nothing outside its output folder; `pico verify` must
report each one as failed.

  zip-slip            ../evil.txt and a/../../evil.txt                 .zip .tar .tar.gz
  absolute            /tmp/evil.txt                                    .zip .tar
  symlink-escape      link -> /etc, then a file link/pico-hostile-escape.txt    .zip .tar
                      (a new file rather than link/passwd: an unpacker that follows the link
                      creates /etc/pico-hostile-escape.txt, which is easy to detect and does
                      no harm, instead of overwriting /etc/passwd when the tests run as root)
  hardlink            copy.html, a hard link to index.html; listed in the manifest with
                      index.html's hash, so only the link itself is wrong              .tar
  duplicate           index.html twice: first with other content, then the right one
                      (a last-one-wins unpacker would end with a valid bundle)   .zip .tar
  device              dev/null, a character device 1,3                                  .tar
  zip-bomb            zeros.bin: 2 GiB of zeros that compress to about 2 MB   .zip .tar.gz
  too-many-entries    200,001 tiny entries under many/                                  .zip
  backslash           a\\..\\..\\evil.txt (one name with backslashes)             .zip .tar
  not-a-bundle        plain site files without SHA256SUMS or pico-manifest.json .zip .tar
  flipped-byte        a bundle whose index.html differs in one byte (same size) from what
                      the manifest says: not hostile, just corrupt       .zip .tar .tar.gz

The output is deterministic (fixed times, owners and gzip headers). Standard library only.

usage: make_hostile_archives.py OUTDIR [--small]
       (--small leaves out the two bombs and too-many-entries, the slow ones)
"""
import gzip, hashlib, io, json, os, sys, tarfile, warnings, zipfile

EPOCH = 1700000000                 # every time stamp in every archive
ZIP_TIME = (2023, 11, 14, 22, 13, 20)
BOMB_SIZE = 2 << 30                 # 2 GiB
MANY = 200_001
CHUNK = 1 << 20
ZEROS = bytes(CHUNK)

INDEX = b"""<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>A hostile archive</title>
<h1>Nothing to see here</h1>
<p>This bundle is correct; the archive around it is not.</p>
</html>
"""

TYPES = {".html": "text/html", ".css": "text/css", ".txt": "text/plain"}


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def bundle(files):
    """files: {path: bytes} -> [(path, bytes)] with SHA256SUMS and pico-manifest.json first."""
    paths = sorted(files, key=lambda p: p.encode())
    sums = "".join(f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n" for p in paths).encode()
    manifest = {
        "entry": "index.html",
        "files": [{"path": p, "sha256": hashlib.sha256(files[p]).hexdigest(), "size": len(files[p]),
                   "type": TYPES.get(os.path.splitext(p)[1], "application/octet-stream")}
                  for p in paths],
        "format": "pico-bundle/1",
        "id": hashlib.sha256(sums).hexdigest(),
        "name": "hostile",
    }
    return [("pico-manifest.json", canonical(manifest)), ("SHA256SUMS", sums)] + [(p, files[p]) for p in paths]


BASE = bundle({"index.html": INDEX})


# --- zip --------------------------------------------------------------------------------------

def zinfo(name, mode=0o100644):
    info = zipfile.ZipInfo(name, ZIP_TIME)   # kept as given: no leading '/' or '..' is stripped
    info.create_system = 3                   # Unix, so external_attr carries the file mode
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(path, entries, extra=None):
    """entries: [(name, bytes) or (ZipInfo, bytes)]; extra(zf) may write more entries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # "Duplicate name": that is the point
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in entries:
                zf.writestr(name if isinstance(name, zipfile.ZipInfo) else zinfo(name), data)
            if extra:
                extra(zf)


# --- tar --------------------------------------------------------------------------------------

def tinfo(name, size=0, kind=tarfile.REGTYPE, mode=0o644, linkname=""):
    info = tarfile.TarInfo(name)             # kept as given: addfile does not normalise names
    info.size, info.type, info.mode, info.linkname = size, kind, mode, linkname
    info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "root", "root"
    return info


def tar_members(entries):
    """entries: [(name, bytes) or (TarInfo, None)] -> [(TarInfo, fileobj or None)]"""
    for name, data in entries:
        if isinstance(name, tarfile.TarInfo):
            yield name, None
        else:
            yield tinfo(name, len(data)), io.BytesIO(data)


def write_tar(path, entries, gz=False, extra=None):
    with open(path, "wb") as raw:
        # Our own GzipFile: tarfile's "w:gz" stamps the clock and the file name into the header.
        gzf = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) if gz else None
        with tarfile.open(fileobj=gzf or raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for info, fileobj in tar_members(entries):
                tf.addfile(info, fileobj)
            if extra:
                extra(tf)
        if gzf:
            gzf.close()


class Zeros(io.RawIOBase):
    """A file of n zero bytes, read in chunks, never held in memory."""
    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        n = min(n, CHUNK)
        self.left -= n
        return ZEROS[:n]


# --- the corpus -------------------------------------------------------------------------------

def main(out, small=False):
    os.makedirs(out, exist_ok=True)
    width = len(os.path.join(out, "too-many-entries.zip"))

    def done(name, what):
        path = os.path.join(out, name)
        print(f"{path:<{width}} {os.path.getsize(path):>11,} bytes  {what}", flush=True)

    def both(stem, zip_entries, tar_entries, what, gz=False):
        write_zip(os.path.join(out, stem + ".zip"), zip_entries)
        done(stem + ".zip", what)
        write_tar(os.path.join(out, stem + ".tar"), tar_entries)
        done(stem + ".tar", what)
        if gz:
            write_tar(os.path.join(out, stem + ".tar.gz"), tar_entries, gz=True)
            done(stem + ".tar.gz", what)

    evil = b"pico unpack wrote this outside its output folder\n"

    slip = BASE[:2] + [("../evil.txt", evil), ("a/../../evil.txt", evil)] + BASE[2:]
    both("zip-slip", slip, slip, "entries ../evil.txt and a/../../evil.txt", gz=True)

    absolute = BASE[:2] + [("/tmp/evil.txt", evil)] + BASE[2:]
    both("absolute", absolute, absolute, "entry /tmp/evil.txt")

    escape = "link/pico-hostile-escape.txt"
    both("symlink-escape",
         BASE[:2] + [(zinfo("link", 0o120777), b"/etc"), (escape, evil)] + BASE[2:],
         BASE[:2] + [(tinfo("link", kind=tarfile.SYMTYPE, mode=0o777, linkname="/etc"), None),
                     (escape, evil)] + BASE[2:],
         f"symlink link -> /etc, then {escape}")

    hard = bundle({"index.html": INDEX, "copy.html": INDEX})
    write_tar(os.path.join(out, "hardlink.tar"),
              [e for e in hard if e[0] != "copy.html"]
              + [(tinfo("copy.html", kind=tarfile.LNKTYPE, linkname="index.html"), None)])
    done("hardlink.tar", "copy.html, a hard link to index.html (listed in the manifest)")

    other = INDEX.replace(b"Nothing to see here", b"Something else here")
    dup = BASE[:2] + [("index.html", other)] + BASE[2:]
    both("duplicate", dup, dup, "index.html twice, the first with other content")

    devinfo = tinfo("dev/null", kind=tarfile.CHRTYPE, mode=0o666)
    devinfo.devmajor, devinfo.devminor = 1, 3
    write_tar(os.path.join(out, "device.tar"), BASE + [(devinfo, None)])
    done("device.tar", "dev/null, a character device 1,3")

    def zip_bomb(zf):
        info = zinfo("zeros.bin")
        with zf.open(info, "w", force_zip64=True) as w:
            for _ in range(BOMB_SIZE // CHUNK):
                w.write(ZEROS)
    if not small:
        write_zip(os.path.join(out, "zip-bomb.zip"), BASE, zip_bomb)
        done("zip-bomb.zip", "zeros.bin: 2 GiB of zeros, deflated")

    def tar_bomb(tf):
        tf.addfile(tinfo("zeros.bin", BOMB_SIZE), Zeros(BOMB_SIZE))
    if not small:
        write_tar(os.path.join(out, "zip-bomb.tar.gz"), BASE, gz=True, extra=tar_bomb)
        done("zip-bomb.tar.gz", "zeros.bin: 2 GiB of zeros, gzipped")

    def many(zf):
        for i in range(MANY):
            info = zinfo(f"many/{i:06d}")
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, b"x")
    if not small:
        write_zip(os.path.join(out, "too-many-entries.zip"), BASE, many)
        done("too-many-entries.zip", f"{MANY:,} one-byte entries under many/")

    back = BASE[:2] + [("a\\..\\..\\evil.txt", evil)] + BASE[2:]
    both("backslash", back, back, "entry a\\..\\..\\evil.txt")

    plain = [("index.html", INDEX.replace(b"</h1>", b'</h1>\n<p><a href="about.html">About</a></p>')),
             ("about.html", b"<!doctype html>\n<title>About</title>\n<p>Just a folder of files.</p>\n"),
             ("style.css", b"body { font-family: system-ui, sans-serif; }\n")]
    both("not-a-bundle", plain, plain, "index.html, about.html, style.css; no SHA256SUMS, no manifest")

    flipped = [(n, INDEX.replace(b"Nothing", b"nothing") if n == "index.html" else d) for n, d in BASE]
    both("flipped-byte", flipped, flipped, "index.html differs in one byte from its manifest entry", gz=True)

    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--small"):
        sys.exit(__doc__.strip().splitlines()[-2])
    sys.exit(main(sys.argv[1], small=len(sys.argv) == 3))
