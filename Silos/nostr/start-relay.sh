#!/usr/bin/env bash
# Starts the local nostr test relay: nostr-relay 1.14 (PyPI) on 127.0.0.1, SQLite in STATE_DIR.
#
# usage: Silos/nostr/start-relay.sh [PORT] [STATE_DIR] [MAX_CONTENT]
#   PORT         0 (default) picks a free port
#   STATE_DIR    default: a new temporary folder (left in place; it holds the database and log)
#   MAX_CONTENT  the longest event content the relay stores, in characters (its
#                max_event_size); default 4096, the relay's own default
#
# Prints one line when the relay serves NIP-11 and answers a REQ over a websocket:
#   nostr relay at ws://127.0.0.1:PORT (database: STATE_DIR/nostr.sqlite3)
# STATE_DIR/config.yaml is the relay's config, STATE_DIR/relay.log its log. No rate limits.
# Its NIP-11 document carries a `limitation` object (max_content_length = MAX_CONTENT,
# max_message_length, max_limit, ...); PICO_NOSTR_NO_LIMITATION=1 leaves it out, and
# PICO_NOSTR_MAX_EVENT_TAGS=N adds max_event_tags (announced, not enforced by the relay).
# PICO_NOSTR_MAX_LIMIT sets the most events one REQ returns (default 6000, the relay's);
# PICO_NOSTR_LOG_LEVEL=WARNING quiets the log (default INFO: a line per stored event).
# Stop it with SIGTERM (or SIGINT) to this script's PID: the script execs into the relay,
# which has no children; it also exits by itself when its parent goes away.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${PICO_VENV:-$(cd "$here/../.." && pwd)/.build/venv}
port=${1:-0}
state=${2:-$(mktemp -d "${TMPDIR:-/tmp}/pico-nostr.XXXXXX")}
max_content=${3:-4096}
if ! "$venv/bin/python" -c 'import nostr_relay, uvicorn, websockets' 2>/dev/null; then
  echo "nostr-relay is missing in $venv: run 'make venv' (or set PICO_VENV)" >&2
  exit 1
fi
case $max_content in
  ''|*[!0-9]*) echo "MAX_CONTENT must be a number of characters, not '$max_content'" >&2; exit 2 ;;
esac
mkdir -p "$state"
exec "$venv/bin/python" -B "$here/relay.py" "$port" "$(cd "$state" && pwd)" "$max_content"
