#!/usr/bin/env python3
"""Query latency of a search index in headless Chromium (for Benchmarks/search.sh).

usage: search_query.py ENGINE ROOT --mode http|file --queries Q1,Q2,... [--page index.html]
                       [--rounds 3] [--json OUT]

  ENGINE   pico      ROOT/pico-search/search.js, PicoSearch.search(q, {limit: 10})
           pagefind  ROOT/pagefind/pagefind.js (import()), search(q) and the data of the top 10
                     results (their snippets: pico's results carry theirs)
           library   a drive library's ROOT/pico-search/ (the merged index), as pico
           floor     no index: ROOT/a.js and b.js (tiny) loaded one after the other as "cold",
                     c.js as "next": what any two-file cold query costs on this machine
  ROOT     the folder served (http: a server on 127.0.0.1 in this process, plain files) or
           opened (file://)

For every query and round, a fresh tab (HTTP cache disabled, service workers bypassed: the
bundle's own worker must not answer for files it does not list) opens ROOT/PAGE, which loads
no search script; then one expression in the page, timed with performance.now():
  cold    the runtime's script added and loaded, then the first query answered (every index
          file it needs loaded, snippets ready)
  next    a second, different query in the same tab (the next one of the list)
  warm    the first query again (everything it needs already loaded)
Prints one JSON object: the medians, minima and maxima in ms, the results of the first query, and
for a mode that does not work (Pagefind from file://) the error the page got, not a number.
The console's errors and exceptions during the runs are counted and the first few listed.
Also counted, from the DevTools Network events of each tab: the files of the index (the runtime
included) each step asked for (cold_files, next_files, warm_files: medians and maxima), and
the names the first cold query loaded. On file:// a cold query's time is mostly these loads
(each <script> is a round trip through the browser process), so the count is the number to
watch when the milliseconds are noisy.
"""
import argparse
import http.server
import json
import os
import statistics
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Tests', 'tools'))
from browser import Browser, Fail  # noqa: E402

PICO_JS = r'''(async (queries, runtime, trace) => {
  const out = {};
  const t0 = performance.now();
  if (trace) {
    window.__picoTrace = [];
    const append = document.head.appendChild.bind(document.head);
    document.head.appendChild = (node) => {
      if (node.src) {
        const entry = [node.src.slice(node.src.lastIndexOf('/') + 1), +(performance.now() - t0).toFixed(1), null];
        window.__picoTrace.push(entry);
        node.addEventListener('load', () => { entry[2] = +(performance.now() - t0).toFixed(1); });
      }
      return append(node);
    };
  }
  try {
    if (!window.PicoSearch) {
      await new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = runtime;
        s.onload = resolve;
        s.onerror = () => reject(new Error(runtime + ' did not load'));
        document.head.appendChild(s);
      });
    }
    const first = await PicoSearch.search(queries[0], {limit: 10});
    const t1 = performance.now();
    await PicoSearch.search(queries[1], {limit: 10});
    const t2 = performance.now();
    const again = await PicoSearch.search(queries[0], {limit: 10});
    const t3 = performance.now();
    // --trace: each index file's <script> added and its load event (ms after t0) during the
    // cold query: the gaps between one step's loads and the next step's requests are the page's own work.
    const loads = (window.__picoTrace || []).filter((e) => e[1] < t1 - t0)
      .concat((window.__picoMarks || []).map(([n, t]) => [n, +(t - t0).toFixed(1)]).filter((e) => e[1] <= t1 - t0));
    return {cold: t1 - t0, next: t2 - t1, warm: t3 - t2, at: [t0, t1, t2, t3].map((t) => performance.timeOrigin + t), loads,
            hits: first.length, same: JSON.stringify(first) === JSON.stringify(again),
            top: first.slice(0, 3).map((r) => ({path: r.path, title: r.title, url: r.url, bundle: r.bundle ? r.bundle.folder : null,
                                                snippet: (r.snippet || '').slice(0, 200)}))};
  } catch (e) {
    return {error: String(e && e.message || e)};
  }
})'''

PAGEFIND_JS = r'''(async (queries, runtime) => {
  const t0 = performance.now();
  try {
    const pf = await import(runtime);
    if (pf.init) await pf.init();
    const run = async (q) => {
      const found = await pf.search(q);
      const data = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
      return {count: found.results.length, data};
    };
    const first = await run(queries[0]);
    const t1 = performance.now();
    await run(queries[1]);
    const t2 = performance.now();
    await run(queries[0]);
    const t3 = performance.now();
    return {cold: t1 - t0, next: t2 - t1, warm: t3 - t2, at: [t0, t1, t2, t3].map((t) => performance.timeOrigin + t),
            hits: first.data.length, matches: first.count,
            top: first.data.slice(0, 3).map((d) => ({path: d.url, title: (d.meta || {}).title, snippet: (d.excerpt || '').slice(0, 200)}))};
  } catch (e) {
    return {error: String(e && e.message || e)};
  }
})'''


# The machine's floor: two tiny scripts loaded one after the other (what the least cold query
# does: search.js, then one term shard), and a third alone. ROOT holds index.html, a.js, b.js, c.js.
FLOOR_JS = r'''(async (queries, runtime) => {
  const load = (name) => new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = new URL(name, runtime).href;
    s.onload = resolve;
    s.onerror = () => reject(new Error(name + ' did not load'));
    document.head.appendChild(s);
  });
  const t0 = performance.now();
  await load('a.js');
  await load('b.js');
  const t1 = performance.now();
  await load('c.js');
  const t2 = performance.now();
  return {cold: t1 - t0, next: t2 - t1, warm: 0, at: [t0, t1, t2, t2].map((t) => performance.timeOrigin + t), hits: 0, same: true, top: []};
})'''


def serve(folder):
    """A plain static server of folder on 127.0.0.1 (threads of this process); its base URL."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=folder, **k)

        def log_message(self, *a):
            pass

    Handler.extensions_map = dict(Handler.extensions_map, **{'.js': 'text/javascript', '.wasm': 'application/wasm'})
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, 'http://127.0.0.1:%d/' % server.server_address[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('engine', choices=['pico', 'pagefind', 'library', 'floor'])
    p.add_argument('root')
    p.add_argument('--mode', choices=['http', 'file'], required=True)
    p.add_argument('--queries', required=True, help='comma-separated; each round starts at the next one')
    p.add_argument('--page', default='index.html', help='the page opened first (under ROOT)')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--trace', action='store_true', help="also print each cold query's index files: [name, requested, arrived] in ms")
    args = p.parse_args()
    root = os.path.abspath(args.root)
    queries = [q for q in args.queries.split(',') if q]
    if len(queries) < 2:
        p.error('give at least two queries')
    server = None
    if args.mode == 'http':
        server, base = serve(root)
    else:
        base = 'file://' + urllib.parse.quote(root) + '/'
    page_url = base + urllib.parse.quote(args.page)
    runtime = base + {'pagefind': 'pagefind/pagefind.js', 'floor': 'a.js'}.get(args.engine, 'pico-search/search.js')
    script = {'pagefind': PAGEFIND_JS, 'floor': FLOOR_JS}.get(args.engine, PICO_JS)

    browser = Browser(patience=2)
    samples, first_result, errors = [], None, []
    mark = browser.mark()
    try:
        for round_ in range(args.rounds):
            for i, q in enumerate(queries):
                page = browser.new_page()
                page.send('Network.setCacheDisabled', {'cacheDisabled': True})
                page.send('Network.setBypassServiceWorker', {'bypass': True})
                page.navigate(page_url)
                pair = [q, queries[(i + 1) % len(queries)]]
                asked = browser.mark()
                page.send('Performance.enable')
                before = {m['name']: m['value'] for m in page.send('Performance.getMetrics')['metrics']}
                result = page.evaluate('%s(%s, %s, %s)' % (script, json.dumps(pair), json.dumps(runtime), json.dumps(args.trace)), timeout=60)
                after = {m['name']: m['value'] for m in page.send('Performance.getMetrics')['metrics']}
                # The page's main-thread time (its tasks: parsing, scripts, inflating) for the three
                # queries: the work, which a loaded machine stretches less than the wall time.
                result['task_ms'] = (after.get('TaskDuration', 0) - before.get('TaskDuration', 0)) * 1000
                result['script_ms'] = (after.get('ScriptDuration', 0) - before.get('ScriptDuration', 0)) * 1000
                if result.get('at'):
                    requests = [(e['params'].get('wallTime', 0) * 1000, e['params']['request']['url'])
                                for e in browser.events_since(asked, 'Network.requestWillBeSent', page.session)]
                    index_urls = [(t, u) for t, u in requests if u.startswith(base) and u[len(base):].split('/')[0] in ('pico-search', 'pagefind')]
                    t0, t1, t2, t3 = result['at']
                    # wallTime has ms precision: a request is counted in the step whose span holds it.
                    result['cold_files'] = sum(1 for t, _ in index_urls if t < t1)
                    result['next_files'] = sum(1 for t, _ in index_urls if t1 <= t < t2)
                    result['warm_files'] = sum(1 for t, _ in index_urls if t >= t2)
                    result['cold_names'] = [u.rsplit('/', 1)[-1] for t, u in index_urls if t < t1]
                browser.send('Target.closeTarget', {'targetId': page.target})
                if result.get('error'):
                    errors.append('%s: %s' % (q, result['error']))
                    continue
                result['query'] = q
                samples.append(result)
                if first_result is None:
                    first_result = {'query': q, 'hits': result['hits'], 'top': result['top'], 'cold_files': result.get('cold_names')}
            if errors and not samples:
                break                          # the mode does not work at all: one round says so
    except Fail as e:
        errors.append(str(e))
    finally:
        # The browser's own ask for /favicon.ico (a page without an icon, over http) is not the search's.
        console = [c for c in browser.console_since(mark) if c['level'] in ('error', 'exception')
                   and not (c.get('url') or '').endswith('/favicon.ico')]
        browser.close()
        if server:
            server.shutdown()

    def stats(key):
        values = [s[key] for s in samples if key in s]
        return {'median': statistics.median(values), 'min': min(values), 'max': max(values), 'n': len(values)} if values else None

    print(json.dumps({
        'engine': args.engine, 'mode': args.mode, 'page': page_url,
        'cold': stats('cold'), 'next': stats('next'), 'warm': stats('warm'),
        'task_ms': stats('task_ms'), 'script_ms': stats('script_ms'),
        'cold_files': stats('cold_files'), 'next_files': stats('next_files'), 'warm_files': stats('warm_files'),
        'repeatable': all(s.get('same', True) for s in samples),
        'first': first_result, 'errors': errors[:5],
        **({'trace': [{'query': s['query'], 'cold': round(s['cold'], 1), 'loads': s.get('loads')} for s in samples]} if args.trace else {}), 'error_count': len(errors),
        'console_errors': len(console), 'console': [('%s: %s' % (c['level'], c['text']))[:300] for c in console[:5]],
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())
