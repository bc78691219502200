#!/usr/bin/env python3
"""A bundle's search (pico-search/, issue 17) in real headless Chromium, driven over the
DevTools pipe by browser.py's Browser (the Python standard library only).

  search_check.py URL [--page search/index.html] --expect 'QUERY=PATH[,PATH...]'...
                  [--exactly 'QUERY=PATH[,PATH...]']... [--mark 'QUERY=WORD']... [--none QUERY]...
                  [--keyboard 'QUERY=PATH'] [--form 'PAGE=QUERY']
                  [--bundle 'QUERY=TITLE']... [--timeout S] [--screenshot PNG] [--verbose]

URL is the bundle's root: file:///.../bundle/ or http://127.0.0.1:PORT/sub/path/. Checked:
  - PAGE?q=QUERY (the first --expect) opens with results: its list starts with the expected
    pages in that order, and the snippets mark words with <mark>;
  - each --expect: PicoSearch.search(QUERY) answers those paths first, in that order, each
    result's url is the page under URL, and its title is not empty;
  - each --exactly: PicoSearch.search(QUERY) answers those paths and no other, in that order;
  - each --mark: the first result's snippet has WORD inside <mark> (case-insensitive) and no
    markup other than <mark> and entities;
  - each --none: no result, and the page says "No results";
  - --keyboard: QUERY typed into the page's search box (which has the focus) with key events;
    no option is chosen until ArrowDown ArrowDown ArrowUp chooses the first (aria-selected,
    aria-activedescendant), which must link to PATH; Enter opens it;
  - --form 'PAGE=QUERY': on PAGE (a path under URL), QUERY typed into the header's plain
    <form role=search> and Enter: the browser opens the search page with ?q=QUERY and its results;
  - each --bundle (a drive library's index): the first result names the bundle TITLE;
  - no pico-search file was asked for by fetch or XHR (each is a script), and the page's
    console had no error, warning or exception.
The last line says `search_check.py: PASS ...` (exit 0) or `... FAIL: reason` (exit 1).
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402  (the DevTools driver beside this file)
from browser import Browser, Fail, Timeout, log  # noqa: E402

NAME = 'search_check.py'

# The page's search box and its results, as search.js's attach() builds them.
STATE = '''(() => {
  const input = document.querySelector('input[data-pico-search-results]');
  const box = input && document.getElementById(input.dataset.picoSearchResults);
  if (!box) return {missing: true};
  return {
    state: box.dataset.picoSearchState || '', value: input.value, status: (box.querySelector('[role=status]') || {}).textContent || '',
    results: [...box.querySelectorAll('li[role=option]')].map((li) => ({
      href: li.querySelector('a').href, title: li.querySelector('a').textContent,
      snippet: (li.querySelector('.pico-search-snippet') || {}).innerHTML || ''})),
  };
})()'''


def pairs(values):
    found = []
    for value in values or []:
        if '=' not in value:
            raise SystemExit('%s: %r is not QUERY=VALUE' % (NAME, value))
        query, _, rest = value.partition('=')
        found.append((query, rest))
    return found


def wait_results(page, query, what):
    return page.wait_for('(() => { const s = %s; return s.state === "done" && s.value === %s ? s : null; })()'
                         % (STATE, json.dumps(query)), 20, what)


def only_marks(html):
    """The snippet with <mark> and </mark> taken out must have no tag left."""
    rest = html.replace('<mark>', '').replace('</mark>', '')
    return '<' not in rest and '>' not in rest


def scenario(args, chromium):
    root = args.url if args.url.endswith('/') else args.url + '/'
    page_url = urllib.parse.urljoin(root, args.page)
    expects = [(q, [p for p in paths.split(',') if p]) for q, paths in pairs(args.expect)]
    if not expects:
        raise Fail('give at least one --expect')
    page = chromium.new_page()
    mark = chromium.mark()

    # 1. ?q= opens with results.
    first_query, first_paths = expects[0]
    page.navigate(page_url + '?q=' + urllib.parse.quote(first_query))
    shown = wait_results(page, first_query, 'the results of ?q=%s' % first_query)
    hrefs = [r['href'] for r in shown['results']]
    want = [urllib.parse.urljoin(root, p) for p in first_paths]
    if hrefs[:len(want)] != want:
        raise Fail('?q=%s listed %s, expected %s first' % (first_query, hrefs, want))
    if not any('<mark>' in r['snippet'] for r in shown['results']):
        raise Fail('no snippet of ?q=%s marks a word: %s' % (first_query, [r['snippet'] for r in shown['results']]))
    log('?q=%s opened with %d results, %s first; status %r' % (first_query, len(hrefs), first_paths, shown['status']))
    scripts_before = loaded_scripts(chromium, mark, page)
    page.screenshot(args.screenshot)              # the search page with its results

    # 2. PicoSearch.search answers the expected pages first.
    answers = {}
    for query, paths in expects:
        answer = page.evaluate('(async () => { const t = performance.now(); const r = await PicoSearch.search(%s);'
                               ' return {ms: performance.now() - t, results: r}; })()' % json.dumps(query))
        got = [r['path'] for r in answer['results']]
        if got[:len(paths)] != paths:
            raise Fail('search %r answered %s, expected %s first' % (query, got, paths))
        for r in answer['results']:
            if r['url'] != urllib.parse.urljoin(root, r['path']) or not r['title']:
                raise Fail('search %r: result %r has url %r (expected under %s) or no title' % (query, r['path'], r['url'], root))
        answers[query] = answer['results']
        log('search %r -> %s (%.1f ms)' % (query, got[:4], answer['ms']))

    for query, paths in pairs(args.exactly):
        got = [r['path'] for r in page.evaluate('PicoSearch.search(%s)' % json.dumps(query))]
        if got != [p for p in paths.split(',') if p]:
            raise Fail('search %r answered %s, expected exactly %s' % (query, got, paths))
        log('search %r -> exactly %s' % (query, got))

    # 3. Snippets mark the words.
    for query, word in pairs(args.mark):
        results = answers.get(query) or page.evaluate('PicoSearch.search(%s)' % json.dumps(query))
        if not results:
            raise Fail('search %r found nothing to take a snippet from' % query)
        snippet = results[0]['snippet']
        if ('<mark>%s</mark>' % word.lower()) not in snippet.lower() or not only_marks(snippet):
            raise Fail('the snippet of %r does not mark %r (or has other markup): %r' % (query, word, snippet))
        log('snippet of %r: %s' % (query, snippet))

    for query, title in pairs(args.bundle):
        results = page.evaluate('PicoSearch.search(%s)' % json.dumps(query))
        named = results and results[0].get('bundle') and results[0]['bundle'].get('title')
        if named != title:
            raise Fail('the first result of %r names bundle %r, expected %r' % (query, named, title))
        log('search %r: first result from bundle %r' % (query, named))

    # 4. No result: said so.
    for query in args.none or []:
        page.evaluate('(() => { const i = document.querySelector("input[data-pico-search-results]"); i.value = %s;'
                      ' document.getElementById(i.dataset.picoSearchResults).dataset.picoSearchState = "";'
                      ' i.dispatchEvent(new Event("input")); })()' % json.dumps(query))
        shown = wait_results(page, query, 'the answer to %r' % query)
        if shown['results'] or 'No results' not in shown['status']:
            raise Fail('%r listed %s, status %r; expected no results' % (query, shown['results'], shown['status']))
        log('%r: %s' % (query, shown['status']))

    # 5. The keyboard: type, ArrowDown, Enter opens the first result.
    if args.keyboard:
        query, path = pairs([args.keyboard])[0]
        page.navigate(page_url)
        page.wait_for('document.activeElement && document.activeElement.matches("input[data-pico-search-results]")', 10,
                      'the search box to have the focus')
        page.send('Input.insertText', {'text': query})
        shown = wait_results(page, query, 'results while typing %r' % query)
        if not shown['results']:
            raise Fail('typing %r showed no results' % query)
        if page.evaluate('document.querySelector("input[data-pico-search-results]").hasAttribute("aria-activedescendant")'
                         ' || !!document.querySelector("li[role=option][aria-selected=true]")'):
            raise Fail('an option was chosen before any arrow key')
        for key, code in (('ArrowDown', 40), ('ArrowDown', 40), ('ArrowUp', 38)):
            page.send('Input.dispatchKeyEvent', {'type': 'keyDown', 'key': key, 'code': key, 'windowsVirtualKeyCode': code})
            page.send('Input.dispatchKeyEvent', {'type': 'keyUp', 'key': key, 'code': key, 'windowsVirtualKeyCode': code})
        chosen = page.evaluate('(() => { const i = document.querySelector("input[data-pico-search-results]");'
                               ' const id = i.getAttribute("aria-activedescendant"); const o = id && document.getElementById(id);'
                               ' return o && o.getAttribute("aria-selected") === "true" ? o.querySelector("a").href : null; })()')
        target = urllib.parse.urljoin(root, path)
        if chosen != target:
            raise Fail('ArrowDown chose %r (aria-activedescendant), expected %r' % (chosen, target))
        before = chromium.mark()
        page.send('Input.dispatchKeyEvent', {'type': 'keyDown', 'key': 'Enter', 'code': 'Enter', 'windowsVirtualKeyCode': 13, 'text': '\r'})
        page.send('Input.dispatchKeyEvent', {'type': 'keyUp', 'key': 'Enter', 'code': 'Enter', 'windowsVirtualKeyCode': 13})
        page._loaded(before, 20, 'the page Enter opened')
        landed = page.wait_for('document.readyState === "complete" && location.href', 10, 'the opened page')
        if landed.split('?')[0].split('#')[0] != target:
            raise Fail('Enter opened %r, expected %r' % (landed, target))
        log('typed %r, ArrowDown ArrowDown ArrowUp, Enter: opened %s' % (query, path))

    # 6. The header's plain form opens the search page with ?q=.
    if args.form:
        path, query = pairs([args.form])[0]
        page.navigate(urllib.parse.urljoin(root, path))
        page.evaluate('document.querySelector("form[role=search] input[name=q]").focus()')
        page.send('Input.insertText', {'text': query})
        before = chromium.mark()
        page.send('Input.dispatchKeyEvent', {'type': 'keyDown', 'key': 'Enter', 'code': 'Enter', 'windowsVirtualKeyCode': 13, 'text': '\r'})
        page.send('Input.dispatchKeyEvent', {'type': 'keyUp', 'key': 'Enter', 'code': 'Enter', 'windowsVirtualKeyCode': 13})
        page._loaded(before, 20, 'the search page the form opened')
        shown = wait_results(page, query, 'the results of the form\'s query')
        landed = page.evaluate('location.href')
        if landed.split('?')[0] != page_url or not shown['results']:
            raise Fail('the form on %s opened %r with %d results; expected %s?q=... with results' % (path, landed, len(shown['results']), page_url))
        log('the form on %s opened %s with %d results' % (path, landed[len(root):], len(shown['results'])))

    # 7. The page asked for index files by <script> only (the service worker's own install
    # fetches are not the page's), and its console stayed clean.
    for message in chromium.events_since(mark, 'Network.requestWillBeSent', page.session):
        p = message['params']
        if '/pico-search/' in p['request']['url'] and p.get('type') not in ('Script', None):
            raise Fail('%s was loaded as %s, not by <script>' % (p['request']['url'], p.get('type')))
    problems = [c for c in chromium.console_since(mark) if c['where'] == 'page' and c['level'] in ('error', 'warning', 'exception', 'assert')]
    if problems:
        raise Fail('the console was not clean: %s' % '; '.join('%s: %s (%s)' % (c['level'], c['text'][:200], c.get('url', '')) for c in problems))
    return '%d queries as expected from %s; ?q= opened with results (%d index files for it); console clean' % (
        len(expects) + len(args.exactly or []) + len(args.mark or []) + len(args.none or []), root, len(scripts_before))


def loaded_scripts(chromium, mark, page):
    return sorted({m['params']['request']['url'].rsplit('/', 1)[-1] for m in chromium.events_since(mark, 'Network.requestWillBeSent', page.session)
                   if '/pico-search/' in m['params']['request']['url']})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('url')
    parser.add_argument('--page', default='search/index.html')
    parser.add_argument('--expect', action='append', metavar='QUERY=PATH[,PATH...]')
    parser.add_argument('--exactly', action='append', metavar='QUERY=PATH[,PATH...]')
    parser.add_argument('--mark', action='append', metavar='QUERY=WORD')
    parser.add_argument('--none', action='append', metavar='QUERY')
    parser.add_argument('--keyboard', metavar='QUERY=PATH')
    parser.add_argument('--form', metavar='PAGE=QUERY')
    parser.add_argument('--bundle', action='append', metavar='QUERY=TITLE')
    parser.add_argument('--screenshot', metavar='PATH')
    parser.add_argument('--timeout', type=float, default=60)
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
        chromium = Browser(patience=args.timeout / 60)
        summary = scenario(args, chromium)
        log('%s: PASS (%.1f s): %s' % (NAME, time.monotonic() - started, summary))
        return 0
    except Fail as e:
        log('%s: FAIL (%.1f s): %s' % (NAME, time.monotonic() - started, e))
        return 1
    except Timeout:
        log('%s: FAIL: did not finish within %g s' % (NAME, args.timeout))
        return 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if chromium:
            chromium.close()


if __name__ == '__main__':
    sys.exit(main())
