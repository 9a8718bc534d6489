/**
 * The catalog page's script: vanilla JS, no build step. Every value from the API is put in the page as text
 * (textContent), never as HTML. Views: `#/` (packs, other artifacts, run history), `#/pack/REF`, `#/diff/FROM/TO`.
 */
export const APP_JS = String.raw`'use strict';
(function () {
  var $ = function (s) { return document.querySelector(s); };
  function el(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'onclick') e.addEventListener('click', attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }
  function bytes(n) {
    if (n < 1024) return n + ' B';
    var u = ['KiB', 'MiB', 'GiB', 'TiB'], v = n / 1024, i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return v.toFixed(1) + ' ' + u[i];
  }
  function short(d) { return d && d.indexOf('sha256:') === 0 ? d.slice(7, 19) : (d || ''); }
  function when(s) { return s ? s.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '—'; }
  function badge(cls, text, title) { var b = el('span', { class: 'badge ' + cls, text: text }); if (title) b.title = title; return b; }
  function sig(s) {
    var title = s.signers && s.signers.length ? 'verified with ' + s.signers.join(', ') : (s.code ? s.code + ': ' + (s.detail || '') : (s.detail || ''));
    var who = s.signers && s.signers.length ? s.signers[0].replace(/^key sha256:([a-f0-9]{12})[a-f0-9]+$/, 'key $1…') : '';
    if (who.length > 48) who = who.slice(0, 47) + '…';
    var text = s.status === 'verified' && who ? 'verified · ' + who : s.status + (s.code ? ' · ' + s.code : '');
    return badge('s-' + s.status, text, title);
  }
  function api(path) {
    return fetch(path, { headers: { accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body.error && (body.error.code + ': ' + body.error.message)) || ('HTTP ' + r.status));
        return body;
      });
    });
  }
  function showError(e) { var box = $('#error'); box.hidden = false; box.textContent = String(e && e.message || e); }
  function show(id) {
    ['home', 'detail', 'diff'].forEach(function (s) { $('#' + s).hidden = s !== id; });
    $('#error').hidden = true;
  }
  function pullName(v) { return v.repository ? location.host + '/' + v.repository + ':' + v.tag : '(not served)'; }
  var catalog = null;

  function renderPacks(data) {
    var body = $('#packs tbody');
    body.textContent = '';
    var versions = 0;
    data.packs.forEach(function (p) {
      if (!p.versions.length) {
        body.appendChild(el('tr', { class: 'pack-row' }, el('td', { text: p.id }), el('td', { class: 'muted', colspan: '5', text: 'not in the store' }),
          el('td', {}, p.installed ? badge('i-' + p.installed.status, p.installed.status + ' ' + p.installed.version) : '—'), el('td', {})));
      }
      p.versions.forEach(function (v, i) {
        versions++;
        var inst = v.installed ? badge('i-' + p.installed.status, p.installed.status) : (i === 0 && p.installed ? el('span', { class: 'muted', text: p.installed.version + ' installed' }) : el('span', { class: 'muted', text: '—' }));
        body.appendChild(el('tr', { class: 'pack-row clickable', 'data-ref': v.ref, onclick: function () { location.hash = '#/pack/' + encodeURIComponent(v.ref); } },
          el('td', {}, i === 0 ? el('strong', { text: p.id }) : ''), el('td', { text: v.version }), el('td', { class: 'mono', title: v.digest, text: short(v.digest) }),
          el('td', { class: 'num', text: bytes(v.size) }), el('td', { text: when(v.created) }), el('td', {}, sig(v.signature)), el('td', {}, inst),
          el('td', { class: 'mono', text: pullName(v) })));
      });
    });
    if (!data.packs.length) body.appendChild(el('tr', {}, el('td', { colspan: '8', class: 'muted', text: 'the store holds no packs' })));
    var ab = $('#artifacts tbody');
    ab.textContent = '';
    $('#artifacts-section').hidden = !data.artifacts.length;
    data.artifacts.forEach(function (a) {
      ab.appendChild(el('tr', { class: 'artifact-row clickable', onclick: function () { location.hash = '#/pack/' + encodeURIComponent(a.ref); } },
        el('td', { class: 'mono', text: a.ref }), el('td', { text: a.artifactType || a.mediaType }), el('td', { class: 'mono', text: short(a.digest) }),
        el('td', { class: 'num', text: bytes(a.size) }), el('td', { text: when(a.created) }), el('td', {}, sig(a.signature))));
    });
    $('#summary').textContent = data.packs.length + ' pack(s), ' + versions + ' version(s), ' + data.artifacts.length + ' other artifact(s)';
  }

  function renderRuns(data) {
    var box = $('#runs');
    if (!data.sources.length) return;
    box.textContent = '';
    data.sources.forEach(function (s) {
      var head = el('tr');
      ['Started', 'Ended', 'Trigger', 'Outcome', 'Revision', 'Unsigned allowed', 'Packs'].forEach(function (h) { head.appendChild(el('th', { text: h })); });
      var t = el('table', { class: 'grid runs', 'data-source': s.source }, el('thead', {}, head));
      var tb = el('tbody');
      s.runs.forEach(function (r) {
        var packs = el('td', { class: 'packs-cell' });
        r.packs.forEach(function (p) {
          packs.appendChild(el('div', {}, p.id + ' ' + p.version + ' ', badge('o-' + p.outcome, p.outcome), p.code ? el('code', { class: 'o-failed', text: ' ' + p.code }) : null,
            p.detail ? el('span', { class: 'muted', text: ' ' + p.detail }) : null));
        });
        tb.appendChild(el('tr', { class: 'run-row', 'data-run': r.runId }, el('td', { text: when(r.startedAt) }), el('td', { text: when(r.endedAt) }), el('td', { text: r.trigger }),
          el('td', {}, badge('o-' + r.outcome, r.outcome)), el('td', { class: 'mono', title: r.revision, text: short(r.revision) }), el('td', { text: r.unsignedAllowed ? 'yes' : 'no' }), packs));
      });
      t.appendChild(tb);
      box.appendChild(el('h3', { text: 'source ' + s.source }));
      box.appendChild(t);
    });
  }

  function home() {
    show('home');
    return Promise.all([api('/api/packs'), api('/api/runs?limit=20')]).then(function (res) { catalog = res[0]; renderPacks(res[0]); renderRuns(res[1]); });
  }

  function otherVersions(id, ref) {
    var p = catalog && catalog.packs.filter(function (x) { return x.id === id; })[0];
    return p ? p.versions.filter(function (v) { return v.ref !== ref; }) : [];
  }

  function detail(ref) {
    show('detail');
    var box = $('#detail');
    box.textContent = 'loading ' + ref + '…';
    var wait = catalog ? Promise.resolve() : api('/api/packs').then(function (c) { catalog = c; });
    return wait.then(function () { return api('/api/pack?ref=' + encodeURIComponent(ref)); }).then(function (d) {
      box.textContent = '';
      box.appendChild(el('h2', { text: d.pack ? d.pack.packJson.package.id + ' ' + d.pack.packJson.package.version : ref }));
      box.appendChild(el('p', {}, el('code', { text: d.reference }), ' · ', el('code', { text: d.digest }), ' · ' + bytes(d.size) + ' · ', sig(d.signature)));
      if (d.installed) box.appendChild(el('p', {}, 'Installed: ', badge('i-' + d.installed.status, d.installed.status), ' ' + d.installed.version + ' from ' + d.installed.source + ' at ' + when(d.installed.installedAt) + (d.installed.digest === d.digest ? ' (this digest)' : '')));
      if (d.served) box.appendChild(el('p', { class: 'muted' }, 'pull with any OCI client: ', el('code', { text: location.host + '/' + d.served.repository + ':' + d.served.tag })));
      if (d.packError) box.appendChild(el('pre', { id: 'pack-error', text: 'refused as a pack (' + d.packError.code + '): ' + d.packError.message }));
      if (d.pack) {
        var others = otherVersions(d.pack.packJson.package.id, ref);
        if (others.length) {
          var select = el('select', { id: 'diff-to' });
          others.forEach(function (v) { select.appendChild(el('option', { value: v.ref, text: v.version + ' (' + v.ref + ')' })); });
          box.appendChild(el('form', { class: 'inline', id: 'diff-form' }, 'Compare files with', select,
            el('button', { type: 'button', text: 'Diff', onclick: function () { location.hash = '#/diff/' + encodeURIComponent(select.value) + '/' + encodeURIComponent(ref); } })));
        }
        box.appendChild(el('h3', { text: 'pack.json (from the ' + d.pack.packJsonSource + ')' }));
        box.appendChild(el('pre', { id: 'pack-json', text: JSON.stringify(d.pack.packJson, null, 2) }));
        var files = d.pack.files || [];
        box.appendChild(el('h3', { text: 'Files (' + files.length + ', ' + bytes(d.pack.unpackedSize || 0) + ' unpacked)' }));
        var ft = el('table', { class: 'grid', id: 'files' }, el('thead', {}, el('tr', {}, el('th', { text: 'Path' }), el('th', { text: 'Size' }), el('th', { text: 'Mode' }))));
        var fb = el('tbody');
        files.forEach(function (f) { fb.appendChild(el('tr', {}, el('td', { class: 'mono', text: f.path }), el('td', { class: 'num', text: bytes(f.size) }), el('td', { class: 'mono', text: f.mode.toString(8) }))); });
        ft.appendChild(fb);
        box.appendChild(ft);
      }
      box.appendChild(el('h3', { text: 'Referrers (' + d.referrers.length + ')' }));
      var ul = el('ul');
      d.referrers.forEach(function (r) { ul.appendChild(el('li', {}, el('code', { text: short(r.digest) }), ' ' + (r.artifactType || r.mediaType))); });
      box.appendChild(ul);
    });
  }

  function diff(from, to) {
    show('diff');
    var box = $('#diff');
    box.textContent = 'comparing…';
    return api('/api/diff?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to)).then(function (d) {
      box.textContent = '';
      box.appendChild(el('h2', { text: d.id + ': ' + d.from.version + ' → ' + d.to.version }));
      box.appendChild(el('p', { class: 'muted', text: d.added.length + ' added, ' + d.removed.length + ' removed, ' + d.changed.length + ' changed, ' + d.unchanged + ' unchanged' }));
      var t = el('table', { class: 'grid', id: 'diff-table' }, el('thead', {}, el('tr', {}, el('th', { text: '' }), el('th', { text: 'Path' }), el('th', { text: 'Before' }), el('th', { text: 'After' }))));
      var b = el('tbody');
      d.added.forEach(function (f) { b.appendChild(el('tr', { class: 'added' }, el('td', { text: '+' }), el('td', { class: 'mono', text: f.path }), el('td', { text: '' }), el('td', { class: 'num', text: bytes(f.size) }))); });
      d.removed.forEach(function (f) { b.appendChild(el('tr', { class: 'removed' }, el('td', { text: '−' }), el('td', { class: 'mono', text: f.path }), el('td', { class: 'num', text: bytes(f.size) }), el('td', { text: '' }))); });
      d.changed.forEach(function (c) { b.appendChild(el('tr', { class: 'changed' }, el('td', { text: '~' }), el('td', { class: 'mono', text: c.path }), el('td', { class: 'num', text: bytes(c.from.size) + ' ' + c.from.sha256.slice(0, 8) }), el('td', { class: 'num', text: bytes(c.to.size) + ' ' + c.to.sha256.slice(0, 8) }))); });
      t.appendChild(b);
      box.appendChild(t);
    });
  }

  function route() {
    var h = location.hash.replace(/^#/, '');
    var m;
    var p = (m = /^\/pack\/(.+)$/.exec(h)) ? detail(decodeURIComponent(m[1]))
      : (m = /^\/diff\/([^/]+)\/([^/]+)$/.exec(h)) ? diff(decodeURIComponent(m[1]), decodeURIComponent(m[2]))
      : home();
    p.catch(showError);
  }
  document.addEventListener('DOMContentLoaded', function () { $('#registry-host').textContent = location.host; route(); });
  window.addEventListener('hashchange', route);
})();
`;
