/* pico search runtime: the same bytes at the start of every bundle's pico-search/search.js
 * (the bundle's index.js and d-000.js follow them there), loaded with
 *   <script src="RELATIVE/pico-search/search.js"></script>
 * The index beside it is JavaScript data (index.js, t-NNN.js term shards, d-NNN.js document
 * shards, docs/FORMAT.md "pico-search/"), each file one call of PicoSearch.index/terms/docs.
 * Files are loaded by adding <script src>, relative to this script's own URL: on file://
 * fetch, XHR, import() and file Workers are blocked, a classic script is not.
 *
 *   PicoSearch.search("words", {limit: 10}) -> Promise<[{path, url, title, snippet, score, bundle}]>
 *   PicoSearch.attach(input, results)      live results as you type (↑/↓, Enter, Escape)
 * An <input data-pico-search-results="ID"> is attached to the element ID when the page loads,
 * and filled from ?q= (the input's name) so a link or a bookmark can carry a query.
 */
(() => {
  'use strict';
  if (window.PicoSearch) return;                  // included twice: the first one serves
  const script = document.currentScript;
  const here = new URL('./', script && script.src ? script.src : location.href);   // pico-search/
  const root = new URL('../', here);              // the folder whose paths the index lists
  const wordPattern = /[\p{L}\p{N}]+/gu;

  let index = null;                               // the promise of index.js's data
  const arrived = new Map();                      // file -> its data, as its call delivered it
  const loading = new Map();                      // file -> promise of its data
  const termShards = new Map();                   // file -> {stems, words, keys (sorted)}
  const texts = new Map();                        // d-NNN.js -> promise of its stored texts

  // ------------------------------------------------------------------ loading by <script>

  function deliver(file, data) {
    if (typeof file === 'string' && data && typeof data === 'object') arrived.set(file, data);
  }

  // The first `hot` document shards hold the pages that rank first for the most words (the
  // build numbers them so): most queries' results are there, so they are asked for beside a
  // query's term shards, not after them, and inflated as soon as they arrive.
  function loadHotDocuments(data) {
    const docs = data.docs || {}, files = docs.files || [];
    for (let i = 0; i < Math.min(docs.hot | 0, files.length); i++) {
      const file = files[i];
      load(file).then((shard) => storedTexts(file, shard), () => {});
    }
  }

  function load(file) {
    if (!/^[\w.-]+\.js$/.test(file)) return Promise.reject(new Error('bad index file name ' + file));
    if (arrived.has(file)) return Promise.resolve(arrived.get(file));
    if (!loading.has(file)) {
      loading.set(file, new Promise((resolve, reject) => {
        const tag = document.createElement('script');
        tag.src = new URL(file, here).href;
        tag.onload = () => {
          tag.remove();
          if (arrived.has(file)) resolve(arrived.get(file));
          else { loading.delete(file); reject(new Error(file + ' is not a pico-search file')); }
        };
        tag.onerror = () => {
          tag.remove();
          loading.delete(file);                   // a later query may try again
          reject(new Error(file + ' could not be loaded'));
        };
        document.head.appendChild(tag);
      }));
    }
    return loading.get(file);
  }

  function loadIndex() {
    if (!index) {
      index = load('index.js').then((data) => {
        if (data.format !== 'pico-search/1') throw new Error('index.js is ' + data.format + ', not pico-search/1');
        return data;
      });
      index.catch(() => { index = null; });
    }
    return index;
  }

  function loadTerms(file) {
    if (termShards.has(file)) return Promise.resolve(termShards.get(file));
    return load(file).then((data) => {
      if (!termShards.has(file)) {
        const stems = data.stems || {}, words = data.words || {};
        // Sorted by UTF-16 code units, as the shards are: prefixes are found by binary search.
        // Each object lists its keys in the shard's order (but for integer-like keys, which
        // JavaScript puts first): merging the two runs is linear, sorting is left for when
        // the merge is not in order.
        const keys = merged(Object.keys(stems), Object.keys(words));
        termShards.set(file, { stems, words, keys });
        arrived.delete(file);
      }
      return termShards.get(file);
    });
  }

  function merged(a, b) {
    const keys = new Array(a.length + b.length);
    let i = 0, j = 0, n = 0;
    while (i < a.length && j < b.length) keys[n++] = a[i] < b[j] ? a[i++] : b[j++];
    while (i < a.length) keys[n++] = a[i++];
    while (j < b.length) keys[n++] = b[j++];
    for (let k = 1; k < n; k++) if (keys[k - 1] > keys[k]) return keys.sort();
    return keys;
  }

  // The shard holding key: the last whose first key is <= key.
  function shardOf(data, key) {
    const t = data.terms;
    let lo = 0, hi = t.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (t[mid][0] <= key) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  // ------------------------------------------------------------------ decoding

  function bytesOf(base64) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(base64);
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  // Pairs of unsigned LEB128 varints (doc delta, score) -> {docs, scores}, typed arrays: a word
  // of every page of a large bundle has ten thousand of them.
  const decoded = new Map();
  function postings(base64) {
    let found = decoded.get(base64);
    if (found) return found;
    const bytes = bytesOf(base64), length = bytes.length;
    const docs = new Uint32Array(length >> 1), scores = new Uint8Array(length >> 1);
    // One flat loop, the one-byte varint first: a cold query runs this before the JIT has
    // compiled it, on lists of up to a whole bundle's documents.
    let i = 0, n = 0, doc = 0;
    while (i < length) {
      let byte = bytes[i++], delta = byte & 0x7f;
      for (let shift = 7; byte & 0x80 && i < length; shift += 7) { byte = bytes[i++]; delta += (byte & 0x7f) * 2 ** shift; }
      if (i >= length) break;                     // a pair cut off
      byte = bytes[i++];
      let score = byte & 0x7f;
      for (let shift = 7; byte & 0x80 && i < length; shift += 7) { byte = bytes[i++]; score += (byte & 0x7f) * 2 ** shift; }
      doc += delta;
      docs[n] = doc;
      scores[n++] = score < 255 ? score : 255;
    }
    found = { docs: docs.subarray(0, n), scores: scores.subarray(0, n) };
    decoded.set(base64, found);
    return found;
  }

  // The bytes are written into the DecompressionStream at once: piping a Blob's stream through it
  // took 3–6 ms a shard in Chromium (the Blob read in chunks, a task each), this 1.5–2 ms.
  function inflated(base64) {
    const stream = new DecompressionStream('deflate-raw');
    const writer = stream.writable.getWriter();
    writer.write(bytesOf(base64)).catch(() => {});   // a damaged stream: text() below says so
    writer.close().catch(() => {});
    return new Response(stream.readable).text();
  }

  function storedTexts(file, shard) {
    if (!texts.has(file)) {
      const inflate = typeof shard.text !== 'string' || shard.text === '' ? Promise.resolve('') : inflated(shard.text);
      texts.set(file, inflate.then((text) => text.split('\u0000')).catch(() => []));
    }
    return texts.get(file);
  }

  // ------------------------------------------------------------------ the query

  function words(text) {
    return (String(text).normalize('NFKC').toLowerCase().match(wordPattern) || []).filter((w) => w.length <= 40);
  }

  // The prefixes of q a stem may be for q to be one of its forms ("runs" -> "run"; "happy" ->
  // "happi", Snowball's stem), longest first.
  function stemForms(q) {
    const forms = [];
    const bases = q.endsWith('y') ? [q, q.slice(0, -1) + 'i'] : [q];
    for (const base of bases) {
      for (let n = base.length; n >= Math.max(3, q.length - 3); n--) {
        const form = base.slice(0, n);
        if (form !== q && !forms.includes(form)) forms.push(form);
      }
    }
    return forms;
  }

  const matched = new Map();                      // query word -> its match (the index never changes)

  function candidates(data, q) {
    if (!matched.has(q)) {
      const found = match(data, q);
      matched.set(q, found);
      found.catch(() => matched.delete(q));
      if (matched.size > 200) matched.delete(matched.keys().next().value);
    }
    return matched.get(q);
  }

  // Quantized score q (1…127) -> the BM25 score it stands for: a log scale between the index's
  // smallest and largest (index.js "scores"), so that sums over the words of a query are sums of
  // BM25 scores as the build computed them.
  const scales = new WeakMap();
  function scoreScale(data) {
    let scale = scales.get(data);
    if (!scale) {
      scale = new Float32Array(256);
      const [lowest, highest] = Array.isArray(data.scores) ? data.scores : [0, 0];
      for (let q = 1; q < 256; q++) {
        scale[q] = lowest > 0 && highest > lowest ? lowest * Math.pow(highest / lowest, Math.min(q - 1, 126) / 126) : q;
      }
      scales.set(data, scale);
    }
    return scale;
  }

  async function match(data, q) {
    const fileOf = (key) => data.terms[shardOf(data, key)][1];
    // Shards covering [q, q + "\uffff"], and those of the prefixes a stem of q may be.
    const wanted = new Set();
    for (let i = shardOf(data, q), last = shardOf(data, q + '\uffff'); i <= last; i++) wanted.add(data.terms[i][1]);
    for (const form of stemForms(q)) wanted.add(fileOf(form));
    const shards = new Map();
    const loadAll = (files) => Promise.all([...files].filter((f) => !shards.has(f))
      .map(async (file) => shards.set(file, await loadTerms(file))));
    await loadAll(wanted);

    const weights = new Map();                    // stem -> the best weight q gives it
    const give = (stem, weight) => { if ((weights.get(stem) || 0) < weight) weights.set(stem, weight); };
    const own = shards.get(fileOf(q));
    if (Object.hasOwn(own.stems, q)) give(q, 1);
    if (Object.hasOwn(own.words, q)) give(own.words[q], 1);
    for (const form of stemForms(q)) {
      if (Object.hasOwn(shards.get(fileOf(form)).stems, form)) give(form, 0.9);
    }
    const prefixed = new Set();
    for (const file of wanted) {
      const { keys, stems, words: forms } = shards.get(file);
      let lo = 0, hi = keys.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (keys[mid] < q) lo = mid + 1; else hi = mid; }
      for (let i = lo; i < keys.length && keys[i].startsWith(q); i++) {
        prefixed.add(Object.hasOwn(stems, keys[i]) ? keys[i] : forms[keys[i]]);
      }
    }
    // The postings of every stem named, from whichever shard holds it (loaded together).
    const named = [...new Set([...weights.keys(), ...prefixed])];
    await loadAll(new Set(named.map(fileOf)));
    const lists = new Map();
    for (const stem of named) {
      const shard = shards.get(fileOf(stem));
      if (Object.hasOwn(shard.stems, stem)) lists.set(stem, shard.stems[stem]);
    }
    // Up to 30 prefix matches, the most frequent first (a postings list grows with its df).
    const byDf = [...prefixed].filter((s) => lists.has(s))
      .sort((a, b) => lists.get(b).length - lists.get(a).length || (a < b ? -1 : 1));
    for (const stem of byDf.slice(0, 30)) give(stem, 0.6);

    // Per document: the score of q's best key there (0: none), and which key (for the snippet).
    // hits: the documents with any key, in increasing order (what a query of every word scans).
    const count = data.documents;
    const scale = scoreScale(data);
    const best = new Float32Array(count), which = new Uint8Array(count);
    const stems = [...weights.keys()].filter((stem) => lists.has(stem)).slice(0, 255);
    let hits = new Uint32Array(0), found = 0;
    stems.forEach((stem, k) => {
      const weight = weights.get(stem);
      const { docs, scores } = postings(lists.get(stem));
      if (hits.length < found + docs.length) {
        const more = new Uint32Array(Math.min(count, found + docs.length));
        more.set(hits.subarray(0, found));
        hits = more;
      }
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i], value = scale[scores[i]] * weight;
        if (doc < count && value > best[doc]) {
          if (best[doc] === 0) hits[found++] = doc;
          best[doc] = value;
          which[doc] = k;
        }
      }
    });
    hits = hits.subarray(0, found);
    if (stems.length > 1) hits.sort();            // numeric, in place
    return { word: q, stems: new Set(weights.keys()), best, which, keys: stems, shards, hits };
  }

  async function search(query, options) {
    const limit = Math.max(1, (options && options.limit) || 10);
    const terms = [...new Set(words(query))];
    if (!terms.length) return [];
    const data = await loadIndex();
    if (!data.terms || !data.terms.length) return [];
    const asked = Promise.all(terms.map((q) => candidates(data, q)));   // the term shards are on their way
    loadHotDocuments(data);
    const matches = await asked;

    // Every word (AND); when no document has them all, any of them (OR). The best `limit`
    // are kept as they come (a top-k list), not by sorting every document. For every word only
    // the documents of the word with the fewest need looking at; in increasing order either
    // way, so equal scores keep the lower document first.
    const count = data.documents;
    const fewest = matches.reduce((a, b) => (b.hits.length < a.hits.length ? b : a));
    const bests = matches.map((m) => m.best), wordCount = bests.length;
    const pick = (needed) => {
      const top = [];                             // [doc, score], best first
      const scan = needed === matches.length ? fewest.hits : null;
      const end = scan ? scan.length : count;
      for (let position = 0; position < end; position++) {
        const doc = scan ? scan[position] : position;
        let score = 0, has = 0;
        for (let w = 0; w < wordCount; w++) { const s = bests[w][doc]; if (s > 0) { score += s; has++; } }
        if (has < needed || has === 0) continue;
        if (top.length === limit && score <= top[limit - 1][1]) continue;
        let at = top.length;
        while (at > 0 && top[at - 1][1] < score) at--;
        top.splice(at, 0, [doc, score]);
        if (top.length > limit) top.pop();
      }
      return top;
    };
    let top = pick(matches.length);
    if (!top.length && matches.length > 1) top = pick(1);
    return Promise.all(top.map(([doc, score]) => result(data, doc, score, matches)));
  }

  // The first file holds `inFirst` documents (the hottest, which search.js carries), each
  // after it `perShard`; an index without inFirst has perShard in every file.
  function documentFile(docs, doc) {
    const first = Number.isInteger(docs.inFirst) ? docs.inFirst : docs.perShard;
    return doc < first ? 0 : 1 + Math.floor((doc - first) / docs.perShard);
  }

  async function result(data, doc, score, matches) {
    const file = data.docs.files[documentFile(data.docs, doc)];
    const shard = await load(file);
    const [path, title, bundleNumber] = shard.docs[doc - shard.first] || [];
    const bundle = data.bundles && data.bundles[bundleNumber]
      ? { folder: data.bundles[bundleNumber][0], title: data.bundles[bundleNumber][1] } : null;
    const text = (await storedTexts(file, shard))[doc - shard.first] || '';
    // The snippet is taken around the word that counted most for this document.
    let best = null;
    for (const m of matches) if (m.best[doc] > 0 && (!best || m.best[doc] > best.best[doc])) best = m;
    return {
      path, url: new URL(path, root).href, title: title || path, score,
      snippet: snippet(text, matches, best && best.keys[best.which[doc]]), bundle,
    };
  }

  // ------------------------------------------------------------------ snippets

  function escape(text) {
    return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  // The stem a word of the text is indexed under when a loaded shard has it, else undefined.
  function stemOf(word, shards) {
    for (const shard of shards.values()) {
      if (Object.hasOwn(shard.stems, word)) return word;
      if (Object.hasOwn(shard.words, word)) return shard.words[word];
    }
    return undefined;
  }

  // The stem of the query a word of the text stands for, or null.
  function matchOf(word, matches) {
    for (const m of matches) {
      if (word.startsWith(m.word)) return m.stems.has(m.word) ? m.word : stemOf(word, m.shards) || m.word;
      const stem = stemOf(word, m.shards);
      if (stem !== undefined) { if (m.stems.has(stem)) return stem; continue; }
      // Its shard is not loaded: a word that begins with a stem of the query (plus a suffix).
      const folded = word.endsWith('y') ? word.slice(0, -1) + 'i' : word;
      for (const s of m.stems) if (folded.startsWith(s) && folded.length - s.length <= 4) return s;
    }
    return null;
  }

  function snippet(text, matches, bestStem) {
    const seen = matches.seen || (matches.seen = new Map());   // word -> matchOf, for this query
    const found = [];                             // [start, end, stem] of each matched word
    for (const w of text.matchAll(wordPattern)) {
      let stem = seen.get(w[0]);
      if (stem === undefined) seen.set(w[0], stem = matchOf(w[0].normalize('NFKC').toLowerCase(), matches));
      if (stem !== null) found.push([w.index, w.index + w[0].length, stem]);
    }
    const anchor = found.find((f) => f[2] === bestStem) || found[0];
    let start = 0, end = Math.min(text.length, 160);
    if (anchor && anchor[1] > end - 20) {
      start = Math.max(0, anchor[0] - 60);
      end = Math.min(text.length, start + 160);
    }
    // Whole words at both ends.
    if (start > 0) {
      const space = text.indexOf(' ', start);
      if (space >= 0 && space < anchor[0]) start = space + 1;
    }
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start && (!anchor || space >= anchor[1])) end = space;
    }
    let html = start > 0 ? '… ' : '';
    let at = start;
    for (const [s, e] of found) {
      if (s < start || e > end) continue;
      html += escape(text.slice(at, s)) + '<mark>' + escape(text.slice(s, e)) + '</mark>';
      at = e;
    }
    return html + escape(text.slice(at, end)) + (end < text.length ? ' …' : '');
  }

  // ------------------------------------------------------------------ the search box

  let boxes = 0;
  function attach(input, results, options) {
    const limit = (options && options.limit) || 10;
    const id = results.id || (results.id = 'pico-search-' + ++boxes);
    const status = document.createElement('p');
    status.className = 'pico-search-status';
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    const list = document.createElement('ul');
    list.className = 'pico-search-results';
    list.id = id + '-list';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'Results');
    list.hidden = true;
    results.replaceChildren(status, list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('autocomplete', 'off');

    let asked = 0, timer = 0, selected = -1, shown = null;
    const items = () => [...list.children];
    const select = (n) => {                       // n: an option's number, or -1 for none
      const all = items();
      selected = n < all.length ? n : -1;
      all.forEach((item, i) => item.setAttribute('aria-selected', String(i === selected)));
      if (selected >= 0) {
        input.setAttribute('aria-activedescendant', all[selected].id);
        all[selected].scrollIntoView({ block: 'nearest' });
      } else input.removeAttribute('aria-activedescendant');
    };
    const show = (found, query) => {
      list.replaceChildren(...found.map((r, i) => {
        const item = document.createElement('li');
        item.id = list.id + '-' + i;
        item.setAttribute('role', 'option');
        item.setAttribute('aria-selected', 'false');
        const link = document.createElement('a');
        link.href = r.url;
        link.tabIndex = -1;                       // the input keeps the focus; ↑/↓ choose
        const title = document.createElement('span');
        title.className = 'pico-search-title';
        title.textContent = r.title;
        link.append(title);
        if (r.bundle) {
          const from = document.createElement('span');
          from.className = 'pico-search-bundle';
          from.textContent = r.bundle.title || r.bundle.folder;
          link.append(' ', from);
        }
        const text = document.createElement('span');
        text.className = 'pico-search-snippet';
        text.innerHTML = r.snippet;               // escaped text and <mark> only (snippet())
        item.append(link, text);
        return item;
      }));
      list.hidden = !found.length;
      input.setAttribute('aria-expanded', String(found.length > 0));
      select(-1);
      status.textContent = !query ? '' : found.length ? found.length + (found.length === 1 ? ' result' : ' results')
        : 'No results for “' + query + '”';
    };
    const run = () => {
      const query = input.value.trim();
      if (query === shown) return;
      shown = query;
      const mine = ++asked;
      results.dataset.picoSearchState = 'searching';
      const done = (state) => { if (mine === asked) results.dataset.picoSearchState = state; };
      if (!query) { show([], ''); done('done'); }
      else {
        search(query, { limit }).then((found) => {
          if (mine === asked) show(found, query);
          done('done');
        }, (error) => {
          if (mine !== asked) return;
          show([], '');
          status.textContent = 'Search is not available: ' + error.message;
          shown = null;                           // the next keystroke tries again
          done('error');
        });
      }
      // The page's address carries the query, so a bookmark or Back opens these results.
      if (options && options.address) {
        const url = new URL(location.href);
        if (query) url.searchParams.set(input.name || 'q', query); else url.searchParams.delete(input.name || 'q');
        try { history.replaceState(history.state, '', url.href); } catch { /* a file:// page may refuse */ }
      }
    };
    input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 60); });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        const count = items().length;
        if (list.hidden || !count) return;
        event.preventDefault();
        if (event.key === 'ArrowDown') select(selected + 1 < count ? selected + 1 : 0);
        else select(selected > 0 ? selected - 1 : count - 1);
      } else if (event.key === 'Enter') {
        event.preventDefault();                   // the results are here: no form submit
        clearTimeout(timer);
        if (selected >= 0) location.href = items()[selected].querySelector('a').href;
        else run();
      } else if (event.key === 'Escape' && input.value) {
        event.preventDefault();
        input.value = '';
        clearTimeout(timer);
        run();
      }
    });
    const param = new URLSearchParams(location.search).get(input.name || 'q');
    if (param && !input.value) input.value = param;
    if (input.value.trim()) run();
    else loadIndex().then(loadHotDocuments, () => {});   // warm: the first keystroke needs them
    return { search: run };
  }

  window.PicoSearch = {
    index: (data) => deliver('index.js', data),
    terms: deliver,
    docs: deliver,
    search,
    attach,
  };

  function attachAll() {
    for (const input of document.querySelectorAll('input[data-pico-search-results]')) {
      const results = document.getElementById(input.dataset.picoSearchResults);
      if (results) attach(input, results, { address: true });
    }
  }
  // After this script's own statements: the runtime a build writes carries index.js and
  // d-000.js (their calls follow this function), and then neither is asked for at all.
  queueMicrotask(() => {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', attachAll);
    else attachAll();
    // index.js is what every query needs first: asked for now, it is on its way (or here) by
    // the time the page's script calls search(); then the hot document shards. d-000.js, the
    // hottest, is in every index: it need not wait for index.js to be named.
    loadIndex().then(loadHotDocuments, () => {});
    load('d-000.js').then((shard) => storedTexts('d-000.js', shard), () => {});
  });
})();
