#!/usr/bin/env python3
"""Browser scenarios for pico bundles, in real headless Chromium.

Drives Debian's `chromium` over the DevTools protocol through a pipe
(`--remote-debugging-pipe`: JSON messages ended by NUL on fds 3 and 4), so it needs the
Python standard library only: no websockets package, no chromedriver.

Each scenario prints what it checked and a last line `browser.py SCENARIO: PASS ...` or
`... FAIL: reason`, and exits 0 (pass) or 1 (fail); 2 is a usage error. Every scenario is
bounded by --timeout (default 60 s); Chromium runs in its own process group and is killed at
the end, and its temporary profile is removed.

  offline URL [--server-pid PID] [--pages P1,P2,P3]
      URL is a bundle's root over http (e.g. http://127.0.0.1:PORT/a/b/). Waits until the
      service worker controls the page and has cached the manifest's version; stops the server
      (SIGTERM to PID; without it, DevTools network emulation goes offline); reloads; visits
      three other pages (P: paths under URL; by default the first three links of the index);
      each must render from the service worker with its stylesheets loaded. When the bundle
      has 404.html, an unknown path must answer it with status 404, styled.
  installable URL
      Page.getInstallabilityErrors must report none (they are printed otherwise).
  tampered URL --path FILE [--expect-mismatch] [--swap-cmd CMD]
      FILE of the served bundle was altered: the worker must not cache it, must say so in its
      console (naming FILE) and to the page (window.pico.refused, the #pico-error banner), and
      must not take the version. --expect-mismatch demands the Web Crypto check itself (both
      hashes reported), which needs a server that serves the altered bytes (`static`, below);
      pico serve refuses the file itself with HTTP 500. With --swap-cmd the first version is
      cached first, then CMD publishes one with an altered FILE: the old version stays in use.
  update URL --swap-cmd CMD
      The first version takes control; CMD (a shell command) replaces the served bundle; the
      page learns of the new version (banner), the Reload button switches to it; every page
      view is checked byte by byte against both manifests: all of one version, never mixed.
      The old version's cache must be deleted.
  file-pages PATH_OR_FILE_URL
      Opens index.html from file:// and follows every internal link reachable from it: each
      page loads with its stylesheets and images, no request fails, and no console error,
      exception or error-level log entry appears on any page.
  app-data URL [--server-pid PID]
      The reading-list app (Templates/app): adds items, exports them (a real download),
      imports the file into a fresh profile and compares, then goes offline, reloads, and the
      items are still there. URL may be http(s) (the worker must take control) or file://.
  watch URL --touch-cmd CMD [--expect TEXT]
      URL is a page of `pico serve SITE --watch`. The page must say data-pico-status="watch"
      and have polled the server's __pico/version once; a marker is set in the page; CMD (a
      shell command) edits a file of the site; the page must reload by itself (the marker is
      gone) within --timeout, and with --expect its text must then contain TEXT (absent
      before). No service worker may control the page or be registered, and the console must
      show no error or exception from the first load on.
  visited URL [--first P0] [--server-pid PID] --pages P1,P2 --unvisited P [--max-fraction 0.1]
          [--control-within 2]
      A bundle whose policy caches pages as they are visited (pico-offline.json mode "visited").
      URL is the bundle's root. Opening P0 (default: the root), the worker must control the page within --control-within seconds, and then
      keep that page and every resource it loaded; Cache Storage must hold less than
      --max-fraction of the bundle's bytes. The pages P are visited online (from the worker);
      the server is stopped (SIGTERM to PID, else DevTools offline); P0 and each P must then
      render from the worker, styled, with their images; P under --unvisited must fail as a
      network error (the browser's error page), never other bytes. Before the server stops,
      --tampered P (a page the host serves altered: use `static`) must be answered by the worker
      with its 502 "refused" page, and --tampered-resource F must fail as a network error for
      a fetch from a controlled page; each named in the worker's console, neither cached.
  newer URL --swap-cmd CMD --page P
      A bundle cached as pages are visited: the first version takes control; CMD publishes a
      new one in which page P (not visited yet) changed; opening P, the worker finds the host's
      P does not match its version, checks the new version and moves to it: P must come from
      the worker as the new version, every response of that view of the new version.
  install-failed URL [--expect-reason TEXT]
      The worker cannot install the bundle (the host is set up wrongly): the page must say
      data-pico-status="error", show the #pico-error banner with the reason, and the worker's
      console must have an error saying the bundle could not be installed. The reason must
      contain TEXT.
  own-worker URL --script NAME
      The site has a service worker of its own, called NAME: after a visit (and a reload) the
      one registration's active worker and the page's controller are NAME, not pico's sw.js,
      and no pico page script ran.
  static DIR [--base /a/b/] [--port 0]
      Not a scenario: a plain static server that serves DIR as it is on disk at each request
      (no manifest checks), like a dumb web host. Prints `Serving DIR at URL` and runs until
      SIGTERM.

Options for every scenario: --screenshot PATH (a full-page PNG at the end, or at the
scenario's key moment), --timeout SECONDS, --verbose (every console line and request).
Chromium: $PICO_CHROMIUM, else /usr/lib/chromium/chromium, else `chromium` on PATH.
"""

import argparse
import base64
import fcntl
import hashlib
import http.server
import json
import mimetypes
import os
import posixpath
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SCENARIO = 'browser.py'
VERBOSE = False


class Fail(Exception):
    """The scenario found what it checks to be wrong."""


class Timeout(Exception):
    pass


def log(*parts):
    print(*parts, flush=True)


def vlog(*parts):
    if VERBOSE:
        print('   ', *parts, flush=True)


def short(id_):
    return (id_ or 'none')[:12]


# ---------------------------------------------------------------------------- Chromium

def chromium_path():
    for candidate in (os.environ.get('PICO_CHROMIUM'), '/usr/lib/chromium/chromium'):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        found = shutil.which(name)
        if found:
            return found
    raise Fail('no Chromium: install Debian\'s chromium package or set PICO_CHROMIUM')


class Browser:
    """One Chromium process with a fresh profile, spoken to over the DevTools pipe."""

    def __init__(self, patience=1.0):
        # Every step's time limit is multiplied by patience: a scenario given a longer --timeout
        # (the test suite runs beside other suites on two cores) waits longer at each step too.
        self.patience = max(1.0, patience)
        self.profile = tempfile.mkdtemp(prefix='pico-chromium-')
        self.downloads = os.path.join(self.profile, 'downloads')
        os.makedirs(self.downloads)
        self.lock = threading.Condition()
        self.next_id = 0
        self.replies = {}
        self.events = []          # (seq, message) for every event, in order
        self.sessions = {}        # sessionId -> targetInfo
        self.console = []         # dicts: seq, where (page|service_worker|...), level, text, url
        self.offline = False
        self.closed = False
        # Pipe ends moved above 10, so that dup2 to 3 and 4 in the child never clobbers one.
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_chrome_r, to_chrome_w, from_chrome_r, from_chrome_w)]
        for fd in (to_chrome_r, to_chrome_w, from_chrome_r, from_chrome_w):
            os.close(fd)
        to_chrome_r, self.wfd, self.rfd, from_chrome_w = moved

        def child_fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)
            # The test runner's thread may have signals blocked, and a blocked mask survives
            # exec: Chromium must start with none blocked, like from a shell.
            signal.pthread_sigmask(signal.SIG_SETMASK, [])

        args = [
            chromium_path(), '--headless=new', '--no-sandbox', '--remote-debugging-pipe',
            '--user-data-dir=' + self.profile, '--no-first-run', '--no-default-browser-check',
            '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-extensions',
            '--disable-default-apps', '--password-store=basic', '--use-mock-keychain',
            '--disable-features=Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider',
            '--window-size=1280,900', '--lang=en-US', 'about:blank',
        ]
        self.stderr = open(os.path.join(self.profile, 'chromium.log'), 'wb')
        # Only the pipe (3, 4) and stdio are passed on: a descriptor the test runner leaked to
        # us (another test's pipe) must not live on in Chromium's processes.
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr,
                                     close_fds=True, pass_fds=(3, 4), preexec_fn=child_fds, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.send('Target.setAutoAttach', {'autoAttach': True, 'waitForDebuggerOnStart': True, 'flatten': True})

    # -- transport

    def _write(self, message):
        data = json.dumps(message).encode() + b'\0'
        while data:
            n = os.write(self.wfd, data)
            data = data[n:]

    def _read(self):
        buffer = b''
        while True:
            try:
                chunk = os.read(self.rfd, 1 << 20)
            except OSError:
                chunk = b''
            if not chunk:
                with self.lock:
                    self.closed = True
                    self.lock.notify_all()
                return
            buffer += chunk
            while b'\0' in buffer:
                raw, buffer = buffer.split(b'\0', 1)
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                self._dispatch(message)

    def _dispatch(self, message):
        if 'id' in message:
            with self.lock:
                self.replies[message['id']] = message
                self.lock.notify_all()
            return
        method = message.get('method', '')
        params = message.get('params', {})
        session = message.get('sessionId')
        if method == 'Target.attachedToTarget':
            self._attached(params)
        elif method == 'Inspector.targetReloadedAfterCrash' and session in self.sessions:
            # A stopped service worker restarts in the same session, paused again.
            self._attached({'targetInfo': self.sessions[session], 'sessionId': session})
        elif method == 'Target.detachedFromTarget':
            self.sessions.pop(params.get('sessionId'), None)
        where = self.sessions.get(session, {}).get('type', 'browser') if session else 'browser'
        url = self.sessions.get(session, {}).get('url', '') if session else ''
        entry = None
        if method == 'Runtime.consoleAPICalled':
            text = ' '.join(_remote_text(a) for a in params.get('args', []))
            entry = {'level': params.get('type'), 'text': text, 'url': url}
        elif method == 'Runtime.exceptionThrown':
            d = params.get('exceptionDetails', {})
            text = d.get('exception', {}).get('description') or d.get('text', '')
            entry = {'level': 'exception', 'text': text, 'url': d.get('url', url)}
        elif method == 'Log.entryAdded':
            e = params.get('entry', {})
            entry = {'level': e.get('level'), 'text': e.get('text', ''), 'url': e.get('url', url), 'source': e.get('source')}
        with self.lock:
            seq = len(self.events)
            self.events.append((seq, message))
            if entry:
                entry.update(seq=seq, where=where)
                self.console.append(entry)
                vlog('console[%s] %s: %s' % (where, entry['level'], entry['text'][:300]))
            self.lock.notify_all()

    def _attached(self, params):
        info = params['targetInfo']
        session = params['sessionId']
        self.sessions[session] = info
        kind = info.get('type')
        vlog('attached %s %s' % (kind, info.get('url')))
        post = lambda method, p=None: self._write({'id': self._new_id(), 'method': method, 'params': p or {}, 'sessionId': session})
        if kind == 'page':
            post('Page.enable')
            post('Page.setLifecycleEventsEnabled', {'enabled': True})
        if kind in ('page', 'service_worker', 'worker', 'shared_worker'):
            post('Runtime.enable')
            post('Log.enable')
            post('Network.enable', {'maxTotalBufferSize': 200_000_000, 'maxResourceBufferSize': 50_000_000})
            if self.offline:
                post('Network.emulateNetworkConditions', {'offline': True, 'latency': 0, 'downloadThroughput': -1, 'uploadThroughput': -1})
        post('Runtime.runIfWaitingForDebugger')

    def _new_id(self):
        with self.lock:
            self.next_id += 1
            return self.next_id

    def send(self, method, params=None, session=None, timeout=45):
        message_id = self._new_id()
        message = {'id': message_id, 'method': method, 'params': params or {}}
        if session:
            message['sessionId'] = session
        self._write(message)
        timeout *= self.patience
        end = time.monotonic() + timeout
        with self.lock:
            while message_id not in self.replies:
                if self.closed:
                    raise Fail('Chromium went away during %s' % method)
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail('Chromium did not answer %s within %d s' % (method, timeout))
                self.lock.wait(left)
            reply = self.replies.pop(message_id)
        if 'error' in reply:
            raise Fail('%s failed: %s' % (method, reply['error'].get('message')))
        return reply.get('result', {})

    # -- events

    def mark(self):
        with self.lock:
            return len(self.events)

    def wait_event(self, method, after, session=None, predicate=None, timeout=45, what=None):
        timeout *= self.patience
        found = self.wait_message(after, lambda m: m.get('method') == method
                                  and (session is None or m.get('sessionId') == session)
                                  and (predicate is None or predicate(m.get('params', {}))), timeout)
        if found is None:
            raise Fail('timed out after %d s waiting for %s' % (timeout, what or method))
        return found.get('params', {})

    def wait_message(self, after, matches, seconds):
        """The first event from index `after` on for which matches(message) is true, or None
        after `seconds` (not scaled by patience) or when Chromium has gone."""
        end = time.monotonic() + seconds
        index = after
        with self.lock:
            while True:
                while index < len(self.events):
                    _, message = self.events[index]
                    index += 1
                    if matches(message):
                        return message
                left = end - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.lock.wait(left)

    def events_since(self, after, method=None, session=None):
        with self.lock:
            found = [m for _, m in self.events[after:]]
        return [m for m in found if (method is None or m.get('method') == method)
                and (session is None or m.get('sessionId') == session)]

    def console_since(self, after, where=None):
        with self.lock:
            return [c for c in self.console if c['seq'] >= after and (where is None or c['where'] == where)]

    def worker_sessions(self):
        return [s for s, info in list(self.sessions.items()) if info.get('type') == 'service_worker']

    def go_offline(self):
        self.offline = True
        for session, info in list(self.sessions.items()):
            if info.get('type') in ('page', 'service_worker'):
                try:
                    self.send('Network.emulateNetworkConditions', {'offline': True, 'latency': 0, 'downloadThroughput': -1, 'uploadThroughput': -1}, session)
                except Fail:
                    pass

    def new_page(self):
        target = self.send('Target.createTarget', {'url': 'about:blank'})['targetId']
        params = self.wait_event('Target.attachedToTarget', 0, predicate=lambda p: p['targetInfo']['targetId'] == target,
                                 what='the new page to attach')
        # The domains were enabled without waiting when the page attached; enabling Page
        # again and waiting for the answer makes sure it is on before the first navigation,
        # whose load event would otherwise be lost if the navigation swapped processes first.
        self.send('Page.enable', {}, params['sessionId'])
        self.send('Page.setLifecycleEventsEnabled', {'enabled': True}, params['sessionId'])
        return Page(self, params['sessionId'], target)

    def close(self):
        try:
            if self.proc.poll() is None and not self.closed:
                self.send('Browser.close', timeout=3)
        except Exception:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def _remote_text(arg):
    if 'value' in arg:
        value = arg['value']
        return value if isinstance(value, str) else json.dumps(value)
    return arg.get('description') or arg.get('unserializableValue') or arg.get('type', '')


class Page:
    def __init__(self, browser, session, target):
        self.browser = browser
        self.session = session
        self.target = target

    def send(self, method, params=None, timeout=20):
        return self.browser.send(method, params, self.session, timeout)

    def evaluate(self, expression, timeout=20):
        result = self.send('Runtime.evaluate', {'expression': expression, 'returnByValue': True, 'awaitPromise': True}, timeout)
        if 'exceptionDetails' in result:
            d = result['exceptionDetails']
            raise Fail('script failed in the page: %s' % (d.get('exception', {}).get('description') or d.get('text')))
        return result.get('result', {}).get('value')

    def wait_for(self, expression, timeout=20, what=None):
        timeout *= self.browser.patience
        end = time.monotonic() + timeout
        value = None
        while time.monotonic() < end:
            try:
                value = self.evaluate(expression, timeout=max(1, end - time.monotonic()) / self.browser.patience)
            except Fail:
                value = None          # the page may be between documents
            if value:
                return value
            time.sleep(0.1)
        raise Fail('timed out after %d s waiting for %s' % (timeout, what or expression))

    def _loaded(self, mark, timeout, what, loader=None, before=None):
        """Waits for the load of the document `loader` (Page.navigate's loaderId; None: any
        document other than `before`, the loaderId shown before a reload).

        Page.loadEventFired (or the main frame's "load" lifecycle event) is the signal. The
        frame's own state is the fallback, read every few seconds: a document that is
        complete has loaded even if Chromium sent no event for it. On a timeout the requests
        still pending are named, so that a stalled response shows in the failure."""
        browser = self.browser
        seconds = timeout * browser.patience
        end = time.monotonic() + seconds

        def is_load(message):
            if message.get('sessionId') != self.session:
                return False
            params = message.get('params', {})
            if message.get('method') == 'Page.loadEventFired':
                return True
            return message.get('method') == 'Page.lifecycleEvent' and params.get('name') == 'load' \
                and params.get('frameId') == self.target and (loader is None or params.get('loaderId') == loader)

        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            if browser.wait_message(mark, is_load, min(left, 3 * browser.patience)) is not None:
                return
            state = self._document_state() if (loader or before) else None
            if state and state['readyState'] == 'complete' and (
                    state['loaderId'] == loader if loader else state['loaderId'] != before):
                log('     (no load event from Chromium for %s; the document is complete, so it loaded)' % what)
                return
        state = self._document_state() or {}
        raise Fail('timed out after %d s waiting for %s (document %s, %s; requests still pending: %s)' % (
            seconds, what, state.get('url', '?'), state.get('readyState', 'unreadable'), self._pending(mark) or 'none'))

    def _document_state(self):
        """The main frame's URL and loaderId and its document's readyState, or None while it
        cannot be read (between documents)."""
        try:
            frame = self.send('Page.getFrameTree', {}, 5)['frameTree']['frame']
            ready = self.evaluate('document.readyState', 5)
        except (Fail, KeyError):
            return None
        return {'url': frame.get('url'), 'loaderId': frame.get('loaderId'), 'readyState': ready}

    def _pending(self, mark):
        """The URLs of this page's requests since `mark` that neither finished nor failed."""
        started, ended = {}, set()
        for message in self.browser.events_since(mark, session=self.session):
            params = message.get('params', {})
            if message.get('method') == 'Network.requestWillBeSent':
                started[params.get('requestId')] = params.get('request', {}).get('url')
            elif message.get('method') in ('Network.loadingFinished', 'Network.loadingFailed'):
                ended.add(params.get('requestId'))
        return ', '.join(url for rid, url in started.items() if rid not in ended)

    def navigate(self, url, timeout=45):
        mark = self.browser.mark()
        result = self.send('Page.navigate', {'url': url}, timeout)
        if result.get('errorText'):
            raise Fail('%s did not load: %s' % (url, result['errorText']))
        self._loaded(mark, timeout, 'the load of ' + url, loader=result.get('loaderId'))
        return mark

    def reload(self, timeout=45):
        before = (self._document_state() or {}).get('loaderId')
        mark = self.browser.mark()
        self.send('Page.reload', {}, timeout)
        self._loaded(mark, timeout, 'the reload', before=before)
        return mark

    def click(self, selector, timeout=10):
        """A real mouse click in the middle of the element."""
        box = self.wait_for('(() => { const e = document.querySelector(%s); if (!e || e.hidden) return null; e.scrollIntoView({block: "center"}); '
                            'const r = e.getBoundingClientRect(); return r.width && r.height ? [r.x + r.width / 2, r.y + r.height / 2] : null; })()'
                            % json.dumps(selector), timeout, 'a visible ' + selector)
        x, y = box
        for kind in ('mouseMoved', 'mousePressed', 'mouseReleased'):
            self.send('Input.dispatchMouseEvent', {'type': kind, 'x': x, 'y': y, 'button': 'left', 'clickCount': 1})

    def main_status(self, mark):
        """The HTTP status of the main document loaded since mark (None for file://)."""
        for m in self.browser.events_since(mark, 'Network.responseReceived', self.session):
            p = m['params']
            if p.get('type') == 'Document':
                return p['response'].get('status'), p['response'].get('fromServiceWorker', False)
        return None, False

    def responses(self, mark):
        """(requestId, url, status, fromServiceWorker) of every response since mark."""
        out = []
        for m in self.browser.events_since(mark, 'Network.responseReceived', self.session):
            p = m['params']
            out.append((p['requestId'], p['response']['url'], p['response'].get('status'), p['response'].get('fromServiceWorker', False)))
        return out

    def failed_requests(self, mark):
        out = []
        for m in self.browser.events_since(mark, 'Network.loadingFailed', self.session):
            p = m['params']
            if p.get('canceled'):
                continue
            url = next((e['params']['request']['url'] for e in self.browser.events_since(mark, 'Network.requestWillBeSent', self.session)
                        if e['params']['requestId'] == p['requestId']), '?')
            out.append('%s: %s%s' % (url, p.get('errorText'), ' (%s)' % p['blockedReason'] if p.get('blockedReason') else ''))
        return out

    def body(self, request_id):
        r = self.send('Network.getResponseBody', {'requestId': request_id})
        return base64.b64decode(r['body']) if r.get('base64Encoded') else r['body'].encode('utf-8')

    def screenshot(self, path):
        if not path:
            return
        metrics = self.send('Page.getLayoutMetrics')
        size = metrics.get('cssContentSize') or metrics.get('contentSize')
        width, height = max(1, int(size['width'])), max(1, min(int(size['height']), 12000))
        shot = self.send('Page.captureScreenshot', {'format': 'png', 'captureBeyondViewport': True,
                                                     'clip': {'x': 0, 'y': 0, 'width': width, 'height': height, 'scale': 1}}, 30)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(base64.b64decode(shot['data']))
        log('screenshot: %s (%dx%d)' % (path, width, height))


# ---------------------------------------------------------------------------- page checks

PAGE_STATE_JS = r'''(() => {
  const sheets = [...document.querySelectorAll('link[rel~="stylesheet"]')].map((l) => {
    let rules = null;
    try { rules = l.sheet ? l.sheet.cssRules.length : -1; } catch (e) { rules = null; }
    return { href: l.href, loaded: !!l.sheet, rules };
  });
  const d = document.documentElement.dataset;
  return { url: location.href, title: document.title, h1: (document.querySelector('h1') || {}).textContent || '',
           sheets, version: d.picoVersion || null, status: d.picoStatus || null,
           controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller),
           images: [...document.images].map((i) => ({ src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0 })),
           errorPage: location.protocol === 'chrome-error:' || !!document.querySelector('#main-frame-error') };
})()'''


def check_rendered(page, label, mark, expect_status=200, expect_version=None, from_worker=True):
    """The page shown is a real page of the bundle, styled, from the worker when asked."""
    if expect_version:
        try:
            page.wait_for('document.documentElement.dataset.picoVersion === %s' % json.dumps(expect_version), 10)
        except Fail:
            pass              # reported below with what the page says
    state = page.evaluate(PAGE_STATE_JS)
    status, via_worker = page.main_status(mark)
    problems = []
    if state['errorPage']:
        problems.append('the browser shows its error page')
    if expect_status is not None and status != expect_status:
        problems.append('HTTP status %s, expected %s' % (status, expect_status))
    if from_worker and not via_worker:
        problems.append('the document did not come from the service worker')
    if from_worker and not state['controlled']:
        problems.append('the page is not controlled by the service worker')
    if not state['sheets']:
        problems.append('no stylesheet link')
    for s in state['sheets']:
        if not s['loaded'] or (s['rules'] is not None and s['rules'] <= 0):
            problems.append('stylesheet %s not applied (loaded=%s, rules=%s)' % (s['href'], s['loaded'], s['rules']))
    bad_images = [i['src'] for i in state['images'] if not i['ok']]
    if bad_images:
        problems.append('images not loaded: ' + ', '.join(bad_images))
    if expect_version and state['version'] != expect_version:
        problems.append('version %s, expected %s' % (short(state['version']), short(expect_version)))
    failed = page.failed_requests(mark)
    if failed:
        problems.append('failed requests: ' + '; '.join(failed))
    if expect_status == 200:
        problems += ['console %s in the %s: %s' % (c['level'], c['where'].replace('_', ' '), c['text'][:300])
                     for c in page.browser.console_since(mark) if c['level'] in ('error', 'exception', 'assert')
                     and c['where'] in ('page', 'service_worker')]
    rules = sum(s['rules'] or 0 for s in state['sheets'])
    if problems:
        raise Fail('%s: %s' % (label, '; '.join(problems)))
    log('ok   %-28s %-40s HTTP %s%s, %d stylesheet(s) with %d rules, version %s' % (
        label, repr(state['title'][:38]), status, ' from the service worker' if via_worker else '', len(state['sheets']), rules,
        short(state['version'])))
    return state


def loopback(host):
    """NAME.localhost is this machine, as browsers resolve it (glibc does not): 127.0.0.1."""
    return '127.0.0.1' if host == 'localhost' or (host or '').endswith('.localhost') else host


def fetch_manifest(root):
    url = root + 'pico-manifest.json'
    parts = urllib.parse.urlsplit(url)
    headers = {'Cache-Control': 'no-cache'}
    if loopback(parts.hostname) != parts.hostname:
        # Sent to 127.0.0.1 with the site's name as Host, as the browser sends it (pico serve --gateway).
        headers['Host'] = parts.netloc
        url = urllib.parse.urlunsplit((parts.scheme, '127.0.0.1:%d' % (parts.port or 80), parts.path, parts.query, ''))
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise Fail('cannot read %s: %s' % (url, e))


def root_of(url):
    parts = urllib.parse.urlsplit(url)
    path = parts.path if parts.path.endswith('/') else posixpath.dirname(parts.path) + '/'
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, '', ''))


def wait_worker_ready(page, expect_id=None, timeout=30):
    """Until the worker controls the page and names the version it was served from."""
    version = page.wait_for(
        '(() => { const d = document.documentElement.dataset; if (d.picoStatus === "error" || d.picoStatus === "refused") '
        'return "!" + d.picoStatus + ": " + JSON.stringify(window.pico && window.pico.events.slice(-1)[0]); '
        'return navigator.serviceWorker && navigator.serviceWorker.controller '
        '&& (d.picoStatus === "ready" || d.picoStatus === "update-ready") && d.picoVersion; })()',
        timeout, 'the service worker to control the page and report its version (data-pico-status, data-pico-version)')
    if version.startswith('!'):
        raise Fail('the page script reports %s' % version[1:])
    if expect_id and version != expect_id:
        raise Fail('the page reports version %s, the served manifest is %s' % (version, expect_id))
    return version


def cached_count(page, bundle_id):
    return page.evaluate('''(async () => {
      const name = (await caches.keys()).find((k) => k.startsWith('pico1 ') && k.endsWith(' ' + %s));
      return name ? (await (await caches.open(name)).keys()).length : -1; })()''' % json.dumps(bundle_id))


def pico_caches(page):
    return page.evaluate("caches.keys().then((k) => k.filter((n) => n.startsWith('pico1 ')))")


def stop_server(pid, root):
    parts = urllib.parse.urlsplit(root)
    host, port = loopback(parts.hostname), parts.port or 80
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
        except OSError:
            log('server %d stopped: %s:%d refuses connections' % (pid, host, port))
            return
        time.sleep(0.1)
        if time.monotonic() > end - 5:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    raise Fail('the server (pid %d) still accepts connections on %s:%d' % (pid, host, port))


def internal_links(page, root, limit=None):
    hrefs = page.evaluate('[...document.querySelectorAll("a[href]")].map((a) => a.href)')
    seen, out = set(), []
    for href in hrefs:
        href = href.split('#')[0].split('?')[0]
        if href.startswith(root) and href not in seen:
            seen.add(href)
            out.append(href)
    return out[:limit] if limit else out


# ---------------------------------------------------------------------------- scenarios

def scenario_offline(args, browser):
    root = root_of(args.url)
    manifest = fetch_manifest(root)
    bundle_id = manifest['id']
    paths = {f['path'] for f in manifest['files']}
    log('bundle %s: %d files, served at %s' % (short(bundle_id), len(paths), root))
    page = browser.new_page()
    page.navigate(args.url)
    wait_worker_ready(page, bundle_id)
    count = page.wait_for('(async () => { const n = await (%s); return n === %d ? n : 0; })()' % (
        '(async () => { const name = (await caches.keys()).find((k) => k.startsWith("pico1 ") && k.endsWith(" " + %s)); '
        'return name ? (await (await caches.open(name)).keys()).length : -1; })()' % json.dumps(bundle_id), len(paths) + 2),
        20, 'the version cache to hold all %d files' % (len(paths) + 2))
    log('the service worker controls the page; cache of %s holds %d entries (%d files + SHA256SUMS + manifest)' % (short(bundle_id), count, len(paths)))
    others = [p.strip() for p in args.pages.split(',')] if args.pages else None
    if others is None:
        links = [u for u in internal_links(page, root) if u not in (root, root + 'index.html')]
        others = [u[len(root):] for u in links[:3]]
    if len(others) < 3:
        raise Fail('fewer than three other pages to visit: %s' % others)
    if args.server_pid:
        stop_server(args.server_pid, root)
    else:
        browser.go_offline()
        log('network: DevTools emulates offline for the page and the worker')
    mark = page.reload()
    check_rendered(page, '(reload) ' + urllib.parse.urlsplit(args.url).path, mark, expect_version=bundle_id)
    page.screenshot(args.screenshot)
    for path in others[:3]:
        mark = page.navigate(root + path)
        check_rendered(page, path, mark, expect_version=bundle_id)
    if '404.html' in paths:
        mark = page.navigate(root + 'pico-no-such-page/deeper/')
        state = check_rendered(page, 'pico-no-such-page/deeper/', mark, expect_status=404, expect_version=bundle_id)
        log('     an unknown path answers 404.html (%r) with status 404, styled' % state['title'])
    return 'the service worker served %d pages offline from version %s' % (len(others[:3]) + 1, short(bundle_id))


def scenario_installable(args, browser):
    page = browser.new_page()
    page.navigate(args.url)
    page.wait_for('!!document.querySelector(\'link[rel~="manifest"]\')', 10, 'the page script to link the web app manifest')
    try:
        wait_worker_ready(page, timeout=30)
    except Fail as e:
        log('note: %s' % e)
    end = time.monotonic() + 15
    errors = None
    while time.monotonic() < end:
        errors = page.send('Page.getInstallabilityErrors').get('installabilityErrors', [])
        if not errors:
            break
        time.sleep(0.5)
    manifest = page.send('Page.getAppManifest')
    log('manifest: %s' % manifest.get('url'))
    for e in manifest.get('errors', []):
        log('manifest %s: %s (line %s)' % ('error' if e.get('critical') else 'warning', e.get('message'), e.get('line')))
    page.screenshot(args.screenshot)
    if errors:
        for e in errors:
            log('installability error: %s %s' % (e.get('errorId'), ' '.join('%s=%s' % (a['name'], a['value']) for a in e.get('errorArguments', []))))
        raise Fail('%d installability error(s): %s' % (len(errors), ', '.join(e.get('errorId') for e in errors)))
    if any(e.get('critical') for e in manifest.get('errors', [])):
        raise Fail('the web app manifest has critical errors')
    return 'Chromium reports no installability errors'


def refused_report(page, browser, path, mark, expect_mismatch, bundle_id):
    """Checks the worker's report about `path` for bundle_id: console, page, caches."""
    state = page.wait_for('(() => { const p = window.pico; if (p && p.version === %s) return "taken"; '
                          'return p && p.refused && p.refused.id === %s '
                          '&& p.refused.files.some((f) => f.path === %s) ? p.refused : null; })()' % (json.dumps(bundle_id), json.dumps(bundle_id), json.dumps(path)),
                          30, 'the page to be told that %s was refused (window.pico.refused)' % path)
    if state == 'taken':
        raise Fail('the worker took version %s, altered %s and all' % (short(bundle_id), path))
    entry = next(f for f in state['files'] if f['path'] == path)
    log('page was told: %s refused (%s; expected %s, got %s)' % (path, entry.get('reason'), short(entry.get('expected')), short(entry.get('actual'))))
    banner = page.evaluate('(() => { const b = document.getElementById("pico-error"); return b && !b.hidden ? b.textContent : null; })()')
    if not banner or path not in banner:
        raise Fail('the page shows no error banner naming %s (#pico-error: %r)' % (path, banner))
    log('page shows: %r' % banner)
    lines = [c for c in browser.console_since(mark, 'service_worker') if c['level'] == 'error' and path in c['text']]
    if not lines:
        raise Fail('the service worker console has no error naming %s' % path)
    for c in lines:
        log('worker console error: %s' % c['text'])
    if expect_mismatch:
        if not entry.get('actual') or entry['actual'] == entry.get('expected'):
            raise Fail('%s was refused for %s, not for a SHA-256 mismatch' % (path, entry.get('reason')))
        if not any(entry['actual'] in c['text'] and entry['expected'] in c['text'] for c in lines):
            raise Fail('the worker console does not name both hashes of %s' % path)
    cached = page.evaluate('''(async () => { const out = [];
        for (const name of (await caches.keys()).filter((n) => n.startsWith('pico1 ') && n.endsWith(' ' + %s)))
          if (await (await caches.open(name)).match(new URL(%s, window.pico.root).href)) out.push(name);
        return out; })()''' % (json.dumps(bundle_id), json.dumps(urllib.parse.quote(path))))
    if cached:
        raise Fail('%s of version %s is in the cache %s' % (path, short(bundle_id), cached))
    log('no cache of version %s holds %s; the version was not taken' % (short(bundle_id), path))
    return entry


def scenario_tampered(args, browser):
    root = root_of(args.url)
    page = browser.new_page()
    if not args.swap_cmd:
        manifest = fetch_manifest(root)
        if args.path not in {f['path'] for f in manifest['files']}:
            raise Fail('%s is not a file of the bundle' % args.path)
        mark = browser.mark()
        page.navigate(args.url)
        refused_report(page, browser, args.path, mark, args.expect_mismatch, manifest['id'])
        version = page.evaluate('window.pico.version')
        if version:
            raise Fail('the page reports version %s although its bundle was refused' % short(version))
        page.screenshot(args.screenshot)
        return 'the worker refused %s, said so, and took no version' % args.path
    first = fetch_manifest(root)
    page.navigate(args.url)
    wait_worker_ready(page, first['id'])
    log('version %s is in control' % short(first['id']))
    run_swap(args.swap_cmd)
    second = fetch_manifest(root)
    if second['id'] == first['id']:
        raise Fail('--swap-cmd did not publish a new version')
    mark = browser.mark()
    page.evaluate('window.pico.check()')
    refused_report(page, browser, args.path, mark, args.expect_mismatch, second['id'])
    mark = page.reload()
    check_rendered(page, '(reload)', mark, expect_version=first['id'])
    page.screenshot(args.screenshot)
    return 'the worker refused %s of %s and kept serving %s' % (args.path, short(second['id']), short(first['id']))


def run_swap(command, option='--swap-cmd'):
    log('running %s: %s' % (option, command))
    proc = subprocess.Popen(command, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        raise Fail('%s did not finish within 40 s' % option)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    for line in out.decode(errors='replace').splitlines():
        log('   | ' + line)
    if proc.returncode != 0:
        raise Fail('%s exited with status %d' % (option, proc.returncode))


def check_view(page, root, mark, manifests, expected):
    """Every response of this page view whose bytes are a bundle file belongs to `expected`."""
    files = {v: {f['path']: f['sha256'] for f in m['files']} for v, m in manifests.items()}
    differing = 0
    checked = 0
    not_from_worker = []
    # Only responses whose body arrived whole: a request the page dropped (a navigation that
    # replaced it, a cancelled prefetch) has no body to check.
    finished = {m['params']['requestId'] for m in page.browser.events_since(mark, 'Network.loadingFinished', page.session)}
    for request_id, url, status, from_worker in page.responses(mark):
        if not url.startswith(root) or request_id not in finished:
            continue
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path[len(urllib.parse.urlsplit(root).path):])
        if path == '' or path.endswith('/'):
            path += 'index.html'
        if not any(path in f for f in files.values()) or status != 200:
            continue
        body = None
        for attempt in range(5):
            try:
                body = page.body(request_id)
                break
            except Fail as error:
                if 'No resource with given identifier' not in str(error) and 'No data found' not in str(error):
                    raise
                time.sleep(0.3)
        if body is None:
            log('   (no body kept for %s; not checked)' % path)
            continue
        digest = hashlib.sha256(body).hexdigest()
        matches = [v for v, f in files.items() if f.get(path) == digest]
        if not matches:
            raise Fail('%s: its bytes (%s) belong to no known version' % (path, short(digest)))
        if expected not in matches:
            raise Fail('MIXED VERSION: %s came from version %s, the page is version %s' % (path, short(matches[0]), short(expected)))
        if len(matches) == 1:
            differing += 1
        if not from_worker:
            not_from_worker.append(path)
        checked += 1
    if not_from_worker:
        raise Fail('not from the service worker: %s' % ', '.join(not_from_worker))
    if checked == 0:
        raise Fail('no response of this page view was seen')
    return checked, differing


def scenario_update(args, browser):
    root = root_of(args.url)
    first = fetch_manifest(root)
    manifests = {first['id']: first}
    page = browser.new_page()
    page.navigate(args.url)
    wait_worker_ready(page, first['id'])
    mark = page.reload()
    n, _ = check_view(page, root, mark, manifests, first['id'])
    log('version %s in control: %d responses of the reloaded page, all of it' % (short(first['id']), n))
    run_swap(args.swap_cmd)
    second = fetch_manifest(root)
    if second['id'] == first['id']:
        raise Fail('--swap-cmd did not publish a new version (the manifest id is unchanged)')
    manifests[second['id']] = second
    changed = len({(f['path'], f['sha256']) for f in second['files']} - {(f['path'], f['sha256']) for f in first['files']})
    log('published %s (%d files new or changed)' % (short(second['id']), changed))
    mark = page.reload()
    n, d = check_view(page, root, mark, manifests, first['id'])
    wait_worker_ready(page, first['id'])
    log('reloaded: still version %s (%d responses, %d of them differ between versions)' % (short(first['id']), n, d))
    ready = page.wait_for('(window.pico.refused && window.pico.refused.id === %s) ? window.pico.refused : '
                          'document.documentElement.dataset.picoStatus === "update-ready" && window.pico.ready === %s && '
                          '!!document.getElementById("pico-update") && !document.getElementById("pico-update").hidden'
                          % (json.dumps(second['id']), json.dumps(second['id'])),
                          30, 'the "New version available" banner for %s' % short(second['id']))
    if isinstance(ready, dict):
        raise Fail('the worker refused the new version: %s' % '; '.join(
            '%s (%s)' % (f['path'], f.get('reason')) for f in ready['files'][:5]))
    log('the page shows: %r' % page.evaluate('document.getElementById("pico-update").textContent'))
    page.screenshot(args.screenshot)
    before = (page._document_state() or {}).get('loaderId')
    mark = browser.mark()
    page.click('#pico-update-reload')
    page._loaded(mark, 20, 'the reload after clicking Reload', before=before)
    wait_worker_ready(page, second['id'])
    n, d = check_view(page, root, mark, manifests, second['id'])
    log('after Reload: version %s (%d responses, %d only in the new version)' % (short(second['id']), n, d))
    if d == 0:
        raise Fail('no response of the new page view differs from the old version; cannot tell the versions apart')
    links = [u for u in internal_links(page, root) if u not in (root, root + 'index.html')]
    if links:
        mark = page.navigate(links[0])
        n, d = check_view(page, root, mark, manifests, second['id'])
        log('%s: version %s (%d responses)' % (links[0][len(root):], short(second['id']), n))
    page.wait_for('(async () => !(await caches.keys()).some((n) => n.startsWith("pico1 ") && n.endsWith(" " + %s)))()' % json.dumps(first['id']),
                  20, 'the old version\'s cache to be deleted')
    log('the cache of %s is deleted; caches now: %s' % (short(first['id']), [n.rsplit(' ', 1)[-1][:12] for n in pico_caches(page)]))
    return 'switched from %s to %s on Reload, every page view of one version' % (short(first['id']), short(second['id']))


def scenario_file_pages(args, browser):
    target = args.url
    if not target.startswith('file://'):
        path = os.path.abspath(target)
        if os.path.isdir(path):
            path = os.path.join(path, 'index.html')
        target = 'file://' + urllib.parse.quote(path)
    root = root_of(target)
    root_dir = urllib.parse.unquote(urllib.parse.urlsplit(root).path)
    page = browser.new_page()
    queue, seen, problems = [target], {target}, []
    visited = 0
    pico_ran = 0
    while queue:
        url = queue.pop(0)
        if visited >= args.max_pages:
            raise Fail('more than %d pages; raise --max-pages' % args.max_pages)
        visited += 1
        label = url[len(root):] or 'index.html'
        try:
            mark = page.navigate(url)
        except Fail as e:
            problems.append(str(e))
            log('FAIL %s: %s' % (label, e))
            continue
        # Lazy images load now, so that every image is checked.
        page.evaluate('Promise.all([...document.images].map((i) => { i.loading = "eager"; return i.complete ? 0 : '
                      'new Promise((r) => { i.addEventListener("load", r); i.addEventListener("error", r); setTimeout(r, 3000); }); }))')
        time.sleep(0.05)
        state = page.evaluate(PAGE_STATE_JS)
        page_problems = []
        if state['errorPage']:
            page_problems.append('error page')
        if not state['sheets']:
            page_problems.append('no stylesheet')
        page_problems += ['stylesheet not loaded: ' + s['href'] for s in state['sheets'] if not s['loaded']]
        page_problems += ['image not loaded: ' + i['src'] for i in state['images'] if not i['ok']]
        page_problems += ['request failed: ' + f for f in page.failed_requests(mark)]
        for c in browser.console_since(mark):
            if c['level'] in ('error', 'exception', 'assert'):
                page_problems.append('console %s: %s%s' % (c['level'], c['text'], ' (%s)' % c['url'] if c.get('url') else ''))
            elif c['level'] in ('warning', 'warn'):
                log('     console warning on %s: %s' % (label, c['text']))
        if state['status'] == 'file':
            pico_ran += 1
        if page_problems:
            problems.append('%s: %s' % (label, '; '.join(page_problems)))
            log('FAIL %s: %s' % (label, '; '.join(page_problems)))
        else:
            vlog('ok   %s %r' % (label, state['title']))
        if visited == 1:
            page.screenshot(args.screenshot)
        for href in page.evaluate('[...document.querySelectorAll("a[href]")].map((a) => a.href)'):
            href = href.split('#')[0].split('?')[0]
            if not href.startswith(root):
                continue
            local = urllib.parse.unquote(urllib.parse.urlsplit(href).path)
            if href.endswith('/') or os.path.isdir(local):
                problems.append('%s links to a folder, which file:// cannot open: %s' % (label, href))
                continue
            if not os.path.exists(local):
                problems.append('%s links to a missing file: %s' % (label, href))
                continue
            if href.endswith('.html') and href not in seen and local.startswith(root_dir):
                seen.add(href)
                queue.append(href)
    log('visited %d pages from %s (pico-app.js reported file:// on %d)' % (visited, target, pico_ran))
    if problems:
        raise Fail('%d problem(s):\n  %s' % (len(problems), '\n  '.join(problems)))
    return '%d pages load from file:// with their stylesheets and images, and a clean console' % visited


APP_ITEMS_JS = '''[...document.querySelectorAll('#items li')].map((li) => ({ id: li.dataset.id,
  title: li.querySelector('.item-title').textContent, url: li.querySelector('a.item-title') ? li.querySelector('a.item-title').href : '',
  note: (li.querySelector('.item-note') || {}).textContent || '', read: li.querySelector('.item-read').checked }))'''

APP_SAMPLE = [
    {'title': 'The Cathedral and the Bazaar', 'url': 'https://example.org/cathedral', 'note': 'essay, 1997'},
    {'title': 'Local-first software', 'url': 'https://example.org/local-first', 'note': 'you own your data'},
    {'title': 'A pattern language', 'url': '', 'note': ''},
]


def open_app(browser, url, http):
    page = browser.new_page()
    page.navigate(url)
    page.wait_for('document.documentElement.dataset.appStatus', 15, 'the app to open its storage (data-app-status)')
    status = page.evaluate('document.documentElement.dataset.appStatus')
    if status != 'ready':
        raise Fail('the app could not open IndexedDB (data-app-status=%s)' % status)
    if http:
        wait_worker_ready(page)
    return page


def scenario_app_data(args, browser):
    http = args.url.startswith(('http:', 'https:'))
    page = open_app(browser, args.url, http)
    if page.evaluate('document.querySelectorAll("#items li").length'):
        raise Fail('a fresh profile shows items already')
    for item in APP_SAMPLE:
        page.evaluate('''(() => { const set = (id, v) => { const e = document.getElementById(id); e.value = v;
            e.dispatchEvent(new Event('input', { bubbles: true })); };
            set('add-title', %s); set('add-url', %s); set('add-note', %s); })()''' % (
            json.dumps(item['title']), json.dumps(item['url']), json.dumps(item['note'])))
        before = page.evaluate('document.querySelectorAll("#items li").length')
        page.click('#add-button')
        page.wait_for('document.querySelectorAll("#items li").length === %d' % (before + 1), 10, 'the item %r in the list' % item['title'])
    page.click('#items li:last-child .item-read')
    page.wait_for('document.querySelector("#items li:last-child .item-read").checked', 5, 'the item marked read')
    items = sorted(page.evaluate(APP_ITEMS_JS), key=lambda i: i['id'])
    log('added %d items in profile A: %s' % (len(items), ', '.join(repr(i['title']) for i in items)))

    browser.send('Browser.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': browser.downloads, 'eventsEnabled': True})
    mark = browser.mark()
    page.click('#export')
    begin = browser.wait_event('Browser.downloadWillBegin', mark, timeout=10, what='the export download to begin')
    browser.wait_event('Browser.downloadProgress', mark, predicate=lambda p: p.get('state') in ('completed', 'canceled'), timeout=10,
                       what='the export download to finish')
    exported = os.path.join(browser.downloads, begin['suggestedFilename'])
    if not os.path.exists(exported):
        raise Fail('the download %s is not on disk' % exported)
    with open(exported, 'rb') as f:
        data = json.load(f)
    kept = exported
    if args.export_dir:
        kept = os.path.join(args.export_dir, begin['suggestedFilename'])
        shutil.copy(exported, kept)
    if data.get('format') != 'pico-reading-list/1' or len(data.get('items', [])) != len(items):
        raise Fail('the exported file does not hold the %d items: %s' % (len(items), json.dumps(data)[:300]))
    log('exported %s: %d items, format %s%s' % (begin['suggestedFilename'], len(data['items']), data['format'],
                                                ' (kept at %s)' % kept if args.export_dir else ''))

    fresh = Browser(browser.patience)
    try:
        other = open_app(fresh, args.url, http)
        if other.evaluate('document.querySelectorAll("#items li").length'):
            raise Fail('the fresh profile B shows items before the import')
        node = other.send('Runtime.evaluate', {'expression': 'document.getElementById("import-file")'})['result']
        other.send('DOM.setFileInputFiles', {'files': [kept], 'objectId': node['objectId']})
        other.wait_for('document.querySelectorAll("#items li").length === %d' % len(items), 10, 'the imported items in profile B')
        imported = sorted(other.evaluate(APP_ITEMS_JS), key=lambda i: i['id'])
        if imported != items:
            raise Fail('profile B after import differs:\n  A: %s\n  B: %s' % (items, imported))
        log('fresh profile B imported the file: the same %d items (%s)' % (len(imported), other.evaluate('document.getElementById("message").textContent')))
    finally:
        fresh.close()

    if http:
        if args.server_pid:
            stop_server(args.server_pid, root_of(args.url))
        else:
            browser.go_offline()
            log('network: DevTools emulates offline for the page and the worker')
    mark = page.reload()
    page.wait_for('document.documentElement.dataset.appStatus === "ready"', 10, 'the app to open again')
    if http:
        check_rendered(page, '(offline reload)', mark)
    after = sorted(page.evaluate(APP_ITEMS_JS), key=lambda i: i['id'])
    if after != items:
        raise Fail('after the %sreload the list differs:\n  before: %s\n  after:  %s' % ('offline ' if http else '', items, after))
    log('%sreload of profile A: the same %d items' % ('offline ' if http else '', len(after)))
    page.screenshot(args.screenshot)
    return 'data kept across %sreload, and export → import into a fresh profile gives the same %d items' % (
        'an offline ' if http else 'a ', len(items))


WATCH_STATE_JS = r'''(async () => ({
  status: document.documentElement.dataset.picoStatus || null, watch: window.picoWatch === true,
  marker: window.__picoBefore === 1, text: document.body ? document.body.innerText : '',
  uncontrolled: navigator.serviceWorker ? navigator.serviceWorker.controller === null : true,
  registrations: navigator.serviceWorker ? (await navigator.serviceWorker.getRegistrations()).map((r) => r.scope) : [] }))()'''


def version_polls(page, mark):
    """(url, finished) of every request to __pico/version since mark."""
    sent = {m['params']['requestId']: m['params']['request']['url'] for m in page.browser.events_since(mark, 'Network.requestWillBeSent', page.session)
            if '__pico/version' in m['params']['request']['url']}
    done = {m['params']['requestId'] for m in page.browser.events_since(mark, 'Network.loadingFinished', page.session)}
    return [(url, rid in done) for rid, url in sent.items()]


def fetch_text(url):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={'Cache-Control': 'no-cache'}), timeout=5) as r:
            return r.read().decode('utf-8', 'replace').strip()
    except (urllib.error.URLError, OSError) as e:
        return '(%s)' % e


def scenario_watch(args, browser):
    started = time.monotonic()
    page = browser.new_page()
    first = page.navigate(args.url)
    status = page.wait_for('(() => { const s = document.documentElement.dataset.picoStatus; '
                           'return s && s !== "registering" && s !== "installing" ? s : null; })()',
                           15, 'the page script to set data-pico-status')
    if status != 'watch':
        raise Fail('data-pico-status is %r, not "watch" (window.picoWatch=%s): the server does not run in watch mode'
                   % (status, page.evaluate('window.picoWatch === true')))
    # The first poll tells the page the current version; a change before it would go unseen.
    end = time.monotonic() + 10
    while not any(done for _, done in version_polls(page, first)):
        if time.monotonic() > end:
            raise Fail('the page did not poll __pico/version within 10 s')
        time.sleep(0.05)
    time.sleep(0.2)
    version_url = version_polls(page, first)[0][0]
    before_id = fetch_text(version_url)
    page.evaluate('window.__picoBefore = 1')
    before = page.evaluate(WATCH_STATE_JS)
    log('data-pico-status="watch"; the page polls %s (version %s); marker set' % (version_url, short(before_id)))
    if args.expect and args.expect in before['text']:
        raise Fail('the page contains %r before --touch-cmd ran' % args.expect)
    loads = browser.mark()
    touched = time.monotonic()
    run_swap(args.touch_cmd, '--touch-cmd')
    left = max(5, args.timeout - (time.monotonic() - started) - 5) / browser.patience
    reloaded = '(() => { if (window.__picoBefore === 1) return false; if (document.readyState !== "complete") return false; %s })()' % (
        'return !!document.body && document.body.innerText.includes(%s);' % json.dumps(args.expect) if args.expect else 'return true;')
    try:
        page.wait_for(reloaded, left, 'the page to reload by itself' + (' and show %r' % args.expect if args.expect else ''))
    except Fail as e:
        polls = len(version_polls(page, loads))
        state = page.evaluate(WATCH_STATE_JS)
        raise Fail('%s (%s; %d poll(s) of __pico/version since --touch-cmd; version %s, was %s)' % (
            e, 'the page did not reload: the marker is still there' if state['marker'] else 'the page reloaded but does not show the text',
            polls, short(fetch_text(version_url)), short(before_id)))
    took = time.monotonic() - touched
    after_id = fetch_text(version_url)
    navigations = len([m for m in browser.events_since(loads, 'Page.frameNavigated', page.session) if not m['params']['frame'].get('parentId')])
    after = page.evaluate(WATCH_STATE_JS)
    new_lines = [line for line in after['text'].splitlines() if line.strip() and line not in before['text'].splitlines()]
    log('the page reloaded by itself %.1f s after --touch-cmd (%d navigation(s)); version %s -> %s' % (
        took, navigations, short(before_id), short(after_id)))
    for line in new_lines[:5]:
        log('     new text: %r' % line[:120])
    problems = []
    if after['status'] != 'watch':
        problems.append('after the reload data-pico-status is %r, not "watch"' % after['status'])
    if after_id == before_id:
        problems.append('the version at %s did not change' % version_url)
    if not after['uncontrolled']:
        problems.append('a service worker controls the page')
    if after['registrations']:
        problems.append('service worker(s) registered: %s' % ', '.join(after['registrations']))
    problems += ['console %s in the %s: %s%s' % (c['level'], c['where'].replace('_', ' '), c['text'][:300], ' (%s)' % c['url'] if c.get('url') else '')
                 for c in browser.console_since(first) if c['level'] in ('error', 'exception', 'assert')]
    page.screenshot(args.screenshot)
    if problems:
        raise Fail('; '.join(problems))
    log('no service worker controls the page or is registered; no console error since the first load')
    return 'the page reloaded by itself %.1f s after the change%s' % (took, ', showing %r' % args.expect if args.expect else '')


CACHED_URLS_JS = r'''(async () => {
  const name = (await caches.keys()).find((k) => k.startsWith('pico1 ') && k.endsWith(' ' + %s));
  return name ? (await (await caches.open(name)).keys()).map((r) => r.url) : null; })()'''

LOADED_URLS_JS = '''[location.href, ...performance.getEntriesByType('resource').map((e) => e.name)]'''


def bundle_path(url, root, paths):
    """The bundle file a URL under root shows (folder → index.html), or None."""
    parts = urllib.parse.urlsplit(url)
    base = urllib.parse.urlsplit(root).path
    if not url.startswith(root):
        return None
    rel = urllib.parse.unquote(parts.path[len(base):])
    for candidate in ((rel + 'index.html',) if rel == '' or rel.endswith('/') else (rel, rel + '/index.html', rel + '.html')):
        if candidate in paths:
            return candidate
    return None


def scenario_visited(args, browser):
    root = root_of(args.url)
    manifest = fetch_manifest(root)
    sizes = {f['path']: f['size'] for f in manifest['files']}
    total = sum(sizes.values())
    pages = [p.strip() for p in args.pages.split(',') if p.strip()]
    log('bundle %s: %d files, %.1f MB, served at %s' % (short(manifest['id']), len(sizes), total / 1e6, root))
    page = browser.new_page()
    started = time.monotonic()
    page.navigate(root + args.first)
    page.wait_for('!!(navigator.serviceWorker && navigator.serviceWorker.controller)', args.control_within + 20,
                  'the service worker to control the page')
    took = time.monotonic() - started
    log('the service worker controls the page %.2f s after the navigation began' % took)
    if took > args.control_within:
        raise Fail('the worker took %.2f s to control the page (at most %g s)' % (took, args.control_within))
    wait_worker_ready(page, manifest['id'], timeout=20)
    loaded = {bundle_path(u, root, sizes) for u in page.evaluate(LOADED_URLS_JS)} - {None}

    def cached():
        urls = page.evaluate(CACHED_URLS_JS % json.dumps(manifest['id'])) or []
        return {bundle_path(u, root, sizes) for u in urls} - {None}

    end = time.monotonic() + 20
    while not loaded <= cached():
        if time.monotonic() > end:
            raise Fail('the page and what it loaded are not all kept: missing %s' % ', '.join(sorted(loaded - cached())[:10]))
        time.sleep(0.2)
    kept = cached()
    log('the first page and the %d file(s) it loaded are kept; the cache holds %d of %d files' % (len(loaded), len(kept), len(sizes)))
    for path in pages:
        mark = page.navigate(root + path)
        check_rendered(page, '(online) ' + path, mark, expect_version=manifest['id'])
    kept = cached()
    kept_bytes = sum(sizes[p] for p in kept)
    usage = page.evaluate('navigator.storage.estimate().then((e) => e.usage)')
    log('Cache Storage: %d files, %.2f MB of the bundle\'s %.1f MB (%.2f %%); storage estimate %.2f MB' % (
        len(kept), kept_bytes / 1e6, total / 1e6, 100 * kept_bytes / total, usage / 1e6))
    if kept_bytes >= args.max_fraction * total or usage >= args.max_fraction * total:
        raise Fail('the worker stored %.1f %% of the bundle (storage estimate %.1f %%), not under %g %%' % (
            100 * kept_bytes / total, 100 * usage / total, 100 * args.max_fraction))
    for path in args.tampered or []:
        mark = page.browser.mark()
        sent = page.send('Page.navigate', {'url': root + path}, 45)
        page._loaded(mark, 30, 'the altered page', loader=sent.get('loaderId'))
        status, via_worker = page.main_status(mark)
        title = page.evaluate('document.title')
        if status != 502 or not via_worker or title != 'Refused':
            raise Fail('the altered page %s was answered with %r (HTTP %s%s), not the worker\'s refusal' % (
                path, title, status, ' from the worker' if via_worker else ''))
        refused_logged(browser, mark, path, manifest['id'], cached)
        log('ok   (altered) %-28s refused by the worker: HTTP 502 %r' % (path, title))
    for path in args.tampered_resource or []:
        mark = page.navigate(root + args.first)
        outcome = page.evaluate('fetch(%s).then((r) => "HTTP " + r.status, (e) => "network error: " + e)' % json.dumps(root + path))
        if not outcome.startswith('network error'):
            raise Fail('the altered file %s was answered to the page: %s' % (path, outcome))
        refused_logged(browser, mark, path, manifest['id'], cached)
        log('ok   (altered) %-28s refused by the worker: %s' % (path, outcome))
    if args.server_pid:
        stop_server(args.server_pid, root)
    else:
        browser.go_offline()
        log('network: DevTools emulates offline for the page and the worker')
    for path in [args.first] + pages:
        mark = page.navigate(root + path)
        check_rendered(page, '(offline) ' + (path or '/'), mark, expect_version=manifest['id'])
    page.screenshot(args.screenshot)
    if args.unvisited:
        mark = page.browser.mark()
        result = page.send('Page.navigate', {'url': root + args.unvisited}, 45)
        if not result.get('errorText'):
            page._loaded(mark, 20, 'the unvisited page', loader=result.get('loaderId'))
            state = page.evaluate(PAGE_STATE_JS)
            status, via_worker = page.main_status(mark)
            if not state['errorPage']:
                raise Fail('the unvisited page %s shows %r (HTTP %s%s) offline, not a network error' % (
                    args.unvisited, state['title'], status, ' from the worker' if via_worker else ''))
        log('ok   (offline) %-28s fails as a network error (%s)' % (args.unvisited, result.get('errorText') or 'error page'))
    return 'controlled in %.2f s; %.2f %% of %.0f MB kept; %d visited page(s) work offline' % (
        took, 100 * kept_bytes / total, total / 1e6, len(pages) + 1)


def scenario_newer(args, browser):
    root = root_of(args.url)
    first = fetch_manifest(root)
    page = browser.new_page()
    page.navigate(args.url)
    wait_worker_ready(page, first['id'])
    log('version %s in control' % short(first['id']))
    run_swap(args.swap_cmd)
    second = fetch_manifest(root)
    old = {f['path']: f['sha256'] for f in first['files']}
    new = {f['path']: f['sha256'] for f in second['files']}
    if second['id'] == first['id'] or old.get(args.page) == new.get(args.page) or args.page not in new:
        raise Fail('--swap-cmd did not publish a version in which %s changed' % args.page)
    mark = page.navigate(root + args.page, timeout=60)
    status, via_worker = page.main_status(mark)
    version = wait_worker_ready(page, second['id'])
    if status != 200 or not via_worker:
        raise Fail('%s: HTTP %s%s' % (args.page, status, ' from the worker' if via_worker else ', not from the worker'))
    n, d = check_view(page, root, mark, {first['id']: first, second['id']: second}, second['id'])
    log('%s: HTTP 200 from the worker as version %s (%d responses, %d only in the new version)' % (args.page, short(version), n, d))
    page.screenshot(args.screenshot)
    return 'the page changed on the host was shown from the new version %s, checked whole' % short(second['id'])


def refused_logged(browser, mark, path, bundle_id, cached):
    """The worker's console names `path` as refused, with both hashes, and it is not cached."""
    end = time.monotonic() + 10
    while not [c for c in browser.console_since(mark, 'service_worker') if c['level'] == 'error' and 'refused ' + path in c['text']]:
        if time.monotonic() > end:
            raise Fail('the worker console has no error saying %s was refused' % path)
        time.sleep(0.1)
    if path in cached():
        raise Fail('the altered %s is in the cache of %s' % (path, short(bundle_id)))


def scenario_install_failed(args, browser):
    page = browser.new_page()
    mark = browser.mark()
    page.navigate(args.url)
    failed = page.wait_for('document.documentElement.dataset.picoStatus === "error" && window.pico && window.pico.failed', 30,
                           'the page to say the bundle could not be installed (data-pico-status="error", window.pico.failed)')
    log('page was told: %s' % failed.get('reason'))
    if args.expect_reason and args.expect_reason not in (failed.get('reason') or ''):
        raise Fail('the reason %r does not say %r' % (failed.get('reason'), args.expect_reason))
    banner = page.evaluate('(() => { const b = document.getElementById("pico-error"); return b && !b.hidden ? b.textContent : null; })()')
    if not banner or failed['reason'] not in banner:
        raise Fail('the page shows no banner with the reason (#pico-error: %r)' % banner)
    log('page shows: %r' % banner)
    lines = [c['text'] for c in browser.console_since(mark, 'service_worker') if c['level'] == 'error' and 'could not be installed' in c['text']]
    if not lines:
        raise Fail('the worker console has no error saying the bundle could not be installed')
    log('worker console error: %s' % lines[0])
    page.screenshot(args.screenshot)
    return 'the page and the console say why the bundle could not be installed'


OWN_WORKER_JS = r'''(async () => {
  const regs = await navigator.serviceWorker.getRegistrations();
  const active = regs.map((r) => r.active && r.active.scriptURL).filter(Boolean);
  const c = navigator.serviceWorker.controller;
  let opening = null;
  if (active.length) opening = (await (await fetch(active[0], { cache: 'no-store' })).text()).slice(0, 60);
  return { registrations: regs.map((r) => r.scope), active, controller: c ? c.scriptURL : null, opening,
           picoStatus: document.documentElement.dataset.picoStatus || null,
           picoScript: !!document.querySelector('script[src$="pico-app.js"]') };
})()'''


def scenario_own_worker(args, browser):
    page = browser.new_page()
    page.navigate(args.url)
    page.wait_for('navigator.serviceWorker.getRegistrations().then((r) => r.some((x) => x.active))', 20,
                  'a service worker to be active')
    page.reload()
    page.wait_for('!!navigator.serviceWorker.controller', 10, 'a service worker to control the reloaded page')
    state = page.evaluate(OWN_WORKER_JS)
    log('registrations %s; active %s; controller %s' % (state['registrations'], state['active'], state['controller']))
    problems = []
    if len(state['active']) != 1:
        problems.append('%d active registrations, not 1' % len(state['active']))
    if not all(u.endswith('/' + args.script) for u in state['active'] + [state['controller']]):
        problems.append('the active worker is not the site\'s %s' % args.script)
    if (state['opening'] or '').startswith('/* pico service worker'):
        problems.append('the active worker is pico\'s')
    if state['picoStatus'] or state['picoScript']:
        problems.append('pico\'s page script is in the page (data-pico-status=%r)' % state['picoStatus'])
    page.screenshot(args.screenshot)
    if problems:
        raise Fail('; '.join(problems))
    log('the active worker is the site\'s own: %r...' % (state['opening'] or '')[:40])
    return 'the site\'s own %s is the active worker and controls the page' % args.script


# ---------------------------------------------------------------------------- static server

def serve_static(args):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from http_host import HostHandler
    folder = os.path.abspath(args.dir)
    base = '/' + args.base.strip('/') + '/' if args.base.strip('/') else '/'
    mimetypes.add_type('application/manifest+json', '.webmanifest')
    mimetypes.add_type('text/javascript', '.js')

    class Handler(HostHandler):
        log_prefix = 'static'
        verbose = VERBOSE

        def do_GET(self):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            if path + '/' == base:
                return self.answer(301, b'', extra={'Location': base})
            if not path.startswith(base):
                return self.answer(404, b'not under %s\n' % base.encode())
            rel = path[len(base):]
            if rel == '' or rel.endswith('/'):
                rel += 'index.html'
            if any(s in ('', '.', '..') for s in rel.split('/')):
                return self.answer(400, b'bad path\n')
            full = os.path.join(folder, *rel.split('/'))
            if os.path.isdir(full) and os.path.isfile(os.path.join(full, 'index.html')):
                return self.answer(301, b'', extra={'Location': urllib.parse.quote(path) + '/'})
            status = 200
            if not os.path.isfile(full):
                full, status = os.path.join(folder, '404.html'), 404
                if not os.path.isfile(full):
                    return self.answer(404, b'not found\n')
            with open(full, 'rb') as f:
                body = f.read()
            ctype = mimetypes.guess_type(full)[0] or 'application/octet-stream'
            if ctype.startswith('text/') or ctype in ('application/json', 'application/manifest+json', 'image/svg+xml'):
                ctype += '; charset=utf-8'
            self.answer(status, body, ctype)

        do_HEAD = do_GET

    server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    print('Serving %s at http://127.0.0.1:%d%s  (plain files, no checks)' % (folder, server.server_address[1], base), flush=True)
    server.serve_forever()
    return 0


# ---------------------------------------------------------------------------- main

SCENARIOS = {
    'offline': scenario_offline,
    'installable': scenario_installable,
    'tampered': scenario_tampered,
    'update': scenario_update,
    'file-pages': scenario_file_pages,
    'app-data': scenario_app_data,
    'watch': scenario_watch,
    'visited': scenario_visited,
    'newer': scenario_newer,
    'install-failed': scenario_install_failed,
    'own-worker': scenario_own_worker,
}


def main(argv=None):
    global VERBOSE
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog='See the module docstring for each scenario.')
    sub = parser.add_subparsers(dest='scenario', required=True)

    def common(p):
        p.add_argument('--screenshot', metavar='PATH')
        p.add_argument('--timeout', type=float, default=60, metavar='SECONDS')
        p.add_argument('--verbose', action='store_true')
        return p

    p = common(sub.add_parser('offline', help='served from a sub-path, offline after the first load'))
    p.add_argument('url')
    p.add_argument('--server-pid', type=int)
    p.add_argument('--pages', help='comma-separated paths under URL (default: the first three links of the index)')
    p = common(sub.add_parser('installable', help='no installability errors'))
    p.add_argument('url')
    p = common(sub.add_parser('tampered', help='an altered file is refused and reported'))
    p.add_argument('url')
    p.add_argument('--path', required=True, help='the bundle path of the altered file')
    p.add_argument('--expect-mismatch', action='store_true', help='demand a SHA-256 mismatch (a server that serves the bad bytes)')
    p.add_argument('--swap-cmd', help='cache a good version first, then run CMD, which publishes one with the altered file')
    p = common(sub.add_parser('update', help='a new version is offered and switched to atomically'))
    p.add_argument('url')
    p.add_argument('--swap-cmd', required=True)
    p = common(sub.add_parser('file-pages', help='every page reachable from index.html works from file://'))
    p.add_argument('url', metavar='PATH_OR_FILE_URL')
    p.add_argument('--max-pages', type=int, default=500)
    p = common(sub.add_parser('app-data', help='the reading-list app keeps, exports and imports its data'))
    p.add_argument('url')
    p.add_argument('--server-pid', type=int)
    p.add_argument('--export-dir', help='where to keep the exported file (default: the temp folder)')
    p = common(sub.add_parser('watch', help='pico serve --watch reloads the page when the site changes'))
    p.add_argument('url')
    p.add_argument('--touch-cmd', required=True, metavar='CMD', help='a shell command that edits a file of the site')
    p.add_argument('--expect', metavar='TEXT', help='text the reloaded page must contain')
    p = common(sub.add_parser('visited', help='a large bundle: controlled at once, cached as pages are visited'))
    p.add_argument('url')
    p.add_argument('--server-pid', type=int)
    p.add_argument('--first', default='', help='the path under URL to open first')
    p.add_argument('--pages', required=True, help='comma-separated paths under the root to visit online, then offline')
    p.add_argument('--unvisited', help='a path never visited, which must fail offline')
    p.add_argument('--tampered', action='append', metavar='PAGE', help='a page the host serves altered (repeatable)')
    p.add_argument('--tampered-resource', action='append', metavar='FILE', help='a file the host serves altered (repeatable)')
    p.add_argument('--max-fraction', type=float, default=0.1)
    p.add_argument('--control-within', type=float, default=2.0, metavar='SECONDS')
    p = common(sub.add_parser('newer', help='a page changed on the host moves the worker to the new version'))
    p.add_argument('url')
    p.add_argument('--swap-cmd', required=True)
    p.add_argument('--page', required=True)
    p = common(sub.add_parser('install-failed', help='an install failure is shown on the page and in the console'))
    p.add_argument('url')
    p.add_argument('--expect-reason', metavar='TEXT')
    p = common(sub.add_parser('own-worker', help="the site's own service worker stays in charge"))
    p.add_argument('url')
    p.add_argument('--script', required=True, metavar='NAME')
    p = sub.add_parser('static', help='a plain static server (no checks), for a dumb-host test')
    p.add_argument('dir')
    p.add_argument('--base', default='/')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--verbose', action='store_true')
    args = parser.parse_args(argv)
    VERBOSE = args.verbose
    if args.scenario == 'static':
        return serve_static(args)

    name = '%s %s' % (SCENARIO, args.scenario)

    def on_alarm(*_):
        raise Timeout()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    browser = None
    started = time.monotonic()
    try:
        browser = Browser(patience=args.timeout / 60)
        summary = SCENARIOS[args.scenario](args, browser)
        signal.setitimer(signal.ITIMER_REAL, 0)
        log('%s: PASS (%.1f s): %s' % (name, time.monotonic() - started, summary))
        return 0
    except Fail as e:
        signal.setitimer(signal.ITIMER_REAL, 0)
        log('%s: FAIL (%.1f s): %s' % (name, time.monotonic() - started, e))
        return 1
    except Timeout:
        log('%s: FAIL: the scenario did not finish within %g s' % (name, args.timeout))
        return 1
    except KeyboardInterrupt:
        log('%s: FAIL: interrupted' % name)
        return 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if browser:
            browser.close()


if __name__ == '__main__':
    sys.exit(main())
