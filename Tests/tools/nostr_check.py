#!/usr/bin/env python3
"""Checks, with coincurve and hashlib and nothing of pico's, that a nostr relay holds a bundle.

usage: nostr_check.py RELAY_URL AUTHOR BUNDLE_DIR [--d SITE]
       nostr_check.py RELAY_URL AUTHOR --count KIND

AUTHOR is the author's public key (64 hex digits, or npub1...). Run it with
.build/venv/bin/python (`make venv`: it needs coincurve and websockets).

Fetches every event of AUTHOR from the relay over a WebSocket (paging with `until` past the
relay's cap on results, and asking for each file's chunks by `#x` when paging cannot reach
them), then checks:
  - every event's id (the SHA-256 of NIP-01's [0,pubkey,created_at,kind,tags,content]) and
    its BIP-340 signature by AUTHOR;
  - the newest site manifest (kind 35128 with ["d", SITE], or kind 15128 without --d; newest
    by created_at, then lowest id): content "", ["client","pico"], path tags exactly the lines
    of BUNDLE_DIR/SHA256SUMS plus /SHA256SUMS and /pico-manifest.json with their SHA-256, no
    path twice; ["bundle", sha256(SHA256SUMS)], the id pico-manifest.json names; and
    ["bundle-signature", pubkey, sig] if and only if pico-manifest.json is signed, equal to its
    signature and valid (BIP-340 over the 32 bytes of the bundle id);
  - for every SHA-256 a path tag names, a complete set of kind-1128 chunk events (["x", file
    sha256], ["chunk", index, count], ["c", chunk sha256], standard base64 content) whose
    chunks match their c tags and together make bytes with that SHA-256; no chunk content
    longer than the relay's NIP-11 limitation.max_content_length, when it has one.

Prints `nostr_check: N events, ids and signatures OK; M path tags match SHA256SUMS; K files
complete in chunks` and exits 0, or prints every problem and exits 1.

--count KIND prints how many distinct events of that kind AUTHOR has on the relay (ids and
signatures are not checked in this mode).
"""
import base64
import binascii
import contextlib
import hashlib
import json
import os
import sys
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import coincurve
from websockets.sync.client import connect

CHUNK, NAMED_SITE, ROOT_SITE = 1128, 35128, 15128
PAGE = 5000  # asked per REQ; relays cap it anyway (nostr-relay: 6000)
HEX = set("0123456789abcdef")


def is_hex(value, length):
    return isinstance(value, str) and len(value) == length and set(value) <= HEX


def npub_to_hex(text):
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    text = text.lower()
    hrp, _, data = text.rpartition("1")
    if hrp != "npub" or not data or any(c not in charset for c in data):
        raise SystemExit(f"not a public key (64 hex digits or npub1...): {text}")
    def polymod(values):
        checksum = 1
        for value in values:
            top, checksum = checksum >> 25, (checksum & 0x1FFFFFF) << 5 ^ value
            for i, g in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
                checksum ^= g if (top >> i) & 1 else 0
        return checksum
    all_values = [charset.index(c) for c in data]
    if polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + all_values) != 1:
        raise SystemExit(f"not a valid npub (bad checksum): {text}")
    values = all_values[:-6]
    acc, bits, out = 0, 0, bytearray()
    for v in values:
        acc, bits = (acc << 5) | v, bits + 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if len(out) != 32:
        raise SystemExit(f"not a 32-byte public key: {text}")
    return out.hex()


class Relay:
    def __init__(self, url):
        self.url = url
        self.info = nip11(url)
        # The most events one REQ brings: the relay's NIP-11 max_limit when it says so, else the
        # largest page seen yet. A page that size, all from one second, may have been cut short.
        cap = (self.info.get("limitation") or {}).get("max_limit")
        self.advertised = isinstance(cap, int) and cap > 0
        self.cap = min(PAGE, cap) if self.advertised else 0
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(url, max_size=None, open_timeout=20, close_timeout=2, compression=None))
        self.serial = 0

    def req(self, filter_):
        """The events a single-filter REQ returns up to EOSE (the subscription is then closed)."""
        self.serial += 1
        sub = f"check{self.serial}"
        self.ws.send(json.dumps(["REQ", sub, filter_]))
        events = []
        while True:
            message = json.loads(self.ws.recv(timeout=120))
            if message[0] == "EVENT" and message[1] == sub:
                events.append(message[2])
            elif message[0] in ("EOSE", "CLOSED") and message[1] == sub:
                if message[0] == "CLOSED":
                    raise SystemExit(f"the relay closed the query {filter_}: {message[2:]}")
                break
            elif message[0] == "NOTICE":
                print(f"relay notice: {message[1:]}", file=sys.stderr)
        self.ws.send(json.dumps(["CLOSE", sub]))
        return events

    def fetch_all(self, filter_):
        """Every event matching the filter, past the relay's cap: pages down with `until`.

        Pages overlap by one second (relays differ on whether `until` is inclusive), and events
        are kept by id. Returns (events by id, whether some second held more events than a page
        could bring: then some may be missing, and the caller asks by tag)."""
        found, upper, crowded = {}, None, False
        while True:
            page_filter = dict(filter_, limit=PAGE)
            if upper is not None:
                page_filter["until"] = upper + 1  # nostr-relay: created_at < until; NIP-01: <=
            page = [e for e in self.req(page_filter) if isinstance(e, dict) and isinstance(e.get("created_at"), int)]
            if not page:
                return found, crowded
            if not self.advertised:
                self.cap = max(self.cap, len(page))
            new = [e for e in page if e.get("id") not in found]
            for event in new:
                found[event.get("id")] = event
            oldest = min(e["created_at"] for e in page)
            following = oldest if new else oldest - 1  # again from the oldest second: it may hold more
            if upper is not None and following >= upper:
                following = upper - 1
            if following < oldest and len(page) >= self.cap and all(e["created_at"] == oldest for e in page):
                crowded = True  # leaving a second whose events filled a page
            if following < 0:
                return found, crowded
            upper = following

    def fetch_chunks(self, author, hashes):
        """The chunk events of these files, asked for by #x (a few files a query)."""
        found, crowded = {}, []
        hashes = sorted(hashes)
        for start in range(0, len(hashes), 20):
            batch = hashes[start:start + 20]
            events, dense = self.fetch_all({"authors": [author], "kinds": [CHUNK], "#x": batch})
            if dense and len(batch) > 1:
                for digest in batch:
                    events_one, dense_one = self.fetch_all({"authors": [author], "kinds": [CHUNK], "#x": [digest]})
                    events.update(events_one)
                    if dense_one:
                        crowded.append(digest)
            elif dense:
                crowded += batch
            found.update(events)
        return found, crowded

    def close(self):
        self.stack.close()


def nip11(url):
    parts = urlsplit(url)
    http = urlunsplit(("https" if parts.scheme == "wss" else "http", parts.netloc, parts.path or "/", "", ""))
    try:
        request = urllib.request.Request(http, headers={"Accept": "application/nostr+json"})
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.load(response)
    except Exception:  # noqa: BLE001 - NIP-11 is optional
        return {}


def event_problem(event, author):
    """Why the event is not a valid NIP-01 event by author, or None."""
    try:
        fields = [event[k] for k in ("id", "pubkey", "created_at", "kind", "tags", "content", "sig")]
    except (KeyError, TypeError):
        return f"event {str(event)[:80]}: not a NIP-01 event (a field is missing)"
    eid, pubkey, created_at, kind, tags, content, sig = fields
    if not (is_hex(eid, 64) and is_hex(pubkey, 64) and is_hex(sig, 128) and isinstance(created_at, int)
            and isinstance(kind, int) and isinstance(content, str) and isinstance(tags, list)
            and all(isinstance(t, list) and all(isinstance(v, str) for v in t) for t in tags)):
        return f"event {str(eid)[:64]}: malformed fields"
    if pubkey != author:
        return f"event {eid}: by {pubkey}, not {author}"
    serialized = json.dumps([0, pubkey, created_at, kind, tags, content], separators=(",", ":"), ensure_ascii=False)
    if hashlib.sha256(serialized.encode()).hexdigest() != eid:
        return f"event {eid} (kind {kind}): its id is not the hash of its content (altered or forged)"
    try:
        valid = coincurve.PublicKeyXOnly(bytes.fromhex(pubkey)).verify(bytes.fromhex(sig), bytes.fromhex(eid))
    except Exception:  # noqa: BLE001 - a point off the curve, say
        valid = False
    if not valid:
        return f"event {eid} (kind {kind}): bad signature"
    return None


def tag(event, name):
    return next((t[1:] for t in event["tags"] if t and t[0] == name), None)


def assemble(events, sha256, limit, problems):
    """Whether some complete set of chunk events makes the file; reports what is wrong if not."""
    sets, notes, longest = {}, [], 0
    for event in events:
        position, c = tag(event, "chunk"), tag(event, "c")
        try:
            index, count = int(position[0]), int(position[1])
            assert 0 <= index < count and c and is_hex(c[0], 64)
            data = base64.b64decode(event["content"], validate=True)
        except (TypeError, ValueError, IndexError, AssertionError, binascii.Error):
            notes.append(f"event {event['id']}: malformed chunk (chunk/c tags or base64)")
            continue
        if base64.b64encode(data).decode() != event["content"]:
            notes.append(f"event {event['id']}: content is not canonical padded base64")
            continue
        if hashlib.sha256(data).hexdigest() != c[0]:
            notes.append(f"event {event['id']}: chunk {index} does not match its c tag")
            continue
        if limit and len(event["content"]) > limit:
            notes.append(f"event {event['id']}: content of {len(event['content'])} characters, over the relay's "
                         f"max_content_length {limit}")
        longest = max(longest, len(event["content"]))
        sets.setdefault(count, {}).setdefault(index, data)
    for count, chunks in sorted(sets.items()):
        if len(chunks) == count:
            whole = b"".join(chunks[i] for i in range(count))
            if hashlib.sha256(whole).hexdigest() == sha256:
                problems.extend(n for n in notes if "over the relay" in n)
                return True, longest
            notes.append(f"its {count} chunks put together do not hash to {sha256}")
    if not sets:
        notes.append("no valid chunk events")
    else:
        count, chunks = max(sets.items(), key=lambda item: len(item[1]))
        missing = sorted(set(range(count)) - set(chunks))
        notes.append(f"{len(chunks)} of {count} chunks (missing {missing[:10]}{'...' if len(missing) > 10 else ''})")
    problems.append(f"file {sha256}: incomplete: " + "; ".join(notes))
    return False, longest


def main():
    args = sys.argv[1:]
    site = count_kind = None
    if "--d" in args:
        i = args.index("--d")
        site = args[i + 1] if i + 1 < len(args) else None
        del args[i:i + 2]
    if "--count" in args:
        i = args.index("--count")
        count_kind = int(args[i + 1]) if i + 1 < len(args) and args[i + 1].isdigit() else None
        del args[i:i + 2]
        if count_kind is None or len(args) != 2:
            raise SystemExit(__doc__.split("\n\n")[1])
    elif len(args) != 3 or (site is None and "--d" in sys.argv):
        raise SystemExit(__doc__.split("\n\n")[1])
    parts = urlsplit(args[0])
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))  # pico's ?site= is not the relay's
    author = args[1].lower()
    author = author if is_hex(author, 64) else npub_to_hex(author)

    relay = Relay(url)
    if count_kind is not None:
        events, crowded = relay.fetch_all({"authors": [author], "kinds": [count_kind]})
        if crowded and count_kind == CHUNK:
            # More chunks in one second than the relay returns at once: ask file by file, for
            # every file any of the author's manifests names or any chunk seen belongs to.
            manifests, _ = relay.fetch_all({"authors": [author], "kinds": [NAMED_SITE, ROOT_SITE]})
            hashes = {t[2] for e in manifests.values() for t in e.get("tags", []) if len(t) >= 3 and t[0] == "path"}
            hashes |= {(tag(e, "x") or [""])[0] for e in events.values() if isinstance(e.get("tags"), list)}
            more, crowded = relay.fetch_chunks(author, hashes - {""})
            events.update(more)
        if crowded:
            print(f"warning: the relay caps results and some second holds more kind-{count_kind} events than it "
                  f"returns at once: the count may be low", file=sys.stderr)
        print(len(events))
        relay.close()
        return

    bundle = args[2]
    with open(os.path.join(bundle, "SHA256SUMS"), "rb") as f:
        sums = f.read()
    with open(os.path.join(bundle, "pico-manifest.json"), "rb") as f:
        manifest_bytes = f.read()
    manifest = json.loads(manifest_bytes)
    problems = []
    expected = []
    for number, line in enumerate(sums.decode().split("\n")[:-1] if sums.endswith(b"\n") else sums.decode().split("\n"), 1):
        digest, sep, path = line.partition("  ")
        if not (sep and is_hex(digest, 64) and path):
            raise SystemExit(f"{bundle}/SHA256SUMS line {number} is not `<sha256>  <path>`: {line!r}")
        expected.append(("/" + path, digest))
    expected += [("/SHA256SUMS", hashlib.sha256(sums).hexdigest()),
                 ("/pico-manifest.json", hashlib.sha256(manifest_bytes).hexdigest())]
    bundle_id = hashlib.sha256(sums).hexdigest()
    if manifest.get("id") != bundle_id:
        problems.append(f"{bundle}/pico-manifest.json names bundle {manifest.get('id')}, SHA256SUMS hashes to {bundle_id}")

    events, _ = relay.fetch_all({"authors": [author]})
    # The manifest may share a crowded second with chunks that paging skipped: ask for it too.
    manifest_filter = {"authors": [author], "kinds": [NAMED_SITE], "#d": [site]} if site is not None \
        else {"authors": [author], "kinds": [ROOT_SITE]}
    for event_id, event in relay.fetch_all(manifest_filter)[0].items():
        events.setdefault(event_id, event)
    valid = {}
    for event in events.values():
        problem = event_problem(event, author)
        if problem:
            problems.append(problem)
        else:
            valid[event["id"]] = event

    # The manifest: newest by created_at, then lowest id (NIP-01), of the valid ones.
    if site is not None:
        candidates = [e for e in valid.values() if e["kind"] == NAMED_SITE and (tag(e, "d") or [""])[0] == site]
        what = f"kind {NAMED_SITE} with d={site!r}"
    else:
        candidates = [e for e in valid.values() if e["kind"] == ROOT_SITE]
        what = f"kind {ROOT_SITE} (root site)"
    path_count = 0
    wanted = sorted({digest for _, digest in expected})
    if not candidates:
        problems.append(f"no valid site manifest event ({what}) by {author}")
    else:
        newest = min(candidates, key=lambda e: (-e["created_at"], e["id"]))
        where = f"manifest event {newest['id']}"
        if len(candidates) > 1:
            print(f"note: {len(candidates)} manifest events ({what}); checking the newest, {newest['id']}", file=sys.stderr)
        if newest["content"] != "":
            problems.append(f"{where}: content is not empty")
        if ["client", "pico"] not in newest["tags"]:
            problems.append(f"{where}: no [\"client\", \"pico\"] tag")
        paths = []
        for t in newest["tags"]:
            if t and t[0] == "path":
                if len(t) < 3:
                    problems.append(f"{where}: malformed path tag {t}")
                else:
                    paths.append((t[1], t[2]))
        seen = set()
        for path, _ in paths:
            if path in seen:
                problems.append(f"{where}: path {path} appears twice")
            seen.add(path)
        tagged, wanted_paths = dict(paths), dict(expected)
        for path in sorted(wanted_paths.keys() - tagged.keys()):
            problems.append(f"{where}: no path tag for {path}")
        for path in sorted(tagged.keys() - wanted_paths.keys()):
            problems.append(f"{where}: path tag {path} is not in the bundle")
        for path in sorted(tagged.keys() & wanted_paths.keys()):
            if tagged[path] != wanted_paths[path]:
                problems.append(f"{where}: path {path} has SHA-256 {tagged[path]}, the bundle's is {wanted_paths[path]}")
            else:
                path_count += 1
        bundle_tag = tag(newest, "bundle")
        if not bundle_tag or bundle_tag[0] != bundle_id:
            problems.append(f"{where}: bundle tag {bundle_tag}, expected {bundle_id}")
        signature, signed = tag(newest, "bundle-signature"), manifest.get("signature")
        if signature is None and signed:
            problems.append(f"{where}: no bundle-signature tag, but the bundle is signed")
        elif signature is not None:
            if not signed:
                problems.append(f"{where}: a bundle-signature tag, but the bundle is not signed")
            elif len(signature) < 2 or [signature[0], signature[1]] != [signed.get("pubkey"), signed.get("sig")]:
                problems.append(f"{where}: bundle-signature {signature} is not the bundle's {signed}")
            try:
                ok = coincurve.PublicKeyXOnly(bytes.fromhex(signature[0])).verify(bytes.fromhex(signature[1]), bytes.fromhex(bundle_id))
            except Exception:  # noqa: BLE001
                ok = False
            if not ok:
                problems.append(f"{where}: bundle-signature does not verify over the bundle id")

    # The chunks of every file the bundle names.
    limit = (relay.info.get("limitation") or {}).get("max_content_length")
    limit = limit if isinstance(limit, int) and limit > 0 else None
    by_file = {}
    for event in valid.values():
        x = tag(event, "x")
        if event["kind"] == CHUNK and x:
            by_file.setdefault(x[0], []).append(event)
    complete, longest = 0, 0
    results = {digest: assemble(by_file.get(digest, []), digest, limit, []) for digest in wanted}
    missing = [digest for digest, (ok, _) in results.items() if not ok]
    if missing:  # paging may have left some out (a second with more events than a page): ask by tag
        extra, crowded = relay.fetch_chunks(author, missing)
        for event in extra.values():
            if event["id"] in events:
                continue
            events[event["id"]] = event
            problem = event_problem(event, author)
            if problem:
                problems.append(problem)
            elif event["kind"] == CHUNK and tag(event, "x"):
                valid[event["id"]] = event
                by_file.setdefault(tag(event, "x")[0], []).append(event)
    else:
        crowded = []
    for digest in wanted:
        ok, size = assemble(by_file.get(digest, []), digest, limit, problems)
        if not ok and digest in crowded:
            problems.append(f"file {digest}: (the relay holds more of its chunk events in one second than it "
                            f"returns at once: this check could not ask for them all)")
        complete += ok
        longest = max(longest, size)
    relay.close()

    if problems:
        print("\n".join(problems))
        print(f"nostr_check: {len(problems)} problem(s) on {url}")
        sys.exit(1)
    print(f"nostr_check: {len(events)} events, ids and signatures OK; {path_count} path tags match SHA256SUMS; "
          f"{complete} files complete in chunks (longest chunk content {longest} characters"
          f"{f', relay limit {limit}' if limit else ''})")


if __name__ == "__main__":
    main()
