#!/usr/bin/env python3
"""Floods an HTTP server with idle TCP connections and checks that it keeps serving.

Opens CONNECTIONS TCP connections to 127.0.0.1:PORT and sends nothing on them (a
half-written request line on every tenth, the slowloris way), then, while they are open,
fetches PATH on fresh connections every half second. It then waits up to WAIT seconds for the
server to close the idle connections. Prints one JSON object:

  opened            connections that were established
  refused           connections the server did not accept
  probes            HTTP status of each normal request made during the flood (0: it failed)
  closed            idle connections the server closed (EOF or reset) within WAIT seconds
  seconds_to_close  how long after the flood started the last of them was closed

Standard library only.

usage: serve_flood.py PORT [--connections 1100] [--path /] [--wait 40]
"""
import argparse, http.client, json, resource, selectors, socket, sys, time


def probe(port, path):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status
    except OSError:
        return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--path", default="/")
    parser.add_argument("--wait", type=float, default=40)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    started = time.monotonic()
    idle, refused = [], 0
    for index in range(args.connections):
        try:
            sock = socket.create_connection(("127.0.0.1", args.port), timeout=5)
            if index % 10 == 0:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # a header that never ends
            sock.setblocking(False)
            idle.append(sock)
        except OSError:
            refused += 1

    probes = [probe(args.port, args.path) for _ in range(3)]
    selector = selectors.DefaultSelector()
    for sock in idle:
        selector.register(sock, selectors.EVENT_READ)
    closed, last_close = 0, None
    deadline = started + args.wait
    next_probe = time.monotonic()
    while closed < len(idle) and time.monotonic() < deadline:
        if time.monotonic() >= next_probe:
            probes.append(probe(args.port, args.path))
            next_probe = time.monotonic() + 0.5
        for key, _ in selector.select(timeout=0.2):
            try:
                data = key.fileobj.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            except BlockingIOError:
                continue
            if not data:  # a 408 or 400 answer may come first; the close is what counts
                selector.unregister(key.fileobj)
                key.fileobj.close()
                closed += 1
                last_close = time.monotonic() - started
    probes.append(probe(args.port, args.path))
    print(json.dumps({"opened": len(idle), "refused": refused, "probes": probes, "closed": closed,
                      "seconds_to_close": last_close}))


if __name__ == "__main__":
    sys.exit(main())
