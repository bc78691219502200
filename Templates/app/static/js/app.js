/* Reading list: the data lives only in this browser (IndexedDB); export writes it to a JSON
 * file the user keeps, import reads such a file back. No network, no dependencies; works
 * from file:// where the browser allows IndexedDB there (Chromium does).
 *
 * For scripts and tests: window.readingList = {ready, items(), add(item), remove(id),
 * exportText(), importText(text)}; <html data-app-status="ready|memory"> once loaded.
 */
(() => {
  'use strict';
  const FORMAT = 'pico-reading-list/1';
  const script = document.currentScript;
  // One database per copy of the app: the bundle root's path names it.
  const rootPath = new URL('../', script ? script.src : location.href).pathname;
  const DB_NAME = 'reading-list ' + rootPath;
  const STORE = 'items';

  const $ = (id) => document.getElementById(id);
  const html = document.documentElement;
  let items = [];                 // newest first
  let filter = 'all';
  let db = null;                  // null: IndexedDB is not available, the list lives in memory

  // ---------- storage ----------

  function openDB() {
    return new Promise((resolve, reject) => {
      let request;
      try { request = indexedDB.open(DB_NAME, 1); } catch (e) { reject(e); return; }
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('the database is open in an older tab'));
    });
  }

  function tx(mode, work) {
    if (!db) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const store = t.objectStore(STORE);
      let result;
      Promise.resolve(work(store)).then((r) => { result = r; });
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error('transaction aborted'));
    });
  }

  const readAll = () => tx('readonly', (store) => new Promise((resolve) => {
    const r = store.getAll();
    r.onsuccess = () => resolve(r.result);
  }));
  const putAll = (list) => tx('readwrite', (store) => { for (const item of list) store.put(item); });
  const deleteOne = (id) => tx('readwrite', (store) => { store.delete(id); });

  // ---------- items ----------

  const newId = () => (self.crypto && crypto.randomUUID) ? crypto.randomUUID()
    : Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
  const byNewest = (a, b) => (b.added || '').localeCompare(a.added || '') || a.id.localeCompare(b.id);

  /** A clean item from anything that looks like one, or null. */
  function clean(raw) {
    if (!raw || typeof raw !== 'object') return null;
    const title = String(raw.title || '').trim().slice(0, 300);
    if (!title) return null;
    const now = new Date().toISOString();
    const url = String(raw.url || '').trim().slice(0, 2000);
    return {
      id: String(raw.id || newId()).slice(0, 100),
      title,
      url: /^https?:\/\//i.test(url) ? url : '',
      note: String(raw.note || '').trim().slice(0, 500),
      read: raw.read === true,
      added: typeof raw.added === 'string' ? raw.added : now,
      updated: typeof raw.updated === 'string' ? raw.updated : (typeof raw.added === 'string' ? raw.added : now),
    };
  }

  async function add(fields) {
    const item = clean({ ...fields, id: newId(), added: new Date().toISOString(), read: false });
    if (!item) throw new Error('a title is needed');
    items.unshift(item);
    await putAll([item]);
    render();
    return item;
  }

  async function update(id, change) {
    const item = items.find((i) => i.id === id);
    if (!item) return;
    Object.assign(item, change, { updated: new Date().toISOString() });
    await putAll([item]);
    render();
  }

  async function remove(id) {
    items = items.filter((i) => i.id !== id);
    await deleteOne(id);
    render();
  }

  function exportText() {
    const list = [...items].sort((a, b) => (a.added || '').localeCompare(b.added || '') || a.id.localeCompare(b.id));
    return JSON.stringify({ format: FORMAT, exported: new Date().toISOString(), items: list }, null, 2) + '\n';
  }

  /** Merges a file's items: new ones are added, newer copies replace older ones. */
  async function importText(text) {
    let data;
    try { data = JSON.parse(text); } catch (e) { throw new Error('this file is not JSON'); }
    const list = Array.isArray(data) ? data : data && Array.isArray(data.items) ? data.items : null;
    if (!list) throw new Error('this file holds no reading list');
    const known = new Map(items.map((i) => [i.id, i]));
    const changed = [];
    let added = 0, replaced = 0;
    for (const raw of list) {
      const item = clean(raw);
      if (!item) continue;
      const old = known.get(item.id);
      if (!old) { added++; changed.push(item); known.set(item.id, item); }
      else if ((item.updated || '') > (old.updated || '')) { replaced++; changed.push(item); known.set(item.id, item); }
    }
    await putAll(changed);
    items = [...known.values()].sort(byNewest);
    render();
    return { added, replaced, skipped: list.length - added - replaced };
  }

  // ---------- view ----------

  function say(text, isError) {
    const m = $('message');
    m.textContent = text;
    m.classList.toggle('is-error', !!isError);
  }

  function host(url) {
    try { return new URL(url).host.replace(/^www\./, ''); } catch (e) { return ''; }
  }

  function dateText(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleDateString(document.documentElement.lang || undefined, { day: 'numeric', month: 'short', year: 'numeric' });
  }

  function row(item) {
    const li = document.createElement('li');
    li.className = 'item' + (item.read ? ' is-read' : '');
    li.dataset.id = item.id;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'item-read';
    box.checked = item.read;
    box.setAttribute('aria-label', 'Read: ' + item.title);
    box.addEventListener('change', () => update(item.id, { read: box.checked }));
    const body = document.createElement('div');
    const title = document.createElement(item.url ? 'a' : 'span');
    title.className = 'item-title';
    title.textContent = item.title;
    if (item.url) { title.href = item.url; title.target = '_blank'; title.rel = 'noopener noreferrer'; }
    body.append(title);
    if (item.note) {
      const note = document.createElement('p');
      note.className = 'item-note';
      note.textContent = item.note;
      body.append(note);
    }
    const meta = document.createElement('p');
    meta.className = 'item-meta';
    meta.textContent = [host(item.url), 'added ' + dateText(item.added)].filter(Boolean).join(' · ');
    body.append(meta);
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'item-delete';
    del.textContent = '×';
    del.setAttribute('aria-label', 'Delete: ' + item.title);
    del.addEventListener('click', () => remove(item.id));
    li.append(box, body, del);
    return li;
  }

  function render() {
    const query = $('search').value.trim().toLowerCase();
    const shown = items.filter((i) => (filter === 'all' || (filter === 'read') === i.read)
      && (!query || (i.title + ' ' + i.url + ' ' + i.note).toLowerCase().includes(query)));
    $('items').replaceChildren(...shown.map(row));
    $('count-all').textContent = items.length;
    $('count-read').textContent = items.filter((i) => i.read).length;
    $('count-unread').textContent = items.filter((i) => !i.read).length;
    const empty = $('empty');
    empty.hidden = shown.length > 0;
    empty.textContent = items.length ? 'Nothing matches.' : 'Nothing here yet. Add the first thing you want to read above.';
  }

  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---------- start ----------

  async function start() {
    try {
      db = await openDB();
      items = ((await readAll()) || []).map(clean).filter(Boolean).sort(byNewest);
      html.dataset.appStatus = 'ready';
    } catch (e) {
      db = null;
      html.dataset.appStatus = 'memory';
      $('storage-note').textContent = 'This browser does not let the page store data here, so the list lasts until the tab is closed. Export it to keep it.';
    }

    $('add-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const item = await add({ title: $('add-title').value, url: $('add-url').value, note: $('add-note').value });
        $('add-form').reset();
        $('add-title').focus();
        say(`Added “${item.title}”.`);
      } catch (e) { say('Not added: ' + e.message, true); }
    });
    for (const button of document.querySelectorAll('.filter')) {
      button.addEventListener('click', () => {
        filter = button.dataset.filter;
        for (const b of document.querySelectorAll('.filter')) b.setAttribute('aria-pressed', String(b === button));
        render();
      });
    }
    $('search').addEventListener('input', render);
    $('export').addEventListener('click', () => {
      download(`reading-list-${new Date().toISOString().slice(0, 10)}.json`, exportText());
      say(`Exported ${items.length} item${items.length === 1 ? '' : 's'}.`);
    });
    $('import-file').addEventListener('change', async (event) => {
      const file = event.target.files && event.target.files[0];
      event.target.value = '';
      if (!file) return;
      try {
        const r = await importText(await file.text());
        say(`Imported ${file.name}: ${r.added} new, ${r.replaced} updated, ${r.skipped} already here.`);
        html.dataset.appImported = String(r.added + r.replaced);
      } catch (e) { say('Not imported: ' + e.message, true); }
    });
    render();
  }

  const ready = start();
  window.readingList = { ready, items: () => items.map((i) => ({ ...i })), add, remove, exportText, importText };
})();
