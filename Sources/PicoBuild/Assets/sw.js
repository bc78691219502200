/* pico service worker: the same bytes in every pico bundle.
 *
 * It learns its bundle from pico-manifest.json beside it (under its registration scope),
 * checks it against SHA256SUMS (whose SHA-256 is the bundle id), and reads the bundle's
 * offline policy, pico-offline.json (a file of the bundle, checked like any other):
 *   mode "all":     every file is downloaded and checked when the worker installs;
 *   mode "visited": only the app shell (the policy's list) is, and the worker takes the page
 *                   at once; every other file is fetched when a page needs it.
 * Whatever the mode, no byte is cached or served unless its SHA-256 and size match the
 * manifest of the version that asks for it: a file that does not match is answered with an
 * error, reported, and makes the worker check for a newer version. Hosts that redirect
 * (…/index.html → …/, ….html → extensionless) are followed within the scope; the checked bytes
 * are kept under the file's own path, which every URL of it maps to.
 *
 * Versions live in caches named by bundle id; a version is complete (usable) once its shell
 * (mode visited), or all of it (mode all), is stored: its manifest is stored last. A small
 * state record (current, ready, refused, failed, which version each page was served from)
 * sits in a meta cache. A page and its subresources always come from one version: each
 * client is served from the version its navigation got, and a file missing from that
 * version's cache is checked against that version's manifest, never another's.
 *
 * Messages from pages: {type:'hello'} -> {type:'state',...}; {type:'check'} forces a check of
 * the manifest; {type:'apply'} switches to a ready update and answers {type:'applied'};
 * {type:'visited', urls} asks to keep these files of the page's version (the page's own URL
 * and the resources it loaded before the worker controlled it).
 * Messages to pages: 'cached' (first version complete), 'update-ready', 'refused' (files that
 * failed their check), 'install-failed' (a version could not be installed, and why),
 * 'switched', 'state'.
 */
'use strict';

const FORMAT = 'pico-bundle/1';
const POLICY_FORMAT = 'pico-offline/1';
const SCOPE = self.registration.scope;                  // e.g. https://host/a/b/
const SCOPE_PATH = new URL(SCOPE).pathname;
const PREFIX = 'pico1 ' + SCOPE + ' ';                  // a version's cache: PREFIX + id
const META = 'pico1-meta ' + SCOPE;
const STATE_KEY = SCOPE + '.pico-sw-state';
const MANIFEST = 'pico-manifest.json';
const SUMS = 'SHA256SUMS';
const POLICY = 'pico-offline.json';
const INDEXES = ['index.html', 'index.htm', 'index.xhtml'];   // what a folder URL shows
const CONCURRENCY = 6;
const CHECK_INTERVAL_MS = 2000;       // checks triggered by navigations: one per 2 s at most
const RETRY_REFUSED_MS = 60000;       // a refused or failed id is tried again after a minute (or on 'check')
const UNSEEN_CLIENT_MS = 30000;       // a navigation's client that never showed up is forgotten
const NEWER_VERSION_WAIT_MS = 10000;  // how long a refused navigation waits for a newer version
const MAX_VISITED_URLS = 1000;        // per 'visited' message

let state = null;                     // {current, ready, refused, failed, clients: {id: {v, t}}}
let stateLoading = null;
let saving = Promise.resolve();
const versions = new Map();           // id -> Promise<{id, cache, files: Map, mode, shell} | null>
const fetching = new Map();           // id + ' ' + path -> Promise<{body, type}>, one fetch per file
const seen = new Set();               // client ids seen alive by this worker instance
let checking = null;
let lastCheck = 0;
let deferred = null;
let downloading = null;

/** Files of a version that failed their check (bytes, status, or where the host sent them). */
class Refusal extends Error {
  constructor(id, files) { super(files.length + ' file(s) refused'); this.id = id; this.files = files; }
}
/** The network could not be reached: nothing is wrong with the bundle. */
class Offline extends Error {}
/** A version cannot be installed for a reason that is not its files' content. */
class InstallFailure extends Error {}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (buf) => hex(await crypto.subtle.digest('SHA-256', buf));
const fileURL = (path) => SCOPE + path.split('/').map(encodeURIComponent).join('/');
const safePath = (p) => typeof p === 'string' && p !== '' && !p.startsWith('/') && !p.includes('\\')
  && !p.split('/').some((s) => s === '' || s === '.' || s === '..');
const responseOf = (got) => new Response(got.body, { headers: { 'content-type': got.type } });

/** The decoded path under the scope of a URL of this origin, or null. */
function relOf(href) {
  let url;
  try { url = new URL(href, SCOPE); } catch (e) { return null; }
  if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE_PATH)) return null;
  try { return decodeURIComponent(url.pathname.slice(SCOPE_PATH.length)); } catch (e) { return null; }
}

/** The file of version v a URL path shows: {path}, {path, folder} (needs a trailing slash), or null. */
function lookup(v, rel) {
  if (rel === '' || rel.endsWith('/')) {
    const index = INDEXES.find((name) => v.files.has(rel + name));
    return index ? { path: rel + index } : null;
  }
  if (v.files.has(rel)) return { path: rel };
  const index = INDEXES.find((name) => v.files.has(rel + '/' + name));
  if (index) return { path: rel + '/' + index, folder: true };
  if (v.files.has(rel + '.html')) return { path: rel + '.html' };    // hosts that drop .html
  return null;
}

async function loadState() {
  if (state) return state;
  if (!stateLoading) {
    stateLoading = (async () => {
      let saved = {};
      try {
        const r = await (await caches.open(META)).match(STATE_KEY);
        if (r) saved = await r.json();
      } catch (e) { saved = {}; }
      state = { current: saved.current || null, ready: saved.ready || null, refused: saved.refused || null,
                failed: saved.failed || null, clients: saved.clients || {} };
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

/** The policy of a manifest's bundle, from its checked pico-offline.json (bytes), or "all" without one. */
function policyOf(manifest, bytes) {
  if (!bytes) return { mode: 'all', shell: [] };
  let policy;
  try { policy = JSON.parse(new TextDecoder().decode(bytes)); } catch (e) { policy = null; }
  if (!policy || policy.format !== POLICY_FORMAT || !['all', 'visited'].includes(policy.mode) || !Array.isArray(policy.shell)) {
    throw new InstallFailure(POLICY + ' is not an offline policy this worker reads (format ' + JSON.stringify(policy && policy.format) + ')');
  }
  const paths = new Set(manifest.files.map((f) => f.path));
  return { mode: policy.mode, shell: policy.shell.filter((p) => paths.has(p)) };
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
      const stored = manifest.files.some((f) => f.path === POLICY) ? await cache.match(fileURL(POLICY)) : null;
      const policy = policyOf(manifest, stored ? await stored.arrayBuffer() : null);
      return { id, cache, files: new Map(manifest.files.map((f) => [f.path, f])), mode: policy.mode, shell: policy.shell };
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
           refused: state.refused, failed: state.failed, checking: !!checking, scope: SCOPE };
}

function remember(clientId, id) {
  if (!clientId || !id) return;
  const entry = state.clients[clientId];
  if (entry && entry.v === id) return;
  state.clients[clientId] = { v: id, t: Date.now() };
  saveState();
}

/**
 * The bytes of manifest entry f from the host, checked: {body, type}. Redirects are followed
 * when they stay on this origin inside the scope. Throws Offline, InstallFailure (sent
 * elsewhere), or Refusal (id) naming the file and why.
 */
async function fetchChecked(f, id) {
  const url = fileURL(f.path);
  let r;
  try {
    r = await fetch(url, { cache: 'no-cache', credentials: 'same-origin', redirect: 'follow' });
  } catch (e) { throw new Offline(String(e)); }
  if (r.url && r.url !== url && relOf(r.url) === null) {
    const reason = `${f.path} was redirected to ${r.url}, outside the site (${SCOPE})`;
    console.error('pico: refused ' + reason);
    throw new InstallFailure(reason);
  }
  if (!r.ok) {
    console.error(`pico: refused ${f.path}: the server answered HTTP ${r.status}; the manifest says SHA-256 ${f.sha256}`);
    throw new Refusal(id, [{ path: f.path, expected: f.sha256, actual: null, reason: 'HTTP ' + r.status }]);
  }
  const body = await r.arrayBuffer();
  const actual = await sha256(body);
  if (actual !== f.sha256 || body.byteLength !== f.size) {
    console.error(`pico: refused ${f.path}: its SHA-256 is ${actual} (${body.byteLength} bytes), the manifest says ${f.sha256} (${f.size} bytes)`
      + (r.redirected ? `; it came from ${r.url}` : ''));
    throw new Refusal(id, [{ path: f.path, expected: f.sha256, actual, reason: 'SHA-256 mismatch' }]);
  }
  return { body, type: r.headers.get('content-type') || f.type };
}

/** Fetches, checks and stores a file of version v that its cache lacks; one fetch per file at a time. */
function fetchIntoVersion(v, f) {
  const key = v.id + ' ' + f.path;
  if (!fetching.has(key)) {
    fetching.set(key, (async () => {
      const got = await fetchChecked(f, v.id);
      await v.cache.put(fileURL(f.path), responseOf(got));
      return got;
    })().finally(() => fetching.delete(key)));
  }
  return fetching.get(key);
}

/** The paths version v holds in its cache (for an update to hold them too). */
async function cachedPaths(v) {
  const out = [];
  for (const request of await v.cache.keys()) {
    const rel = relOf(request.url);
    if (rel !== null && rel !== MANIFEST && rel !== SUMS && v.files.has(rel)) out.push(rel);
  }
  return out;
}

/**
 * Fetches, checks and stores a version into the cache named by its id: every file (mode
 * all), or its shell and every file the current version holds (mode visited).
 */
async function download(manifestBytes, manifest) {
  const id = manifest.id;
  const name = PREFIX + id;
  if (await version(id)) return;
  const fail = (reason) => { throw new Refusal(id, [{ path: MANIFEST, reason }]); };
  if (manifest.format !== FORMAT) throw new InstallFailure(MANIFEST + ' has the unknown format ' + JSON.stringify(manifest.format));
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
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  // The policy first: it says what else to fetch now.
  let policyBytes = null;
  if (byPath.has(POLICY)) {
    const stored = await cache.match(fileURL(POLICY));
    const got = stored ? { body: await stored.arrayBuffer(), type: 'application/json' } : await fetchChecked(byPath.get(POLICY), id);
    if (!stored) await cache.put(fileURL(POLICY), responseOf(got));
    policyBytes = got.body;
  }
  const policy = policyOf(manifest, policyBytes);
  const previous = await version(state.current);
  let wanted;
  if (policy.mode === 'all') {
    wanted = manifest.files;
  } else {
    const paths = new Set(policy.shell);
    if (previous) for (const p of await cachedPaths(previous)) paths.add(p);
    wanted = [...paths].filter((p) => byPath.has(p)).map((p) => byPath.get(p));
  }
  const byHash = new Map();
  if (previous) for (const f of previous.files.values()) byHash.set(f.sha256, f.path);
  const refused = [];
  let offline = null;
  let failure = null;
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
    try {
      await cache.put(url, responseOf(await fetchChecked(f, id)));
    } catch (e) {
      if (e instanceof Offline) offline = offline || e.message;
      else if (e instanceof Refusal) refused.push(...e.files);
      else failure = failure || e;
    }
  }

  async function worker() {
    while (next < wanted.length && !offline && !failure) await one(wanted[next++]);
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failure) throw failure;
  if (offline) {
    // The manifest came from the host a moment ago: if it still answers, the fetches failed
    // for another reason (a redirect loop, a refused connection to one path) and say so.
    const reachable = await fetch(fileURL(MANIFEST), { cache: 'no-store', credentials: 'same-origin' }).then((r) => r.ok, () => false);
    if (reachable) throw new InstallFailure('a file could not be fetched although the host answers: ' + offline);
    throw new Offline(offline);
  }
  if (refused.length) throw new Refusal(id, refused);
  await cache.put(fileURL(SUMS), new Response(sums, { headers: { 'content-type': 'text/plain; charset=utf-8' } }));
  // Written last: a version is complete exactly when its cache holds its manifest.
  await cache.put(fileURL(MANIFEST), new Response(manifestBytes, { headers: { 'content-type': 'application/json' } }));
}

/** Says that version id could not be installed, in the console and to every page. */
async function installFailed(id, reason) {
  state.failed = { id, reason, at: Date.now() };
  await saveState();
  console.error(`pico: bundle ${id || '(unknown)'} could not be installed: ${reason}; ` +
    (state.current ? `still serving ${state.current}` : 'pages come from the network and are not kept offline'));
  await broadcast({ type: 'install-failed', id, reason, serving: state.current });
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
      if (!r.ok) {
        if (!state.current) await installFailed(null, `${MANIFEST}: the server answered HTTP ${r.status}`);
        return;
      }
      bytes = await r.arrayBuffer();
    } catch (e) { return; }                            // offline
    try { manifest = JSON.parse(new TextDecoder().decode(bytes)); } catch (e) { manifest = null; }
    const id = manifest && manifest.id;
    if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) {
      if (!state.current) await installFailed(null, `${MANIFEST} is not a pico bundle manifest`);
      return;
    }
    if (id === state.current && (await version(id))) {
      if (state.refused || state.failed) { state.refused = null; state.failed = null; await saveState(); }
      return;
    }
    if (id === state.ready && (await version(id))) {
      await broadcast({ type: 'update-ready', id, current: state.current });
      return;
    }
    const recent = (record) => record && record.id === id && Date.now() - record.at < RETRY_REFUSED_MS;
    if (!force && (recent(state.refused) || recent(state.failed))) return;
    downloading = id;
    try {
      await download(bytes, manifest);
    } catch (e) {
      if (e instanceof Offline) return;
      await caches.delete(PREFIX + id);
      versions.delete(id);
      if (e instanceof Refusal) {
        state.refused = { id, files: e.files, at: Date.now() };
        await saveState();
        console.error(`pico: bundle ${id} was not cached: ${e.files.length} file(s) refused; ` +
          (state.current ? `still serving ${state.current}` : 'pages come from the network'));
        await broadcast({ type: 'refused', id, files: e.files, serving: state.current });
      } else {
        await installFailed(id, e instanceof InstallFailure ? e.message : String(e));
      }
      return;
    } finally { downloading = null; }
    state.refused = null;
    state.failed = null;
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
  })().catch((e) => installFailed(null, 'the update check failed: ' + e)).finally(() => { checking = null; });
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

/** A file of version v: from its cache, else fetched and checked against v's manifest. */
async function fileOf(v, path) {
  const r = await v.cache.match(fileURL(path));
  if (r) return r;
  return responseOf(await fetchIntoVersion(v, v.files.get(path)));
}

/** 404.html lives at the root; a <base> keeps its relative links right at any depth. */
async function notFound(v) {
  const r = await fileOf(v, '404.html');
  let text = await r.text();
  const base = `<base href="${SCOPE.replace(/"/g, '%22')}">`;
  const head = /<head(\s[^>]*)?>/i.exec(text);
  text = head ? text.slice(0, head.index + head[0].length) + base + text.slice(head.index + head[0].length) : base + text;
  return new Response(text, { status: 404, statusText: 'Not Found', headers: { 'content-type': r.headers.get('content-type') || 'text/html; charset=utf-8' } });
}

/** What a page gets instead of bytes that do not match the manifest. */
function refusedPage(path, reason) {
  const text = '<!doctype html><meta charset="utf-8"><title>Refused</title><h1>This page was refused</h1>'
    + '<p>The server sent <code>' + path.replace(/[<&"]/g, (c) => '&#' + c.charCodeAt(0) + ';') + '</code>, but it does not match '
    + 'the site\'s manifest (' + reason.replace(/[<&"]/g, (c) => '&#' + c.charCodeAt(0) + ';') + '), so it is not shown.</p>';
  return new Response(text, { status: 502, statusText: 'Refused by pico', headers: { 'content-type': 'text/html; charset=utf-8' } });
}

async function respond(event, rel, retried) {
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
  const found = lookup(v, rel);
  if (found && found.folder && navigation) {
    const url = new URL(request.url);
    url.pathname += '/';
    return Response.redirect(url.href, 301);
  }
  // Not a file of the bundle: the network's, as it would be without the worker.
  if (!found && !(navigation && v.files.has('404.html'))) return fetch(request);
  try {
    if (!found) {
      const response = await notFound(v);
      remember(event.resultingClientId, v.id);
      return response;
    }
    const response = await fileOf(v, found.path);
    if (navigation) remember(event.resultingClientId, v.id);
    return response;
  } catch (e) {
    if (e instanceof Offline) return Response.error();    // not cached, and no network: a network error
    const files = e instanceof Refusal ? e.files : [{ path: found ? found.path : rel, reason: String(e.message || e) }];
    await broadcast({ type: 'refused', id: v.id, files, serving: v.id });
    // The host may hold a newer version by now: a page may move to it once it is checked
    // whole; a subresource never gets another version's bytes.
    const newer = check(true);
    event.waitUntil(newer);
    if (navigation && !retried) {
      await Promise.race([newer, new Promise((resolve) => setTimeout(resolve, NEWER_VERSION_WAIT_MS))]);
      if (state.ready && state.ready !== v.id) return respond(event, rel, true);
      return refusedPage(files[0].path, files[0].reason);
    }
    return Response.error();
  }
}

/** Keeps the files a page shows (its URL, the resources it loaded) in the page's version. */
async function keepVisited(clientId, urls) {
  const entry = state.clients[clientId];
  const v = await version(entry ? entry.v : state.current);
  if (!v || !Array.isArray(urls)) return;
  const paths = new Set();
  for (const href of urls.slice(0, MAX_VISITED_URLS)) {
    const rel = typeof href === 'string' ? relOf(href.split('#')[0]) : null;
    const found = rel === null || rel === MANIFEST || rel === SUMS ? null : lookup(v, rel);
    if (found) paths.add(found.path);
  }
  const list = [...paths];
  let next = 0;
  const refused = [];
  async function worker() {
    while (next < list.length) {
      const path = list[next++];
      if (await v.cache.match(fileURL(path))) continue;
      try { await fetchIntoVersion(v, v.files.get(path)); } catch (e) {
        if (e instanceof Offline) return;
        refused.push(...(e instanceof Refusal ? e.files : [{ path, reason: String(e.message || e) }]));
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (refused.length) {
    await broadcast({ type: 'refused', id: v.id, files: refused, serving: v.id });
    await check(true);
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const rel = relOf(request.url);
  if (rel === null) return;
  if (rel === MANIFEST || rel === SUMS) return;       // always the network's, as they are now
  event.respondWith(respond(event, rel, false).catch((e) => {
    console.error('pico: cannot answer ' + new URL(request.url).pathname + ' from the cache:', e);
    return Response.error();
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
    } else if (data.type === 'visited') {
      await keepVisited(source.id, data.urls);
    }
  })());
});
