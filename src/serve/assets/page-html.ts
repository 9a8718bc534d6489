/** The catalog page's HTML shell; assets/app-js.ts fills it from /api/. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scrydon catalog</title>
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header>
  <h1><a href="#/">scrydon catalog</a></h1>
  <p id="summary" class="muted">loading…</p>
</header>
<main>
  <div id="error" class="error" hidden></div>
  <section id="home">
    <h2>Packs</h2>
    <table id="packs" class="grid">
      <thead><tr><th>Pack</th><th>Version</th><th>Digest</th><th>Size</th><th>Created</th><th>Signature</th><th>Install</th><th>Pull as</th></tr></thead>
      <tbody></tbody>
    </table>
    <section id="artifacts-section" hidden>
      <h2>Other artifacts</h2>
      <table id="artifacts" class="grid">
        <thead><tr><th>Reference</th><th>Type</th><th>Digest</th><th>Size</th><th>Created</th><th>Signature</th></tr></thead>
        <tbody></tbody>
      </table>
    </section>
    <h2>Reconcile runs</h2>
    <div id="runs"><p class="muted">no run history yet</p></div>
  </section>
  <section id="detail" hidden></section>
  <section id="diff" hidden></section>
</main>
<footer class="muted">Read-only OCI registry at <code id="registry-host"></code> · JSON under <a href="/api/">/api/</a></footer>
</body>
</html>
`;
