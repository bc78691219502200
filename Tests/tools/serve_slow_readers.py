#!/usr/bin/env python3
"""Asks an HTTP server for PATH on CONNECTIONS connections and never reads the answers.

Each connection has a small receive buffer and sends one complete GET, then the script holds
them all open for HOLD seconds without reading a byte, as a client that stalls on purpose
would. Prints `{"opened": N}` once every request is sent (flushed, so a test can watch the
server meanwhile), and exits after HOLD seconds. Standard library only.

usage: serve_slow_readers.py PORT [--connections 200] [--path /] [--hold 40]
"""
import argparse, json, resource, socket, sys, time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--path", default="/")
    parser.add_argument("--hold", type=float, default=40)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    held = []
    for _ in range(args.connections):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", args.port))
        sock.sendall(f"GET {args.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        held.append(sock)
    print(json.dumps({"opened": len(held)}), flush=True)
    time.sleep(args.hold)


if __name__ == "__main__":
    sys.exit(main())
