/* pico page script: the same bytes in every pico bundle, loaded by every page with
 *   <script src="RELATIVE/pico-app.js" defer></script>
 * Over http(s) it links the web app manifest and registers the bundle's service worker
 * (scope: the bundle root, found from this script's own URL); it shows a small banner when
 * the worker has a new version ready or refused a file. On file:// it does nothing.
 *
 * Once the worker controls the page it sends it the page's URL and the resources the page
 * loaded (performance entries), so that a bundle cached as pages are visited keeps this one.
 *
 * State for scripts and tests: window.pico = {root, version, status, ready, refused, failed,
 * events, check(), apply()}, mirrored on <html data-pico-status data-pico-version>, and a
 * 'pico' event on window for every message from the worker.
 * status: registering | installing | ready | update-ready | refused | error (file: on file://)
 * ('error': the worker could not be registered or could not install the bundle: pico.failed)
 */
(() => {
  'use strict';
  const html = document.documentElement;
  const script = document.currentScript;
  if (location.protocol !== 'http:' && location.protocol !== 'https:') {
    html.dataset.picoStatus = 'file';
    return;
  }
  // `pico serve --watch` reloads pages as the site is rebuilt: no worker caches them there.
  if (window.picoWatch) {
    html.dataset.picoStatus = 'watch';
    return;
  }
  if (!script || !script.src || !('serviceWorker' in navigator) || window.pico) return;

  const root = new URL('./', script.src).href;
  const sw = navigator.serviceWorker;
  const pico = window.pico = {
    root, version: null, status: 'registering', ready: null, refused: null, failed: null, events: [],
    check: () => post({ type: 'check' }),
    apply,
  };

  function setStatus(status) {
    pico.status = status;
    html.dataset.picoStatus = status;
  }
  function setVersion(id) {
    pico.version = id || null;
    if (id) html.dataset.picoVersion = id; else delete html.dataset.picoVersion;
  }
  function post(message) {
    if (sw.controller) sw.controller.postMessage(message);
  }
  function apply() {
    if (!sw.controller) { location.reload(); return; }
    post({ type: 'apply' });
    setTimeout(() => location.reload(), 3000);     // reload anyway if the worker does not answer
  }

  // The banner: one small box at the bottom right, styled inline so no site CSS is needed.
  function banner(id, kind, text, buttonId, buttonText, onClick) {
    let box = document.getElementById(id);
    if (!box) {
      box = document.createElement('div');
      box.id = id;
      box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
      box.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:2147483647;max-width:min(28rem,calc(100vw - 32px));'
        + 'display:flex;gap:12px;align-items:center;padding:10px 14px;border-radius:10px;'
        + 'font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;box-shadow:0 6px 24px rgba(0,0,0,.25);'
        + (kind === 'error' ? 'background:#7f1d1d;color:#fff;' : 'background:#1f2937;color:#fff;')
        + (id === 'pico-error' ? 'bottom:76px;' : '');
      const span = document.createElement('span');
      const button = document.createElement('button');
      button.type = 'button';
      button.id = buttonId;
      button.style.cssText = 'font:inherit;font-weight:600;cursor:pointer;border:0;border-radius:6px;padding:4px 10px;'
        + 'background:#fff;color:#111827;flex:none;';
      button.addEventListener('click', onClick);
      box.append(span, button);
      (document.body || html).appendChild(box);
    }
    box.firstChild.textContent = text;
    box.lastChild.textContent = buttonText;
    box.hidden = false;
  }

  function showUpdate(id) {
    pico.ready = id;
    setStatus('update-ready');
    banner('pico-update', 'info', 'New version available', 'pico-update-reload', 'Reload', apply);
  }

  const dismiss = () => { document.getElementById('pico-error').hidden = true; };

  function showRefused(refused) {
    pico.refused = refused;
    setStatus('refused');
    const paths = refused.files.map((f) => f.path);
    const list = paths.slice(0, 3).join(', ') + (paths.length > 3 ? ` and ${paths.length - 3} more` : '');
    // A file of the version this page shows was refused when it was needed, or a new version
    // was refused while being saved.
    banner('pico-error', 'error', refused.id && refused.id === pico.version
      ? `A file of this site does not match its manifest and was not shown: ${list}.`
      : `A file of this site does not match its manifest and was not saved for offline use: ${list}.`
        + (pico.version ? ' The previous version stays in use.' : ''),
      'pico-error-close', 'Dismiss', dismiss);
  }

  function showFailed(failed) {
    pico.failed = failed;
    setStatus('error');
    banner('pico-error', 'error', `This site could not be saved for offline use: ${failed.reason}.`
      + (pico.version ? ' The previous version stays in use.' : ''), 'pico-error-close', 'Dismiss', dismiss);
  }

  // The page's own URL and what it loaded, for the worker to keep (once per page, when loaded).
  let told = false;
  function tellVisited() {
    if (told || !sw.controller || !pico.version) return;
    if (document.readyState !== 'complete') { window.addEventListener('load', tellVisited, { once: true }); return; }
    told = true;
    const urls = [location.href, ...performance.getEntriesByType('resource').map((e) => e.name)]
      .filter((u) => u.startsWith(root));
    post({ type: 'visited', urls: [...new Set(urls)] });
  }

  function handle(message) {
    if (!message || typeof message.type !== 'string') return;
    pico.events.push(message);
    switch (message.type) {
      case 'state':
        if (message.version) setVersion(message.version);
        if (message.refused && message.refused.id !== pico.version) showRefused(message.refused);
        else if (message.failed && (message.failed.id === null || message.failed.id !== pico.version)) showFailed(message.failed);
        else if (message.ready && message.ready !== pico.version) showUpdate(message.ready);
        else if (message.version) setStatus('ready');
        else if (pico.status === 'registering') setStatus('installing');
        tellVisited();
        break;
      case 'install-failed':
        showFailed({ id: message.id, reason: message.reason });
        break;
      case 'cached':
        if (!sw.controller) setStatus('installing');
        break;
      case 'update-ready':
        if (message.id !== pico.version) showUpdate(message.id);
        break;
      case 'switched':
        if (pico.version && message.id !== pico.version) showUpdate(message.id);
        break;
      case 'refused':
        showRefused({ id: message.id, files: message.files });
        break;
      case 'applied':
        location.reload();
        break;
    }
    window.dispatchEvent(new CustomEvent('pico', { detail: message }));
  }

  const hello = () => post({ type: 'hello' });
  html.dataset.picoStatus = 'registering';
  if (!document.querySelector('link[rel~="manifest"]')) {
    const link = document.createElement('link');
    link.rel = 'manifest';
    link.href = root + 'manifest.webmanifest';
    document.head.appendChild(link);
  }
  sw.addEventListener('message', (event) => handle(event.data));
  sw.addEventListener('controllerchange', hello);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') hello(); });
  window.addEventListener('online', hello);
  sw.register(root + 'sw.js', { scope: root, updateViaCache: 'none' }).then(() => {
    if (sw.controller) hello(); else setStatus('installing');
  }, (error) => {
    setStatus('error');
    pico.events.push({ type: 'error', message: String(error) });
    console.warn('pico: the service worker could not be registered; this site will not work offline.', error);
  });
})();
