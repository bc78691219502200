"""What the small test hosts share (redirecting_host.py, static_host.py): an HTTP/1.1 handler
that logs only when asked and answers with one call."""
import http.server
import sys


class HostHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    log_prefix = 'host'
    verbose = False

    def log_message(self, *a):
        if self.verbose:
            sys.stderr.write(self.log_prefix + ': ' + (a[0] % a[1:]) + '\n')

    def answer(self, status, body, ctype='text/plain; charset=utf-8', extra=None):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-cache')
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
