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

Archives other readers would read as other files (parser differentials): each holds the
correct bundle as pico's libarchive reads it, and something else for another reader.

  tar-plus-zip        the bundle's tar with a zip (evil.html) appended    .zip .tar .tar.gz
                      (named .zip, unzip lists evil.html; as .tar.gz, after the gzip stream)
  gzip-trailing       the bundle's tar.gz with random bytes after the gzip stream   .tar.gz
  tar-trailing        the bundle's tar with random bytes after its end-of-archive blocks .tar
  zip-comment         the bundle's zip with a comment after its end record            .zip
  zip-prefix          a shell script, then the bundle's zip (a self-extractor)        .zip
  zip-name-mismatch   index.html's local header names indey.html                      .zip
  zip-unicode-path    index.html carries an Info-ZIP Unicode Path field: evil.html     .zip
  zip-hidden-local    a local entry evil.html that the central directory leaves out   .zip
  zip-no-utf8-flag    a non-ASCII name (café.html) without the UTF-8 flag             .zip
  pax-path            index.html's ustar name is other.html, its pax path index.html  .tar .tar.gz .tar.zst
  pax-size            a pax size that differs from the ustar size field                .tar
  pax-global          a global pax header that sets a path                            .tar
  pax-cut-collision   a file named a*100, and a*100 + "b.html", whose ustar name (its first
                      100 bytes, as Python writes it) is the first file's name        .tar

Files pico cannot read at all (each must give "not an archive pico can read"):

  unreadable-empty    a file of no bytes                     .zip .tar .tar.gz .tar.zst
  unreadable-random   4 KiB of random bytes (fixed seed)     .zip .tar .tar.gz .tar.zst
  unreadable-text     a line of text                         .zip .tar .tar.gz .tar.zst
  unreadable-cut      the bundle's archive cut in half       .zip .tar .tar.gz .tar.zst

(.tar.zst files need the zstd program; without it they are left out.)

The output is deterministic (fixed times, owners and gzip headers). Standard library only,
and the zstd program for .tar.zst.

usage: make_hostile_archives.py OUTDIR [--small]
       (--small leaves out the two bombs and too-many-entries, the slow ones)
"""
import gzip, hashlib, io, json, os, random, shutil, struct, subprocess, sys, tarfile, warnings, zipfile, zlib

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


# --- raw zip, for layouts zipfile will not write ------------------------------------------------

def raw_zip(entries, comment=b""):
    """entries: dicts with name (str), data (bytes) and optionally local_name, local_extra,
    cd_extra, in_cd (default True), utf8_flag (default: set for non-ASCII names).
    Stored entries, no data descriptors, written exactly as described."""
    out = bytearray()
    central = bytearray()
    count = 0
    for e in entries:
        name = e["name"].encode()
        local_name = e.get("local_name", e["name"]).encode()
        data = e["data"]
        crc = zlib.crc32(data)
        flags = 0x0800 if e.get("utf8_flag", any(b >= 0x80 for b in name)) else 0
        local_extra, cd_extra = e.get("local_extra", b""), e.get("cd_extra", b"")
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 0, 0x6E00, 0x5781, crc, len(data), len(data),
                           len(local_name), len(local_extra)) + local_name + local_extra + data
        if e.get("in_cd", True):
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, flags, 0, 0x6E00, 0x5781, crc,
                                   len(data), len(data), len(name), len(cd_extra), 0, 0, 0, 0o100644 << 16,
                                   offset) + name + cd_extra
            count += 1
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), start, len(comment)) + comment
    return bytes(out)


def unicode_path_field(name, header_name):
    """Info-ZIP Unicode Path extra field (0x7075): version 1, CRC-32 of the header's name."""
    body = struct.pack("<BI", 1, zlib.crc32(header_name.encode())) + name.encode()
    return struct.pack("<HH", 0x7075, len(body)) + body


def tar_bytes(entries, gz=False):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for info, fileobj in tar_members(entries):
            tf.addfile(info, fileobj)
    data = buffer.getvalue()
    return gzip.compress(data, compresslevel=6, mtime=0) if gz else data


def zstd_bytes(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE, check=True).stdout


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

    # --- parser differentials ---------------------------------------------------------------
    def write(name, data, what):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        done(name, what)

    evil_html = b"<h1>The attacker's page</h1>\n"
    evil_zip = raw_zip([{"name": "index.html", "data": evil_html}, {"name": "evil.html", "data": evil_html}])
    plain_tar = tar_bytes(BASE)
    write("tar-plus-zip.zip", plain_tar + evil_zip, "the bundle's tar, then a zip with evil.html")
    write("tar-plus-zip.tar", plain_tar + evil_zip, "the bundle's tar, then a zip with evil.html")
    write("tar-plus-zip.tar.gz", tar_bytes(BASE, gz=True) + evil_zip, "the bundle's tar.gz, then a zip")
    rng = random.Random(12)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    write("gzip-trailing.tar.gz", tar_bytes(BASE, gz=True) + noise, "random bytes after the gzip stream")
    write("tar-trailing.tar", plain_tar + noise, "random bytes after the end-of-archive blocks")

    bundle_zip = raw_zip([{"name": n, "data": d} for n, d in BASE])
    write("zip-comment.zip", bundle_zip[:-2] + struct.pack("<H", 11) + b"hello there", "a comment after the end record")
    write("zip-prefix.zip", b"#!/bin/sh\nexit 0\n" + bundle_zip, "a shell script before the zip")
    write("zip-name-mismatch.zip",
          raw_zip([{"name": n, "data": d, **({"local_name": "indey.html"} if n == "index.html" else {})} for n, d in BASE]),
          "index.html's local header names indey.html")
    write("zip-unicode-path.zip",
          raw_zip([{"name": n, "data": d, **({"cd_extra": unicode_path_field("evil.html", n),
                                              "local_extra": unicode_path_field("evil.html", n)} if n == "index.html" else {})}
                   for n, d in BASE]),
          "index.html with a Unicode Path field saying evil.html")
    write("zip-hidden-local.zip",
          raw_zip([{"name": n, "data": d} for n, d in BASE[:2]] + [{"name": "evil.html", "data": evil_html, "in_cd": False}]
                  + [{"name": n, "data": d} for n, d in BASE[2:]]),
          "a local entry evil.html missing from the central directory")
    cafe = bundle({"index.html": INDEX, "caf\u00e9.html": b"<p>caf\xc3\xa9</p>\n"})
    write("zip-no-utf8-flag.zip", raw_zip([{"name": n, "data": d, "utf8_flag": False} for n, d in cafe]),
          "a non-ASCII name without the UTF-8 flag")

    def pax_path_entries():
        entries = []
        for n, d in BASE:
            info = tinfo("other.html" if n == "index.html" else n, len(d))
            if n == "index.html":
                info.pax_headers = {"path": "index.html"}
            entries.append((info, d))
        return entries

    def pax_tar(entries, gz=False, global_headers=None):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT, pax_headers=global_headers) as tf:
            for info, d in entries:
                tf.addfile(info, io.BytesIO(d))
        data = buffer.getvalue()
        return gzip.compress(data, compresslevel=6, mtime=0) if gz else data

    write("pax-path.tar", pax_tar(pax_path_entries()), "ustar name other.html, pax path index.html")
    write("pax-path.tar.gz", pax_tar(pax_path_entries(), gz=True), "ustar name other.html, pax path index.html")
    if shutil.which("zstd"):
        write("pax-path.tar.zst", zstd_bytes(pax_tar(pax_path_entries())), "ustar name other.html, pax path index.html")
    sized = []
    for n, d in BASE:
        info = tinfo(n, len(d))
        if n == "index.html":
            info.pax_headers = {"size": str(len(d) + 512)}
        sized.append((info, d))
    data = bytearray(pax_tar(sized))
    write("pax-size.tar", bytes(data), "index.html's pax size is 512 bytes more than its ustar size")
    write("pax-global.tar", pax_tar([(tinfo(n, len(d)), d) for n, d in BASE], global_headers={"path": "evil.html"}),
          "a global pax header with path=evil.html")

    long_name = "a" * 100
    collide = bundle({"index.html": INDEX, long_name: b"first\n", long_name + "b.html": b"second\n"})
    write("pax-cut-collision.tar", pax_tar([(tinfo(n, len(d)), d) for n, d in collide]),
          "a*100 + b.html's ustar name is the name of the file a*100")

    # --- not archives at all, or cut short -----------------------------------------------------
    forms = {"zip": bundle_zip, "tar": plain_tar, "tar.gz": tar_bytes(BASE, gz=True)}
    if shutil.which("zstd"):
        forms["tar.zst"] = zstd_bytes(plain_tar)
    for ending, whole in forms.items():
        write(f"unreadable-empty.{ending}", b"", "no bytes")
        write(f"unreadable-random.{ending}", bytes(rng.randrange(256) for _ in range(4096)), "random bytes")
        write(f"unreadable-text.{ending}", b"This is a plain text file, not an archive.\n", "a line of text")
        cut = 1800 if ending == "tar" else len(whole) // 2   # a tar cut inside its second entry
        write(f"unreadable-cut.{ending}", whole[:cut], "the bundle's archive cut short")

    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--small"):
        sys.exit(__doc__.strip().splitlines()[-2])
    sys.exit(main(sys.argv[1], small=len(sys.argv) == 3))
