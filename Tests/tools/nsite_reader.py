#!/usr/bin/env python3
"""Reads an nsite (NIP-5A) as a gateway would, with nostr-sdk (rust-nostr) and no pico code.

usage: nsite_reader.py RELAY_URL AUTHOR [--d NAME] [--server URL ...] [--no-server-list]
                       [--out DIR] [--timeout SECONDS]

Run it with .build/venv/bin/python (`make venv`). AUTHOR is a hex public key or an npub.

  1. nostr-sdk fetches from RELAY_URL the author's site manifest: kind 35128 with ["d", NAME]
     given --d, else kind 15128 (the root site); the newest by created_at, ties to the lowest id
     (NIP-01). nostr-sdk verifies its id and signature (Event.verify_id, verify_signature).
  2. The Blossom servers to ask, in NIP-5A's order: the event's `server` tags, then the
     author's kind-10063 server list (BUD-03; skipped with --no-server-list), then --server.
  3. Every `path` tag's blob is fetched with BUD-01 GET <server>/<sha256> (standard library
     HTTP), from each server in turn until one gives bytes with that SHA-256; servers that
     gave other bytes are named in the file's "bad_servers".
  4. The aggregate hash is computed as NIP-5A's text says: one line "<sha256> <absolute-path>\\n"
     per path tag, the lines sorted, concatenated as UTF-8, SHA-256, lowercase hex; it is
     compared with the event's ["x", <hex>, "aggregate"] tag when there is one.
  With --out DIR each verified file is written under DIR at its path (paths that would leave
  DIR are refused).

Prints one JSON object:
  {"found", "event_id", "kind", "pubkey", "created_at", "d", "id_ok", "signature_ok",
   "servers": [...], "server_list": [... from kind 10063], "title", "client",
   "files": [{"path", "sha256", "ok", "size", "server", "bad_servers": [...], "error"}],
   "hashes_ok": all files loaded with matching hashes,
   "aggregate": {"computed", "tag" (or null), "match" (null without a tag)},
   "tags": the event's tags}
Exit status 0 when the event was found, its id and signature verify, and every file loaded
with its hash; 1 otherwise (the JSON says why).
"""
import argparse
import asyncio
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import timedelta

from nostr_sdk import Client, Filter, Kind, PublicKey, RelayUrl, ReqTarget

ROOT_SITE, NAMED_SITE, SERVER_LIST = 15128, 35128, 10063
MAX_BLOB = 512 * 1024 * 1024


def aggregate(path_tags):
    lines = sorted(f"{sha} {path}\n" for path, sha in path_tags)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def newest(events):
    return min(events, key=lambda e: (-e.created_at().as_secs(), e.id().to_hex())) if events else None


async def fetch(relay, author, kind, d, timeout):
    client = Client()
    url = RelayUrl.parse(relay)
    await client.add_relay(url)
    await client.connect()
    query = Filter().author(author).kind(Kind(kind))
    if d is not None:
        query = query.identifier(d)
    try:
        return await client.fetch_events(ReqTarget.single(url, [query]), timedelta(seconds=timeout))
    finally:
        await client.disconnect()


def get_blob(server, sha, timeout):
    url = server.rstrip("/") + "/" + sha
    with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "nsite_reader"}), timeout=timeout) as r:
        data = r.read(MAX_BLOB + 1)
    if len(data) > MAX_BLOB:
        raise ValueError(f"more than {MAX_BLOB} bytes")
    return data


def write_under(out, path, data):
    root = os.path.realpath(out)
    target = os.path.realpath(os.path.join(root, path.lstrip("/")))
    if not target.startswith(root + os.sep):
        raise ValueError(f"{path} would leave {out}")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as f:
        f.write(data)


async def read_site(args):
    author = PublicKey.parse(args.author)
    kind = NAMED_SITE if args.d is not None else ROOT_SITE
    events = await fetch(args.relay, author, kind, args.d, args.timeout)
    # The relay is not trusted: only events that verify count.
    candidates = [e for e in events if e.author().to_hex() == author.to_hex() and e.kind().as_u16() == kind]
    event = newest([e for e in candidates if e.verify_id() and e.verify_signature()])
    result = {"found": event is not None, "candidates": len(candidates)}
    if event is None:
        result["error"] = f"no verifiable kind-{kind} event by {author.to_hex()} on {args.relay}"
        return result, False

    tags = [t.to_vec() for t in event.tags()]
    servers = [t[1] for t in tags if t[0] == "server" and len(t) > 1]
    server_list = []
    if not args.no_server_list:
        lists = [e for e in await fetch(args.relay, author, SERVER_LIST, None, args.timeout) if e.verify()]
        chosen = newest(lists)
        if chosen is not None:
            server_list = [t.to_vec()[1] for t in chosen.tags() if t.to_vec()[0] == "server" and len(t.to_vec()) > 1]
    order = []
    for server in servers + server_list + args.server:
        if server.rstrip("/") not in [s.rstrip("/") for s in order]:
            order.append(server)

    path_tags = [(t[1], t[2]) for t in tags if t[0] == "path" and len(t) > 2]
    files = []
    for path, sha in path_tags:
        entry = {"path": path, "sha256": sha, "ok": False, "size": None, "server": None, "bad_servers": []}
        for server in order:
            try:
                data = get_blob(server, sha, args.timeout)
            except (urllib.error.URLError, OSError, ValueError) as error:
                entry.setdefault("errors", []).append(f"{server}: {error}")
                continue
            if hashlib.sha256(data).hexdigest() != sha:
                entry["bad_servers"].append(server)
                continue
            entry.update(ok=True, size=len(data), server=server)
            if args.out:
                write_under(args.out, path, data)
            break
        if not entry["ok"]:
            entry["error"] = "no server gave bytes with this SHA-256" if order else "no Blossom server to ask"
        files.append(entry)

    computed = aggregate(path_tags)
    tagged = next((t[1] for t in tags if t[0] == "x" and len(t) > 2 and t[2] == "aggregate"), None)
    d_tags = [t[1] for t in tags if t[0] == "d" and len(t) > 1]
    result.update({
        "event_id": event.id().to_hex(), "kind": kind, "pubkey": event.author().to_hex(),
        "created_at": event.created_at().as_secs(), "d": d_tags[0] if d_tags else None,
        "id_ok": event.verify_id(), "signature_ok": event.verify_signature(),
        "servers": servers, "server_list": server_list,
        "title": next((t[1] for t in tags if t[0] == "title" and len(t) > 1), None),
        "client": next((t[1] for t in tags if t[0] == "client" and len(t) > 1), None),
        "files": files, "hashes_ok": bool(files) and all(f["ok"] for f in files),
        "aggregate": {"computed": computed, "tag": tagged, "match": None if tagged is None else tagged == computed},
        "tags": tags,
    })
    return result, result["hashes_ok"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("relay")
    parser.add_argument("author")
    parser.add_argument("--d")
    parser.add_argument("--server", action="append", default=[])
    parser.add_argument("--no-server-list", action="store_true")
    parser.add_argument("--out")
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    result, ok = asyncio.run(read_site(args))
    print(json.dumps(result), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
