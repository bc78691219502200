#!/usr/bin/env python3
"""A hostile S3 endpoint: serves one bundle's objects, but its listings never end.

usage: s3_hostile_server.py BUNDLE_DIR --bucket NAME --prefix PREFIX --mode MODE [--port 0] [--log FILE] [--drop PATH]

Path-style requests only; signatures are not checked (any credentials do). GET of
/NAME/PREFIX/PATH answers the file BUNDLE_DIR/PATH (404 NoSuchKey otherwise), so `pico verify`
and `pico publish --prune` find a bundle there and go on to list the prefix. Every
ListObjectsV2 answer (GET /NAME?list-type=2…) says IsTruncated=true, by MODE:

  same-token   one key and the same NextContinuationToken every time
  fresh-token  no keys, a new NextContinuationToken every time
  no-token     one key and no NextContinuationToken at all
  fresh-keys   1,000 new keys and a new token every time (a listing that grows forever)

With --drop PATH, a GET of that object closes the connection without an answer (a reset
mid-fetch). Other requests (PUT, DELETE, POST) are answered 200 with an empty body. Prints
`hostile S3 server at http://127.0.0.1:PORT` when ready; with --log, appends a line `listing N`
to FILE for each listing it answers. Standard library only.
"""
import argparse
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

parser = argparse.ArgumentParser()
parser.add_argument("bundle")
parser.add_argument("--bucket", required=True)
parser.add_argument("--prefix", required=True)
parser.add_argument("--mode", required=True, choices=["same-token", "fresh-token", "no-token", "fresh-keys"])
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--log")
parser.add_argument("--drop")
args = parser.parse_args()

lock = threading.Lock()
listings = 0


def listing_page(number):
    key = f"{args.prefix}/index.html"
    if args.mode == "same-token":
        contents, token = [key], "again"
    elif args.mode == "fresh-token":
        contents, token = [], f"token-{number}"
    elif args.mode == "no-token":
        contents, token = [key], None
    else:
        contents, token = [f"{args.prefix}/more/{number}-{i}.html" for i in range(1000)], f"token-{number}"
    body = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
            f"<Name>{args.bucket}</Name><Prefix>{args.prefix}/</Prefix><KeyCount>{len(contents)}</KeyCount>",
            "<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"]
    if token:
        body.append(f"<NextContinuationToken>{token}</NextContinuationToken>")
    for name in contents:
        body.append(f"<Contents><Key>{name}</Key><Size>10</Size></Contents>")
    body.append("</ListBucketResult>")
    return "".join(body).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def answer(self, status, body=b"", kind="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drain(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def do_GET(self):
        global listings
        parts = urlsplit(self.path)
        path = unquote(parts.path).lstrip("/")
        if path in (args.bucket, args.bucket + "/") and "list-type" in parse_qs(parts.query, keep_blank_values=True):
            with lock:
                listings += 1
                number = listings
                if args.log:
                    with open(args.log, "a") as log:
                        log.write(f"listing {number}\n")
            return self.answer(200, listing_page(number))
        start = f"{args.bucket}/{args.prefix}/"
        if args.drop and path == start + args.drop:
            self.close_connection = True
            return
        file = os.path.join(args.bundle, path[len(start):]) if path.startswith(start) else None
        if file and os.path.isfile(file) and ".." not in path.split("/"):
            with open(file, "rb") as handle:
                return self.answer(200, handle.read(), "application/octet-stream")
        self.answer(404, b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>")

    def do_HEAD(self):
        self.answer(404)

    def do_PUT(self):
        self.drain()
        self.answer(200)

    do_POST = do_PUT
    do_DELETE = do_PUT


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True


# A test runner's thread may have SIGTERM blocked; this process must still stop on it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
print(f"hostile S3 server at http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
