#!/usr/bin/env bash
# The authoring loop: pico serve --watch against hugo server on the same corpus, in one run.
#
# usage: Benchmarks/watch.sh [PAGES]        (default 10000; needs hugo: `make bench`)
#
# Both serve the corpus of Benchmarks/corpus.py (on /dev/shm when there is one, so the disk
# is not what is measured). Then, alternating between the two, one page's text is edited
# (a word added to a paragraph, written in place as editors that do not rename do) and the
# page's URL is asked for again and again until the answer holds the new word: the time from
# the save to that answer is one sample. Then a new page is added to the same section and
# deleted again (EDITS/3 times): the time from the save to the new page being served and
# listed in its section, and from the delete to the list no longer holding it. Prints the median and the slowest of each, and the ratios,
# and first times the full build of both (FULL_RUNS, default 3; highlighting on for both), whose
# ratio closes the report. PICO=path/to/pico measures that binary (build it with
# `swift build -c release --product pico --scratch-path .build-bench`).
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES=${1:-10000}
EDITS=${EDITS:-15}
command -v hugo >/dev/null || { echo "hugo is missing: run 'make bench' (it installs Debian's hugo)"; exit 1; }
if [ -z "${PICO:-}" ]; then
  swift build -c release --product pico --scratch-path .build-bench >/dev/null
  PICO=$PWD/.build-bench/release/pico
fi
base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/pico-watch-bench.XXXXXX")
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
python3 Benchmarks/corpus.py "$work/corpus" --pages "$PAGES" >/dev/null
echo "corpus: $PAGES pages in $work/corpus ($(nproc) cores)"

# The full build each loop starts from, with highlighting on for both (the corpus's code blocks
# are highlighted by both tools), alternating, before the servers start: pico as users get it,
# with --no-search (Hugo writes no search index), and hugo. The ratio is printed at the end.
[ -x /usr/bin/time ] || { echo "GNU time is missing: run 'make bench'"; exit 1; }
"$PICO" build "$work/corpus/pico" -q -o "$work/full-warm" && rm -rf "$work/full-warm"
for i in $(seq "${FULL_RUNS:-3}"); do
  /usr/bin/time -a -f "%e" -o "$work/full-pico" "$PICO" build "$work/corpus/pico" -q --no-search -o "$work/full-pico-out" >/dev/null
  /usr/bin/time -a -f "%e" -o "$work/full-hugo" hugo --quiet -s "$work/corpus/hugo" -d "$work/full-hugo-out" >/dev/null
  rm -rf "$work/full-pico-out" "$work/full-hugo-out"
done

# pico serve --watch: builds, then prints "Serving … at URL".
"$PICO" serve --watch "$work/corpus/pico" --port 0 >"$work/pico.out" 2>"$work/pico.err" &
pids+=($!)
hugo_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hugo server --quiet -s "$work/corpus/hugo" --bind 127.0.0.1 --port "$hugo_port" --disableLiveReload \
  >"$work/hugo.out" 2>"$work/hugo.err" &
pids+=($!)

python3 - "$work" "$hugo_port" "$EDITS" <<'PY'
import http.client, os, re, statistics, sys, time
work, hugo_port, edits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
PAGE_CHANGES = max(3, edits // 3)

def wait_for(predicate, what, seconds=600):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = predicate()
        if found: return found
        time.sleep(0.05)
    sys.exit(f"{what} did not come up; see {work}/*.err")

def pico_url():
    text = open(f"{work}/pico.out").read()
    match = re.search(r"at (http://127\.0\.0\.1:\d+/)", text)
    return match and match.group(1)

class Client:
    """One kept-alive connection, reopened when the server closes it."""
    def __init__(self, url):
        match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
        self.host, self.port, self.base = match.group(1), int(match.group(2)), match.group(3)
        self.connection = None
    def get(self, path):
        for _ in range(3):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
                self.connection.request("GET", self.base + path, headers={"Cache-Control": "no-cache"})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.connection = None
        return 0, b""

def served(client, path):
    status, _ = client.get(path)
    return status == 200

pico = Client(wait_for(pico_url, "pico serve --watch"))
hugo = Client(f"http://127.0.0.1:{hugo_port}/")
wait_for(lambda: served(pico, "part-00/"), "pico's site")
wait_for(lambda: served(hugo, "part-00/"), "hugo server's site")

# The same page in both corpora: its first paragraph gets a new word each time.
sections = sorted(d for d in os.listdir(f"{work}/corpus/pico/content") if d.startswith("part-"))
section = sections[len(sections) // 2]
name = sorted(f for f in os.listdir(f"{work}/corpus/pico/content/{section}") if f.startswith("note-"))[3]
path = f"{section}/{name[:-3]}/"
sources = {tool: f"{work}/corpus/{tool}/content/{section}/{name}" for tool in ("pico", "hugo")}
original = {tool: open(source).read() for tool, source in sources.items()}
marker = re.compile(r"(\n\n[A-Z][^\n]*?)\.")

def edit_and_wait(tool, client, number):
    word = f"Edited{number:04d}{tool}"
    text = marker.sub(lambda m: f"{m.group(1)} {word}.", original[tool], count=1)
    needle = word.encode()
    start = time.monotonic()
    with open(sources[tool], "w") as f:  # in place, as `:w` with backupcopy=yes
        f.write(text)
    while True:
        status, body = client.get(path)
        if status == 200 and needle in body:
            return time.monotonic() - start
        if time.monotonic() - start > 30:
            sys.exit(f"{tool} never served the edit of {path}; see {work}/{tool}.err")
        time.sleep(0.001)

samples = {"pico": [], "hugo": []}
for number in range(edits + 1):
    for tool, client in (("pico", pico), ("hugo", hugo)):
        elapsed = edit_and_wait(tool, client, number)
        if number > 0:  # the first edit of each warms up
            samples[tool].append(elapsed)
        time.sleep(0.4)

# A new page in the same section, then the same page deleted: the time from the save until
# the page is served and its section's list links it, and from the delete until the list no
# longer does (the page's own URL is no measure there: hugo server keeps serving a deleted page
# from memory).
def add_then_delete(tool, client, number):
    page = f"added-{number:03d}"
    source = f"{os.path.dirname(sources[tool])}/{page}.md"
    word = f"Added{number:04d}{tool}".encode()
    link = f"{page}/".encode()  # pico writes it relative (added-000/index.html), hugo from the root
    def listed():
        status, body = client.get(f"{section}/")
        return status == 200 and link in body
    start = time.monotonic()
    with open(source, "w") as f:
        f.write(marker.sub(lambda m: f"{m.group(1)} {word.decode()}.", original[tool], count=1))
    while True:
        status, body = client.get(f"{section}/{page}/")
        if status == 200 and word in body and listed(): break
        if time.monotonic() - start > 30: sys.exit(f"{tool} never served the new page {section}/{page}/ in its list")
        time.sleep(0.001)
    added = time.monotonic() - start
    time.sleep(0.4)
    start = time.monotonic()
    os.remove(source)
    while listed():
        if time.monotonic() - start > 30: sys.exit(f"{tool} still lists the deleted page {section}/{page}/")
        time.sleep(0.001)
    return added, time.monotonic() - start

added = {"pico": [], "hugo": []}
deleted = {"pico": [], "hugo": []}
for number in range(PAGE_CHANGES + 1):
    for tool, client in (("pico", pico), ("hugo", hugo)):
        a, d = add_then_delete(tool, client, number)
        if number > 0:
            added[tool].append(a)
            deleted[tool].append(d)
        time.sleep(0.4)

print(f"edit of {path} ({edits} edits each, after one to warm up)")
print(f"{'':8}{'median':>10}{'slowest':>10}")
for tool in ("pico", "hugo"):
    values = samples[tool]
    print(f"{tool:8}{statistics.median(values) * 1000:>8.1f} ms{max(values) * 1000:>8.1f} ms")
p, h = statistics.median(samples["pico"]), statistics.median(samples["hugo"])
print(f"ratio   pico/hugo {p / h:.2f}x; pico's median {p * 1000:.1f} ms (target < 100 ms: {'met' if p < 0.1 else 'MISSED'})")
for label, samples in (("a new page in " + section, added), ("that page deleted", deleted)):
    print(f"{label} ({PAGE_CHANGES} each, after one to warm up)")
    for tool in ("pico", "hugo"):
        values = samples[tool]
        print(f"{tool:8}{statistics.median(values) * 1000:>8.1f} ms{max(values) * 1000:>8.1f} ms")
    print(f"ratio   pico/hugo {statistics.median(samples['pico']) / statistics.median(samples['hugo']):.2f}x")
PY
grep -E "re-rendered|built|planned again" "$work/pico.err" | tail -4 | sed 's/^/pico: /'
python3 - "$work/full-pico" "$work/full-hugo" <<'PY'
import statistics, sys
pico, hugo = (statistics.median(float(line) for line in open(path) if line.strip()) for path in sys.argv[1:3])
print(f"full build (highlighting on for both; pico --no-search): pico {pico:.2f} s, hugo {hugo:.2f} s, "
      f"ratio {pico / hugo:.2f}x (target <= 0.40: {'met' if pico / hugo <= 0.40 else 'MISSED'})")
PY
