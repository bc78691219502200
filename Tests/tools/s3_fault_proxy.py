#!/usr/bin/env python3
"""An HTTP/1.1 proxy in front of an S3 server that makes a share of requests fail, for testing
that pico's S3 client retries and still publishes everything. Standard library only.

usage: s3_fault_proxy.py --upstream http://127.0.0.1:PORT [--port 0] [--fail-share 0.25]
                         [--seed 7] [--stats FILE]

Point the client at the proxy (AWS_ENDPOINT_URL=http://127.0.0.1:PROXYPORT). Requests go
upstream byte for byte, the Host header included: SigV4 signs the host, so the client signs
for the proxy's address, and moto does not mind which host it is told. Each request draws
once from a generator seeded with --seed: with probability --fail-share it fails, else it is
forwarded. Failures, in these shares:
  1/2  503 with S3's <Error><Code>SlowDown</Code> body (the request never reaches upstream)
  1/4  the connection is closed after the request was read, before anything upstream
  1/4  the request is forwarded, and the connection closed halfway through the response
       (upstream has done the work: the retry finds it done)
So a retried request fails again only with probability --fail-share: nothing fails forever.
Keep-alive connections are kept, to the client and upstream; request bodies must come with a
Content-Length (S3 clients send one; chunked uploads get 411); `Expect: 100-continue` is
answered at once.

Prints one line when ready, `S3 fault proxy at http://127.0.0.1:PORT`, and nothing else on
stdout. On SIGTERM or SIGINT (and when its parent goes away) it writes the counts to --stats
FILE, or else to stderr, as one JSON object: {"forwarded", "slowdown_503",
"dropped_before_upstream", "dropped_mid_response"}.
"""
import argparse
import http.client
import json
import os
import random
import signal
import socketserver
import sys
import threading
import time
from urllib.parse import urlsplit

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate.</Message>"
            b"<RequestId>fault-proxy</RequestId><HostId>fault-proxy</HostId></Error>")

args = None
rng_lock = threading.Lock()
counts = {"forwarded": 0, "slowdown_503": 0, "dropped_before_upstream": 0, "dropped_mid_response": 0}


def draw():
    with rng_lock:
        if rng.random() >= args.fail_share:
            outcome = "forwarded"
        else:
            outcome = rng.choice(["slowdown_503", "slowdown_503", "dropped_before_upstream",
                                  "dropped_mid_response"])
        counts[outcome] += 1
        return outcome


def forward(upstream, method, target, headers, body):
    upstream.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        upstream.putheader(name, value)
    upstream.endheaders(body)
    response = upstream.getresponse()
    return response, response.read()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        upstream = http.client.HTTPConnection(args.upstream_host, args.upstream_port, timeout=120)
        try:
            while self.one_request(upstream):
                pass
        except (ConnectionError, TimeoutError):
            pass  # the client went away; nothing to answer
        finally:
            upstream.close()

    def one_request(self, upstream):
        """Relays one request; returns whether the client connection stays open."""
        line = self.rfile.readline(65537)
        if not line.strip():
            return False
        method, target, version = line.decode("latin-1").split()
        headers = http.client.parse_headers(self.rfile)
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            self.wfile.write(b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        if headers.get("Expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # or the client waits before sending the body
        body = self.rfile.read(int(headers.get("Content-Length") or 0))
        keep_alive = headers.get("Connection", "").lower() != "close" and version == "HTTP/1.1"

        outcome = draw()
        if outcome == "dropped_before_upstream":
            return False
        if outcome == "slowdown_503":
            self.wfile.write(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(SLOWDOWN), SLOWDOWN))
            return keep_alive

        try:
            response, payload = forward(upstream, method, target, headers, body)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            upstream.close()  # upstream closed an idle keep-alive connection: not a planned fault
            response, payload = forward(upstream, method, target, headers, body)
        head = [f"HTTP/1.1 {response.status} {response.reason}"]
        for name, value in response.getheaders():
            if name.lower() != "transfer-encoding":
                head.append(f"{name}: {value}")
        if response.getheader("Transfer-Encoding"):  # http.client undid the chunks: say the length
            head.append(f"Content-Length: {len(payload)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload
        if outcome == "dropped_mid_response":
            self.wfile.write(raw[: len(raw) // 2])
            return False
        self.wfile.write(raw)
        return keep_alive and not response.will_close


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def report(*_):
    with rng_lock:
        text = json.dumps(counts)
    if args.stats:
        with open(args.stats, "w") as f:
            f.write(text + "\n")
    else:
        print(text, file=sys.stderr, flush=True)
    os._exit(0)


def main():
    global args, rng
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-share", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stats")
    args = parser.parse_args()
    upstream = urlsplit(args.upstream)
    args.upstream_host, args.upstream_port = upstream.hostname, upstream.port or 80
    rng = random.Random(args.seed)

    server = Server(("127.0.0.1", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # A parent may have started us with these blocked (Swift's Process passes its thread's mask on).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, report)
    signal.signal(signal.SIGINT, report)
    print(f"S3 fault proxy at http://127.0.0.1:{server.server_address[1]}", flush=True)
    parent = os.getppid()
    while os.getppid() == parent:  # a harness that dies without stopping us leaves no proxy
        time.sleep(0.5)
    report()


if __name__ == "__main__":
    main()
