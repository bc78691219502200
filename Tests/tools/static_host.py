#!/usr/bin/env python3
"""A plain static host that answers every miss with a 404.html page, as GitHub Pages,
Netlify and nginx (`error_page 404 /404.html`) do: the page's bytes as they are on disk,
with status 404, at the address that was asked for (no redirect).

  static_host.py DIR [--base /sub/] [--port 0] [--nearest]

DIR is served under --base (default /). A miss gets DIR/404.html; with --nearest it gets the
404.html of the deepest folder above the missed path that has one (nginx with an error_page
per location). No manifest checks, no service worker, no <base> added: whatever makes the
page work at depth must be in the page. Folders are answered with their index.html (or
index.htm), a folder without its slash with a 301 to it. Text types get charset=utf-8 like
GitHub Pages. Prints `Serving DIR at URL` and runs until SIGTERM.
"""

import argparse
import http.server
import mimetypes
import os
import signal
import sys
import threading
import urllib.parse
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_host import HostHandler  # noqa: E402

INDEXES = ('index.html', 'index.htm')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dir')
    parser.add_argument('--base', default='/')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--nearest', action='store_true', help='the nearest 404.html above the missed path')
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args(argv)
    folder = os.path.abspath(args.dir)
    base = '/' + args.base.strip('/') + '/' if args.base.strip('/') else '/'
    mimetypes.add_type('application/manifest+json', '.webmanifest')
    mimetypes.add_type('text/javascript', '.js')
    mimetypes.add_type('application/xhtml+xml', '.xhtml')

    def not_found_page(rel):
        if args.nearest:
            parts = rel.split('/')[:-1]
            while parts:
                candidate = os.path.join(folder, *parts, '404.html')
                if os.path.isfile(candidate):
                    return candidate
                parts.pop()
        candidate = os.path.join(folder, '404.html')
        return candidate if os.path.isfile(candidate) else None

    class Handler(HostHandler):
        log_prefix = 'static_host'
        verbose = args.verbose

        def do_GET(self):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            if path + '/' == base:
                return self.answer(301, b'', extra={'Location': base})
            rel = path[len(base):] if path.startswith(base) else None
            full = None
            if rel is not None and not any(s in ('.', '..') for s in rel.split('/')) and '\0' not in rel:
                full = os.path.join(folder, *[s for s in rel.split('/') if s])
                if os.path.isdir(full):
                    if not path.endswith('/'):
                        return self.answer(301, b'', extra={'Location': urllib.parse.quote(path) + '/'})
                    full = next((os.path.join(full, n) for n in INDEXES if os.path.isfile(os.path.join(full, n))), None)
                elif not os.path.isfile(full):
                    full = None
            status = 200
            if full is None:
                status = 404
                full = not_found_page(rel or '')
                if full is None:
                    return self.answer(404, b'not found\n')
            with open(full, 'rb') as f:
                body = f.read()
            ctype = mimetypes.guess_type(full)[0] or 'application/octet-stream'
            if ctype.startswith('text/') or ctype in ('application/json', 'application/manifest+json'):
                ctype += '; charset=utf-8'
            self.answer(status, body, ctype)

        do_HEAD = do_GET

    server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    print('Serving %s at http://127.0.0.1:%d%s  (every miss answered with 404.html, status 404)'
          % (folder, server.server_address[1], base), flush=True)
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
