/**
 * The page script's shared helpers (app-js.ts wraps every part in one function scope): building elements (values
 * always as text, never as HTML), formatting, the API call that turns an error answer into its code and message,
 * and switching views so that one view, or the error, is shown — never a stale `loading…`.
 */
export const CORE_JS = String.raw`
  var $ = function (s) { return document.querySelector(s); };
  var VIEWS = ['home', 'detail', 'file', 'diff', 'runs'];
  var lastList = '#/';
  /** Bumped by every route: an answer for an older view is dropped (STALE), never drawn over the newer one. */
  var generation = 0;
  var STALE = new Error('stale');
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
    if (!s) return badge('s-unknown', '…');
    var title = s.signers && s.signers.length ? 'verified with ' + s.signers.join(', ') : (s.code ? s.code + ': ' + (s.detail || '') : (s.detail || ''));
    var who = s.signers && s.signers.length ? s.signers[0].replace(/^key sha256:([a-f0-9]{12})[a-f0-9]+$/, 'key $1…') : '';
    if (who.length > 48) who = who.slice(0, 47) + '…';
    var text = s.status === 'verified' && who ? 'verified · ' + who : s.status + (s.code ? ' · ' + s.code : '');
    return badge('s-' + s.status, text, title);
  }
  function packHref(ref) { return '#/pack/' + encodeURIComponent(ref); }
  function packLink(ref, text) { return el('a', { href: packHref(ref), text: text || ref }); }
  function scroller(table) { return el('div', { class: 'scroll' }, table); }
  function grid(id, heads) {
    var tr = el('tr');
    heads.forEach(function (h) { tr.appendChild(el('th', { text: h })); });
    return el('table', { class: 'grid', id: id }, el('thead', {}, tr), el('tbody'));
  }
  function backLink() { return el('p', { class: 'back' }, el('a', { href: lastList, id: 'back', text: '← all packs' })); }
  function api(path) {
    var g = generation;
    return fetch(path, { headers: { accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (body) {
        if (g !== generation) throw STALE;
        if (!r.ok) throw new Error((body.error && (body.error.code + ': ' + body.error.message)) || ('HTTP ' + r.status));
        return body;
      });
    });
  }
  function summary(text) { $('#summary').textContent = text; }
  /** Shows one view and empties it but for a back link and a loading line; the error box is hidden. */
  function show(id, loadingText) {
    VIEWS.forEach(function (s) { $('#' + s).hidden = s !== id; });
    $('#error').hidden = true;
    summary('');
    var box = $('#' + id);
    if (id !== 'home') {
      box.textContent = '';
      box.appendChild(backLink());
      box.appendChild(el('p', { class: 'loading muted', text: loadingText || 'loading…' }));
    } else $('#list-status').textContent = 'loading…';
    return box;
  }
  function loaded(box) { var l = box.querySelector('.loading'); if (l) l.remove(); }
  function showError(e) {
    if (e === STALE) return;
    VIEWS.forEach(function (s) { var l = $('#' + s + ' .loading'); if (l) l.remove(); });
    if ($('#list-status').textContent === 'loading…') $('#list-status').textContent = '';
    var box = $('#error'); box.hidden = false; box.textContent = String(e && e.message || e);
    summary('error');
  }
`;
