#!/usr/bin/env python3
"""Checks, with boto3 and nothing of pico's, that an S3 prefix holds exactly a bundle.

usage: s3_check.py [--cache-control] BUNDLE_DIR s3://bucket/prefix[?endpoint=URL&region=R]

Credentials and endpoint come from the AWS_* environment variables (AWS_ENDPOINT_URL,
AWS_REGION, AWS_ACCESS_KEY_ID, ...), or the address's query items, as for pico. Run it with
.build/venv/bin/python (`make venv`).

The objects under the prefix must be exactly the files of BUNDLE_DIR/pico-manifest.json plus
pico-manifest.json and SHA256SUMS, no more and no fewer. Each must have the folder's bytes (and
the manifest's size and SHA-256) and a Content-Type whose media type is the manifest's `type` (`; charset=utf-8` allowed)
(application/json for pico-manifest.json, text/plain for SHA256SUMS). With --cache-control,
each must also carry pico's Cache-Control: `no-cache` for HTML and the files that name the
bundle's version (pico-manifest.json, SHA256SUMS, sw.js, manifest.webmanifest), `public,
max-age=3600` for the rest.

Prints `s3_check: N objects match` and exits 0, or prints every problem and exits 1.
"""
import hashlib
import json
import os
import sys
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ResponseStreamingError

DESCRIBING = {"pico-manifest.json": "application/json", "SHA256SUMS": "text/plain"}
NO_CACHE = {"pico-manifest.json", "SHA256SUMS", "sw.js", "manifest.webmanifest"}


def client_for(address):
    parts = urlsplit(address)
    if parts.scheme != "s3" or not parts.netloc:
        raise SystemExit(f"not an s3://bucket/prefix address: {address}")
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    endpoint = query.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL")
    region = query.get("region") or os.environ.get("AWS_REGION") or "us-east-1"
    # Path-style for any custom endpoint, as pico does (moto, MinIO, Garage, IPs, localhost).
    config = Config(s3={"addressing_style": "path"} if endpoint else {},
                    retries={"mode": "standard", "max_attempts": 10})
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region, config=config)
    prefix = parts.path.strip("/")
    return s3, parts.netloc, prefix + "/" if prefix else ""


def download(s3, bucket, key):
    # boto3 retries requests but not a body cut short (as through Tests/tools/s3_fault_proxy.py).
    for attempt in range(5):
        try:
            response = s3.get_object(Bucket=bucket, Key=key)
            return response, response["Body"].read()
        except (ResponseStreamingError, ConnectionError):
            if attempt == 4:
                raise


def main():
    args = sys.argv[1:]
    cache_control = "--cache-control" in args
    args = [a for a in args if a != "--cache-control"]
    if len(args) != 2:
        raise SystemExit(__doc__.split("\n\n")[1])
    bundle, address = args
    s3, bucket, prefix = client_for(address)

    with open(os.path.join(bundle, "pico-manifest.json"), "rb") as f:
        files = json.load(f)["files"]
    expected = {entry["path"]: entry for entry in files}
    for name, content_type in DESCRIBING.items():
        expected[name] = {"path": name, "type": content_type}

    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            found[obj["Key"][len(prefix):]] = obj

    problems = [f"missing: s3://{bucket}/{prefix}{path}" for path in sorted(expected.keys() - found.keys())]
    problems += [f"not in the bundle: s3://{bucket}/{prefix}{path}" for path in sorted(found.keys() - expected.keys())]
    for path in sorted(expected.keys() & found.keys()):
        entry, where = expected[path], f"s3://{bucket}/{prefix}{path}"
        response, data = download(s3, bucket, prefix + path)
        with open(os.path.join(bundle, path), "rb") as f:
            local = f.read()
        if data != local:
            problems.append(f"{where}: {len(data)} bytes differ from the folder's {len(local)}")
        if "sha256" in entry and (len(data), hashlib.sha256(data).hexdigest()) != (entry["size"], entry["sha256"]):
            problems.append(f"{where}: size or SHA-256 is not the manifest's")
        # The media type must be the manifest's; the only parameter allowed is charset=utf-8.
        media, _, parameter = (response.get("ContentType") or "").partition(";")
        if media.strip() != entry["type"] or parameter.strip().lower() not in ("", "charset=utf-8"):
            problems.append(f"{where}: Content-Type {response.get('ContentType')!r}, manifest says {entry['type']!r}")
        if cache_control:
            fresh = entry["type"] == "text/html" or path in NO_CACHE
            want = "no-cache" if fresh else "public, max-age=3600"
            if response.get("CacheControl") != want:
                problems.append(f"{where}: Cache-Control {response.get('CacheControl')!r}, expected {want!r}")

    if problems:
        print("\n".join(problems))
        print(f"s3_check: {len(problems)} problem(s) under s3://{bucket}/{prefix}")
        sys.exit(1)
    print(f"s3_check: {len(found)} objects match")


if __name__ == "__main__":
    main()
