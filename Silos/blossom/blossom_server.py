#!/usr/bin/env python3
"""A small Blossom server for pico's tests and demo: BUD-01, 02, 04, 06, 11 and 12.

usage: blossom_server.py --dir DIR [--host 127.0.0.1] [--port 0] [--public-url URL]
                         [--max-upload-bytes N] [--allow-pubkey HEX ...] [--refuse-type TYPE ...]
                         [--require-payment] [--tamper SHA256 ...] [--access-log FILE]
                         [--clock-offset SECONDS] [--alter-uploads] [--refuse-mirror STATUS]
                         [--fail-uploads-after N]

Standard library HTTP (ThreadingHTTPServer, HTTP/1.1 keep-alive) plus coincurve for BIP-340.
The first line on stdout, flushed, is `blossom server listening on http://HOST:PORT`; nothing
else is written to stdout or stderr afterwards (a test reads only that line, and a full pipe
would stall the server). The server exits by itself when its parent process goes away.

Endpoints (all served from the root, CORS headers on every answer, `X-Reason` on every error):
  GET|HEAD /<sha256>[.ext]  BUD-01: the blob, its stored Content-Type, Content-Length,
                            Accept-Ranges; one `Range: bytes=` range (206, 416 when unsatisfiable).
  PUT /upload               BUD-02: the body is the blob; 201 and a blob descriptor when new, 200
                            when already held. Needs an `upload` authorization.
  HEAD /upload              BUD-06: X-SHA-256, X-Content-Length, X-Content-Type say what would be
                            uploaded; 200 if it would be taken. Needs an `upload` authorization.
  PUT /mirror               BUD-04: body {"url": ...}; downloads the blob and checks its hash
                            against the authorization's x tags. Needs an `upload` authorization.
  GET /list/<pubkey>        BUD-12: the descriptors of that pubkey's blobs, newest first, with
                            `cursor`, `limit`, `since`, `until`. Authorization optional (`list`).
  DELETE /<sha256>          BUD-12: drops the caller's claim on the blob (the bytes go with the
                            last claim). Needs a `delete` authorization naming the hash.
  OPTIONS *                 CORS preflight.

Authorization (BUD-11): `Authorization: Nostr <base64 of the event JSON>`, base64 standard or
URL-safe, padded or not (the BUD says unpadded URL-safe; deployed clients send padded
standard). The event must have a 64-hex id equal to the SHA-256 of NIP-01's serialisation, a
valid BIP-340 signature by its pubkey, kind 24242, created_at not in the future, an
`expiration` tag in the future, a `t` tag equal to the endpoint's verb, and, when it has
`server` tags, one naming this server: its host (`127.0.0.1`), or host:port, or a URL with
that host (and port, if the URL has one). PUT /upload, HEAD /upload, PUT /mirror and DELETE
need an `x` tag with the blob's hash.

Status codes: 400 malformed request; 401 missing or invalid authorization (undecodable, bad
id or signature, wrong kind, created_at ahead, expired, no `x` tag, or an `x` tag that does
not name the hash known before the body: HEAD /upload, DELETE); 402 with --require-payment
(upload, mirror); 403 wrong `t` verb, a `server` tag of another host, a pubkey not in
--allow-pubkey, or DELETE of a blob the pubkey did not upload; 404 no such blob; 409 the
body's SHA-256 differs from X-SHA-256, or the uploaded or mirrored blob's hash is not among the
authorization's `x` tags (BUD-04's rule, used for PUT /upload too); 411 no Content-Length (or
X-Content-Length); 413 over --max-upload-bytes; 415 a type given to --refuse-type; 502 a
mirror source that cannot be fetched.

Storage: DIR/blobs/<sha256> (the exact bytes), DIR/meta/<sha256>.json (type, size, uploaded,
owners), DIR/tmp/ while a body arrives. Nothing is written outside DIR. Bodies are streamed to
disk while hashed, never held whole in memory; JSON bodies are capped at 64 KiB.

--tamper SHA256 (repeatable) serves that blob with its last byte flipped (one byte for an
empty blob), for tests of a dishonest server; HEAD, list and descriptors are unchanged.
--access-log FILE gets one line per answered request: `METHOD PATH STATUS`.

Faults a deployed server or what stands in front of it can show, for tests of a client's
messages (each off by default; the rules above are unchanged by them):
--clock-offset SECONDS   the server's clock is SECONDS ahead (negative: behind) when it checks
                         created_at and expiration: a fresh token looks expired, or from the
                         future, and is refused with 401.
--alter-uploads          the first byte of every PUT /upload body is flipped as it arrives, as
                         a proxy that rewrites bodies would: the hash check answers 409.
--refuse-mirror STATUS   PUT /mirror answers STATUS (404: a server without BUD-04; 403: one
                         whose policy refuses mirrors) before reading anything else.
--fail-uploads-after N   after N authorized PUT /upload and PUT /mirror requests, every further
                         one answers 503 (a store that fails midway); reads go on being served.
"""
import argparse
import base64
import binascii
import hashlib
import json
import mimetypes
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import coincurve

AUTH_KIND = 24242
HEX = set("0123456789abcdef")
BLOB_PATH = re.compile(r"^/([0-9a-f]{64})(\.[A-Za-z0-9]{1,16})?$")
LIST_PATH = re.compile(r"^/list/([0-9a-f]{64})$")
JSON_BODY_LIMIT = 64 * 1024
# A refused body up to this size is read and dropped before answering, so that the client,
# still sending, reads the answer instead of a reset connection; a bigger one closes it.
DRAIN_LIMIT = 256 * 1024 * 1024
MIRROR_TIMEOUT = 30


class Refusal(Exception):
    """An error answer: status and the X-Reason text."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def is_hex(value, length):
    return isinstance(value, str) and len(value) == length and set(value) <= HEX


def event_id(event):
    """NIP-01: SHA-256 of the compact JSON of [0, pubkey, created_at, kind, tags, content]."""
    serial = json.dumps([0, event["pubkey"], event["created_at"], event["kind"], event["tags"], event["content"]],
                        separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(serial.encode("utf-8")).hexdigest()


def decode_authorization(header):
    """The event of `Nostr <base64>`; any base64 alphabet (standard or URL-safe), padded or not."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "nostr" or not token.strip():
        raise Refusal(401, "the Authorization header is not 'Nostr <base64 of a kind-24242 event>'")
    token = token.strip().replace("-", "+").replace("_", "/").rstrip("=")
    token += "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(token, validate=True)
        event = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Refusal(401, "the Authorization header's token is not base64 of a JSON event")
    if not isinstance(event, dict):
        raise Refusal(401, "the authorization token is not a JSON object")
    return event


class AuthorizationRules:
    """BUD-11's checks of a kind-24242 event for one server."""

    def __init__(self, host, port, allowed_pubkeys, clock_offset=0):
        self.host = host.lower()
        self.port = port
        self.allowed_pubkeys = allowed_pubkeys
        self.clock_offset = clock_offset

    def names_this_server(self, value):
        value = value.strip().lower().rstrip("/")
        if "://" in value:
            parts = urlsplit(value)
            if parts.hostname != self.host:
                return False
            return parts.port is None or parts.port == self.port
        return value in (self.host, f"{self.host}:{self.port}")

    def check(self, event, verb, blob_hash=None, x_required=False):
        """The checked event; raises Refusal(401/403) naming the first problem."""
        for field, kind in (("id", str), ("pubkey", str), ("sig", str), ("content", str), ("tags", list)):
            if not isinstance(event.get(field), kind):
                raise Refusal(401, f"the authorization event has no valid '{field}'")
        for field in ("kind", "created_at"):
            if not isinstance(event.get(field), int) or isinstance(event.get(field), bool):
                raise Refusal(401, f"the authorization event has no integer '{field}'")
        tags = event["tags"]
        if not all(isinstance(t, list) and t and all(isinstance(v, str) for v in t) for t in tags):
            raise Refusal(401, "the authorization event's tags are not lists of strings")
        if not is_hex(event["pubkey"], 64) or not is_hex(event["id"], 64) or not is_hex(event["sig"], 128):
            raise Refusal(401, "the authorization event's id, pubkey or sig is not lowercase hex of the right length")
        if event_id(event) != event["id"]:
            raise Refusal(401, "the authorization event's id is not the hash of its content (NIP-01)")
        try:
            valid = coincurve.PublicKeyXOnly(bytes.fromhex(event["pubkey"])).verify(
                bytes.fromhex(event["sig"]), bytes.fromhex(event["id"]))
        except (ValueError, TypeError):
            valid = False
        if not valid:
            raise Refusal(401, "the authorization event's signature does not verify (BIP-340)")
        if event["kind"] != AUTH_KIND:
            raise Refusal(401, f"the authorization event is kind {event['kind']}, not {AUTH_KIND}")
        now = time.time() + self.clock_offset
        if event["created_at"] > now:
            raise Refusal(401, "the authorization event's created_at is in the future")
        expirations = [t[1] for t in tags if t[0] == "expiration" and len(t) > 1]
        if not expirations or not expirations[0].isdigit():
            raise Refusal(401, "the authorization event has no expiration tag (NIP-40)")
        if int(expirations[0]) <= now:
            raise Refusal(401, "the authorization event has expired")
        verbs = [t[1] for t in tags if t[0] == "t" and len(t) > 1]
        if verb not in verbs:
            raise Refusal(403, f"the authorization is for '{', '.join(verbs) or 'nothing'}', not '{verb}'")
        servers = [t[1] for t in tags if t[0] == "server" and len(t) > 1]
        if servers and not any(self.names_this_server(s) for s in servers):
            raise Refusal(403, f"the authorization is scoped to {', '.join(servers)}, not to {self.host}")
        if self.allowed_pubkeys is not None and event["pubkey"] not in self.allowed_pubkeys:
            raise Refusal(403, f"pubkey {event['pubkey']} may not {verb} on this server")
        hashes = {t[1] for t in tags if t[0] == "x" and len(t) > 1}
        if x_required and not hashes:
            raise Refusal(401, f"the authorization event has no x tag; '{verb}' needs one naming the blob's SHA-256")
        if blob_hash is not None and hashes and blob_hash not in hashes:
            raise Refusal(401, f"the authorization's x tags do not name {blob_hash}")
        return event


class BlobStore:
    """Blobs by SHA-256 under one folder; metadata beside them; a lock around metadata changes."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        for sub in ("blobs", "meta", "tmp"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        self.lock = threading.Lock()

    def blob_path(self, sha):
        return os.path.join(self.root, "blobs", sha)

    def meta(self, sha):
        try:
            with open(os.path.join(self.root, "meta", sha + ".json"), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def _write_meta(self, sha, meta):
        final = os.path.join(self.root, "meta", sha + ".json")
        temp = final + ".tmp"
        with open(temp, "w", encoding="utf-8") as f:
            json.dump(meta, f)
        os.replace(temp, final)

    def receive(self, read, length, limit):
        """Streams `length` bytes (None: until read() returns b"") to a temp file, hashing them.
        Returns (temp path, sha256, size); raises Refusal(413) past `limit`."""
        fd, temp = tempfile.mkstemp(dir=os.path.join(self.root, "tmp"))
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while length is None or size < length:
                    chunk = read(65536 if length is None else min(65536, length - size))
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise Refusal(413, f"the blob is over this server's limit of {limit} bytes")
                    digest.update(chunk)
                    out.write(chunk)
            if length is not None and size != length:
                raise Refusal(400, f"the body ended after {size} of {length} bytes")
            return temp, digest.hexdigest(), size
        except BaseException:
            os.unlink(temp)
            raise

    def keep(self, temp, sha, size, mime, owner):
        """Moves a received body into place; returns (meta, created)."""
        with self.lock:
            meta = self.meta(sha)
            created = meta is None or not os.path.exists(self.blob_path(sha))
            if created:
                os.replace(temp, self.blob_path(sha))
                meta = {"sha256": sha, "size": size, "type": mime, "uploaded": int(time.time()), "owners": []}
            else:
                os.unlink(temp)
            if owner not in meta["owners"]:
                meta["owners"].append(owner)
            self._write_meta(sha, meta)
            return meta, created

    def drop_claim(self, sha, owner):
        with self.lock:
            meta = self.meta(sha)
            if meta is None:
                raise Refusal(404, f"no blob {sha} here")
            if owner not in meta["owners"]:
                raise Refusal(403, f"pubkey {owner} did not upload {sha}")
            meta["owners"].remove(owner)
            if meta["owners"]:
                self._write_meta(sha, meta)
            else:
                os.unlink(os.path.join(self.root, "meta", sha + ".json"))
                os.unlink(self.blob_path(sha))

    def owned_by(self, pubkey):
        found = []
        for name in os.listdir(os.path.join(self.root, "meta")):
            if name.endswith(".json"):
                meta = self.meta(name[:-5])
                if meta and pubkey in meta["owners"]:
                    found.append(meta)
        found.sort(key=lambda m: (-m["uploaded"], m["sha256"]))
        return found


def altered_first_byte(read):
    """read(n) with the body's first byte flipped (--alter-uploads)."""
    state = {"first": True}

    def altered(n):
        data = read(n)
        if state["first"] and data:
            state["first"] = False
            data = bytes([data[0] ^ 0x01]) + data[1:]
        return data
    return altered


def extension_for(mime):
    main = mime.split(";")[0].strip().lower()
    known = {"text/html": ".html", "text/css": ".css", "text/javascript": ".js", "application/javascript": ".js",
             "application/json": ".json", "image/svg+xml": ".svg", "text/plain": ".txt", "image/jpeg": ".jpg"}
    return known.get(main) or mimetypes.guess_extension(main) or ".bin"


class BlossomHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pico-blossom-test/1"
    timeout = 120  # an idle keep-alive connection (or a stalled body) is closed after this
    # An answer goes out in two writes (headers, then body): with Nagle on, the body waits for
    # the client's delayed ACK of the headers, up to 40 ms a request on a kept-alive connection
    # (2,000 blobs over 8 connections: some 10 s of waiting in pico locate and fetch).
    disable_nagle_algorithm = True

    # -- plumbing --

    def log_message(self, format, *args):  # quiet: the access log says what happened
        pass

    @property
    def config(self):
        return self.server.config

    def cors(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Authorization, *")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, PUT, DELETE")
        self.send_header("Access-Control-Max-Age", "86400")

    def answer(self, status, body=b"", content_type=None, headers=(), length=None):
        self.send_response(status)
        self.cors()
        for name, value in headers:
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.log_access(status)

    def answer_json(self, status, value):
        self.answer(status, json.dumps(value).encode(), "application/json")

    def refuse(self, refusal):
        reason = refusal.reason.replace("\r", " ").replace("\n", " ")
        self.answer(refusal.status, (reason + "\n").encode(), "text/plain; charset=utf-8", [("X-Reason", reason)])

    def log_access(self, status):
        log = self.config["access_log"]
        if log is not None:
            with self.server.log_lock:
                log.write(f"{self.command} {urlsplit(self.path).path} {status}\n")
                log.flush()

    def authorization(self, verb, blob_hash=None, x_required=False, optional=False):
        header = self.headers.get("Authorization")
        if header is None:
            if optional:
                return None
            raise Refusal(401, f"this endpoint needs an Authorization header with a kind-24242 '{verb}' event (BUD-11)")
        return self.config["rules"].check(decode_authorization(header), verb, blob_hash, x_required)

    def body_length(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return None
        value = self.headers.get("Content-Length")
        if value is None:
            raise Refusal(411, "a Content-Length header is needed")
        if not value.strip().isdigit():
            raise Refusal(400, "the Content-Length header is not a number")
        return int(value)

    def chunked_reader(self):
        """read(n) over a chunked body (some clients stream uploads that way)."""
        state = {"left": 0, "done": False}

        def read(n):
            if state["done"]:
                return b""
            if state["left"] == 0:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise Refusal(400, "a malformed chunk in the chunked body")
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    state["done"] = True
                    return b""
                state["left"] = size
            data = self.rfile.read(min(n, state["left"]))
            if not data:
                raise Refusal(400, "the chunked body ended early")
            state["left"] -= len(data)
            if state["left"] == 0:
                self.rfile.readline(16)
            return data
        return read

    def drain(self):
        """Reads and drops an unread body (a small one) so the answer reaches the client."""
        try:
            length = self.body_length()
        except Refusal:
            self.close_connection = True
            return
        if length is None or length > DRAIN_LIMIT:
            self.close_connection = True
            return
        while length > 0:
            got = self.rfile.read(min(65536, length))
            if not got:
                break
            length -= len(got)

    def run(self, action, has_body=False):
        self.body_read = not has_body
        try:
            action()
        except Refusal as refusal:
            if not self.body_read:
                self.drain()
            self.refuse(refusal)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as error:  # a bug of this server: say so, keep serving
            self.close_connection = True
            self.refuse(Refusal(500, f"internal error: {type(error).__name__}: {error}"))

    def descriptor(self, meta):
        return {"url": f"{self.config['public_url']}/{meta['sha256']}{extension_for(meta['type'])}",
                "sha256": meta["sha256"], "size": meta["size"], "type": meta["type"], "uploaded": meta["uploaded"]}

    def check_type(self, mime):
        main = mime.split(";")[0].strip().lower()
        for refused in self.config["refused_types"]:
            if main == refused or (refused.endswith("/*") and main.startswith(refused[:-1])):
                raise Refusal(415, f"this server does not take blobs of type {main}")

    def check_store_working(self):
        """--fail-uploads-after: counts this store, or refuses it once the count is reached."""
        limit = self.config["fail_uploads_after"]
        if limit is None:
            return
        with self.server.count_lock:
            if self.config["stores_started"] >= limit:
                raise Refusal(503, f"this server's store failed after {limit} blobs (--fail-uploads-after)")
            self.config["stores_started"] += 1

    def check_payment(self):
        if self.config["require_payment"]:
            raise Refusal(402, "this server needs payment before it stores blobs (BUD-07)")

    # -- routes --

    def do_OPTIONS(self):
        self.answer(204)

    def do_GET(self):
        self.run(self.get_or_head)

    def do_HEAD(self):
        if urlsplit(self.path).path == "/upload":
            self.run(self.upload_requirements)
        else:
            self.run(self.get_or_head)

    def do_PUT(self):
        path = urlsplit(self.path).path
        if path == "/upload":
            self.run(self.upload, has_body=True)
        elif path == "/mirror":
            self.run(self.mirror, has_body=True)
        else:
            self.run(lambda: (_ for _ in ()).throw(Refusal(404, f"no PUT endpoint {path}")), has_body=True)

    def do_DELETE(self):
        self.run(self.delete)

    def get_or_head(self):
        parts = urlsplit(self.path)
        if parts.path == "/":
            return self.answer(200, b"pico's Blossom test server (BUD-01, 02, 04, 06, 11, 12)\n", "text/plain; charset=utf-8")
        listed = LIST_PATH.match(parts.path)
        if listed and self.command == "GET":
            return self.list_blobs(listed.group(1), parse_qs(parts.query))
        match = BLOB_PATH.match(parts.path)
        if not match:
            looks_like_hash = re.match(r"^/[0-9A-Fa-f]{32,}(\.|$)", parts.path) is not None
            raise Refusal(400 if looks_like_hash else 404,
                          f"no blob at {parts.path}: blobs are at /<64 lowercase hex digits>[.ext]")
        sha = match.group(1)
        meta = self.config["store"].meta(sha)
        if meta is None or not os.path.exists(self.config["store"].blob_path(sha)):
            raise Refusal(404, f"no blob {sha} here")
        size = meta["size"]
        tampered = sha in self.config["tamper"]
        headers = [("Accept-Ranges", "bytes")]
        start, end, status = 0, size - 1, 200
        wanted = self.headers.get("Range")
        if wanted and self.command == "GET" and not tampered:
            start, end = self.parse_range(wanted, size)
            status = 206
            headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        if self.command == "HEAD":
            return self.answer(200, b"", meta["type"], headers, length=size)
        if tampered:
            with open(self.config["store"].blob_path(sha), "rb") as f:
                data = bytearray(f.read())
            if data:
                data[-1] ^= 0x01
            else:
                data = bytearray(b"\x00")
            return self.answer(200, bytes(data), meta["type"], headers)
        self.send_response(status)
        self.cors()
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", meta["type"])
        self.send_header("Content-Length", str(end - start + 1 if size else 0))
        self.end_headers()
        with open(self.config["store"].blob_path(sha), "rb") as f:
            f.seek(start)
            left = end - start + 1 if size else 0
            while left > 0:
                chunk = f.read(min(65536, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)
        self.log_access(status)

    @staticmethod
    def parse_range(value, size):
        match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", value)
        if not match or (match.group(1) == "" and match.group(2) == ""):
            raise Refusal(416, f"only one 'bytes=' range is served, not '{value}'")
        first, last = match.group(1), match.group(2)
        if first == "":
            count = int(last)
            if count == 0 or size == 0:
                raise Refusal(416, f"range {value} is outside the blob's {size} bytes")
            return max(0, size - count), size - 1
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if start >= size or end < start:
            raise Refusal(416, f"range {value} is outside the blob's {size} bytes")
        return start, end

    def upload_requirements(self):
        """BUD-06 HEAD /upload."""
        sha = self.headers.get("X-SHA-256", "").strip()
        if not is_hex(sha, 64):
            raise Refusal(400, "X-SHA-256 must be 64 lowercase hex digits")
        length = self.headers.get("X-Content-Length")
        if length is None:
            raise Refusal(411, "an X-Content-Length header is needed")
        if not length.strip().isdigit():
            raise Refusal(400, "X-Content-Length is not a number")
        self.authorization("upload", blob_hash=sha, x_required=True)
        self.check_payment()
        if int(length) > self.config["max_upload"]:
            raise Refusal(413, f"the blob is over this server's limit of {self.config['max_upload']} bytes")
        self.check_type(self.headers.get("X-Content-Type", "application/octet-stream"))
        self.answer(200)

    def upload(self):
        """BUD-02 PUT /upload."""
        claimed = self.headers.get("X-SHA-256")
        if claimed is not None and not is_hex(claimed.strip(), 64):
            raise Refusal(400, "X-SHA-256 must be 64 lowercase hex digits")
        claimed = claimed.strip() if claimed else None
        event = self.authorization("upload", x_required=True)
        self.check_payment()
        self.check_store_working()
        mime = (self.headers.get("Content-Type") or "application/octet-stream").strip()
        self.check_type(mime)
        length = self.body_length()
        limit = self.config["max_upload"]
        if length is not None and length > limit:
            raise Refusal(413, f"the blob is over this server's limit of {limit} bytes")
        hashes = {t[1] for t in event["tags"] if t[0] == "x" and len(t) > 1}
        if claimed is not None and claimed not in hashes:
            raise Refusal(409, f"X-SHA-256 {claimed} is not among the authorization's x tags")
        read = self.rfile.read if length is not None else self.chunked_reader()
        if self.config["alter_uploads"]:
            read = altered_first_byte(read)
        self.body_read = True
        try:
            temp, sha, size = self.config["store"].receive(read, length, limit)
        except Refusal:
            # Part of the body is still unread: the connection cannot carry another request.
            self.close_connection = True
            raise
        try:
            if claimed is not None and claimed != sha:
                raise Refusal(409, f"the body's SHA-256 is {sha}, not the X-SHA-256 {claimed}")
            if sha not in hashes:
                raise Refusal(409, f"the body's SHA-256 {sha} is not among the authorization's x tags")
        except Refusal:
            os.unlink(temp)
            raise
        meta, created = self.config["store"].keep(temp, sha, size, mime, event["pubkey"])
        self.answer_json(201 if created else 200, self.descriptor(meta))

    def mirror(self):
        """BUD-04 PUT /mirror."""
        if self.config["refuse_mirror"] is not None:
            raise Refusal(self.config["refuse_mirror"], "this server does not mirror blobs (--refuse-mirror)")
        event = self.authorization("upload", x_required=True)
        self.check_payment()
        self.check_store_working()
        length = self.body_length()
        if length is None or length > JSON_BODY_LIMIT:
            raise Refusal(413 if length else 411, f"the mirror request must be a JSON body of at most {JSON_BODY_LIMIT} bytes with a Content-Length")
        raw = self.rfile.read(length)
        self.body_read = True
        try:
            url = json.loads(raw.decode("utf-8"))["url"]
        except (ValueError, UnicodeDecodeError, KeyError, TypeError):
            raise Refusal(400, 'the mirror request body must be JSON {"url": "..."}')
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise Refusal(400, "the mirror url must be an http:// or https:// URL")
        limit = self.config["max_upload"]
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "pico-blossom-test"}),
                                        timeout=MIRROR_TIMEOUT) as origin:
                declared = origin.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > limit:
                    raise Refusal(413, f"the mirrored blob is over this server's limit of {limit} bytes")
                mime = (origin.headers.get("Content-Type") or "").strip()
                temp, sha, size = self.config["store"].receive(origin.read, None, limit)
        except Refusal:
            raise
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise Refusal(502, f"could not fetch {url}: {error}")
        if not mime:
            mime = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
        hashes = {t[1] for t in event["tags"] if t[0] == "x" and len(t) > 1}
        if sha not in hashes:
            os.unlink(temp)
            raise Refusal(409, f"the mirrored blob's SHA-256 {sha} is not among the authorization's x tags")
        try:
            self.check_type(mime)
        except Refusal:
            os.unlink(temp)
            raise
        meta, created = self.config["store"].keep(temp, sha, size, mime, event["pubkey"])
        self.answer_json(201 if created else 200, self.descriptor(meta))

    def list_blobs(self, pubkey, query):
        """BUD-12 GET /list/<pubkey>."""
        self.authorization("list", optional=True)
        found = self.config["store"].owned_by(pubkey)
        try:
            since = int(query["since"][0]) if "since" in query else None
            until = int(query["until"][0]) if "until" in query else None
            limit = int(query["limit"][0]) if "limit" in query else None
        except ValueError:
            raise Refusal(400, "since, until and limit must be integers")
        if since is not None:
            found = [m for m in found if m["uploaded"] >= since]
        if until is not None:
            found = [m for m in found if m["uploaded"] <= until]
        if "cursor" in query:
            cursor = query["cursor"][0]
            at = next((i for i, m in enumerate(found) if m["sha256"] == cursor), None)
            found = found[at + 1:] if at is not None else []
        if limit is not None:
            found = found[:max(0, limit)]
        self.answer_json(200, [self.descriptor(m) for m in found])

    def delete(self):
        """BUD-12 DELETE /<sha256>."""
        match = BLOB_PATH.match(urlsplit(self.path).path)
        if not match:
            raise Refusal(400, "DELETE needs /<64 lowercase hex digits>")
        sha = match.group(1)
        event = self.authorization("delete", blob_hash=sha, x_required=True)
        self.config["store"].drop_claim(sha, event["pubkey"])
        self.answer_json(200, {"deleted": sha})


class BlossomServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # clients open many connections at once

    def __init__(self, address, config):
        super().__init__(address, BlossomHandler)
        self.config = config
        self.log_lock = threading.Lock()
        self.count_lock = threading.Lock()


PARENT = os.getppid()


def exit_with_parent():
    """Stops the server when the process that started it is gone (a test that crashed)."""
    while True:
        time.sleep(1)
        if os.getppid() != PARENT:
            os._exit(0)


def close_inherited_pipes():
    """Closes the pipes above stderr that the parent let through. A test runner that starts
    processes from several threads can hand a server a copy of another child's output pipe;
    kept open for the server's life, it would keep that other test waiting for EOF. Sockets are
    left alone: Foundation's Process learns that this process ended when its end of an
    inherited socket pair closes, and closing it early makes Foundation wait on a live server."""
    try:
        inherited = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for descriptor in inherited:
        if descriptor <= 2:
            continue
        try:
            if stat.S_ISFIFO(os.fstat(descriptor).st_mode):
                os.close(descriptor)
        except OSError:
            pass


def main():
    close_inherited_pipes()
    parser = argparse.ArgumentParser(description="A Blossom server (BUD-01/02/04/06/11/12) for pico's tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True, help="where blobs are kept (created if missing)")
    parser.add_argument("--public-url", help="the base of descriptor URLs and the host `server` tags must name")
    parser.add_argument("--max-upload-bytes", type=int, default=100 * 1024 * 1024)
    parser.add_argument("--allow-pubkey", action="append", help="only these pubkeys may upload, mirror, delete")
    parser.add_argument("--refuse-type", action="append", default=[], help="answer 415 for this MIME type (or type/*)")
    parser.add_argument("--require-payment", action="store_true", help="answer 402 to every upload and mirror")
    parser.add_argument("--tamper", action="append", default=[], help="serve this blob with a flipped byte")
    parser.add_argument("--access-log", help="one line per request: METHOD PATH STATUS")
    parser.add_argument("--clock-offset", type=int, default=0, help="the server's clock is this many seconds ahead")
    parser.add_argument("--alter-uploads", action="store_true", help="flip the first byte of every uploaded body (409)")
    parser.add_argument("--refuse-mirror", type=int, metavar="STATUS", help="answer PUT /mirror with this status")
    parser.add_argument("--fail-uploads-after", type=int, metavar="N", help="answer 503 to uploads and mirrors after N")
    args = parser.parse_args()

    for key in (args.allow_pubkey or []) + args.tamper:
        if not is_hex(key, 64):
            parser.error(f"not 64 lowercase hex digits: {key}")
    store = BlobStore(args.dir)
    config = {
        "store": store, "max_upload": args.max_upload_bytes, "tamper": set(args.tamper),
        "refused_types": [t.lower() for t in args.refuse_type], "require_payment": args.require_payment,
        "access_log": open(args.access_log, "a", encoding="utf-8") if args.access_log else None,
        "alter_uploads": args.alter_uploads, "refuse_mirror": args.refuse_mirror,
        "fail_uploads_after": args.fail_uploads_after, "stores_started": 0,
    }
    if args.refuse_mirror is not None and not 400 <= args.refuse_mirror <= 599:
        parser.error(f"--refuse-mirror needs an error status (400-599), not {args.refuse_mirror}")
    server = BlossomServer((args.host, args.port), config)
    port = server.server_address[1]
    public_url = (args.public_url or f"http://{args.host}:{port}").rstrip("/")
    public = urlsplit(public_url)
    config["public_url"] = public_url
    default_port = port if not args.public_url else {"http": 80, "https": 443}.get(public.scheme, port)
    config["rules"] = AuthorizationRules(public.hostname or args.host, public.port or default_port,
                                         set(args.allow_pubkey) if args.allow_pubkey else None, args.clock_offset)
    threading.Thread(target=exit_with_parent, daemon=True).start()
    print(f"blossom server listening on http://{args.host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(os.path.join(store.root, "tmp"), ignore_errors=True)


if __name__ == "__main__":
    # A child can inherit SIGTERM blocked from the thread that started it (a test runner's
    # worker): unblocked here, so that SIGTERM stops the server at once.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
