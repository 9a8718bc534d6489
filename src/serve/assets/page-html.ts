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
  <nav><a href="#/" id="nav-packs">Packs</a> · <a href="#/runs" id="nav-runs">Runs</a></nav>
  <p id="summary" class="muted"></p>
</header>
<main>
  <div id="error" class="error" role="alert" hidden></div>
  <section id="home">
    <form id="filters" class="filters" role="search">
      <input id="f-q" type="search" placeholder="Search id, version, tag, digest" aria-label="Search">
      <input id="f-id" placeholder="id" aria-label="Pack id">
      <input id="f-version" placeholder="version" aria-label="Version">
      <select id="f-source" aria-label="Source"><option value="">any source</option></select>
      <select id="f-status" aria-label="Install state"><option value="">any install state</option></select>
      <select id="f-signed" aria-label="Signed"><option value="">signed or not</option><option value="yes">signed</option><option value="no">not signed</option></select>
      <button type="submit">Search</button>
    </form>
    <p id="list-status" class="muted">loading…</p>
    <div class="scroll">
      <table id="artifacts-list" class="grid">
        <thead><tr><th>Pack</th><th>Version</th><th>Tags</th><th>Digest</th><th>Size</th><th>Created</th><th>Signature</th><th>Install</th><th>Pull as</th><th>Source</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <nav class="pager"><a id="prev" href="#/" hidden>← previous</a> <span id="page-info" class="muted"></span> <a id="next" href="#/" hidden>next →</a></nav>
  </section>
  <section id="detail" hidden></section>
  <section id="file" hidden></section>
  <section id="diff" hidden></section>
  <section id="runs" hidden></section>
</main>
<footer class="muted">Read-only OCI registry at <code id="registry-host"></code> · JSON under <a href="/api/">/api/</a></footer>
</body>
</html>
`;
