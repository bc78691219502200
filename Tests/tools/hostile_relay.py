#!/usr/bin/env python3
"""A malicious nostr relay for tests: one bad relay among good ones.

usage: hostile_relay.py --mode MODE [--forge id|sig] [--d SITE] [--port 0]

Prints `hostile relay at ws://127.0.0.1:PORT` when ready. Answers every EVENT with OK. On
each REQ, by MODE:

  flood        EVENTs for the subscription without end and never EOSE: small events shaped
               like the author's site manifest (the filter's author and kind), bad ids
  huge         the same with 4 MiB of content each
  forged-newer one site manifest event for the filter's author, kind and `d` (with `--d SITE`,
               a named site SITE whatever the filter), created a day in the future, then EOSE;
               `--forge id` (default) gives it an id that is not its hash, `--forge sig` a
               correct id and a signature that is not the author's
  silent       nothing at all: no EVENT, no EOSE, ever
  paging       an honest store of site manifest events (so `pico publish` can put a valid,
               newer one here) that, once it holds one, answers every chunk REQ with a full
               page (`limit` events) of chunk events by another key, older each time, then
               EOSE: a client that pages back with `until` never reaches the end

Runs with the venv's Python (the websockets package).
"""
import argparse
import asyncio
import hashlib
import json
import os
import signal
import time

from websockets.asyncio.server import serve

SITE_KINDS = {15128, 35128}
parser = argparse.ArgumentParser()
parser.add_argument("--mode", required=True, choices=["flood", "huge", "forged-newer", "silent", "paging"])
parser.add_argument("--forge", default="id", choices=["id", "sig"])
parser.add_argument("--d")
parser.add_argument("--port", type=int, default=0)
args = parser.parse_args()

stored_sites = []


def event_id(event):
    serialized = json.dumps([0, event["pubkey"], event["created_at"], event["kind"], event["tags"], event["content"]],
                            separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(serialized.encode()).hexdigest()


def fake_event(pubkey, kind, tags, content, created_at, correct_id=False):
    event = {"pubkey": pubkey, "created_at": created_at, "kind": kind, "tags": tags, "content": content,
             "sig": os.urandom(64).hex()}
    event["id"] = event_id(event) if correct_id else os.urandom(32).hex()
    return event


def site_tags(filt):
    d = (filt.get("#d") or [None])[0]
    tags = [["d", d]] if d is not None else []
    return tags + [["path", "/index.html", "00" * 32], ["bundle", "11" * 32], ["client", "pico"]]


async def handle(websocket):
    async for message in websocket:
        try:
            data = json.loads(message)
        except ValueError:
            continue
        if data[0] == "EVENT":
            event = data[1]
            if event.get("kind") in SITE_KINDS:
                stored_sites.append(event)
            await websocket.send(json.dumps(["OK", event.get("id", ""), True, ""]))
        elif data[0] == "REQ":
            await answer(websocket, data[1], data[2] if len(data) > 2 else {})


async def answer(websocket, subscription, filt):
    if args.mode == "silent":
        return
    author = (filt.get("authors") or ["00" * 32])[0]
    kinds = filt.get("kinds") or [35128]
    if args.mode in ("flood", "huge"):
        content = "x" * (4 << 20) if args.mode == "huge" else ""
        number = 0
        while True:
            number += 1
            event = fake_event(author, kinds[0], site_tags(filt), content, int(time.time()) + number)
            await websocket.send(json.dumps(["EVENT", subscription, event]))
    if args.mode == "forged-newer":
        if SITE_KINDS & set(kinds):
            named = args.d is not None or (35128 in kinds and filt.get("#d"))
            tags = site_tags({"#d": [args.d]} if args.d is not None else filt)
            event = fake_event(author, 35128 if named else kinds[0], tags, "", int(time.time()) + 86400,
                               correct_id=args.forge == "sig")
            await websocket.send(json.dumps(["EVENT", subscription, event]))
    elif args.mode == "paging":
        if SITE_KINDS & set(kinds):
            for event in stored_sites:
                if event["pubkey"] == author and event["kind"] in kinds:
                    await websocket.send(json.dumps(["EVENT", subscription, event]))
        elif 1128 in kinds and stored_sites:
            limit = int(filt.get("limit") or 500)
            until = int(filt.get("until") or time.time())
            stranger = os.urandom(32).hex()
            wanted = (filt.get("#x") or ["00" * 32])[0]
            for number in range(limit):
                event = fake_event(stranger, 1128, [["x", wanted], ["chunk", "0", "1"], ["c", "00" * 32]], "",
                                   until - 1 - number // 10)
                await websocket.send(json.dumps(["EVENT", subscription, event]))
    await websocket.send(json.dumps(["EOSE", subscription]))


async def main():
    async with serve(handle, "127.0.0.1", args.port, max_size=64 << 20) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"hostile relay at ws://127.0.0.1:{port}", flush=True)
        await asyncio.Future()


# A test runner's thread may have SIGTERM blocked; this process must still stop on it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
asyncio.run(main())
