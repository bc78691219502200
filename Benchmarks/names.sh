#!/usr/bin/env bash
# pico fetch by name (issue 16) of a 2,000-file bundle: the time to resolve the name (the
# newest record on the relay, then SHA256SUMS and the manifest checked against it) and the
# time to fetch the whole bundle from each kind of place.
#
# usage: Benchmarks/names.sh      (FILES=2000 by default; needs `make venv`)
#
# Generates FILES small files (1-8 KB pages and data), bundles them with `pico build` (untimed),
# and publishes them (untimed) twice:
#   record A  --to the relay --to a Blossom server --mirror http://127.0.0.1:PORT/ (a Python
#             http.server holding a copy of the bundle)
#   record B  --to a second relay only (the files as relay chunk events)
# then measures:
#   resolve   pico locate NAME --json: its resolve_seconds (record + describing files)
#   mirror    pico fetch NAME -o DIR       (the mirror is the first place of record A)
#   blossom   pico fetch NAME -o DIR       with the mirror stopped (named unreachable, then Blossom)
#   relay     pico fetch NAME-B -o DIR     (relay chunk events, the only place of record B)
# PICO=path/to/pico benchmarks that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-2000}
venv=${PICO_VENV:-$PWD/.build/venv}
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import nostr_relay' 2>/dev/null \
  || { echo "nostr-relay is missing in $venv: run 'make venv'"; exit 1; }
if [ -z "${PICO:-}" ]; then
  swift build -c release --product pico >/dev/null
  PICO=$PWD/.build/release/pico
fi
pico=$PICO
work=$(mktemp -d "${TMPDIR:-/tmp}/pico-bench-names.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"

"$venv/bin/python" - "$work/site" "$FILES" <<'PY'
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261201)
links = []
for i in range(count - 1):
    rel = f"d{i % 40:02d}/page-{i:04d}.html" if i % 2 else f"d{i % 40:02d}/data-{i:04d}.bin"
    os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
    n = rng.randint(1000, 8000)
    with open(os.path.join(root, rel), "wb") as f:
        f.write(b"<!doctype html><title>p</title><p>" + b"word " * (n // 5) + b"</p>\n" if rel.endswith(".html") else rng.randbytes(n))
    links.append(rel)
with open(os.path.join(root, "index.html"), "w") as f:
    f.write("<!doctype html><title>names</title>" + "".join(f'<a href="{l}">{l}</a>\n' for l in links))
PY
"$pico" key new -o "$work/a.key" >/dev/null 2>&1
"$pico" key new -o "$work/b.key" >/dev/null 2>&1
"$pico" build "$work/site" -o "$work/bundle" --key "$work/a.key" -q
# Record B is another author's name for the same files (one name has one record).
"$pico" build "$work/site" -o "$work/bundle-b" --key "$work/b.key" -q
files=$(wc -l < "$work/bundle/SHA256SUMS")
bytes=$(du -sb "$work/bundle" | cut -f1)

start_relay() {  # DIR; its URL in DIR.out
  Silos/nostr/start-relay.sh 0 "$1" 65536 >"$1.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do grep -q '^nostr relay at' "$1.out" 2>/dev/null && break; sleep 0.1; done
}
start_relay "$work/relay-a"
start_relay "$work/relay-b"
relay_a=$(grep -o 'ws://[^ ]*' "$work/relay-a.out")
relay_b=$(grep -o 'ws://[^ ]*' "$work/relay-b.out")
Silos/blossom/start-blossom.sh 0 "$work/blossom" >"$work/blossom.out" 2>&1 &
pids+=($!)
for _ in $(seq 300); do grep -q '^blossom server listening' "$work/blossom.out" 2>/dev/null && break; sleep 0.1; done
blossom=$(grep -o 'http://[^ ]*' "$work/blossom.out")
cp -r "$work/bundle" "$work/web"
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work/web" && exec "$venv/bin/python" -m http.server "$port" --bind 127.0.0.1) >"$work/mirror.out" 2>&1 &
mirror_pid=$!
pids+=($mirror_pid)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/SHA256SUMS" >/dev/null && break; sleep 0.1; done
mirror="http://127.0.0.1:$port/"

naddr() { "$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["fetch"])' "$1"; }
"$pico" publish "$work/bundle" --to "$relay_a" --to "blossom+$blossom" --mirror "$mirror" --key "$work/a.key" --json \
  >"$work/pub-a.json" 2>"$work/pub-a.err" || { cat "$work/pub-a.err"; exit 1; }
"$pico" publish "$work/bundle-b" --to "$relay_b" --key "$work/b.key" --json >"$work/pub-b.json" 2>"$work/pub-b.err" \
  || { cat "$work/pub-b.err"; exit 1; }
name_a=$(naddr "$work/pub-a.json")
name_b=$(naddr "$work/pub-b.json")

printf 'bundle: %d files, %.1f MB\n\n' "$files" "$(echo "$bytes / 1000000" | bc -l)"
printf '%-10s %10s  %s\n' "" "seconds" "what"
now() { date +%s.%N; }
"$pico" locate "$name_a" --json >"$work/locate.json" 2>"$work/locate.err" || [ -s "$work/locate.json" ] || { cat "$work/locate.err"; exit 1; }
resolve=$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["resolve_seconds"])' "$work/locate.json")
printf '%-10s %10.3f  %s\n' "resolve" "$resolve" "record on the relay, SHA256SUMS and pico-manifest.json checked (pico locate)"
"$venv/bin/python" - "$work/locate.json" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1]))["places"]:
    print(f"{'locate':<10} {float(p['seconds']):>10.3f}  {p['kind']} {p['place']}: {p['state']} (every file checked)")
PY
fetch() {  # LABEL NAME WHAT BUNDLE
  local start end
  start=$(now)
  "$pico" fetch "$2" -o "$work/out-$1" >"$work/fetch-$1.out" 2>"$work/fetch-$1.err" || { cat "$work/fetch-$1.err"; exit 1; }
  end=$(now)
  printf '%-10s %10.3f  %s\n' "$1" "$(echo "$end - $start" | bc -l)" "$3"
  diff -r "$4" "$work/out-$1" >/dev/null || { echo "fetch $1: the files differ"; exit 1; }
}
fetch mirror "$name_a" "pico fetch NAME: every file from the mirror (http.server)" "$work/bundle"
kill "$mirror_pid"; wait "$mirror_pid" 2>/dev/null || true
fetch blossom "$name_a" "pico fetch NAME, mirror stopped: named unreachable, every file from Blossom" "$work/bundle"
fetch relay "$name_b" "pico fetch NAME: every file from relay chunk events" "$work/bundle-b"
