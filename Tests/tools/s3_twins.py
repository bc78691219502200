#!/usr/bin/env python3
"""Puts look-alike objects beside a published bundle, with boto3 and nothing of pico's.

usage: s3_twins.py s3://bucket/prefix LISTED_PATH

LISTED_PATH is a file of the bundle whose name has a character with a decomposed form (such
as `café.html`, written in NFC). Puts, under the prefix:

  - LISTED_PATH in NFD (same look, other bytes), with other content
  - `/` + U+0301 COMBINING ACUTE ACCENT + `index.html` after the prefix (the accent joins the
    `/` into one grapheme, so code that cuts the prefix off by characters sees `index.html`)
  - `bell\\x07.html` (a control character in the key)
  - `extra.html` (a plain unlisted object)

Credentials and endpoint come from the AWS_* environment variables, as for pico. Prints each
key put as a Python literal, one a line. Run it with .build/venv/bin/python.
"""
import os
import sys
import unicodedata
from urllib.parse import urlsplit

import boto3
from botocore.config import Config


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    address, listed = sys.argv[1], sys.argv[2]
    parts = urlsplit(address)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    base = prefix + "/" if prefix else ""
    decomposed = unicodedata.normalize("NFD", listed)
    if decomposed == listed:
        raise SystemExit(f"{listed!r} has no decomposed form; name a file such as café.html")
    s3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
                      config=Config(s3={"addressing_style": "path"}))
    keys = [base + decomposed, base + "\u0301index.html", base + "bell\x07.html", base + "extra.html"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"<!doctype html><title>not in the bundle</title>",
                      ContentType="text/html")
        print(repr(key))


if __name__ == "__main__":
    main()
