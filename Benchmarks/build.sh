#!/usr/bin/env bash
# pico build against Hugo on the same generated corpus, side by side in one run.
#
# usage: Benchmarks/build.sh [PAGES]        (default 10000; needs hugo and GNU time: `make bench`)
#
# Both tools build the corpus of Benchmarks/corpus.py (the same Markdown pages as a pico site
# and as a Hugo site) into fresh output folders on the same disk, alternating runs
# so that neither gets a warmer cache or a quieter file system. Prints the median wall time,
# the peak memory (max RSS) of each, and the ratios against the targets of the spine issue.
# pico runs twice per round: as users get it (the search index on, issue 17) and with
# --no-search, the like-for-like row, since Hugo writes no search index.
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES=${1:-10000}
RUNS=${RUNS:-3}
command -v hugo >/dev/null || { echo "hugo is missing: run 'make bench' (it installs Debian's hugo)"; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: run 'make bench'"; exit 1; }

# PICO=path/to/pico benchmarks that binary instead of building one.
if [ -z "${PICO:-}" ]; then
  swift build -c release --product pico --scratch-path .build-bench >/dev/null
  PICO=$PWD/.build-bench/release/pico
fi
pico=$PICO
work=$(mktemp -d "${TMPDIR:-/tmp}/pico-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 Benchmarks/corpus.py "$work/corpus" --pages "$PAGES" >/dev/null
echo "corpus: $PAGES pages in $work/corpus ($(nproc) cores)"

# One untimed run each warms the page cache for both.
"$pico" build "$work/corpus/pico" -q -o "$work/warm-pico"
hugo --quiet -s "$work/corpus/hugo" -d "$work/warm-hugo" >/dev/null

measure() { # label, command...: appends "seconds kilobytes" to $work/label
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$label.time" "$@" >/dev/null
  cat "$work/$label.time" >> "$work/$label"
}
for i in $(seq "$RUNS"); do
  measure pico "$pico" build "$work/corpus/pico" -q -o "$work/out-pico-$i"
  measure pico-nosearch "$pico" build "$work/corpus/pico" -q --no-search -o "$work/out-pico-nosearch-$i"
  measure hugo hugo --quiet -s "$work/corpus/hugo" -d "$work/out-hugo-$i"
done

"$pico" verify "$work/out-pico-1" >/dev/null && echo "pico's bundle verifies"
python3 - "$work/pico" "$work/pico-nosearch" "$work/hugo" <<'PY'
import statistics, sys
def load(path):
    rows = [tuple(map(float, line.split())) for line in open(path) if line.strip()]
    return statistics.median(r[0] for r in rows), max(r[1] for r in rows) / 1024
pico_s, pico_mb = load(sys.argv[1]); bare_s, bare_mb = load(sys.argv[2]); hugo_s, hugo_mb = load(sys.argv[3])
print(f"{'':22}{'wall (median)':>15}{'peak memory':>14}")
print(f"{'pico (search index)':22}{pico_s:>13.2f} s{pico_mb:>11.0f} MB")
print(f"{'pico --no-search':22}{bare_s:>13.2f} s{bare_mb:>11.0f} MB")
print(f"{'hugo':22}{hugo_s:>13.2f} s{hugo_mb:>11.0f} MB")
for label, s, mb in (("--no-search", bare_s, bare_mb), ("search index", pico_s, pico_mb)):
    t, m = s / hugo_s, mb / hugo_mb
    print(f"ratio ({label}): time {t:.2f}x (target <= 0.40: {'met' if t <= 0.40 else 'MISSED'}), "
          f"memory {m:.2f}x (target <= 0.25: {'met' if m <= 0.25 else 'MISSED'})")
print(f"the search index adds {100 * (pico_s - bare_s) / bare_s:.0f} % ({pico_s - bare_s:.2f} s; issue 17's target: <= 15 % and <= 2 s)")
PY
