#!/usr/bin/env python3
"""Opens one page in real headless Chromium and checks how it rendered: for real sites'
markup (issue 13) — a page script in the right place, <base href>, 404.html at depth, charset.

  page_check.py URL [--status N] [--style 'SELECTOR|PROPERTY|VALUE']... [--text TEXT]...
                    [--js EXPR]... [--images] [--no-errors] [--timeout S] [--screenshot PATH]

URL is http(s) or file://. After the load event (and --settle seconds) it checks:
  --status N      the main document's HTTP status (not on file://)
  --style S|P|V   getComputedStyle(querySelector(S))[P] == V: the site's CSS applied
  --text TEXT     the page's text contains TEXT (decoded in the charset the browser chose)
  --js EXPR       EXPR (JavaScript, awaited) is truthy in the page
  --images        every <img> loaded (complete, naturalWidth > 0)
  --no-errors     no console error, exception or error-level log entry, no failed request
                  (other than the main document's own status)
Every console line is printed, warnings included, so a test can say why one is there.
The last line is `page_check.py: PASS ...` or `page_check.py: FAIL: reasons`; exit 0 or 1.
Uses Browser and Page from browser.py (the same Chromium driver as the other scenarios).
"""

import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402
from browser import Browser, Fail, Timeout  # noqa: E402


def navigate(page, url, timeout):
    """Page.navigate, then the load event; should the event not be seen (Chromium under heavy
    load was seen to miss it), the document's own readyState decides."""
    mark = page.browser.mark()
    result = page.send('Page.navigate', {'url': url}, timeout)
    if result.get('errorText'):
        raise Fail('%s did not load: %s' % (url, result['errorText']))
    end = time.monotonic() + timeout
    while True:
        try:
            page.browser.wait_event('Page.loadEventFired', mark, page.session, timeout=5, what='the load of ' + url)
            return mark
        except Fail:
            state = None
            try:
                state = page.evaluate('[document.readyState, location.href]', timeout=5)
            except Fail:
                pass
            if state and state[0] == 'complete':
                print('note: no load event seen for %s, but its readyState is complete' % state[1], flush=True)
                return mark
            if time.monotonic() > end:
                raise Fail('%s did not finish loading within %d s (readyState %s)' % (url, timeout, state and state[0]))


def check(args, chromium):
    page = chromium.new_page()
    mark = navigate(page, args.url, args.load_timeout)
    time.sleep(args.settle)
    problems = []
    status, _ = page.main_status(mark)
    if args.status is not None and status != args.status:
        problems.append('HTTP status %s, expected %s' % (status, args.status))
    for spec in args.style:
        selector, prop, want = spec.split('|', 2)
        got = page.evaluate('(() => { const e = document.querySelector(%s); return e ? getComputedStyle(e).getPropertyValue(%s) : null; })()'
                            % (json.dumps(selector), json.dumps(prop)))
        if got != want:
            problems.append('%s { %s } is %r, expected %r (the site CSS not applied?)' % (selector, prop, got, want))
        else:
            print('ok   %s { %s: %s }' % (selector, prop, got), flush=True)
    text = page.evaluate('document.documentElement.textContent') or ''
    for want in args.text:
        if want not in text:
            problems.append('the page text does not contain %r (it has %r)' % (want, text.strip()[:200]))
        else:
            print('ok   text %r' % want, flush=True)
    for expression in args.js:
        try:
            value = page.wait_for(expression, timeout=args.js_timeout, what=expression)
            print('ok   %s -> %s' % (expression, json.dumps(value)[:200]), flush=True)
        except Fail as e:
            problems.append(str(e))
    if args.images:
        images = page.evaluate('[...document.images].map((i) => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0}))')
        bad = [i['src'] for i in images if not i['ok']]
        if not images:
            problems.append('no image in the page')
        elif bad:
            problems.append('images not loaded: ' + ', '.join(bad))
        else:
            print('ok   %d image(s) loaded' % len(images), flush=True)
    console = chromium.console_since(mark)
    for c in console:
        print('console[%s] %s: %s%s' % (c['where'], c['level'], c['text'][:300], ' (%s)' % c['url'] if c.get('url') else ''), flush=True)
    def expected_miss(c):
        # The browser's own favicon request, and the main document when a 404 is what is tested.
        url = c.get('url') or ''
        return 'status of 404' in c['text'] and (url.endswith('/favicon.ico') or (args.status == 404 and url == args.url))

    if args.no_errors:
        problems += ['console %s: %s' % (c['level'], c['text'][:300]) for c in console
                     if c['level'] in ('error', 'exception', 'assert') and c['where'] in ('page', 'service_worker')
                     and not expected_miss(c)]
        failed = [f for f in page.failed_requests(mark)]
        if failed:
            problems.append('failed requests: ' + '; '.join(failed))
    if args.screenshot:
        page.screenshot(args.screenshot)
    if problems:
        raise Fail('; '.join(problems))
    return 'HTTP %s, %d console line(s)' % (status, len(console))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('url')
    parser.add_argument('--status', type=int)
    parser.add_argument('--style', action='append', default=[])
    parser.add_argument('--text', action='append', default=[])
    parser.add_argument('--js', action='append', default=[])
    parser.add_argument('--js-timeout', type=float, default=10)
    parser.add_argument('--images', action='store_true')
    parser.add_argument('--no-errors', action='store_true')
    parser.add_argument('--settle', type=float, default=0.3)
    parser.add_argument('--load-timeout', type=float, default=45)
    parser.add_argument('--timeout', type=float, default=60)
    parser.add_argument('--screenshot')
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args(argv)
    browser.VERBOSE = args.verbose

    def on_alarm(*_):
        raise Timeout()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    chromium = None
    started = time.monotonic()
    try:
        chromium = Browser()
        summary = check(args, chromium)
        print('page_check.py: PASS (%.1f s): %s %s' % (time.monotonic() - started, args.url, summary), flush=True)
        return 0
    except Fail as e:
        print('page_check.py: FAIL (%.1f s): %s: %s' % (time.monotonic() - started, args.url, e), flush=True)
        return 1
    except Timeout:
        print('page_check.py: FAIL: %s did not finish within %g s' % (args.url, args.timeout), flush=True)
        return 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if chromium:
            chromium.close()


if __name__ == '__main__':
    sys.exit(main())
