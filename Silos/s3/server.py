#!/usr/bin/env python3
"""moto's S3 on 127.0.0.1 with SigV4 enforced, for pico's tests: run it with start-server.sh.

usage: server.py PORT STATE_DIR

One process, no children: moto's WSGI app (the one moto_server runs) served by werkzeug in a
thread, so SIGTERM to this PID stops everything, and port 0 is bound without a race.

In front of moto, the checks real S3 makes and moto does not, answered as S3 answers them, so
that a client bug that AWS would refuse fails here too (moto stores whatever it is told):
  - a body whose x-amz-checksum-sha256 does not match: 400 BadDigest (malformed: 400 InvalidRequest)
  - a body whose x-amz-content-sha256 (hex) does not match: 400 XAmzContentSHA256Mismatch
  - a SigV4 S3 request without x-amz-content-sha256: 400 InvalidRequest
  - an X-Amz-Date more than 15 minutes off: 403 RequestTimeTooSkewed
"""
import base64
import binascii
import datetime
import hashlib
import io
import logging
import os
import re
import signal
import sys
import threading
import time

import moto.backends
from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                           create_backend_app)
from werkzeug.serving import make_server

import bootstrap


def s3_error(start_response, status, code, message):
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>pico-test</RequestId></Error>").encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def real_s3_checks(app):
    def checked(environ, start_response):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not (auth.startswith("AWS4-HMAC-SHA256") and "/s3/aws4_request" in auth):
            return app(environ, start_response)
        # Read the whole body first: an error answered over an unread body would desync keep-alive.
        length = environ.get("CONTENT_LENGTH")
        if length or environ.get("wsgi.input_terminated"):
            body = environ["wsgi.input"].read(int(length)) if length else environ["wsgi.input"].read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))

        content_sha = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
        if content_sha is None:
            return s3_error(start_response, "400 Bad Request", "InvalidRequest",
                            "Missing required header for this request: x-amz-content-sha256")
        if re.fullmatch(r"[0-9a-f]{64}", content_sha) and content_sha != hashlib.sha256(body).hexdigest():
            return s3_error(start_response, "400 Bad Request", "XAmzContentSHA256Mismatch",
                            "The provided 'x-amz-content-sha256' header does not match what was computed.")
        try:
            sent = datetime.datetime.strptime(environ.get("HTTP_X_AMZ_DATE", ""), "%Y%m%dT%H%M%SZ")
            skew = abs(sent.replace(tzinfo=datetime.timezone.utc) - datetime.datetime.now(datetime.timezone.utc))
            if skew > datetime.timedelta(minutes=15):
                return s3_error(start_response, "403 Forbidden", "RequestTimeTooSkewed",
                                "The difference between the request time and the current time is too large.")
        except ValueError:
            pass  # moto's own signature check refuses a request it cannot date
        claimed = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
        if claimed is not None and environ["REQUEST_METHOD"] == "PUT":
            try:
                valid = len(base64.b64decode(claimed, validate=True)) == 32
            except binascii.Error:
                valid = False
            if not valid:
                return s3_error(start_response, "400 Bad Request", "InvalidRequest",
                                "Value for x-amz-checksum-sha256 header is invalid.")
            if claimed != base64.b64encode(hashlib.sha256(body).digest()).decode():
                return s3_error(start_response, "400 Bad Request", "BadDigest",
                                "The SHA256 you specified did not match the calculated checksum.")
        return app(environ, start_response)
    return checked


class PlainFormatter(logging.Formatter):
    def format(self, record):  # werkzeug colours error lines even when not on a terminal
        return re.sub(r"\x1b\[[0-9;]*m", "", super().format(record))


# moto lists its own package folder on every request (some 180 stat calls, under a global
# lock): list it once. This alone makes small PUTs about a third faster.
_moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _moto_modules

port, state = int(sys.argv[1]), sys.argv[2]
parent = os.getppid()

# werkzeug's access log (one line per request: client, time, "METHOD /path HTTP/1.1", status)
# goes to a file only: the harness does not drain our stderr, and a full pipe would block moto.
access = logging.FileHandler(os.path.join(state, "requests.log"))
access.setFormatter(PlainFormatter("%(message)s"))
werkzeug_log = logging.getLogger("werkzeug")
werkzeug_log.addHandler(access)
werkzeug_log.setLevel(logging.INFO)
werkzeug_log.propagate = False

app = real_s3_checks(DomainDispatcherApplication(create_backend_app))
httpd = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
endpoint = f"http://127.0.0.1:{httpd.server_port}"
credentials = bootstrap.bootstrap(endpoint, state)

# A parent may have started us with these blocked (Swift's Process passes its thread's mask on).
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
print(f"S3 test server at {endpoint} (credentials: {credentials})", flush=True)
# Errors up to here reach the caller; from now on nothing may go to its pipes.
log = os.open(os.path.join(state, "server.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.dup2(log, 1)
os.dup2(log, 2)

# A harness that dies without stopping us must not leave a server behind.
while os.getppid() == parent:
    time.sleep(0.5)
