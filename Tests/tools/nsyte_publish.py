#!/usr/bin/env python3
"""Publishes a folder as an nsite the way nsyte (sandwichfarm/nsyte) `deploy` does, with no pico code.

usage: nsyte_publish.py FOLDER --relay ws://... --key HEX --server http://... [--server ...]
                        [--d NAME] [--title T] [--description D] [--source URL]
                        [--relay-tag URL ...] [--fallback /404-source.html] [--aggregate]
                        [--created-at UNIX] [--no-upload] [--print-only]
                        [--raw-tag JSON ...] [--relay-list URL[,read|write] ... --relay-list-to RELAY]

Run it with .build/venv/bin/python (`make venv`). What nsyte does, and so this script:
  1. Scans FOLDER: every file, as the path "/" + its path under FOLDER; paths with a segment
     starting with "." and node_modules/ are left out (nsyte's default ignore rules).
  2. Uploads each file's bytes as a Blossom blob to every --server: HEAD /<sha256> first and no
     upload when the server has it, else BUD-02 PUT /upload with a kind-24242 authorization
     (t=upload, x=<sha256>, expiration), Authorization: Nostr <standard padded base64> —
     through python-blossom (nsyte signs one token for up to 20 hashes; python-blossom signs
     one per blob; both are valid BUD-11 tokens).
  3. Signs (coincurve, BIP-340) the site manifest event, tags in nsyte's order:
       ["d", NAME]                      kind 35128 with --d; kind 15128 (root site) without
       ["path", "/abs/path", sha256]    one per file
       ["path", "/404.html", sha256]    with --fallback: the fallback file's hash under /404.html
       ["server", URL]                  one per --server
       ["relay", URL]                   one per --relay-tag
       ["title", T], ["description", D], ["source", URL]   when given
       ["client", "nsyte"]
     content "", created_at now (or --created-at). nsyte's deploy does not write NIP-5A's
     aggregate ["x", hash, "aggregate"] tag (its snapshot command does); --aggregate adds it,
     computed as the NIP says.
  4. Sends ["EVENT", event] to the relay (NIP-01) and waits for its ["OK", id, true, ...].
  5. With --relay-list-to (nsyte's --publish-relay-list): signs the author's NIP-65 relay list,
     kind 10002, one ["r", URL] or ["r", URL, "read"|"write"] per --relay-list, and sends it to
     that relay.

For tests of hostile events, --raw-tag '["path", "/../x", "<sha256>"]' adds a tag as given
(a JSON array) after the path tags; it is signed like the others.

Prints one JSON object: {"event": the signed event, "uploaded": {server: [sha256...]},
"skipped": {server: [sha256...]}, "relay_ok": bool, "relay_message": str}. Exit status 0 when
every blob is on every server and the relay accepted the event, else 1.
"""
import argparse
import hashlib
import json
import mimetypes
import os
import sys
import time

import coincurve
from websockets.sync.client import connect

ROOT_SITE, NAMED_SITE = 15128, 35128


def scan(folder):
    files = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and d != "node_modules")
        for name in sorted(names):
            if name.startswith("."):
                continue
            full = os.path.join(directory, name)
            if not os.path.isfile(full):
                continue
            with open(full, "rb") as f:
                data = f.read()
            relative = os.path.relpath(full, folder).replace(os.sep, "/")
            files.append({"path": "/" + relative, "file": full, "sha256": hashlib.sha256(data).hexdigest(),
                          "type": mimetypes.guess_type(name)[0] or "application/octet-stream"})
    return files


def aggregate(tags):
    """NIP-5A: SHA-256 of the sorted lines "<sha256> <absolute-path>\\n" of the path tags."""
    lines = sorted(f"{t[2]} {t[1]}\n" for t in tags if t[0] == "path")
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def sign(secret, kind, created_at, tags, content):
    private = coincurve.PrivateKey(bytes.fromhex(secret))
    pubkey = private.public_key_xonly.format().hex()
    serial = json.dumps([0, pubkey, created_at, kind, tags, content], separators=(",", ":"), ensure_ascii=False)
    identifier = hashlib.sha256(serial.encode("utf-8")).digest()
    return {"id": identifier.hex(), "pubkey": pubkey, "created_at": created_at, "kind": kind, "tags": tags,
            "content": content, "sig": private.sign_schnorr(identifier).hex()}


def upload(files, servers, secret):
    from python_blossom import BlossomClient, BlossomError

    client = BlossomClient(nsec=secret, timeout=60)
    uploaded, skipped, problems = {}, {}, []
    for server in servers:
        uploaded[server], skipped[server] = [], []
        for sha in sorted({f["sha256"] for f in files}):
            entry = next(f for f in files if f["sha256"] == sha)
            try:
                client.head_blob(server, sha)
                skipped[server].append(sha)
                continue
            except BlossomError as error:
                if error.status_code != 404:
                    problems.append(f"HEAD {server}/{sha}: {error}")
            try:
                descriptor = client.upload_blob(server, file_path=entry["file"], mime_type=entry["type"])
                if descriptor.get("sha256") != sha:
                    problems.append(f"{server} stored {entry['path']} as {descriptor.get('sha256')}, not {sha}")
                uploaded[server].append(sha)
            except BlossomError as error:
                problems.append(f"PUT {server}/upload {entry['path']}: {error}")
    return uploaded, skipped, problems


def send(relay, event):
    with connect(relay, open_timeout=20, close_timeout=5, max_size=None) as socket:
        socket.send(json.dumps(["EVENT", event]))
        deadline = time.time() + 30
        while time.time() < deadline:
            message = json.loads(socket.recv(timeout=max(0.1, deadline - time.time())))
            if message[:2] == ["OK", event["id"]]:
                return bool(message[2]), message[3] if len(message) > 3 else ""
        return False, "no OK from the relay in 30 s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--relay", required=True)
    parser.add_argument("--key", required=True, help="the author's secret key, 64 hex digits")
    parser.add_argument("--server", action="append", default=[])
    parser.add_argument("--d", help="the named site's identifier (kind 35128); none: the root site")
    parser.add_argument("--title"), parser.add_argument("--description"), parser.add_argument("--source")
    parser.add_argument("--relay-tag", action="append", default=[])
    parser.add_argument("--fallback", help="the file (a path under FOLDER, from /) also served as /404.html")
    parser.add_argument("--aggregate", action="store_true", help="add NIP-5A's aggregate x tag")
    parser.add_argument("--created-at", type=int)
    parser.add_argument("--no-upload", action="store_true", help="only the event (blobs already there)")
    parser.add_argument("--print-only", action="store_true", help="sign and print the event, send nothing")
    parser.add_argument("--raw-tag", action="append", default=[], help="a tag as a JSON array, added as given")
    parser.add_argument("--relay-list", action="append", default=[], help="URL or URL,read or URL,write: an r tag of kind 10002")
    parser.add_argument("--relay-list-to", help="the relay the kind-10002 list is sent to")
    args = parser.parse_args()

    files = scan(args.folder)
    if not files:
        raise SystemExit(f"no files in {args.folder}")
    problems = []
    uploaded, skipped = {}, {}
    if not args.no_upload and not args.print_only:
        uploaded, skipped, problems = upload(files, args.server, args.key)

    tags = [["d", args.d]] if args.d else []
    tags += [["path", f["path"], f["sha256"]] for f in files]
    if args.fallback:
        fallback = next((f for f in files if f["path"] == "/" + args.fallback.lstrip("/")), None)
        if fallback is None:
            raise SystemExit(f"the fallback {args.fallback} is not a file of {args.folder}")
        tags = [t for t in tags if not (t[0] == "path" and t[1] == "/404.html")]
        tags.append(["path", "/404.html", fallback["sha256"]])
    tags += [json.loads(raw) for raw in args.raw_tag]
    tags += [["server", s] for s in args.server]
    tags += [["relay", r] for r in args.relay_tag]
    for name in ("title", "description", "source"):
        if getattr(args, name):
            tags.append([name, getattr(args, name)])
    if args.aggregate:
        tags.append(["x", aggregate(tags), "aggregate"])
    tags.append(["client", "nsyte"])
    event = sign(args.key, NAMED_SITE if args.d else ROOT_SITE,
                 args.created_at if args.created_at is not None else int(time.time()), tags, "")

    ok, message = (True, "not sent (--print-only)") if args.print_only else (False, "not sent: blobs missing")
    if not args.print_only and not problems:
        ok, message = send(args.relay, event)
    relay_list = None
    if args.relay_list_to and ok and not args.print_only:
        list_tags = [["r"] + entry.split(",", 1) for entry in args.relay_list]
        relay_list = sign(args.key, 10002, event["created_at"], list_tags, "")
        list_ok, list_message = send(args.relay_list_to, relay_list)
        if not list_ok:
            ok, message = False, f"the relay list was refused: {list_message}"
    print(json.dumps({"event": event, "relay_list": relay_list, "uploaded": uploaded, "skipped": skipped, "relay_ok": ok,
                      "relay_message": message, "problems": problems}), flush=True)
    sys.exit(0 if ok and not problems else 1)


if __name__ == "__main__":
    main()
