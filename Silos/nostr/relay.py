#!/usr/bin/env python3
"""nostr-relay 1.14 (PyPI) on 127.0.0.1, for pico's tests: run it with start-relay.sh.

usage: relay.py PORT STATE_DIR MAX_CONTENT

One process: the relay's own ASGI app (nostr_relay.web.create_app, what `nostr-relay serve
--use-uvicorn` runs) served by uvicorn on a socket bound here, so that port 0 is bound without
a race and SIGTERM to this PID stops everything. The relay's config is written to
STATE_DIR/config.yaml, its SQLite database is STATE_DIR/nostr.sqlite3 (created with the
relay's own alembic migrations), its log STATE_DIR/relay.log.

The relay is left as it is, with two additions:
  - MAX_CONTENT is the relay's `max_event_size`, the longest `content` (in characters) it
    stores, and the websocket message limit is raised to fit such an event;
  - its NIP-11 document gains the `limitation` object the relay lacks (max_content_length,
    max_message_length, max_subscriptions, max_limit, default_limit), as strfry and most
    relays publish it. PICO_NOSTR_NO_LIMITATION=1 leaves it out, for a client's fallback.
No rate limits are configured (the relay has none unless told); PICO_NOSTR_EVENT_RATE (e.g.
"1/hour") sets the relay's own limiter on EVENT messages, all clients together: one past it is
answered OK false "rate-limited: slow down", as deployed relays do.

Environment: PICO_NOSTR_MAX_LIMIT (most events per REQ, default 6000, the relay's own),
PICO_NOSTR_NO_LIMITATION=1, PICO_NOSTR_LOG_LEVEL (the relay's log level, default INFO: one
line per stored event).
"""
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.request

port, state, max_content = int(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3])
parent = os.getppid()
database = os.path.join(state, "nostr.sqlite3")
config_file = os.path.join(state, "config.yaml")
log_file = os.path.join(state, "relay.log")

# A whole EVENT message of MAX_CONTENT characters of content, with room for tags and JSON; never
# below uvicorn's own default (16 MiB).
max_message = max(16 * 1024 * 1024, 2 * max_content + 1024 * 1024)
max_limit = int(os.environ.get("PICO_NOSTR_MAX_LIMIT", "6000"))  # the relay's default

config = {
    "relay_name": "pico test relay",
    "relay_description": "nostr-relay 1.14 for pico's tests",
    "sysop_pubkey": "",
    "sysop_contact": "",
    "storage": {
        "sqlalchemy.url": f"sqlite+aiosqlite:///{database}",
        "num_concurrent_reqs": 10,
        "num_concurrent_adds": 2,
        # the relay's default validators (config.yaml as shipped)
        "validators": [
            "nostr_relay.validators.is_not_too_large",
            "nostr_relay.validators.is_signed",
            "nostr_relay.validators.is_recent",
            "nostr_relay.validators.is_not_hellthread",
        ],
    },
    "verification": {"nip05_verification": "disabled", "expiration": 86400 * 30, "update_frequency": 3600},
    "authentication": {"enabled": False},
    "max_event_size": max_content,
    "message_timeout": 1800,
    "subscription_limit": 32,
    "max_limit": max_limit,
    "hellthread_limit": 100,
    # no "rate_limits" key: the relay then uses its NullRateLimiter
    "logging": {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"simple": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": log_file, "formatter": "simple"}},
        "loggers": {
            "nostr_relay": {"level": os.environ.get("PICO_NOSTR_LOG_LEVEL", "INFO"), "handlers": ["file"], "propagate": False},
            "sqlalchemy.engine": {"level": "WARNING"},
        },
        "root": {"level": "INFO", "handlers": ["file"]},
    },
}
if os.environ.get("PICO_NOSTR_EVENT_RATE"):
    config["rate_limits"] = {"global": {"EVENT": os.environ["PICO_NOSTR_EVENT_RATE"]}}
with open(config_file, "w") as f:
    json.dump(config, f, indent=2)  # JSON is YAML: the relay's loader reads it as is

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    sock.bind(("127.0.0.1", port))
except OSError as error:
    raise SystemExit(f"cannot listen on 127.0.0.1:{port}: {error.strerror}")
sock.listen(128)
port = sock.getsockname()[1]
url = f"ws://127.0.0.1:{port}"

from nostr_relay.config import Config  # noqa: E402

Config.load(config_file)

# The tables, as `nostr-relay serve` makes them (alembic upgrade head), without alembic's
# logging setup (its ini file would log to our caller's stderr).
import contextlib  # noqa: E402

import alembic.command  # noqa: E402
import alembic.config  # noqa: E402
import nostr_relay  # noqa: E402

migrations = alembic.config.Config()
migrations.set_main_option("script_location", os.path.join(os.path.dirname(nostr_relay.__file__), "alembic"))
with open(log_file, "a") as log, contextlib.redirect_stdout(log):  # it prints "Old data does not exist"
    alembic.command.upgrade(migrations, "head")

import uvicorn  # noqa: E402
from nostr_relay import web  # noqa: E402

_nip11 = web.NostrAPI.on_get


async def on_get_with_limitation(self, req, resp):
    await _nip11(self, req, resp)
    if req.accept == "application/nostr+json" and os.environ.get("PICO_NOSTR_NO_LIMITATION") != "1":
        document = dict(resp.media)
        document["limitation"] = {
            "max_message_length": max_message,
            "max_content_length": max_content,
            "max_subscriptions": Config.subscription_limit,
            "max_limit": max_limit,
            "default_limit": max_limit,
            "auth_required": False,
            "payment_required": False,
        }
        # A smaller limit on tags, for tests of a site event too large for a relay (the relay
        # itself does not enforce it; pico must refuse before sending).
        if os.environ.get("PICO_NOSTR_MAX_EVENT_TAGS"):
            document["limitation"]["max_event_tags"] = int(os.environ["PICO_NOSTR_MAX_EVENT_TAGS"])
        resp.media = document


web.NostrAPI.on_get = on_get_with_limitation

app = web.create_app(config_file)
server = uvicorn.Server(uvicorn.Config(
    app, lifespan="on", log_config=None, access_log=False,
    ws_max_size=max_message, timeout_graceful_shutdown=2))


def ready():
    """Waits until the relay serves NIP-11 and answers a REQ over a websocket."""
    from websockets.sync.client import connect
    deadline, last = time.monotonic() + 20, "timeout"
    while time.monotonic() < deadline and not server.should_exit:
        if not server.started:
            time.sleep(0.02)
            continue
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Accept": "application/nostr+json"})
            with urllib.request.urlopen(request, timeout=5) as response:
                json.load(response)["supported_nips"]
            with connect(url, open_timeout=5, close_timeout=1) as ws:
                ws.send('["REQ","ready",{"ids":["' + "0" * 64 + '"]}]')
                if json.loads(ws.recv(timeout=5))[0] != "EOSE":
                    raise RuntimeError("no EOSE")
                ws.send('["CLOSE","ready"]')
            return True
        except Exception as error:  # noqa: BLE001 - retried until the deadline
            last = error
            time.sleep(0.1)
    print(f"the relay did not come up: {last}", file=sys.stderr, flush=True)
    return False


failed = False


def announce_and_watch():
    global failed
    if not ready():
        failed = server.should_exit = True
        return
    print(f"nostr relay at {url} (database: {database})", flush=True)
    # Errors up to here reach the caller; from now on nothing may go to its pipes.
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    # A harness that dies without stopping us must not leave a relay behind.
    while os.getppid() == parent and not server.should_exit:
        time.sleep(0.5)
    server.should_exit = True


# A parent may have started us with these blocked (Swift's Process passes its thread's mask on).
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
# uvicorn catches both while it runs, shuts down, then raises the signal again: exit 0 then.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
threading.Thread(target=announce_and_watch, daemon=True).start()
server.run(sockets=[sock])
sys.exit(1 if failed or not server.started else 0)
