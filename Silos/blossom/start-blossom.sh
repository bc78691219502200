#!/usr/bin/env bash
# Starts the local Blossom test server (Silos/blossom/blossom_server.py) on 127.0.0.1, blobs in STATE_DIR.
#
# usage: Silos/blossom/start-blossom.sh [PORT] [STATE_DIR] [SERVER OPTIONS...]
#   PORT       0 (default) picks a free port
#   STATE_DIR  default: a new temporary folder (left in place); blobs go to STATE_DIR/blobs, and
#              every request is logged to STATE_DIR/access.log as `METHOD PATH STATUS`
#   SERVER OPTIONS are passed on: --public-url URL, --max-upload-bytes N, --allow-pubkey HEX,
#              --refuse-type TYPE, --require-payment, --tamper SHA256, and the faults
#              --clock-offset SECONDS, --alter-uploads, --refuse-mirror STATUS,
#              --fail-uploads-after N (see the server's docstring)
#
# Prints one line when the server listens:
#   blossom server listening on http://127.0.0.1:PORT
# PICO_BLOSSOM_SERVER runs another server program with the same arguments (e.g. a copy with a
# check removed, to see the tests that should catch it fail).
# Stop it with SIGTERM to this script's PID: the script execs into the server, which has no
# children; it also exits by itself when its parent goes away.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${PICO_VENV:-$(cd "$here/../.." && pwd)/.build/venv}
port=${1:-0}
state=${2:-$(mktemp -d "${TMPDIR:-/tmp}/pico-blossom.XXXXXX")}
shift $(( $# > 2 ? 2 : $# ))
if ! "$venv/bin/python" -c 'import coincurve' 2>/dev/null; then
  echo "coincurve is missing in $venv: run 'make venv' (or set PICO_VENV)" >&2
  exit 1
fi
case $port in
  ''|*[!0-9]*) echo "PORT must be a number, not '$port'" >&2; exit 2 ;;
esac
mkdir -p "$state"
state=$(cd "$state" && pwd)
# The server closes the pipes it inherits beyond stderr (see close_inherited_pipes).
exec "$venv/bin/python" -B "${PICO_BLOSSOM_SERVER:-$here/blossom_server.py}" --host 127.0.0.1 --port "$port" --dir "$state" \
  --access-log "$state/access.log" "$@"
