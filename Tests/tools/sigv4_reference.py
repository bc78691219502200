#!/usr/bin/env python3
"""What botocore's SigV4 signer makes of given requests, with the clock frozen: a reference
for pico's own S3 signer. Needs botocore (run it with .build/venv/bin/python; `make venv`).

usage: sigv4_reference.py [--generic] < requests.json > signatures.json

Input, a JSON array of requests:
  {"method": "PUT", "url": "http://127.0.0.1:9000/bucket/dir/a%20b/%C3%A9.html?x=1",
   "headers": {"x-amz-content-sha256": "<hex sha256 of the body, or UNSIGNED-PAYLOAD>",
               "x-amz-date": "20260102T030405Z", "content-type": "text/html", ...},
   "body_base64": "...", "access_key": "...", "secret_key": "...",
   "session_token": "..." (optional), "region": "us-east-1", "amz_date": "20260102T030405Z"}
Output, a JSON array in the same order:
  {"authorization": "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...",
   "signed_headers": {lower-case name: value, for every header signed, host included},
   "canonical_request": "...", "string_to_sign": "...",
   "warnings": ["..."]}   (path or query not encoded the way AWS canonicalises them; S3 only)

What botocore does (botocore.auth.S3SigV4Auth.add_auth, service "s3"):
  - Time: the timestamp comes from botocore.auth.get_current_datetime(), patched here to return
    amz_date. botocore deletes any X-Amz-Date header and sets its own from that timestamp, so
    the request's x-amz-date must equal amz_date (checked). A `Date` header would be rewritten
    and X-Amz-Date dropped: don't send one.
  - Payload: over http botocore would hash the body itself and replace x-amz-content-sha256;
    here the header is taken as given (so UNSIGNED-PAYLOAD works), after checking that a hex
    value really is the body's SHA-256. The value is both signed as a header and used as the
    canonical request's last line.
  - Session token: set as X-Amz-Security-Token (replacing any given) and signed.
  - Path: used exactly as it appears in the URL, neither normalised (no `.`/`..`/`//`
    folding) nor encoded again: S3SigV4Auth._normalize_url_path returns it unchanged. So pass
    the URL percent-encoded as the client sends it (`/bucket/dir/a%20b/%C3%A9.html`); the
    canonical URI is then those same bytes. AWS itself encodes every byte but A-Z a-z 0-9
    - _ . ~ in each segment, upper-case hex, `/` kept: a URL that differs gets a warning.
  - Query: taken from the URL as sent, split on & and the first =, sorted by (key, value)
    as strings, not decoded or re-encoded; `?uploads` becomes `uploads=`. AWS encodes keys and
    values like path segments (`/` as %2F, space as %20): anything else gets a warning.
  - Headers: every header given is signed except botocore's blacklist (user-agent, expect,
    connection, keep-alive, transfer-encoding, te, trailer, upgrade, proxy-*, x-amzn-trace-id,
    traceparent, tracestate, baggage); host comes from a Host header or, absent one, from the
    URL (lower-case, default port dropped). Names lower-cased and sorted, values trimmed with
    inner runs of spaces folded to one, repeated names joined with ','.

--generic signs with botocore.auth.SigV4Auth instead (service from the request's "service",
default "service"; path normalised and encoded once more, payload hashed unless
x-amz-content-sha256 is given), for AWS's own test suite, e.g. get-vanilla:
  echo '[{"method":"GET","url":"https://example.amazonaws.com/","headers":{"Host":
  "example.amazonaws.com","X-Amz-Date":"20150830T123600Z"},"access_key":"AKIDEXAMPLE",
  "secret_key":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY","region":"us-east-1",
  "amz_date":"20150830T123600Z"}]' | sigv4_reference.py --generic
must print get-vanilla.authz.
"""
import base64
import datetime
import hashlib
import json
import re
import sys
from unittest import mock
from urllib.parse import quote, unquote, urlsplit

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


class GivenPayloadS3Auth(botocore.auth.S3SigV4Auth):
    """S3SigV4Auth, except that the payload hash is the caller's x-amz-content-sha256."""

    def __init__(self, credentials, region, content_sha256):
        super().__init__(credentials, "s3", region)
        self.content_sha256 = content_sha256

    def payload(self, request):
        return self.content_sha256


def aws_encoded(part):
    return quote(unquote(part), safe="-_.~")


def warnings_for(url):
    parts, found = urlsplit(url), []
    for segment in parts.path.split("/"):
        if segment != aws_encoded(segment):
            found.append(f"path segment {segment!r}: AWS canonicalises it as {aws_encoded(segment)!r}")
    for pair in filter(None, parts.query.split("&")):
        for piece in pair.partition("=")[::2]:
            if piece != aws_encoded(piece):
                found.append(f"query {piece!r}: AWS canonicalises it as {aws_encoded(piece)!r}")
    return found


def sign(req, generic):
    timestamp = datetime.datetime.strptime(req["amz_date"], "%Y%m%dT%H%M%SZ")
    body = base64.b64decode(req.get("body_base64") or "")
    headers = dict(req.get("headers") or {})
    given = {name.lower(): value for name, value in headers.items()}
    if given.get("x-amz-date", req["amz_date"]) != req["amz_date"]:
        raise SystemExit(f"x-amz-date {given['x-amz-date']} is not amz_date {req['amz_date']}")
    credentials = Credentials(req["access_key"], req["secret_key"], req.get("session_token"))
    if generic:
        auth = botocore.auth.SigV4Auth(credentials, req.get("service", "service"), req["region"])
    else:
        content_sha256 = given.get("x-amz-content-sha256")
        if content_sha256 is None:
            raise SystemExit(f"{req['method']} {req['url']}: S3 requests need x-amz-content-sha256")
        if re.fullmatch(r"[0-9a-f]{64}", content_sha256) and content_sha256 != hashlib.sha256(body).hexdigest():
            raise SystemExit(f"{req['method']} {req['url']}: x-amz-content-sha256 is not the body's SHA-256")
        auth = GivenPayloadS3Auth(credentials, req["region"], content_sha256)

    request = AWSRequest(method=req["method"], url=req["url"], data=body, headers=headers)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=timestamp):
        auth.add_auth(request)
    # Recompute the intermediate strings for the report from the request as signed, minus the
    # Authorization header, and make sure they give botocore's signature.
    authorization = request.headers["Authorization"]
    del request.headers["Authorization"]
    canonical_request = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical_request)
    assert authorization.endswith("Signature=" + auth.signature(string_to_sign, request))
    signed = auth.headers_to_sign(request)
    return {
        "authorization": authorization,
        "signed_headers": {name: ",".join(signed.get_all(name)) for name in sorted(set(signed))},
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
        "warnings": [] if generic else warnings_for(req["url"]),
    }


def main():
    generic = sys.argv[1:] == ["--generic"]
    if sys.argv[1:] not in ([], ["--generic"]):
        raise SystemExit(__doc__.split("\n\n")[1])
    json.dump([sign(req, generic) for req in json.load(sys.stdin)], sys.stdout, indent=2, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
