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
And an unsigned GET or HEAD of an object is served as S3 serves it (moto answers 500): when
the object is public-read or a bucket policy for Principal "*" allows s3:GetObject; else 403.
"""
import base64
import binascii
import datetime
import hashlib
import io
import json
import logging
import os
import re
import signal
import sys
import threading
import time

import moto.backends
from moto.core.base_backend import BackendDict
from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                           create_backend_app)
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.responses import S3Response
from werkzeug.serving import make_server

import bootstrap


def s3_error(start_response, status, code, message):
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>pico-test</RequestId></Error>").encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


REFUSE_CHECKSUMS = os.environ.get("PICO_S3_NO_CHECKSUMS") == "1"


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
        # Both checks below compare against the body's SHA-256: hash it once (lazily).
        digest = None
        if re.fullmatch(r"[0-9a-f]{64}", content_sha):
            digest = hashlib.sha256(body).digest()
        if digest is not None and content_sha != digest.hex():
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
        # PICO_S3_NO_CHECKSUMS=1 plays a server without the newer checksums (R2, older MinIO
        # and Garage): it refuses x-amz-checksum-* as not implemented, and clients fall back
        # to Content-MD5.
        if REFUSE_CHECKSUMS and any(name.startswith("HTTP_X_AMZ_CHECKSUM") and name != "HTTP_X_AMZ_CHECKSUM_MODE"
                                    or name == "HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM" for name in environ):
            return s3_error(start_response, "501 Not Implemented", "NotImplemented",
                            "A header you provided implies functionality that is not implemented: x-amz-checksum-sha256")
        md5 = environ.get("HTTP_CONTENT_MD5")
        if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
            return s3_error(start_response, "400 Bad Request", "BadDigest",
                            "The Content-MD5 you specified did not match what we received.")
        claimed = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
        if claimed is not None and environ["REQUEST_METHOD"] == "PUT":
            try:
                valid = len(base64.b64decode(claimed, validate=True)) == 32
            except binascii.Error:
                valid = False
            if not valid:
                return s3_error(start_response, "400 Bad Request", "InvalidRequest",
                                "Value for x-amz-checksum-sha256 header is invalid.")
            if digest is None:
                digest = hashlib.sha256(body).digest()
            if claimed != base64.b64encode(digest).decode():
                return s3_error(start_response, "400 Bad Request", "BadDigest",
                                "The SHA256 you specified did not match the calculated checksum.")
        return app(environ, start_response)
    return checked


class _RequestBody:
    """The request's body as a stream that ends where the body ends (Content-Length bytes).

    Stands in for the connection's rfile while one request is served, so that nothing that
    reads "the rest of the input" (the app, or werkzeug's drain after the response) can eat
    into the next request on a kept-alive connection."""

    def __init__(self, rfile, length):
        self.rfile, self.left = rfile, length

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.rfile.read(size) if size else b""
        self.left -= len(data)
        if size and not data:
            self.left = 0  # the client went away mid-body
            raise ConnectionResetError("request body cut short")
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readline(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.rfile.readline(size) if size else b""
        self.left -= len(data)
        return data

    def readable(self):
        return True


class KeepAliveRequestHandler(MotoRequestHandler):
    """werkzeug's handler, minus its "Connection: close" on every response.

    werkzeug closes every connection because it cannot tell where a request's body ends. Here
    it can when the request says (Content-Length, or no body at all, as HTTP/1.1 defines): the
    body is served through _RequestBody and whatever the app left unread is read and dropped
    before the next request line, so requests are parsed exactly as on a fresh connection.
    Anything else (chunked bodies, HTTP/1.0, a failed request, a client that asked to close)
    still gets "Connection: close". Each connection otherwise costs the server a thread, an
    accept and a TCP handshake per request, and the client a reconnect."""

    # Each response goes out in a few small writes (100 Continue, headers, body): with Nagle on,
    # a write behind an unacknowledged one waits for the client's delayed ACK (up to 40 ms).
    disable_nagle_algorithm = True
    keep_alive = False  # only ever True while run_wsgi serves a request that allows it

    def run_wsgi(self):
        length = (self.headers.get_all("Content-Length") or ["0"])
        self.keep_alive = (self.request_version == "HTTP/1.1" and not self.close_connection
                           and "Transfer-Encoding" not in self.headers
                           and len(length) == 1 and length[0].strip().isdigit())
        if not self.keep_alive:
            return super().run_wsgi()
        rfile = self.rfile
        self.rfile = body = _RequestBody(rfile, int(length[0]))
        try:
            super().run_wsgi()
            if self.environ.get("pico.failed"):
                self.close_connection = True
            while not self.close_connection and body.left:
                body.read(1 << 20)  # the unread rest of the body (rarely any)
        except OSError:
            self.close_connection = True
            raise
        finally:
            self.rfile = rfile
            self.keep_alive = False  # an error answered outside run_wsgi closes as before

    def send_header(self, keyword, value):
        if (self.keep_alive and keyword.lower() == "connection" and value.lower() == "close"
                and not self.environ.get("pico.failed")):
            return  # close_connection stays what the client asked for (HTTP/1.1: keep alive)
        super().send_header(keyword, value)

    def connection_dropped(self, error, environ=None):
        self.close_connection = True
        super().connection_dropped(error, environ)


def flag_failures(app):
    """Marks a request whose app raised (werkzeug then answers 500, maybe mid-response): its
    connection is closed, as werkzeug would have done anyway."""
    def flagged(environ, start_response):
        result = None
        try:
            result = app(environ, start_response)
            yield from result
        except GeneratorExit:
            raise
        except BaseException:
            environ["pico.failed"] = True
            raise
        finally:
            if hasattr(result, "close"):
                result.close()
    return flagged


class PlainFormatter(logging.Formatter):
    def format(self, record):  # werkzeug colours error lines even when not on a terminal
        return re.sub(r"\x1b\[[0-9;]*m", "", super().format(record))


# moto lists its own package folder on every request (some 180 stat calls, under a global
# lock): list it once. This alone makes small PUTs about a third faster.
_moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _moto_modules

# moto picks the app for a request by matching "http://HOST" against the URL pattern of every
# service it has, one after the other (some 200 regexes, under a global lock), twice a request.
# The answer depends on the host string alone and the patterns never change: remember it.
_backend_for_host = {}
_find_backend_for_host = DomainDispatcherApplication.get_backend_for_host


def _cached_backend_for_host(self, host):
    try:
        return _backend_for_host[host]
    except KeyError:
        backend = _backend_for_host[host] = _find_backend_for_host(self, host)
        return backend


DomainDispatcherApplication.get_backend_for_host = _cached_backend_for_host

# Anonymous reads, as S3 answers them. moto checks a public-read ACL or a bucket policy for an
# unsigned GET of an object, but then runs the signature check anyway, which reads the missing
# Authorization header and fails (HTTP 500); every other unsigned request fails the same way.
# S3 serves an unsigned GET or HEAD of an object (no sub-resource) when the object's ACL grants
# AllUsers READ or a bucket policy statement for Principal "*" allows s3:GetObject on it, unless
# the bucket's public access block says to ignore that (IgnorePublicAcls, RestrictPublicBuckets);
# a missing key is 404 only when such a statement also allows s3:ListBucket, else 403; anything
# else unsigned is 403 AccessDenied. Signed and presigned requests are checked as before.
_authorize_s3 = S3Response._authenticate_and_authorize_s3_action


def _everyone(statement):
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, dict) else None
    return principal == "*" or aws == "*" or aws == ["*"]


def _public_permission(bucket, action, resource):
    """What the bucket policy's statements for everyone say about an anonymous `action`."""
    block = bucket.public_access_block
    if bucket.policy is None or (block is not None and block.restrict_public_buckets):
        return PermissionResult.NEUTRAL
    statements = json.loads(bucket.policy.decode()).get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    # An Allow with a Condition (source IP, referer) is not public to everyone; a Deny is kept.
    kept = [s for s in statements if _everyone(s) and (s.get("Effect") == "Deny" or "Condition" not in s)]
    if not kept:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": kept})).is_action_permitted(action, resource)


def _authorize_anonymous_reads(self, bucket_name=None, key_name=None):
    signed = "Authorization" in self.headers or "X-Amz-Signature=" in self.uri or "Signature=" in self.uri
    if signed:
        return _authorize_s3(self, bucket_name=bucket_name, key_name=key_name)
    if not (key_name and bucket_name and self.method in ("GET", "HEAD") and "?" not in self.uri):
        raise S3AccessDeniedError()
    bucket = self.backend.get_bucket(bucket_name)  # NoSuchBucket (404) as S3 answers it
    block = bucket.public_access_block
    object_arn = f"arn:{bucket.partition}:s3:::{bucket_name}/{key_name}"
    policy = _public_permission(bucket, "s3:GetObject", object_arn)
    if policy == PermissionResult.DENIED:
        raise S3AccessDeniedError()
    try:
        key = self.backend.get_object(bucket_name, key_name)
    except Exception:  # moto's missing-key errors differ between versions
        key = None
    if key is None:
        listing = _public_permission(bucket, "s3:ListBucket", f"arn:{bucket.partition}:s3:::{bucket_name}")
        if policy == PermissionResult.PERMITTED and listing == PermissionResult.PERMITTED:
            return  # moto answers 404 NoSuchKey
        raise S3AccessDeniedError()
    public_acl = key.acl is not None and key.acl.public_read and not (block is not None and block.ignore_public_acls)
    if policy != PermissionResult.PERMITTED and not public_acl:
        raise S3AccessDeniedError()


S3Response._authenticate_and_authorize_s3_action = _authorize_anonymous_reads

# moto looks up its per-account backends some 14 times a request, each time taking a global
# lock, copying the dict's keys into a list and comparing itself (in Python) with every
# backend registered so far. When this account's backend exists and this dict is registered,
# that call changes nothing: return at once, and otherwise do what moto does.
_create_account_backend = BackendDict._create_account_specific_backend


def _create_account_backend_if_missing(self, account_id):
    if dict.__contains__(self, account_id) and any(b is self for b in BackendDict._instances):
        return
    _create_account_backend(self, account_id)


BackendDict._create_account_specific_backend = _create_account_backend_if_missing

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

app = flag_failures(real_s3_checks(DomainDispatcherApplication(create_backend_app)))
httpd = make_server("127.0.0.1", port, app, threaded=True, request_handler=KeepAliveRequestHandler)
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
