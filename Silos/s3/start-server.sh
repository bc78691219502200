#!/usr/bin/env bash
# Starts the local S3 test server: moto (S3, IAM, STS) on 127.0.0.1 with SigV4 enforced.
#
# usage: Silos/s3/start-server.sh [PORT] [STATE_DIR]
#   PORT       0 (default) picks a free port
#   STATE_DIR  default: a new temporary folder (left in place; it holds the log)
#
# Prints one line when the server accepts signed requests:
#   S3 test server at http://127.0.0.1:PORT (credentials: STATE_DIR/credentials.env)
# STATE_DIR/credentials.env (mode 0600) sets AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID
# and AWS_SECRET_ACCESS_KEY for an IAM user allowed s3:*; STATE_DIR/session.env adds
# AWS_SESSION_TOKEN for a role session with the same rights. Every request is logged to
# STATE_DIR/requests.log, anything else moto says to STATE_DIR/server.log.
# Stop it with SIGTERM (or SIGINT) to this script's PID: the script execs into the server,
# which has no children; it also exits by itself when its parent goes away.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${PICO_VENV:-$(cd "$here/../.." && pwd)/.build/venv}
port=${1:-0}
state=${2:-$(mktemp -d "${TMPDIR:-/tmp}/pico-s3.XXXXXX")}
if ! "$venv/bin/python" -c 'import moto, boto3' 2>/dev/null; then
  echo "moto is missing in $venv: run 'make venv' (or set PICO_VENV)" >&2
  exit 1
fi
mkdir -p "$state"
exec "$venv/bin/python" -B "$here/server.py" "$port" "$(cd "$state" && pwd)"
