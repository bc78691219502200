#!/usr/bin/env python3
"""A static host for a bundle folder that misbehaves on chosen files, for the http(s) silo
(`pico fetch|verify|serve http://…/`).

  hostile_mirror.py DIR [--base /sub/] [--port 0] [--fault KIND:PATH …]

DIR is served under --base as plain files (HTTP/1.1, Content-Length). Each --fault applies to
one bundle path (relative to DIR, as the manifest lists it):

  wrong:PATH      the file with its first byte flipped, same length
  missing:PATH    404
  oversize:PATH   the file and 1 MiB more, with a Content-Length that says so
  endless:PATH    no Content-Length, bytes until the client hangs up (Connection: close)
  stall:PATH      the headers and half the body, then nothing (the connection is held open)
  redirect:PATH   301 to <base>moved/PATH on the same host, which serves the file
  away:PATH       302 to the same path on another origin (127.0.0.2, same port)
  error:PATH      500, every time

Every request is logged to stderr as `GET path status`. Prints `Serving DIR at URL` and runs
until SIGTERM. Standard library only.
"""

import argparse
import http.server
import os
import signal
import sys
import threading
import time
import urllib.parse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dir')
    parser.add_argument('--base', default='/')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--fault', action='append', default=[])
    args = parser.parse_args(argv)
    folder = os.path.abspath(args.dir)
    base = '/' + args.base.strip('/') + '/' if args.base.strip('/') else '/'
    faults = {}
    for spec in args.fault:
        kind, _, path = spec.partition(':')
        faults[path] = kind

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *a):
            pass

        def log(self, status):
            sys.stderr.write('GET %s %s\n' % (self.path, status))
            sys.stderr.flush()

        def plain(self, status, body=b'', extra=None):
            self.log(status)
            self.send_response(status)
            self.send_header('Content-Length', str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            raw = urllib.parse.urlsplit(self.path).path
            path = urllib.parse.unquote(raw)
            moved = base + 'moved/'
            redirected = path.startswith(moved)
            if redirected:
                rel = path[len(moved):]
            elif path.startswith(base):
                rel = path[len(base):]
            else:
                return self.plain(404, b'not under the base\n')
            file = os.path.normpath(os.path.join(folder, rel))
            if not file.startswith(folder + os.sep) or not os.path.isfile(file):
                return self.plain(404, b'no such file\n')
            fault = None if redirected else faults.get(rel)
            with open(file, 'rb') as f:
                data = f.read()
            if fault == 'missing':
                return self.plain(404, b'gone\n')
            if fault == 'error':
                return self.plain(500, b'broken\n')
            if fault == 'redirect':
                return self.plain(301, extra={'Location': moved + urllib.parse.quote(rel)})
            if fault == 'away':
                host, port = self.server.server_address[:2]
                return self.plain(302, extra={'Location': 'http://127.0.0.2:%d%s' % (port, raw)})
            if fault == 'wrong' and data:
                data = bytes([data[0] ^ 1]) + data[1:]
            if fault == 'oversize':
                data = data + b'x' * (1 << 20)
            if fault == 'endless':
                self.log(200)
                self.send_response(200)
                self.send_header('Connection', 'close')
                self.end_headers()
                self.close_connection = True
                try:
                    self.wfile.write(data)
                    chunk = b'y' * 65536
                    while True:
                        self.wfile.write(chunk)
                except OSError:
                    return
            if fault == 'stall':
                self.log(200)
                self.send_response(200)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                time.sleep(3600)
                return
            self.plain(200, data, {'Content-Type': 'application/octet-stream'})

    server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    print('Serving %s at http://127.0.0.1:%d%s' % (folder, server.server_address[1], base), flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
