#!/usr/bin/env bash
# pico's search index (issue 17) against Pagefind 1.5.2 on the same built pages, side by side.
#
# usage: Benchmarks/search.sh [PAGES]     (default 10000; make bench-search installs what it needs)
#
# Sites: the corpus of Benchmarks/corpus.py, and Debian's Python 3.11 docs (python3.11-doc, as
# Benchmarks/realsites.sh builds them) when installed. For each, on /dev/shm, RUNS times
# (default 3), alternating:
#   pico build --no-search        (the bundle without an index: Pagefind's input)
#   pico build                    (the same with pico-search/: its time minus the one above is
#                                  what the index costs)
#   pagefind --site BUNDLE --output-path OUT   (the binary of PyPI's pagefind-bin, run directly)
# with GNU time for the wall time and the peak memory (max RSS). Then:
#   visible text   bytes of the indexed pages' text by the contract's rules (title, headings,
#                  body, <main> when there is one, without nav/header/footer/script/style/
#                  template/noscript/svg and data-pico-search="skip"), measured here in Python
#   index          pico: pico-search/ without the runtime (terms: index.js + t-*.js; all:
#                  with the d-*.js documents, their stored snippet text); Pagefind: pagefind/
#                  whole and its index (index/, fragment/, filter/, pf_meta); the files, and
#                  what they take on an exFAT drive with 128 KB clusters
#   floor          two tiny scripts loaded one after the other from file:// in a fresh tab, no
#                  index (search_query.py floor): the least any two-file cold query can take here
#   query          Benchmarks/search_query.py in headless Chromium, fresh tabs: over http
#                  for both, from file:// for both (Pagefind's failure there recorded, with
#                  the error the page got), and how many index files a cold query loads
# And a drive library of 10 bundles (LIBRARY_PAGES pages each, default 500, 10 seeds of the
# corpus) published with pico publish into one folder: the last publish's time (the merged
# index rebuilt from all 10) and the query latency from the library's index.html by file://.
# PICO=path/to/pico benchmarks that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES=${1:-10000}
RUNS=${RUNS:-3}
LIBRARY_PAGES=${LIBRARY_PAGES:-500}
venv=${PICO_VENV:-$PWD/.build/venv}
pagefind=$("$venv/bin/python" -c 'import os, pagefind_bin; print(os.path.join(os.path.dirname(pagefind_bin.__file__), "pagefind"))' 2>/dev/null) \
  && [ -x "$pagefind" ] || { echo "pagefind-bin is missing in $venv: run 'make venv' (or make bench-search)"; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: run 'make bench-search'"; exit 1; }
command -v chromium >/dev/null || [ -x /usr/lib/chromium/chromium ] || { echo "chromium is missing: run 'make deps'"; exit 1; }
if [ -z "${PICO:-}" ]; then
  swift build -c release --product pico --scratch-path .build-bench >/dev/null
  PICO=$PWD/.build-bench/release/pico
fi
pico=$PICO
base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/pico-search-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work
python3 Benchmarks/corpus.py "$work/corpus" --pages "$PAGES" >/dev/null
echo "pico: $pico; $("$pagefind" --version); $(nproc) cores; work in $work"

measure() { # FILE command...: appends "seconds kilobytes" to FILE
  local file=$1; shift
  /usr/bin/time -f "%e %M" -o "$file.one" "$@" >/dev/null 2>"$file.err" || { cat "$file.err" | tail -5; exit 1; }
  cat "$file.one" >> "$file"
}

bench_site() { # LABEL SOURCE QUERIES [pico build options...]
  local label=$1 source=$2 queries=$3; shift 3
  local dir=$work/$label
  mkdir -p "$dir"
  # One untimed run of each warms the page cache.
  "$pico" build "$source" "$@" -q --no-search -o "$dir/warm" >/dev/null 2>&1
  rm -rf "$dir/warm"
  for i in $(seq "$RUNS"); do
    measure "$dir/plain" "$pico" build "$source" "$@" -q --no-search -o "$dir/plain-$i"
    measure "$dir/search" "$pico" build "$source" "$@" -q -o "$dir/search-$i"
    measure "$dir/pagefind" "$pagefind" --site "$dir/plain-1" --output-path "$dir/pf-$i/pagefind"
    if [ "$i" -gt 1 ]; then rm -rf "$dir/plain-$i" "$dir/search-$i" "$dir/pf-$i"; fi
  done
  "$pico" verify "$dir/search-1" >/dev/null || { echo "$label: pico verify of the bundle with its index failed"; exit 1; }
  # Pagefind's site: the same pages with its pagefind/ folder beside them.
  cp -r "$dir/plain-1" "$dir/pagefind-site"
  mv "$dir/pf-1/pagefind" "$dir/pagefind-site/pagefind"
  for mode in http file; do
    python3 Benchmarks/search_query.py pico "$dir/search-1" --mode "$mode" --queries "$queries" > "$dir/query-pico-$mode.json"
    python3 Benchmarks/search_query.py pagefind "$dir/pagefind-site" --mode "$mode" --queries "$queries" > "$dir/query-pagefind-$mode.json"
  done
  echo "$label" >> "$work/sites"
}

: > "$work/sites"
bench_site corpus "$work/corpus/pico" "manifest,offline drive,signatures,portab,verify checksum"
python_docs=/usr/share/doc/python3.11/html
if [ -d "$python_docs" ]; then
  # As realsites.sh builds it: its links into /usr/share/javascript are followed; its broken
  # links are allowed (the build would stop at them).
  bench_site python3.11 "$(readlink -f "$python_docs")" "asyncio,dictionary comprehension,subprocess,pathlib glob,unicodedata" \
    --follow-symlinks-outside --allow-broken-links
else
  echo "python3.11-doc is not installed: the real-text site is left out (make bench-search installs it)"
fi

# A drive library of 10 bundles: each a corpus of LIBRARY_PAGES pages with its own seed and title.
library=$work/library
mkdir -p "$library"
for n in $(seq 10); do
  python3 Benchmarks/corpus.py "$work/lib-src-$n" --pages "$LIBRARY_PAGES" --seed "$n" >/dev/null
  printf 'title = "Corpus %02d"\nlanguage = "en"\n' "$n" > "$work/lib-src-$n/pico/pico.toml"
  "$pico" build "$work/lib-src-$n/pico" -q -o "$work/lib-bundle-$n"
  start=$(date +%s.%N)
  "$pico" publish "$work/lib-bundle-$n" --to "$library" >/dev/null
  end=$(date +%s.%N)
  echo "$n $start $end" >> "$work/library.publish"
  rm -rf "$work/lib-src-$n"
done
# From a page of the first bundle, which loads no search script: the cold query loads the
# library's runtime, its index.js and the shards it needs.
first_page=$(cd "$library" && ls -d */ | head -1)index.html
python3 Benchmarks/search_query.py library "$library" --mode file --page "$first_page" --queries "manifest,offline drive,signatures,portab,verify checksum" \
  > "$work/query-library-file.json"

# The machine's floor from file://: two tiny scripts loaded one after the other, no index (what
# the least cold query loads is two files: search.js and one term shard).
mkdir -p "$work/floor"
echo '<!doctype html><title>floor</title>' > "$work/floor/index.html"
for name in a b c; do echo "window.loaded$name = true;" > "$work/floor/$name.js"; done
python3 Benchmarks/search_query.py floor "$work/floor" --mode file --queries "one,two" --rounds 5 > "$work/query-floor-file.json"

python3 - "$work" <<'PY'
import html.parser, json, math, os, re, statistics, sys
work = sys.argv[1]
CLUSTER = 128 * 1024
SKIP_TAGS = {"nav", "header", "footer", "script", "style", "template", "noscript", "svg"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Visible(html.parser.HTMLParser):
    """The text the contract indexes: <title>, and <main> (else <body>) less the skipped elements."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.skip, self.title, self.body, self.main, self.in_title = [], 0, [], [], [], False
        self.in_main = 0
        self.excluded = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("html", "body") and a.get("data-pico-search") == "skip":
            self.excluded = True
        if tag == "meta" and (a.get("name") or "").lower() == "robots" and "noindex" in (a.get("content") or "").lower():
            self.excluded = True
        if tag in VOID:
            return
        skipped = tag in SKIP_TAGS or a.get("data-pico-search") == "skip"
        self.stack.append((tag, skipped))
        if skipped:
            self.skip += 1
        if tag == "title":
            self.in_title = True
        if tag == "main":
            self.in_main += 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            name, skipped = self.stack.pop()
            if skipped:
                self.skip -= 1
            if name == "title":
                self.in_title = False
            if name == "main":
                self.in_main -= 1
            if name == tag:
                break

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.skip and any(t == "body" for t, _ in self.stack):
            self.body.append(data)
            if self.in_main:
                self.main.append(data)

    def text(self):
        body = self.main if self.main else self.body
        return " ".join(" ".join(self.title).split() + " ".join(body).split())


def visible_text(bundle):
    pages, size = 0, 0
    for folder, dirs, files in os.walk(bundle):
        rel_folder = os.path.relpath(folder, bundle)
        if rel_folder.split(os.sep)[0] in ("pico-search", "pagefind"):
            continue
        for name in files:
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if not name.endswith((".html", ".htm")) or rel in ("404.html", os.path.join("search", "index.html")):
                continue
            parser = Visible()
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                parser.feed(f.read())
            if parser.excluded:
                continue
            pages += 1
            size += len(parser.text().encode("utf-8"))
    return pages, size


def files_in(folder, keep=lambda rel: True):
    out = []
    for d, _, names in os.walk(folder):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), folder)
            if keep(rel):
                out.append(os.path.getsize(os.path.join(d, n)))
    return out


def times(path):
    rows = [tuple(map(float, line.split())) for line in open(path) if line.strip()]
    return statistics.median(r[0] for r in rows), max(r[1] for r in rows) / 1024


def load(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return {}


def mb(n):
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} KB"


def latency(q, key):
    if not q:
        return "not run"
    if q.get(key):
        return f"{q[key]['median']:.1f} ms (max {q[key]['max']:.1f})"
    return "FAILS: " + (q.get("errors") or ["no sample"])[0][:70]


def verdict(ok):
    return "met" if ok else "MISSED"


for label in open(os.path.join(work, "sites")).read().split():
    d = os.path.join(work, label)
    bundle, pf = os.path.join(d, "search-1"), os.path.join(d, "pagefind-site", "pagefind")
    pages, visible = visible_text(os.path.join(d, "plain-1"))
    index_js = open(os.path.join(bundle, "pico-search", "index.js"), encoding="utf-8").read()
    documents = json.loads(index_js[index_js.index("(") + 1:index_js.rindex(")")]).get("documents")
    pico_files = files_in(os.path.join(bundle, "pico-search"))
    pico_terms = sum(files_in(os.path.join(bundle, "pico-search"), lambda r: r == "index.js" or r.startswith("t-")))
    pico_data = sum(files_in(os.path.join(bundle, "pico-search"), lambda r: r != "search.js"))
    pico_runtime = os.path.getsize(os.path.join(bundle, "pico-search", "search.js"))
    pf_files = files_in(pf)
    pf_index = sum(files_in(pf, lambda r: r.split(os.sep)[0] in ("index", "fragment", "filter") or r.endswith(".pf_meta")))
    pf_fragments = sum(files_in(pf, lambda r: r.startswith("fragment")))
    plain_s, plain_mb = times(os.path.join(d, "plain"))
    search_s, search_mb = times(os.path.join(d, "search"))
    pf_s, pf_mb = times(os.path.join(d, "pagefind"))
    added = search_s - plain_s
    q = {(e, m): load(os.path.join(d, f"query-{e}-{m}.json")) for e in ("pico", "pagefind") for m in ("http", "file")}
    clusters = lambda sizes: sum(math.ceil(s / CLUSTER) * CLUSTER for s in sizes)

    print(f"\n== {label}: {pages} pages indexed by the contract's rules (pico's index: {documents} documents), "
          f"visible text {mb(visible)}")
    rows = [("", "pico", "pagefind", "pico/pagefind", "target (issue 17)")]
    ratio = lambda a, b: f"{a / b:.2f}x" if b else "-"
    rows.append(("index bytes (terms)", f"{mb(pico_terms)} ({pico_terms / visible:.0%})", f"{mb(pf_index - pf_fragments)} ({(pf_index - pf_fragments) / visible:.0%})",
                 ratio(pico_terms, pf_index - pf_fragments), f"<= 20% of text: {verdict(pico_terms <= 0.2 * visible)}"))
    rows.append(("index bytes (+ text)", f"{mb(pico_data)} ({pico_data / visible:.0%})", f"{mb(pf_index)} ({pf_index / visible:.0%})",
                 ratio(pico_data, pf_index), f"<= 50% of text: {verdict(pico_data <= 0.5 * visible)}"))
    rows.append(("all files of it", f"{mb(pico_data + pico_runtime)}", f"{mb(sum(pf_files))}", ratio(pico_data + pico_runtime, sum(pf_files)),
                 f"(pico's runtime search.js {mb(pico_runtime)})"))
    rows.append(("index files", f"{len(pico_files)} ({len(pico_files) / pages * 100:.2f}/100 pages)", f"{len(pf_files)} ({len(pf_files) / pages * 100:.1f}/100 pages)",
                 ratio(len(pico_files), len(pf_files)), f"<= 1 per 100 pages: {verdict(len(pico_files) <= max(1, pages / 100))}"))
    rows.append(("on exFAT, 128 KB clusters", mb(clusters(pico_files)), mb(clusters(pf_files)), ratio(clusters(pico_files), clusters(pf_files)), ""))
    rows.append(("build time", f"+{added:.2f} s ({added / plain_s:+.0%} of {plain_s:.2f} s)", f"{pf_s:.2f} s", ratio(added, pf_s),
                 f"<= +15% and <= 2 s: {verdict(added <= 0.15 * plain_s and added <= 2)}"))
    rows.append(("peak memory", f"{search_mb:.0f} MB (without: {plain_mb:.0f} MB)", f"{pf_mb:.0f} MB", ratio(search_mb, pf_mb), ""))
    for mode, where in (("http", "http"), ("file", "file://")):
        for key, name, target in (("cold", "cold", 30), ("warm", "warm", 5), ("next", "next query", None)):
            a, b = q[("pico", mode)], q[("pagefind", mode)]
            r = ratio(a[key]["median"], b[key]["median"]) if a.get(key) and b.get(key) else "-"
            t = ""
            if target and mode == "file":
                t = f"< {target} ms: " + (verdict(a[key]["median"] < target) if a.get(key) else "MISSED")
            rows.append((f"query {name}, {where}", latency(a, key), latency(b, key), r, t))
        files = lambda v: f"{v['cold_files']['median']:g} (max {v['cold_files']['max']})" if v.get("cold_files") else "-"
        rows.append((f"files a cold query loads, {where}", files(q[("pico", mode)]), files(q[("pagefind", mode)]), "", "(each a round trip)"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    for (e, m), v in q.items():
        if v.get("first"):
            top = v["first"]["top"][0] if v["first"]["top"] else {}
            print(f"  {e} {m}: '{v['first']['query']}' -> {v['first']['hits']} results, first {top.get('path')}")
        if v.get("console_errors"):
            print(f"  {e} {m}: {v['console_errors']} console errors, e.g. {v['console'][0]}")

rows = [line.split() for line in open(os.path.join(work, "library.publish"))]
lib = load(os.path.join(work, "query-library-file.json"))
last = float(rows[-1][2]) - float(rows[-1][1])
first = float(rows[0][2]) - float(rows[0][1])
print(f"\n== drive library: 10 bundles published into one folder")
print(f"publish (merged index rebuilt): first {first:.2f} s, tenth {last:.2f} s")
print(f"query from index.html by file://: cold {latency(lib, 'cold')}, warm {latency(lib, 'warm')}, next {latency(lib, 'next')}")
if lib.get("cold_files"):
    print(f"  files a cold query loads: median {lib['cold_files']['median']:g}, max {lib['cold_files']['max']}")
if lib.get("first"):
    top = lib["first"]["top"][0] if lib["first"]["top"] else {}
    print(f"  '{lib['first']['query']}' -> {lib['first']['hits']} results, first {top.get('path')} (bundle {top.get('bundle')})")
ok = lib.get("cold") and lib["cold"]["median"] < 50
print(f"target: a 10-bundle library index answers under 50 ms (cold, file://): {verdict(bool(ok))}")
if lib.get("console_errors"):
    print(f"  {lib['console_errors']} console errors, e.g. {lib['console'][0]}")

floor = load(os.path.join(work, "query-floor-file.json"))
if floor.get("cold"):
    print(f"\n== this machine's floor from file:// (no index): two tiny <script>s one after the other "
          f"{floor['cold']['median']:.1f} ms (min {floor['cold']['min']:.1f}), one more {floor['next']['median']:.1f} ms "
          f"(median of {floor['cold']['n']} fresh tabs): a cold query loads at least two files")
PY
