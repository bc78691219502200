#!/usr/bin/env python3
"""A TCP proxy that cuts connections in the middle, to test that clients reconnect.

usage: tcp_cut_proxy.py --upstream HOST:PORT [--port 0] [--cut-after BYTES] [--cuts N]

Forwards every connection to HOST:PORT byte for byte, both ways. The first N connections
(default 1) that send more than BYTES (default 65536) towards the upstream are closed at that
point, both sides at once, as a network that drops would; later connections are left alone.
Prints `proxy at ws://127.0.0.1:PORT` once listening, and on SIGTERM
prints how many connections it cut. Standard library only.
"""
import argparse
import signal
import socket
import sys
import threading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--upstream', required=True)
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--cut-after', type=int, default=65536)
    parser.add_argument('--cuts', type=int, default=1)
    args = parser.parse_args()
    host, port = args.upstream.rsplit(':', 1)
    upstream = (host, int(port))
    state = {'cuts_left': args.cuts, 'cut': 0}
    lock = threading.Lock()

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', args.port))
    listener.listen(64)

    def stop(*_):
        print('tcp_cut_proxy: cut %d connection(s)' % state['cut'], file=sys.stderr, flush=True)
        sys.exit(0)

    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound = listener.getsockname()[1]
    print('proxy at ws://127.0.0.1:%d' % bound, flush=True)

    def close(*sockets):
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def serve(client):
        try:
            server = socket.create_connection(upstream)
        except OSError:
            client.close()
            return
        sent = [0]

        def pump(source, target, counts):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    if counts:
                        with lock:
                            cut = sent[0] + len(data) > args.cut_after and state['cuts_left'] > 0
                            if cut:
                                state['cuts_left'] -= 1
                                state['cut'] += 1
                        if cut:
                            target.sendall(data[:max(0, args.cut_after - sent[0])])
                            break
                        sent[0] += len(data)
                    target.sendall(data)
            except OSError:
                pass
            close(source, target)

        threading.Thread(target=pump, args=(server, client, False), daemon=True).start()
        pump(client, server, True)

    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


if __name__ == '__main__':
    main()
