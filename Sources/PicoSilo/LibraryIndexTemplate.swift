/// The page at the top of a drive that holds several bundles (the "sneakernet library").
enum LibraryIndexTemplate {
    static let mustache = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <meta name="generator" content="pico">
    <title>{{title}}</title>
    <style>
    :root {
      --bg: #f6f4ef;
      --card: #ffffff;
      --text: #1d1c1a;
      --muted: #6b675f;
      --line: #e3ded4;
      --accent: #2f6f5e;
      --accent-soft: #e3f0eb;
      --code-bg: #f0ede6;
      --shadow: 0 1px 2px rgba(40, 32, 20, .06), 0 4px 14px rgba(40, 32, 20, .06);
    }
    @media (prefers-color-scheme: dark) {
      :root {
        --bg: #141614;
        --card: #1d201e;
        --text: #e9e7e2;
        --muted: #a09c93;
        --line: #2f3330;
        --accent: #7cc4ad;
        --accent-soft: #203530;
        --code-bg: #262a27;
        --shadow: 0 1px 2px rgba(0, 0, 0, .4);
      }
    }
    * { box-sizing: border-box; }
    html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
    body {
      margin: 0;
      background: var(--bg);
      color: var(--text);
      font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
    }
    code, pre, .mono {
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
      font-size: .9em;
    }
    a { color: var(--accent); }
    .wrap { max-width: 72rem; margin: 0 auto; padding: 0 1.25rem; }
    header.top { padding: 3rem 0 1.5rem; }
    .eyebrow {
      margin: 0 0 .35rem;
      color: var(--muted);
      font-size: .8rem;
      font-weight: 600;
      letter-spacing: .08em;
      text-transform: uppercase;
    }
    h1 { margin: 0; font-size: clamp(1.9rem, 4vw, 2.6rem); line-height: 1.15; letter-spacing: -.01em; }
    .lede { max-width: 40rem; margin: .75rem 0 0; color: var(--muted); font-size: 1.05rem; }
    .stats { display: flex; flex-wrap: wrap; gap: .75rem 2rem; margin: 1.5rem 0 0; padding: 0; }
    .stats div { display: flex; flex-direction: column-reverse; }
    .stats dt { color: var(--muted); font-size: .85rem; }
    .stats dd { margin: 0; font-size: 1.4rem; font-weight: 650; font-variant-numeric: tabular-nums; }
    main { padding: 1rem 0 2.5rem; }
    .shelf {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(19rem, 1fr));
      gap: 1rem;
      margin: 0;
      padding: 0;
      list-style: none;
    }
    .card {
      display: flex;
      flex-direction: column;
      min-width: 0;
      padding: 1.1rem 1.2rem 1rem;
      background: var(--card);
      border: 1px solid var(--line);
      border-radius: .75rem;
      box-shadow: var(--shadow);
      transition: border-color .15s;
    }
    .card:hover, .card:focus-within { border-color: var(--accent); }
    .card h2 { margin: 0; font-size: 1.15rem; line-height: 1.3; overflow-wrap: anywhere; }
    .card h2 a { color: var(--text); text-decoration: none; }
    .card h2 a:hover { color: var(--accent); text-decoration: underline; text-underline-offset: .15em; }
    .folder { margin: .2rem 0 0; color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; }
    .facts {
      display: grid;
      grid-template-columns: auto 1fr;
      gap: .2rem .9rem;
      margin: .9rem 0 0;
      font-size: .875rem;
    }
    .facts dt { color: var(--muted); }
    .facts dd { margin: 0; min-width: 0; font-variant-numeric: tabular-nums; }
    .facts .id, .facts .signer {
      display: block;
      max-width: 100%;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .badge {
      display: inline-block;
      padding: .05rem .5rem;
      border-radius: 999px;
      font-size: .75rem;
      font-weight: 600;
      vertical-align: .1em;
    }
    .badge.signed { margin-right: .4rem; background: var(--accent-soft); color: var(--accent); }
    .badge.unsigned { border: 1px solid var(--line); color: var(--muted); }
    .badge.forged { margin-right: .4rem; border: 1px solid currentColor; color: #b3261e; }
    .note { margin: .9rem 0 0; padding-top: .7rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .8rem; }
    details { margin: .8rem 0 0; font-size: .8rem; color: var(--muted); }
    summary { cursor: pointer; width: max-content; }
    summary:hover { color: var(--text); }
    details p { margin: .5rem 0 .2rem; }
    code.full { display: block; padding: .35rem .5rem; background: var(--code-bg); border-radius: .35rem; color: var(--text); overflow-wrap: anywhere; user-select: all; }
    .open { margin: auto 0 0; padding-top: .9rem; font-size: .9rem; font-weight: 600; }
    .open a { text-decoration: none; }
    .open a:hover { text-decoration: underline; }
    .empty {
      padding: 2.5rem 1.5rem;
      border: 1px dashed var(--line);
      border-radius: .75rem;
      color: var(--muted);
      text-align: center;
    }
    footer.about { padding: 2rem 0 3rem; border-top: 1px solid var(--line); }
    .about-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1.5rem 2.5rem; }
    footer h2 { margin: 0 0 .5rem; font-size: 1.05rem; }
    footer p, footer li { color: var(--muted); font-size: .95rem; }
    footer p { margin: 0 0 .75rem; }
    footer ol { margin: 0 0 .75rem; padding-left: 1.2rem; }
    pre {
      margin: .5rem 0 .75rem;
      padding: .7rem .9rem;
      overflow-x: auto;
      background: var(--code-bg);
      border-radius: .5rem;
      line-height: 1.45;
    }
    p code, li code { padding: .05rem .3rem; background: var(--code-bg); border-radius: .3rem; }
    @media (max-width: 32rem) {
      header.top { padding-top: 2rem; }
      .shelf { grid-template-columns: 1fr; }
    }
    @media print {
      body { background: #fff; color: #000; }
      .card { box-shadow: none; break-inside: avoid; }
      .open, details { display: none; }
    }
    </style>
    </head>
    <body>
    <header class="top">
      <div class="wrap">
        <p class="eyebrow">Offline library</p>
        <h1>{{title}}</h1>
        <p class="lede">Websites carried on this drive. Each one opens straight from the drive in any browser, with no internet and no server, and each one carries the fingerprints of its own files so you can check that nothing was changed on the way.</p>
        <dl class="stats">
          <div><dt>Bundles</dt><dd>{{count}}</dd></div>
          <div><dt>Total size</dt><dd>{{total_size}}</dd></div>
        </dl>
      </div>
    </header>
    <main>
      <div class="wrap">
        {{^bundles}}
        <p class="empty">No bundles were found on this drive.</p>
        {{/bundles}}
        <ul class="shelf">
          {{#bundles}}
          <li class="card">
            <h2><a href="{{href}}">{{title}}</a></h2>
            <p class="folder">in <span class="mono">{{folder}}/</span></p>
            <dl class="facts">
              <dt>Size</dt><dd>{{size}}, {{files}} files</dd>
              {{#built}}
              <dt>Built</dt><dd>{{built}}</dd>
              {{/built}}
              <dt>Author</dt><dd>{{#signer}}<span class="badge signed">Signed</span><span class="signer mono" title="{{signer}}">{{signer}}</span>{{/signer}}{{#bad_signer}}<span class="badge forged">Signature does not verify</span><span class="signer mono" title="{{bad_signer}}">{{bad_signer}}</span>{{/bad_signer}}{{^signer}}{{^bad_signer}}<span class="badge unsigned">Unsigned</span>{{/bad_signer}}{{/signer}}</dd>
              <dt>Bundle id</dt><dd><span class="id mono" title="{{id}}">{{id_short}}…</span></dd>
            </dl>
            <details>
              <summary>Full fingerprint</summary>
              <p>Bundle id (the SHA-256 of <span class="mono">SHA256SUMS</span>):</p>
              <code class="full">{{id}}</code>
              {{#signer}}
              <p>Signed with the key:</p>
              <code class="full">{{signer}}</code>
              {{/signer}}
            </details>
            {{#verified_note}}
            <p class="note">{{verified_note}}</p>
            {{/verified_note}}
            <p class="open"><a href="{{href}}" aria-label="Open {{title}}">Open →</a></p>
          </li>
          {{/bundles}}
        </ul>
      </div>
    </main>
    <footer class="about">
      <div class="wrap about-grid">
        <section>
          <h2>What is this drive?</h2>
          <p>A small library of websites made with <strong>pico</strong>. Each folder listed above is a complete site, a <em>bundle</em>, that works from the drive itself: open its link and read. Copy a folder to another drive, a computer or a web host and it keeps working.</p>
          <p>A bundle is named by its <em>id</em>, a fingerprint of every file in it, and, when its author signed it, by the author’s key. The same id means the very same files, wherever they came from.</p>
        </section>
        <section>
          <h2>Check a bundle by hand</h2>
          <ol>
            <li>Open a terminal in the bundle’s folder on this drive.</li>
            <li>Run <code>sha256sum -c SHA256SUMS</code> (on macOS: <code>shasum -a 256 -c SHA256SUMS</code>).</li>
            <li>Every line must end in <code>OK</code>. A line that says <code>FAILED</code> names a file that changed since the bundle was built.</li>
          </ol>
    <pre><code>cd FOLDER
    sha256sum -c SHA256SUMS</code></pre>
          <p>With pico installed, <code>pico verify FOLDER</code> checks the same fingerprints, recomputes the bundle id, finds added or missing files, and checks the author’s signature.</p>
        </section>
      </div>
    </footer>
    </body>
    </html>
    """#
}
