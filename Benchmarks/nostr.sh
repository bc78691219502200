#!/usr/bin/env bash
# pico publish and pico fetch of a 20 MB bundle with the local nostr relay, in events per
# second and MB per second, the files as relay chunk events and, in the same run, as Blossom blobs.
#
# usage: Benchmarks/nostr.sh     (MB=20, LIMITS="4096 65536" by default; needs `make venv`,
#                                 `make bench-nostr` runs it)
#
# Generates a site of MB megabytes (HTML pages and media files, 20-400 KB), bundles it with
# `pico build` (untimed), then for each relay content limit in LIMITS (4,096 is nostr-relay's
# default; 65,536 is common on public relays) starts Silos/nostr/start-relay.sh with a fresh
# database and measures:
#   publish   pico publish BUNDLE --to ws://… --key KEY    (every chunk event, then the site event)
#   fetch     pico fetch nostr:naddr…?relay=… -o DIR        (every event checked, then every file)
# then the same with the files on a Blossom server (Silos/blossom/start-blossom.sh, fresh) and
# only the site event on a fresh relay (limit 4096):
#   publish   pico publish BUNDLE --to ws://… --to blossom+http://… (HEAD and PUT /upload per
#             blob, then the site event)
#   fetch     pico fetch nostr:naddr…?relay=… -o DIR        (the site event, then GET /<sha256>)
# `requests` is the HTTP requests the Blossom server answered (its access log), by method.
# PICO=path/to/pico benchmarks that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${MB:-20}
LIMITS=${LIMITS:-"4096 65536"}
venv=${PICO_VENV:-$PWD/.build/venv}
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import nostr_relay' 2>/dev/null \
  || { echo "nostr-relay is missing in $venv: run 'make venv'"; exit 1; }
if [ -z "${PICO:-}" ]; then
  swift build -c release --product pico >/dev/null
  PICO=$PWD/.build/release/pico
fi
pico=$PICO
work=$(mktemp -d "${TMPDIR:-/tmp}/pico-bench-nostr.XXXXXX")
relay_pid=
blossom_pid=
stop_relay() {
  if [ -n "$relay_pid" ]; then kill "$relay_pid" 2>/dev/null || true; wait "$relay_pid" 2>/dev/null || true; relay_pid=; fi
}
stop_blossom() {
  if [ -n "$blossom_pid" ]; then kill "$blossom_pid" 2>/dev/null || true; wait "$blossom_pid" 2>/dev/null || true; blossom_pid=; fi
}
trap 'stop_relay; stop_blossom; rm -rf "$work"' EXIT

"$venv/bin/python" - "$work/site" "$MB" <<'PY'
import math, os, random, sys
root, megabytes = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261123)
os.makedirs(os.path.join(root, "media"))
total, i, links = 0, 0, []
while total < megabytes * 1_000_000:
    n = int(math.exp(rng.uniform(math.log(20_000), math.log(400_000))))
    rel = f"media/file-{i:04d}.bin" if i % 3 else f"page-{i:04d}.html"
    with open(os.path.join(root, rel), "wb") as f:
        if rel.endswith(".html"):
            f.write(b"<!doctype html><title>p</title><p>" + (b"word " * (n // 5)) + b"</p>\n")
        else:
            f.write(rng.randbytes(n))
    links.append(rel)
    total += n
    i += 1
with open(os.path.join(root, "index.html"), "w") as f:
    f.write("<!doctype html><title>bench</title>" + "".join(f'<a href="{l}">{l}</a>\n' for l in links))
PY
"$pico" key new -o "$work/author.key" >/dev/null 2>&1
"$pico" build "$work/site" -o "$work/bundle" --key "$work/author.key" -q
bytes=$(du -sb --exclude=pico-manifest.json --exclude=SHA256SUMS "$work/bundle" | cut -f1)
files=$(wc -l < "$work/bundle/SHA256SUMS")
printf 'bundle: %d files, %.1f MB\n\n' "$files" "$(echo "$bytes / 1000000" | bc -l)"
printf '%-24s %10s %10s %12s %10s  %s\n' "" "seconds" "events" "events/s" "MB/s" "requests"

now() { date +%s.%N; }
for limit in $LIMITS; do
  Silos/nostr/start-relay.sh 0 "$work/relay-$limit" "$limit" >"$work/relay-$limit.out" 2>&1 &
  relay_pid=$!
  for _ in $(seq 300); do grep -q '^nostr relay at' "$work/relay-$limit.out" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'ws://[^ ]*' "$work/relay-$limit.out")

  start=$(now)
  # stderr kept aside (the chunk-event warning would cut the table), shown if publish fails
  "$pico" publish "$work/bundle" --to "$url" --key "$work/author.key" --json >"$work/publish-$limit.json" 2>"$work/publish-$limit.err" \
    || { cat "$work/publish-$limit.err"; exit 1; }
  publish_s=$(echo "$(now) - $start" | bc -l)
  events=$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["EVENT"])' "$work/publish-$limit.json")
  address=$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["fetch"])' "$work/publish-$limit.json")

  start=$(now)
  "$pico" fetch "$address" -o "$work/fetched-$limit" >/dev/null
  fetch_s=$(echo "$(now) - $start" | bc -l)
  cmp -s "$work/bundle/SHA256SUMS" "$work/fetched-$limit/SHA256SUMS" || { echo "fetched bundle differs"; exit 1; }

  for row in "publish $publish_s" "fetch $fetch_s"; do
    set -- $row
    printf '%-24s %10.2f %10d %12.0f %10.2f  %s\n' "$1 (limit $limit)" "$2" "$events" "$(echo "$events / $2" | bc -l)" \
      "$(echo "$bytes / 1000000 / $2" | bc -l)" "-"
  done
  stop_relay
done

# The files as Blossom blobs: one Blossom server, a relay for the site event alone.
start_relay() { # STATE_DIR: starts a relay with the default limit, sets url
  Silos/nostr/start-relay.sh 0 "$1" 4096 >"$1.out" 2>&1 &
  relay_pid=$!
  for _ in $(seq 300); do grep -q '^nostr relay at' "$1.out" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'ws://[^ ]*' "$1.out")
}
# The requests in the Blossom server's access log from line $1 on, by method: "HEAD 61, PUT 61".
requests_since() {
  tail -n +"$1" "$work/blossom/access.log" | awk '{ n[$1]++ } END { for (m in n) printf "%s%s %d", (i++ ? ", " : ""), m, n[m] }'
}
start_relay "$work/relay-blossom"
Silos/blossom/start-blossom.sh 0 "$work/blossom" >"$work/blossom.out" 2>&1 &
blossom_pid=$!
for _ in $(seq 300); do grep -q '^blossom server listening' "$work/blossom.out" 2>/dev/null && break; sleep 0.1; done
blossom=$(grep -o 'http://[^ ]*' "$work/blossom.out")
[ -n "$blossom" ] || { echo "the Blossom server did not start:"; cat "$work/blossom.out"; exit 1; }

start=$(now)
"$pico" publish "$work/bundle" --to "$url" --to "blossom+$blossom" --key "$work/author.key" --json >"$work/publish-blossom.json" \
  2>"$work/publish-blossom.err" || { cat "$work/publish-blossom.err"; exit 1; }
publish_s=$(echo "$(now) - $start" | bc -l)
events=$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["EVENT"])' "$work/publish-blossom.json")
address=$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["fetch"])' "$work/publish-blossom.json")
publish_requests=$(requests_since 1)
logged=$(wc -l < "$work/blossom/access.log")

start=$(now)
"$pico" fetch "$address" -o "$work/fetched-blossom" >/dev/null
fetch_s=$(echo "$(now) - $start" | bc -l)
cmp -s "$work/bundle/SHA256SUMS" "$work/fetched-blossom/SHA256SUMS" || { echo "fetched bundle differs"; exit 1; }
fetch_requests=$(requests_since $((logged + 1)))

for row in "publish:$publish_s:$publish_requests" "fetch:$fetch_s:$fetch_requests"; do
  IFS=: read -r name seconds requests <<<"$row"
  printf '%-24s %10.2f %10d %12s %10.2f  %s\n' "$name (blossom)" "$seconds" "$events" "-" \
    "$(echo "$bytes / 1000000 / $seconds" | bc -l)" "$requests"
done
stop_relay
stop_blossom
