#!/usr/bin/env python3
"""A static host that redirects the way Cloudflare Pages does by default ("pretty URLs").

    redirecting_host.py DIR [--base /a/b/] [--port 0] [--status 308] [--outside]

Serves DIR as it is on disk at each request (no manifest checks), under --base, with:
  …/index.html   -> 308 to …/           (the folder URL, which then serves index.html)
  ….html         -> 308 to … without .html (which then serves the .html file)
  …/folder       -> 308 to …/folder/    (when DIR has folder/index.html)
  a miss         -> 404.html with status 404 (or a plain 404)
--status picks the redirect status (301 or 308). With --outside, `…/index.html` is sent to
`/elsewhere/` instead, outside --base: a host set up wrongly, for the worker to refuse.
Prints `Serving DIR at URL` and runs until SIGTERM. Standard library only.
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dir')
    parser.add_argument('--base', default='/')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--status', type=int, choices=(301, 308), default=308)
    parser.add_argument('--outside', action='store_true', help='redirect …/index.html outside --base')
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args(argv)
    folder = os.path.abspath(args.dir)
    base = '/' + args.base.strip('/') + '/' if args.base.strip('/') else '/'
    mimetypes.add_type('application/manifest+json', '.webmanifest')
    mimetypes.add_type('text/javascript', '.js')

    class Handler(HostHandler):
        log_prefix = 'redirecting_host'
        verbose = args.verbose

        def redirect(self, path, query):
            location = urllib.parse.quote(path) + ('?' + query if query else '')
            self.answer(args.status, b'', extra={'Location': location})

        def send_file(self, full, status=200):
            with open(full, 'rb') as f:
                body = f.read()
            ctype = mimetypes.guess_type(full)[0] or 'application/octet-stream'
            if ctype.startswith('text/') or ctype in ('application/json', 'application/manifest+json', 'image/svg+xml'):
                ctype += '; charset=utf-8'
            self.answer(status, body, ctype)

        def do_GET(self):
            parts = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(parts.path)
            if path + '/' == base:
                return self.redirect(base, parts.query)
            if not path.startswith(base):
                return self.answer(404, b'not under %s\n' % base.encode())
            rel = path[len(base):]
            if any(s in ('.', '..') for s in rel.split('/')) or '//' in rel:
                return self.answer(400, b'bad path\n')
            name = rel.rsplit('/', 1)[-1]
            if name == 'index.html':
                return self.redirect('/elsewhere/' if args.outside else path[:-len('index.html')], parts.query)
            if name.endswith('.html'):
                return self.redirect(path[:-len('.html')], parts.query)
            full = os.path.join(folder, *[s for s in rel.split('/') if s])
            if rel == '' or rel.endswith('/'):
                index = os.path.join(full, 'index.html')
                if os.path.isfile(index):
                    return self.send_file(index)
            elif os.path.isdir(full) and os.path.isfile(os.path.join(full, 'index.html')):
                return self.redirect(path + '/', parts.query)
            elif os.path.isfile(full):
                return self.send_file(full)
            elif os.path.isfile(full + '.html'):
                return self.send_file(full + '.html')
            missing = os.path.join(folder, '404.html')
            if os.path.isfile(missing):
                return self.send_file(missing, 404)
            return self.answer(404, b'not found\n')

        do_HEAD = do_GET

    server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    print('Serving %s at http://127.0.0.1:%d%s  (redirects …/index.html and ….html with %d%s)' % (
        folder, server.server_address[1], base, args.status, ', index.html outside the base' if args.outside else ''), flush=True)
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
