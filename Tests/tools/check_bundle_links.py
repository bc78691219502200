#!/usr/bin/env python3
"""Independent check that a bundle works from file://.

Walks every HTML and CSS file of a bundle folder with Python's own HTML parser (not pico's
libxml2 scanner) and resolves every reference a browser loads or follows the way file://
resolves it: relative to the file (or to its first <base href>), with no directory index.
Pages are read as bytes in any encoding (names that are not UTF-8 are kept as the bytes they
are). Prints each broken reference and a summary line; exits 1 if any reference is broken or
root-absolute.

usage: check_bundle_links.py BUNDLE
"""
import os, re, sys
from html.parser import HTMLParser
from urllib.parse import urlsplit, unquote

URL_ATTRS = {"href", "src", "poster", "action", "formaction", "xlink:href"}
SKIP_REL = {"canonical", "preconnect", "dns-prefetch", "pingback", "webmention"}
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def css_urls(text):
    for m in CSS_URL.finditer(CSS_COMMENT.sub("", text)):
        yield next(g for g in m.groups() if g is not None)


class Refs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs, self.in_style, self.base = [], False, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "base":
            # Only the first <base href> counts; it applies to every URL of the document.
            if self.base is None and a.get("href") is not None:
                self.base = a["href"].strip()
            return
        if tag == "link":
            rel = set((a.get("rel") or "").lower().split())
            if (not rel and "rev" in a) or (rel and rel <= SKIP_REL):
                return
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRS or (name == "data" and tag == "object"):
                self.refs.append(value.strip())
            elif name == "srcset":
                for candidate in value.split(","):
                    parts = candidate.strip().split()
                    if parts:
                        self.refs.append(parts[0])
            elif name == "style":
                self.refs.extend(css_urls(value))
            elif name == "content" and tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
                m = re.search(r"url\s*=\s*['\"]?([^'\"]+)", value, re.I)
                if m:
                    self.refs.append(m.group(1).strip())
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.refs.extend(css_urls(data))


def read_text(path):
    # Any encoding: bytes that are not UTF-8 survive as surrogates, so a Latin-1 page is read
    # and a Latin-1 file name in it still names the file on disk.
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="surrogateescape")


def base_folder(folder, base):
    """The folder relative references resolve against, or (None, why) when they leave file://."""
    if base is None:
        return folder, None
    parts = urlsplit(base)
    if parts.scheme or base.startswith("//"):
        return None, None  # references go to another site: not checked
    if parts.path.startswith("/"):
        return None, f"root-absolute <base href=\"{base}\"> (file:// would look at the disk's root)"
    target = os.path.join(folder, unquote(parts.path, errors="surrogateescape"))
    return (os.path.normpath(target) if parts.path.endswith("/") or not parts.path else os.path.dirname(target)), None


def main(bundle):
    checked, broken = 0, []
    for folder, _, names in os.walk(bundle):
        for name in names:
            path = os.path.join(folder, name)
            lower = name.lower()
            base = None
            if lower.endswith((".html", ".htm")):
                parser = Refs()
                parser.feed(read_text(path))
                refs, base = parser.refs, parser.base
            elif lower.endswith(".css"):
                refs = list(css_urls(read_text(path)))
            else:
                continue
            resolve_from, base_problem = base_folder(folder, base)
            for ref in refs:
                parts = urlsplit(ref)
                if not ref or ref.startswith("#") or parts.scheme or ref.startswith("//"):
                    continue
                if not parts.path:
                    continue
                checked += 1
                rel = os.path.relpath(path, bundle)
                if parts.path.startswith("/"):
                    broken.append(f"{rel}: {ref}: root-absolute (file:// would look at the disk's root)")
                    continue
                if base_problem:
                    broken.append(f"{rel}: {ref}: resolved against a {base_problem}")
                    continue
                if resolve_from is None:
                    checked -= 1
                    continue
                target = os.path.normpath(os.path.join(resolve_from, unquote(parts.path, errors="surrogateescape")))
                if not os.path.abspath(target).startswith(os.path.abspath(bundle)):
                    broken.append(f"{rel}: {ref}: leaves the bundle")
                elif os.path.isdir(target):
                    broken.append(f"{rel}: {ref}: a folder (file:// has no index.html lookup)")
                elif not os.path.isfile(target):
                    broken.append(f"{rel}: {ref}: no such file")
    for line in broken:
        print(line.encode("utf-8", errors="backslashreplace").decode("utf-8"))
    print(f"{checked} references checked, {len(broken)} broken")
    return 1 if broken or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
