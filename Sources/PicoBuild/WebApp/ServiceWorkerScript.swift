// The JavaScript is kept as a Swift string so that the pico binary carries it: a bundle is
// made by one self-contained executable, with no resource folder to lose beside it.
extension WebAppFiles {
    /// `sw.js`: the service worker every bundle carries (the same bytes in each). It reads
    /// `pico-manifest.json` beside it, checks every file with Web Crypto before caching it, and
    /// switches versions atomically; see its opening comment.
    static let serviceWorker = #"""
/* pico service worker: the same bytes in every pico bundle.
 *
 * It learns its bundle from pico-manifest.json beside it (under its registration scope),
 * downloads every file the manifest lists, checks each against the manifest's SHA-256 with
 * Web Crypto, and keeps a version only when every file matched. Versions live in caches
 * named by bundle id; a small state record (current, ready, refused, which version each
 * page was served from) sits in a meta cache. A page and its subresources always come from
 * one version: each client is served from the version its navigation got.
 *
 * Messages from pages: {type:'hello'} -> {type:'state',...}; {type:'check'} forces a check of
 * the manifest; {type:'apply'} switches to a ready update and answers {type:'applied'}.
 * Messages to pages: 'cached' (first version complete), 'update-ready', 'refused' (files that
 * failed their check), 'switched', 'state'.
 */
'use strict';

const FORMAT = 'pico-bundle/1';
const SCOPE = self.registration.scope;                  // e.g. https://host/a/b/
const SCOPE_PATH = new URL(SCOPE).pathname;
const PREFIX = 'pico1 ' + SCOPE + ' ';                  // a version's cache: PREFIX + id
const META = 'pico1-meta ' + SCOPE;
const STATE_KEY = SCOPE + '.pico-sw-state';
const MANIFEST = 'pico-manifest.json';
const SUMS = 'SHA256SUMS';
const CONCURRENCY = 6;
const CHECK_INTERVAL_MS = 2000;       // checks triggered by navigations: one per 2 s at most
const RETRY_REFUSED_MS = 60000;       // a refused id is tried again after a minute (or on 'check')
const UNSEEN_CLIENT_MS = 30000;       // a navigation's client that never showed up is forgotten

let state = null;                     // {current, ready, refused, clients: {id: {v, t}}}
let stateLoading = null;
let saving = Promise.resolve();
const versions = new Map();           // id -> Promise<{id, cache, files: Map} | null>
const seen = new Set();               // client ids seen alive by this worker instance
let checking = null;
let lastCheck = 0;
let deferred = null;
let downloading = null;

class Refusal extends Error {
  constructor(id, files) { super(files.length + ' file(s) refused'); this.id = id; this.files = files; }
}
class Offline extends Error {}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (buf) => hex(await crypto.subtle.digest('SHA-256', buf));
const fileURL = (path) => SCOPE + path.split('/').map(encodeURIComponent).join('/');
const safePath = (p) => typeof p === 'string' && p !== '' && !p.startsWith('/') && !p.includes('\\')
  && !p.split('/').some((s) => s === '' || s === '.' || s === '..');

async function loadState() {
  if (state) return state;
  if (!stateLoading) {
    stateLoading = (async () => {
      let saved = {};
      try {
        const r = await (await caches.open(META)).match(STATE_KEY);
        if (r) saved = await r.json();
      } catch (e) { saved = {}; }
      state = { current: saved.current || null, ready: saved.ready || null,
                refused: saved.refused || null, clients: saved.clients || {} };
      return state;
    })();
  }
  return stateLoading;
}

function saveState() {
  saving = saving.then(async () => {
    const body = JSON.stringify(state);
    await (await caches.open(META)).put(STATE_KEY, new Response(body, { headers: { 'content-type': 'application/json' } }));
  }).catch((e) => console.error('pico: cannot save the service worker state:', e));
  return saving;
}

/** A complete version (its manifest stored last marks it complete), or null. */
function version(id) {
  if (!id) return Promise.resolve(null);
  if (!versions.has(id)) {
    versions.set(id, (async () => {
      if (!(await caches.has(PREFIX + id))) return null;
      const cache = await caches.open(PREFIX + id);
      const r = await cache.match(fileURL(MANIFEST));
      if (!r) return null;
      const manifest = await r.json();
      return { id, cache, files: new Map(manifest.files.map((f) => [f.path, f])) };
    })().then((v) => { if (!v) versions.delete(id); return v; }, (e) => { versions.delete(id); throw e; }));
  }
  return versions.get(id);
}

async function broadcast(message) {
  const list = await self.clients.matchAll({ includeUncontrolled: true, type: 'window' });
  for (const client of list) client.postMessage(message);
}

function stateFor(clientId) {
  const entry = state.clients[clientId];
  return { type: 'state', version: entry ? entry.v : null, current: state.current, ready: state.ready,
           refused: state.refused, checking: !!checking, scope: SCOPE };
}

function remember(clientId, id) {
  if (!clientId || !id) return;
  const entry = state.clients[clientId];
  if (entry && entry.v === id) return;
  state.clients[clientId] = { v: id, t: Date.now() };
  saveState();
}

/** Fetches, checks and stores every file of a manifest into the cache named by its id. */
async function download(manifestBytes, manifest) {
  const id = manifest.id;
  const name = PREFIX + id;
  if (await version(id)) return;
  const fail = (reason) => { throw new Refusal(id, [{ path: MANIFEST, reason }]); };
  if (manifest.format !== FORMAT) fail('unknown format ' + JSON.stringify(manifest.format));
  if (!Array.isArray(manifest.files)) fail('no file list');
  for (const f of manifest.files) {
    if (!safePath(f.path) || !/^[0-9a-f]{64}$/.test(f.sha256) || !Number.isInteger(f.size)) fail('bad entry ' + JSON.stringify(f.path));
  }

  // The id is the SHA-256 of SHA256SUMS, and SHA256SUMS lists the same files and hashes.
  let sums;
  try {
    const r = await fetch(fileURL(SUMS), { cache: 'no-store', credentials: 'same-origin' });
    if (!r.ok) fail(SUMS + ': HTTP ' + r.status);
    sums = await r.arrayBuffer();
  } catch (e) { if (e instanceof Refusal) throw e; throw new Offline(String(e)); }
  const sumsHash = await sha256(sums);
  if (sumsHash !== id) {
    console.error(`pico: refused ${SUMS}: its SHA-256 is ${sumsHash}, the manifest's id is ${id}`);
    throw new Refusal(id, [{ path: SUMS, expected: id, actual: sumsHash, reason: 'does not match the bundle id' }]);
  }
  const listed = new Map();
  for (const line of new TextDecoder().decode(sums).split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) listed.set(m[2], m[1]);
  }
  if (listed.size !== manifest.files.length || manifest.files.some((f) => listed.get(f.path) !== f.sha256)) {
    fail(SUMS + ' and the manifest list different files');
  }

  const cache = await caches.open(name);
  const previous = await version(state.current);
  const byHash = new Map();
  if (previous) for (const f of previous.files.values()) byHash.set(f.sha256, f.path);
  const refused = [];
  let offline = null;
  let next = 0;

  async function one(f) {
    const url = fileURL(f.path);
    if (await cache.match(url)) return;               // stored by an earlier attempt, checked then
    if (byHash.has(f.sha256)) {                        // unchanged: reuse the current version's copy
      const old = await previous.cache.match(fileURL(byHash.get(f.sha256)));
      if (old) {
        const body = await old.arrayBuffer();
        await cache.put(url, new Response(body, { headers: { 'content-type': old.headers.get('content-type') || f.type } }));
        return;
      }
    }
    let r;
    try {
      r = await fetch(url, { cache: 'no-store', credentials: 'same-origin', redirect: 'error' });
    } catch (e) { offline = offline || String(e); return; }
    if (!r.ok) {
      console.error(`pico: refused ${f.path}: the server answered HTTP ${r.status}; the manifest says SHA-256 ${f.sha256}`);
      refused.push({ path: f.path, expected: f.sha256, actual: null, reason: 'HTTP ' + r.status });
      return;
    }
    const body = await r.arrayBuffer();
    const actual = await sha256(body);
    if (actual !== f.sha256 || body.byteLength !== f.size) {
      console.error(`pico: refused ${f.path}: its SHA-256 is ${actual}, the manifest says ${f.sha256}`);
      refused.push({ path: f.path, expected: f.sha256, actual, reason: 'SHA-256 mismatch' });
      return;
    }
    await cache.put(url, new Response(body, { headers: { 'content-type': r.headers.get('content-type') || f.type } }));
  }

  async function worker() {
    while (next < manifest.files.length && !offline) await one(manifest.files[next++]);
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (offline) throw new Offline(offline);
  if (refused.length) throw new Refusal(id, refused);
  await cache.put(fileURL(SUMS), new Response(sums, { headers: { 'content-type': 'text/plain; charset=utf-8' } }));
  // Written last: a version is complete exactly when its cache holds its manifest.
  await cache.put(fileURL(MANIFEST), new Response(manifestBytes, { headers: { 'content-type': 'application/json' } }));
}

/** Reads the manifest from the network; downloads a new version; reports what happened. */
function check(force) {
  if (checking) return checking;
  const wait = lastCheck + CHECK_INTERVAL_MS - Date.now();
  if (!force && wait > 0) {
    // Too soon after the last one: one more check runs when the interval is over.
    if (!deferred) deferred = new Promise((resolve) => setTimeout(resolve, wait)).then(() => { deferred = null; return check(false); });
    return deferred;
  }
  lastCheck = Date.now();
  checking = (async () => {
    await loadState();
    let bytes, manifest;
    try {
      const r = await fetch(fileURL(MANIFEST), { cache: 'no-store', credentials: 'same-origin' });
      if (!r.ok) return;
      bytes = await r.arrayBuffer();
      manifest = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) { return; }                            // offline, or no bundle here now
    const id = manifest && manifest.id;
    if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) return;
    if (id === state.current && (await version(id))) {
      if (state.refused) { state.refused = null; await saveState(); }
      return;
    }
    if (id === state.ready && (await version(id))) {
      await broadcast({ type: 'update-ready', id, current: state.current });
      return;
    }
    if (!force && state.refused && state.refused.id === id && Date.now() - state.refused.at < RETRY_REFUSED_MS) return;
    downloading = id;
    try {
      await download(bytes, manifest);
    } catch (e) {
      if (e instanceof Offline) return;
      const files = e instanceof Refusal ? e.files : [{ path: MANIFEST, reason: String(e) }];
      state.refused = { id, files, at: Date.now() };
      await saveState();
      console.error(`pico: bundle ${id} was not cached: ${files.length} file(s) refused; ` +
        (state.current ? `still serving ${state.current}` : 'pages come from the network'));
      await broadcast({ type: 'refused', id, files, serving: state.current });
      await caches.delete(PREFIX + id);
      return;
    } finally { downloading = null; }
    state.refused = null;
    if (!state.current || !(await version(state.current))) {
      state.current = id;
      state.ready = null;
      await saveState();
      await broadcast({ type: 'cached', id });
    } else {
      state.ready = id;
      await saveState();
      await broadcast({ type: 'update-ready', id, current: state.current });
    }
    await cleanup();
  })().catch((e) => console.error('pico: update check failed:', e)).finally(() => { checking = null; });
  return checking;
}

async function switchTo(id) {
  if (!(await version(id))) return;
  state.current = id;
  state.ready = null;
  await saveState();
  await broadcast({ type: 'switched', id });
  await cleanup();
}

/** Deletes every version that is neither current, nor ready, nor still showing in a page. */
async function cleanup() {
  const live = new Set((await self.clients.matchAll({ includeUncontrolled: true, type: 'all' })).map((c) => c.id));
  const now = Date.now();
  for (const [cid, entry] of Object.entries(state.clients)) {
    if (live.has(cid)) { seen.add(cid); continue; }
    if (seen.has(cid) || now - entry.t > UNSEEN_CLIENT_MS) delete state.clients[cid];
  }
  const keep = new Set([state.current, state.ready, downloading, ...Object.values(state.clients).map((e) => e.v)]);
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && !keep.has(name.slice(PREFIX.length))) {
      versions.delete(name.slice(PREFIX.length));
      await caches.delete(name);
    }
  }
  await saveState();
}

/** 404.html lives at the root; a <base> keeps its relative links right at any depth. */
async function notFound(v) {
  const r = await v.cache.match(fileURL('404.html'));
  if (!r) return null;
  let text = await r.text();
  const base = `<base href="${SCOPE.replace(/"/g, '%22')}">`;
  const head = /<head(\s[^>]*)?>/i.exec(text);
  text = head ? text.slice(0, head.index + head[0].length) + base + text.slice(head.index + head[0].length) : base + text;
  return new Response(text, { status: 404, statusText: 'Not Found', headers: { 'content-type': r.headers.get('content-type') || 'text/html; charset=utf-8' } });
}

async function respond(event, rel) {
  const request = event.request;
  await loadState();
  const navigation = request.mode === 'navigate';
  if (navigation) {
    if (state.ready && state.ready !== state.current) await switchTo(state.ready);
    event.waitUntil(check(false));
  } else if (event.clientId) {
    seen.add(event.clientId);
  }
  const entry = !navigation && state.clients[event.clientId];
  const v = await version(entry ? entry.v : state.current);
  if (!v) return fetch(request);
  let path = rel === '' || rel.endsWith('/') ? rel + 'index.html' : rel;
  if (!v.files.has(path) && v.files.has(path + '/index.html')) {
    if (navigation) {
      const url = new URL(request.url);
      url.pathname += '/';
      return Response.redirect(url.href, 301);
    }
    path += '/index.html';
  }
  if (!v.files.has(path)) {
    if (navigation && v.files.has('404.html')) {
      const response = await notFound(v);
      if (response) { remember(event.resultingClientId, v.id); return response; }
    }
    return fetch(request);
  }
  const response = await v.cache.match(fileURL(path));
  if (!response) return fetch(request);
  if (navigation) remember(event.resultingClientId, v.id);
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE_PATH)) return;
  let rel;
  try { rel = decodeURIComponent(url.pathname.slice(SCOPE_PATH.length)); } catch (e) { return; }
  if (rel === MANIFEST || rel === SUMS) return;       // always the network's, as they are now
  event.respondWith(respond(event, rel).catch((e) => {
    console.error('pico: cannot answer ' + url.pathname + ' from the cache:', e);
    return fetch(request);
  }));
});

self.addEventListener('install', (event) => {
  self.skipWaiting();
  event.waitUntil(check(true));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    await loadState();
    // Pages loaded before the worker existed are counted as showing the current version
    // (recorded before claiming them, so that their first 'hello' finds it).
    for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
      if (!state.clients[client.id] && state.current) state.clients[client.id] = { v: state.current, t: Date.now() };
      seen.add(client.id);
    }
    await saveState();
    await self.clients.claim();
    await cleanup();
  })());
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  const source = event.source;
  event.waitUntil((async () => {
    await loadState();
    if (source && source.id) seen.add(source.id);
    if (data.type === 'hello') {
      // A page this worker did not serve (loaded before it, or with a reload that bypassed
      // it) shows what is current.
      if (!state.clients[source.id]) remember(source.id, state.current);
      source.postMessage(stateFor(source.id));
      await cleanup();
      await check(false);
    } else if (data.type === 'check') {
      await check(true);
      source.postMessage(stateFor(source.id));
    } else if (data.type === 'apply') {
      if (state.ready) await switchTo(state.ready);
      source.postMessage({ type: 'applied', id: state.current });
    }
  })());
});
"""#
}
