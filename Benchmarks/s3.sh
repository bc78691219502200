#!/usr/bin/env bash
# pico publish against aws s3 sync into the local S3 test server, side by side in one run.
#
# usage: Benchmarks/s3.sh        (FILES=2000, RUNS=3 by default; needs `make venv`, GNU time:
#                                 `make bench-s3` installs both and runs this)
#
# Starts Silos/s3/start-server.sh (moto, SigV4 enforced, on loopback), generates a site of FILES
# files (HTML, CSS, JS, images; 2-300 KB, log-uniform) and bundles it with `pico build`
# (untimed). Then, per run, into fresh buckets, alternating the tools:
#   first publish   pico publish BUNDLE --to s3://bench-pico-N/site
#             vs    aws s3 sync BUNDLE s3://bench-aws-N/site
#   republish       the same, with one page changed (BUNDLE2)
# BUNDLE2 is BUNDLE with only the files that changed rewritten (the page, pico-manifest.json,
# SHA256SUMS): the rest keep their old mtimes, as after an incremental build, so that aws s3
# sync (size and mtime) is not made to re-upload everything.
# Prints the median wall time, peak memory and requests per tool, and the ratios against the
# targets of the S3 issue. PICO=path/to/pico benchmarks that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-2000}
RUNS=${RUNS:-3}
venv=${PICO_VENV:-$PWD/.build/venv}
[ -x /usr/bin/time ] || { echo "GNU time is missing: run 'make bench-s3'"; exit 1; }
[ -x "$venv/bin/aws" ] || { echo "the aws CLI is missing in $venv: run 'make venv'"; exit 1; }
aws=$venv/bin/aws

if [ -z "${PICO:-}" ]; then
  swift build -c release --product pico >/dev/null
  PICO=$PWD/.build/release/pico
fi
pico=$PICO
work=$(mktemp -d "${TMPDIR:-/tmp}/pico-bench-s3.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The server prints one line when ready; the credentials stay in its 0600 file.
Silos/s3/start-server.sh 0 "$work/s3" >"$work/server.out" &
server_pid=$!
for _ in $(seq 600); do
  grep -q '^S3 test server at' "$work/server.out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the S3 test server did not start"; exit 1; }
  sleep 0.1
done
grep -q '^S3 test server at' "$work/server.out" || { echo "the S3 test server did not start in 60 s"; exit 1; }
# shellcheck disable=SC1091
. "$work/s3/credentials.env"
echo "server: moto at $AWS_ENDPOINT_URL, requests logged to $work/s3/requests.log"

"$venv/bin/python" - "$work/site" "$FILES" <<'PY'
import math, os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261123)
WORDS = ("bundle silo drive mirror page static offline carry shelf manifest hash sign relay "
         "bucket prefix object upload verify fetch serve build site folder file index").split()

def size():  # log-uniform between 2 KB and 300 KB
    return int(math.exp(rng.uniform(math.log(2 << 10), math.log(300 << 10))))

def write(rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)

def text(n):
    out, length = [], 0
    while length < n:
        s = " ".join(rng.choices(WORDS, k=rng.randint(8, 20))).capitalize() + ". "
        out.append(s)
        length += len(s)
    return "".join(out)[:n]

# 50% HTML, 10% CSS, 10% JS, 30% images (random bytes, like real compressed media).
kinds = ["html"] * 5 + ["css", "js"] + ["png", "jpg", "webp"]
paths = {k: [] for k in kinds}
for i in range(count - 1):
    kind = kinds[i % len(kinds)]
    folder = {"html": f"docs/s{i % 40:02d}", "css": "assets/css", "js": "assets/js"}.get(kind, "media")
    paths[kind].append(f"{folder}/{kind}-{i:05d}.{kind}")
for kind in ("css", "js", "png", "jpg", "webp"):
    for rel in paths[kind]:
        n = size()
        if kind == "css":
            write(rel, (".c%d { margin: 0 auto; } /* %s */\n" % (n, text(n))).encode())
        elif kind == "js":
            write(rel, ('"use strict"; const t = "%s";\n' % text(n)).encode())
        else:
            write(rel, os.urandom(n))
images = paths["png"] + paths["jpg"] + paths["webp"]
for rel in paths["html"]:
    up = os.path.relpath(".", os.path.dirname(rel))
    css, js, img = rng.choice(paths["css"]), rng.choice(paths["js"]), rng.choice(images)
    write(rel, (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{rel}</title>\n'
                f'<link rel="stylesheet" href="{up}/{css}"><script src="{up}/{js}" defer></script></head>\n'
                f'<body><p><a href="{up}/index.html">Home</a></p><img src="{up}/{img}" alt="">\n'
                f"<p>{text(size())}</p></body></html>\n").encode())
links = "".join(f'<li><a href="{p}">{p}</a></li>\n' for p in paths["html"][:200])
write("index.html", f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Bench</title></head>\n'
                    f"<body><ul>\n{links}</ul></body></html>\n".encode())
PY
bundle=$work/bundle
"$pico" build "$work/site" -o "$bundle" -q
echo "bundle: $(find "$bundle" -type f | wc -l) files, $(du -sm "$bundle" | cut -f1) MB in $bundle ($(nproc) cores)"

# BUNDLE2: one page changed; only the files whose bytes differ are rewritten.
page=$(cd "$work/site" && find docs -name '*.html' | sort | sed -n 1p)
echo "<p>Changed for the republish.</p>" >> "$work/site/$page"
"$pico" build "$work/site" -o "$work/rebuilt" -q
bundle2=$work/bundle2
cp -a "$bundle" "$bundle2"
(cd "$work/rebuilt" && find . -type f) | while read -r f; do
  cmp -s "$work/rebuilt/$f" "$bundle2/$f" || { cp "$work/rebuilt/$f" "$bundle2/$f"; echo "$bundle2/$f"; }
done > "$work/changed"
echo "republish: $page changed; $(wc -l < "$work/changed") files differ in BUNDLE2"

measure() { # label, command...: appends "seconds kilobytes requests" to $work/label
  local label=$1; shift
  local before after
  before=$(wc -l < "$work/s3/requests.log")
  /usr/bin/time -f "%e %M" -o "$work/$label.time" "$@" >/dev/null
  sleep 0.2  # the server logs a request just after answering it
  after=$(wc -l < "$work/s3/requests.log")
  echo "$(cat "$work/$label.time") $((after - before))" >> "$work/$label"
}
for i in $(seq "$RUNS"); do
  "$aws" s3 mb "s3://bench-pico-$i" >/dev/null
  "$aws" s3 mb "s3://bench-aws-$i" >/dev/null
  measure pico_first "$pico" publish "$bundle" --to "s3://bench-pico-$i/site"
  measure aws_first "$aws" s3 sync "$bundle" "s3://bench-aws-$i/site" --endpoint-url "$AWS_ENDPOINT_URL" --only-show-errors
  # aws s3 sync sends what differs in size or is newer than the object: make the changed files
  # newer than this run's upload, or a same-size manifest would be left stale.
  xargs touch < "$work/changed"
  measure pico_again "$pico" publish "$bundle2" --to "s3://bench-pico-$i/site"
  measure aws_again "$aws" s3 sync "$bundle2" "s3://bench-aws-$i/site" --endpoint-url "$AWS_ENDPOINT_URL" --only-show-errors
done

"$venv/bin/python" Tests/tools/s3_check.py "$bundle2" "s3://bench-pico-$RUNS/site"
python3 - "$work" <<'PY'
import statistics, sys
def load(label):
    rows = [tuple(map(float, line.split())) for line in open(f"{sys.argv[1]}/{label}") if line.strip()]
    return statistics.median(r[0] for r in rows), max(r[1] for r in rows) / 1024, statistics.median(r[2] for r in rows)
rows = [("pico publish", "pico_first"), ("aws s3 sync", "aws_first"),
        ("pico republish", "pico_again"), ("aws s3 sync again", "aws_again")]
results = {label: load(label) for _, label in rows}
print(f"{'':20}{'wall (median)':>15}{'peak memory':>14}{'requests':>10}")
for name, label in rows:
    s, mb, n = results[label]
    print(f"{name:20}{s:>13.2f} s{mb:>11.0f} MB{n:>10.0f}")
for name, ours, theirs, target in [("first publish", "pico_first", "aws_first", 0.5),
                                   ("republish    ", "pico_again", "aws_again", 0.1)]:
    r = results[ours][0] / results[theirs][0]
    print(f"ratio {name} time {r:.2f}x (target <= {target:.2f}: {'met' if r <= target else 'MISSED'})")
PY
