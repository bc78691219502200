#!/usr/bin/env python3
"""Alters one stored chunk event of a file in the test relay's SQLite database, keeping its id
and signature, so that the relay serves a forged event.

usage: nostr_tamper.py DATABASE FILE_SHA256

DATABASE is the nostr-relay database Silos/nostr/start-relay.sh names (STATE_DIR/nostr.sqlite3).
Picks a kind-1128 event tagged ["x", FILE_SHA256] (one with content, if any) and changes a few
characters of its base64 content to other base64 characters (so it still decodes, to other
bytes); an empty chunk becomes "AAAA". The id, signature and tags stay as they were. Prints the
altered event's id and exits 0, or exits 1 if the database holds no such event.

The relay may keep running: it reads every REQ's events from the database (no cache), and the
change is committed through SQLite's WAL like the relay's own writes. Standard library only.
"""
import sqlite3
import sys

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def altered(content):
    if not content.rstrip("="):
        return "AAAA"
    chars = list(content)
    body = len(content.rstrip("="))
    # Three characters well inside the chunk (never the last one before the padding, whose
    # low bits a decoder may ignore), each moved to another letter of the alphabet.
    for position in {body // 3, body // 2, max(0, body - 2)} if body > 2 else {0}:
        chars[position] = ALPHABET[(ALPHABET.index(chars[position]) + 17) % 64]
    return "".join(chars)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    database, digest = sys.argv[1], sys.argv[2].lower()
    db = sqlite3.connect(database, timeout=30)
    rows = db.execute(
        "SELECT events.id, events.content FROM events JOIN tags ON tags.id = events.id "
        "WHERE events.kind = 1128 AND tags.name = 'x' AND tags.value = ? "
        "ORDER BY length(events.content) > 0 DESC, events.created_at DESC LIMIT 1", (digest,)).fetchall()
    if not rows:
        print(f"no chunk event of {digest} in {database}", file=sys.stderr)
        sys.exit(1)
    event_id, content = rows[0]
    with db:
        db.execute("UPDATE events SET content = ? WHERE id = ?", (altered(content), event_id))
    db.close()
    print(bytes(event_id).hex())


if __name__ == "__main__":
    main()
