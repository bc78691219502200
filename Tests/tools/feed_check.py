#!/usr/bin/env python3
"""Reads an Atom feed of a built pico bundle with feedparser, as a feed reader would.

usage: feed_check.py BUNDLE FEED_PATH [--base-url URL]

The feed is parsed from its file with its own file:// URL as the document's address, so
relative links resolve the way a reader resolves them against the feed's URL. Every link
(the feed's alternate and self links, each entry's link) must then lead to a file of BUNDLE:
a file:// URL inside BUNDLE, or, with --base-url, an absolute URL under that address
(a folder URL means its index.html). Prints one JSON object:

  {"bozo": false, "bozo_exception": "", "version": "atom10", "title": ..., "updated": ...,
   "links": [...], "entries": [{"title", "link", "id", "updated", "published", "summary",
   "content", "tags"}], "missing": [links that lead to no file of BUNDLE]}
"""
import json
import os
import sys
import urllib.parse

import feedparser


def target_file(bundle, url, base_url):
    """The file of BUNDLE that URL leads to, or None."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file":
        # feedparser resolves against file:///a/b as file://a/b: the first folder lands in netloc.
        path = urllib.parse.unquote(("/" + parsed.netloc if parsed.netloc not in ("", "localhost") else "") + parsed.path)
        root = os.path.realpath(bundle) + os.sep
        if not os.path.realpath(path).startswith(root) and os.path.realpath(path) + os.sep != root:
            return None
    elif base_url and url.startswith(base_url):
        path = os.path.join(bundle, urllib.parse.unquote(urllib.parse.urlsplit(url[len(base_url):]).path))
    else:
        return None
    if path.endswith("/") or os.path.isdir(path):
        path = os.path.join(path, "index.html")
    return path if os.path.isfile(path) else None


def main():
    args = sys.argv[1:]
    base_url = None
    if "--base-url" in args:
        at = args.index("--base-url")
        base_url = args[at + 1]
        del args[at:at + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bundle, feed_path = args
    feed_file = os.path.join(os.path.realpath(bundle), feed_path)
    feed_url = "file://" + urllib.parse.quote(feed_file)
    with open(feed_file, "rb") as handle:
        data = handle.read()
    parsed = feedparser.parse(data, response_headers={"content-location": feed_url, "content-type": "application/atom+xml"})
    links = [link["href"] for link in parsed.feed.get("links", [])]
    entries = []
    for entry in parsed.entries:
        entries.append({
            "title": entry.get("title", ""),
            "link": entry.get("link", ""),
            "id": entry.get("id", ""),
            "updated": entry.get("updated", ""),
            "published": entry.get("published", ""),
            "summary": entry.get("summary", ""),
            "content": "".join(part.get("value", "") for part in entry.get("content", [])),
            "tags": [tag.get("term", "") for tag in entry.get("tags", [])],
        })
        links.append(entry.get("link", ""))
    missing = [link for link in links if target_file(bundle, link, base_url) is None]
    print(json.dumps({
        "bozo": bool(parsed.bozo),
        "bozo_exception": str(parsed.get("bozo_exception", "")),
        "version": parsed.version,
        "title": parsed.feed.get("title", ""),
        "updated": parsed.feed.get("updated", ""),
        "id": parsed.feed.get("id", ""),
        "links": [link["href"] for link in parsed.feed.get("links", [])],
        "entries": entries,
        "missing": missing,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
